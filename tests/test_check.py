"""The briefing check end to end: the example briefing, capture on demand, quotes, outputs, bad input."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import ArchiveHistory, run_cli
from tools import script

from scoarchive.briefing.check import CheckOptions, check_briefing
from scoarchive.briefing.compare import Translation
from scoarchive.core.settings import DataDir
from scoarchive.replica import ReplicaServer
from scoarchive.warehouse import load

BRIEFINGS = Path(__file__).parent / "data" / "briefings"
EXAMPLE = BRIEFINGS / "example.txt"


@pytest.fixture(scope="module")
def loaded(archive: ArchiveHistory) -> Path:
    load(archive.data_dir)
    return archive.data_dir


def check_json(*args: str) -> tuple[int, dict]:
    completed = run_cli("check", *args, "--format", "json")
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed.returncode, json.loads(completed.stdout)


def test_example_briefing(loaded: Path) -> None:
    code, report = check_json(str(EXAMPLE), "--data", str(loaded))
    assert code == 0 and report["all_preserved"] is True
    first, second = report["citations"]
    # the cited old-site addresses are dead; both resolve by article identity
    assert first["url"] == "http://eng.sectsco.org/news/20210615/765514.html"
    assert first["resolved"] and first["match"] == "alias"
    assert first["archived_url"].endswith("/http://eng.sectsco.org/20210615/765514.html")
    # "16. Juni 2021" against an article published on 15 June: one day off, reported as such
    assert first["date_check"] == {
        "stated": "2021-06-16",
        "published": "2021-06-15",
        "days_off": 1,
        "verdict": "off",
    }
    assert [q["verdict"] for q in first["quotes"]] == ["found"]
    # the short quotations of the German text: the English name is in the article; „neuen Typ“
    # translates "new type" and is reported as another language, not as a misquote
    name, term = first["terms"]
    assert (name["text"], name["verdict"]) == ("Shanghai Cooperation Organisation", "found")
    assert (term["text"], term["verdict"]) == ("neuen Typ", "other_language")
    assert (term["quote_language"], term["source_language"]) == ("de", "en")
    assert second["terms"] == []
    # footnote [2]'s long quotation is in the cited article
    assert second["match"] == "alias" and second["date_check"]["verdict"] == "match"
    assert len(second["quotes"]) == 1 and second["quotes"][0]["verdict"] in ("found", "found_normalised")
    for key in (
        "n",
        "url",
        "title",
        "resolved",
        "archived_url",
        "capture_time",
        "match",
        "live",
        "date_check",
    ):
        assert key in first


def test_same_briefing_in_every_format_gives_the_same_citations(loaded: Path) -> None:
    reports = [
        check_json(str(BRIEFINGS / name), "--data", str(loaded))[1]
        for name in (
            "example.txt",
            "example.md",
            "example.html",
            "example.docx",
            "example.odt",
            "example.pdf",
        )
    ]
    keys = ("n", "url", "title", "resolved", "archived_url", "match", "date_check", "quotes", "terms")
    first = [{k: c[k] for k in keys} for c in reports[0]["citations"]]
    for report in reports[1:]:
        assert [{k: c[k] for k in keys} for c in report["citations"]] == first


def test_markdown_footnotes_one_under_the_other_are_checked_apart(loaded: Path, tmp_path: Path) -> None:
    """The issue's case: [^2] directly under [^1] once took [^1]'s number, title, date and quotes."""
    briefing = tmp_path / "consecutive.md"
    briefing.write_text(
        '# Note\n\nWang Yi: "we use the single SCO voice to promote the formation of a new type of '
        'international relations"[^1]. Norov met Alibaba[^2].\n\n'
        "[^1]: SCO celebrates its 20th anniversary, 16. Juni 2021, in: <http://eng.sectsco.org/news/20210615/765514.html>\n"
        "[^2]: SCO Secretary-General’s videoconference with Alibaba Group delegation, 7. Juni 2021, in: "
        "<http://eng.sectsco.org/news/20210607/765371.html>\n",
        encoding="utf-8",
    )
    code, report = check_json(str(briefing), "--data", str(loaded))
    first, second = report["citations"]
    assert code == 0 and (first["n"], second["n"]) == (1, 2)
    assert first["date_check"]["verdict"] == "off" and second["date_check"]["verdict"] == "match"
    assert [q["verdict"] for q in first["quotes"]] == ["found"] and second["quotes"] == []
    assert second["title"] == "SCO Secretary-General’s videoconference with Alibaba Group delegation"


def test_quotes_are_checked_against_the_translations_given(loaded: Path, tmp_path: Path) -> None:
    """The check takes the texts of an article's linked translations from its caller too, and
    finds a quotation translated from one of them; without them (the archive links none) it is
    another language."""
    briefing = tmp_path / "ru.md"
    briefing.write_text(
        "# Записка\n\nВан И сказал, что ШОС «способствует формированию международных отношений "
        "нового типа» и поддерживает «Шанхайский дух»[^1].\n\n"
        "[^1]: SCO celebrates its 20th anniversary, 16 июня 2021, <http://eng.sectsco.org/news/20210615/765514.html>\n",
        encoding="utf-8",
    )
    russian = Translation(
        "http://rus.sectsco.org/20210615/765515.html",
        None,  # detected
        "Министр иностранных дел Китая Ван И заявил, что ШОС способствует формированию "
        "международных отношений нового типа и сообщества единой судьбы человечества.",
    )
    asked: list[list[str]] = []

    def translations(record_ids):
        asked.append(list(record_ids))
        return {record_id: [russian] for record_id in record_ids}

    options = CheckOptions.from_names(loaded)
    (citation,) = check_briefing(briefing, options, translations=translations).report.citations
    (quote,) = citation.quotes
    assert quote["verdict"] == "found_normalised" or quote["verdict"] == "found"
    assert quote["translation_url"] == russian.url and quote["translation_language"] == "ru"
    assert (quote["quote_language"], quote["source_language"]) == ("ru", "en")
    (term,) = citation.terms  # in no text: compared with the Russian translation, and not in it
    assert term["verdict"] == "not_found" and term["translation_url"] == russian.url
    assert asked == [[citation.record_id]]
    (alone,) = check_briefing(briefing, options).report.citations
    assert [q["verdict"] for q in alone.quotes + alone.terms] == ["other_language", "other_language"]
    assert all(q["translation_url"] is None for q in alone.quotes)


def test_misquote_is_reported_with_the_closest_passage(loaded: Path, tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("online meeting with", "secret meeting with")
    briefing = tmp_path / "misquote.txt"
    briefing.write_text(text, encoding="utf-8")
    code, report = check_json(str(briefing), "--data", str(loaded))
    assert code == 0  # preserved, even though misquoted
    quote = report["citations"][1]["quotes"][0]
    assert quote["verdict"] == "not_found"
    assert "online meeting with" in quote["closest"] and quote["similarity"] > 0.9


def test_missing_citation_captured_on_demand(replica: ReplicaServer, tmp_path: Path) -> None:
    briefing = tmp_path / "new.md"
    briefing.write_text(
        "# Note\n\nThe Secretary-General met Alibaba [1].\n\n"
        "[1] SCO Secretary-General’s videoconference, 7 June 2021, in: "
        "http://eng.sectsco.org/news/20210607/765371.html\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    DataDir(data).create()
    connect = ["--connect-to", f"eng.sectsco.org:80:127.0.0.1:{replica.port}"]
    code, report = check_json(str(briefing), "--data", str(data), *connect)
    assert code == 1 and report["citations"][0]["resolved"] is False
    code, report = check_json(
        str(briefing), "--data", str(data), *connect, "--capture-missing", "--delay", "0"
    )
    citation = report["citations"][0]
    assert code == 0 and citation["resolved"] and citation["captured_now"]
    assert citation["match"] == "alias"
    requested = {r.path_qs for r in replica.stats.requests}
    assert "/20210607/765371.html" in requested and "/news/" not in requested  # one page, not a crawl
    code, report = check_json(str(briefing), "--data", str(data), *connect, "--live", "--delay", "0")
    assert report["citations"][0]["live"] == "gone"  # the old address is dead on the (replica) site


def test_annotate_and_bundle(loaded: Path, tmp_path: Path) -> None:
    out_html = tmp_path / "annotated.html"
    wacz = tmp_path / "evidence.wacz"
    completed = run_cli(
        "check", str(BRIEFINGS / "example.html"), "--data", str(loaded), "--annotate", str(out_html),
        "--bundle", str(wacz),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    annotated = out_html.read_text(encoding="utf-8")
    assert annotated.count("data-versionurl=") == 2 and "data-versiondate=" in annotated
    assert 'data-originalurl="http://eng.sectsco.org/news/20210615/765514.html"' in annotated
    validated = subprocess.run([script("wacz"), "validate", "-f", str(wacz)], capture_output=True, text=True)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    with zipfile.ZipFile(wacz) as archive:
        names = set(archive.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "pages/pages.jsonl"} <= names
        assert "indexes/index.cdxj" in names and any(n.startswith("archive/") for n in names)
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        pages = archive.read("pages/pages.jsonl").decode().splitlines()
        assert json.loads(pages[0])["format"] == "json-pages-1.0" and len(pages) == 3
        index = archive.read("indexes/index.cdxj").decode()
        assert "main.css" in index  # what the cited pages need to render came along


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", b"\x00\x01\x02\xff\xfe" * 50, ""),
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x00 stream", "not a readable pdf"),
        ("plain.txt", b"Nothing cited here at all.", "citation"),
        ("badurl.txt", b"See [1].\n\n[1] Title, 7 June 2021, in: http://[::1/x", ""),
    ],
)
def test_bad_input(tmp_path: Path, name: str, content: bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    DataDir(tmp_path / "data").create()
    completed = run_cli("check", str(path), "--data", str(tmp_path / "data"))
    assert completed.returncode == 2, (completed.returncode, completed.stdout, completed.stderr)
    assert "Traceback" not in completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0].lower()


def test_missing_file(tmp_path: Path) -> None:
    completed = run_cli("check", str(tmp_path / "nope.txt"))
    assert completed.returncode == 2 and "Traceback" not in completed.stderr


def test_example_is_the_shared_briefing() -> None:
    """tests/data keeps a copy so the suite is self-contained; it must stay the real briefing."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "briefings" / "000_82a1359e8e1173c4.txt"
    if not shared.exists():
        pytest.skip("no shared/ beside this checkout")
    assert shared.read_bytes() == EXAMPLE.read_bytes()
