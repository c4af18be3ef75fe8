"""Citation resolution against an archive of the replica: library, CLI and CDXJ export.

The archive is the session fixture (first crawl, unchanged re-crawl, crawl after an edit),
copied and loaded into a warehouse once per session (:func:`loaded_archive`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import ArchiveHistory
from hypothesis import given, settings
from hypothesis import strategies as st
from tools import cdxj_index, pywb_replay
from typer.testing import CliRunner

from scoarchive.cli import citations as cli_resolve  # noqa: F401 - registers `resolve` and `serve` (cli.py will import it)
from scoarchive.cli.main import app
from scoarchive.core.profile import load_profile
from scoarchive.core.settings import DataDir
from scoarchive.core.urls import InvalidURL, surt_key
from scoarchive.resolve.resolver import Resolver, resolve
from scoarchive.resolve.target import target
from scoarchive.warc.reader import read_record
from scoarchive.warehouse import WarehouseError, load
from scoarchive.warehouse.cdxj import export_cdxj
from scoarchive.warehouse.schema import migrate
from scoarchive.warehouse.snapshots import publish

ANNIVERSARY = "http://eng.sectsco.org/20210615/765514.html"
ALIBABA = "http://eng.sectsco.org/20210607/765371.html"
REDIRECT_CHAIN = "http://eng.sectsco.org/20230104/900004.html"


def loaded_archive(archive: ArchiveHistory, factory: pytest.TempPathFactory) -> Path:
    """A copy of the session archive with its warehouse loaded, made once per session.

    A copy, so no other test's view of the shared archive changes; memoised on disk so the
    replay tests reuse it.
    """
    root = factory.getbasetemp() / "resolve-archive"
    if not (root / "warehouse" / "current").exists():
        shutil.rmtree(root, ignore_errors=True)
        DataDir(root).create()
        (root / "warcs").mkdir(parents=True)
        for path in sorted((archive.data_dir / "warcs").glob("*.warc.gz")):
            shutil.copy2(path, root / "warcs" / path.name)
        load(root)
    return root


@pytest.fixture(scope="module")
def data_dir(archive: ArchiveHistory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return loaded_archive(archive, tmp_path_factory)


@pytest.fixture(scope="module")
def resolver(data_dir: Path) -> Resolver:
    return Resolver(data_dir)


def cli(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def payload_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


# -- the resolver ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cited",
    [
        "http://eng.sectsco.org/news/20210615/765514.html",  # the old site's news address
        "http://eng.sectsco.org/about_sco/20210615/765514.html",
        "https://eng.sectsco.org/news/20210615/765514.html",
        "https://www.eng.sectsco.org/news/20210615/765514.html?utm_source=twitter#top",
        "eng.sectsco.org/news/20210615/765514.html",
    ],
)
def test_old_site_addresses_find_the_article(resolver: Resolver, cited: str) -> None:
    result = resolver.resolve(cited, datetime(2021, 6, 16, tzinfo=UTC))
    assert result is not None
    assert result.match == "alias"
    assert result.capture.url == ANNIVERSARY
    assert result.capture.title == "SCO celebrates its 20th anniversary"
    assert result.capture.content.status == 200


def test_russian_slug_address_finds_the_article(archive: ArchiveHistory, resolver: Resolver) -> None:
    article = archive.site.articles(host="rus.sectsco.org")[3]
    day = article.published.strftime("%Y%m%d")
    cited = f"http://rus.sectsco.org/political/{day}/{article.article_id}/Kakoj-to-zagolovok.html"
    result = resolver.resolve(cited)
    assert result is not None and result.match == "alias"
    assert result.capture.url == article.url
    assert result.capture.title == article.title


@pytest.mark.parametrize(
    ("cited", "match"),
    [
        (ANNIVERSARY, "exact"),
        ("https://www.eng.sectsco.org/20210615/765514.html", "canonical"),
        (
            "http://eng.sectsco.org:80/20210615/765514.html?utm_source=x&utm_medium=y&fbclid=z#comments",
            "canonical",
        ),
        ("HTTP://ENG.SECTSCO.ORG/20210615/765514.html", "canonical"),
    ],
)
def test_canonical_spellings(resolver: Resolver, cited: str, match: str) -> None:
    result = resolver.resolve(cited)
    assert result is not None
    assert (result.match, result.capture.url) == (match, ANNIVERSARY)


def test_latest_capture_without_a_date_and_revisits_stand_for_their_record(resolver: Resolver) -> None:
    captures = resolver.captures(ANNIVERSARY)
    # crawled three times: once in full, then two re-crawls that found it unchanged
    assert [c.record_type for c in captures] == ["response", "revisit", "revisit"]
    first, _, revisit = captures
    result = resolver.resolve(ANNIVERSARY)
    assert result is not None and result.distance is None
    assert result.capture.record_id == revisit.record_id  # the latest capture is the revisit ...
    assert revisit.status == 304
    content = result.capture.content  # ... which replays the response it refers to
    assert (content.record_id, content.status, content.warc_file, content.warc_offset) == (
        first.record_id,
        200,
        first.warc_file,
        first.warc_offset,
    )


def test_the_nearer_of_two_versions_of_an_edited_article(archive: ArchiveHistory, resolver: Resolver) -> None:
    edited = archive.change.edited
    captures = resolver.captures(edited)
    full = [c for c in captures if c.record_type == "response"]
    assert len(full) == 2 and full[0].payload_digest != full[1].payload_digest
    old, new = full
    for at, expected in [
        (old.time - timedelta(days=30), old),
        (old.time + (new.time - old.time) / 10, old),
        (new.time - (new.time - old.time) / 10, new),
        (new.time + timedelta(days=30), new),
        (None, new),
    ]:
        result = resolver.resolve(edited, at)
        assert result is not None
        assert result.capture.content.record_id == expected.record_id, at
        if at is not None:
            assert result.distance == result.capture.time - at


def test_captured_redirects_are_followed(resolver: Resolver) -> None:
    result = resolver.resolve(REDIRECT_CHAIN)
    assert result is not None
    assert result.match == "redirect"
    assert result.capture.url == ALIBABA and result.capture.content.status == 200
    assert [hop.url for hop in result.via] == [
        REDIRECT_CHAIN,
        "http://eng.sectsco.org/redirect/1",
        "http://eng.sectsco.org/redirect/2",
    ]
    assert [hop.status for hop in result.via] == [301, 302, 301]


def test_loops_errors_and_off_site_redirects_return_what_was_captured(resolver: Resolver) -> None:
    loop = resolver.resolve("http://eng.sectsco.org/20230105/900005.html")
    assert loop is not None and loop.match == "exact" and loop.capture.status == 302
    offsite = resolver.resolve("http://eng.sectsco.org/20230106/900006.html")
    assert offsite is not None and offsite.capture.status == 302 and not offsite.via
    error = resolver.resolve("http://eng.sectsco.org/20230102/900002.html")
    assert error is not None and error.capture.status == 500


def synthetic_archive(root: Path, rows: list[tuple[str, datetime, int, str | None]]) -> Path:
    """A published warehouse holding only the given (url, time, status, location) captures."""
    warehouse = root / "warehouse"
    warehouse.mkdir(parents=True)
    con = duckdb.connect(str(warehouse / "work.duckdb"))
    migrate(con)
    profile = load_profile("sco")
    for n, (url, moment, status, location) in enumerate(rows):
        con.execute(
            "INSERT INTO captures (record_id, url, surt, capture_time, status, mime, payload_digest, "
            "record_type, warc_file, warc_offset, warc_length, article_key, location) "
            "VALUES (?, ?, ?, ?, ?, 'text/html', 'sha1:X', 'response', 'x.warc.gz', ?, 100, ?, ?)",
            [f"<urn:uuid:{n}>", url, surt_key(url), moment.replace(tzinfo=None), status, n * 100,
             profile.article_key(url), location],
        )  # fmt: skip
    con.execute("INSERT INTO loaded_files VALUES ('x.warc.gz', 0, NULL, ?, 0)", [len(rows)])
    con.close()
    publish(warehouse / "work.duckdb", warehouse)
    return root


def test_two_xx_preferred_over_nearer_errors(tmp_path: Path) -> None:
    day = datetime(2024, 3, 1, tzinfo=UTC)
    page, gone, broken = (f"http://eng.sectsco.org/2024030{n}/80000{n}.html" for n in (1, 2, 3))
    resolver = Resolver(
        synthetic_archive(
            tmp_path,
            [
                (page, day, 200, None),
                (page, day + timedelta(days=10), 404, None),
                (page, day + timedelta(days=20), 503, None),
                (gone, day, 404, None),
                (gone, day + timedelta(days=1), 410, None),
                (broken, day, 301, "http://eng.sectsco.org/nowhere.html"),  # target never captured
            ],
        )
    )
    near_the_404 = resolver.resolve(page, day + timedelta(days=10))
    assert near_the_404 is not None and near_the_404.capture.status == 200
    assert near_the_404.distance == timedelta(days=-10)
    only_errors = resolver.resolve(gone, day + timedelta(days=2))
    assert only_errors is not None and only_errors.capture.status == 410  # all there is: the nearest
    dead_end = resolver.resolve(broken)
    assert dead_end is not None and (dead_end.match, dead_end.capture.status) == ("exact", 301)


def test_never_archived(resolver: Resolver) -> None:
    assert resolver.resolve("http://eng.sectsco.org/20990101/123456789.html") is None
    assert resolver.resolve("http://example.com/") is None
    assert resolver.captures("http://example.com/") == []


@pytest.mark.parametrize(
    "bad", ["", "not a url", "ftp://eng.sectsco.org/", "http://", "http://[::1", "x" * 5000]
)
def test_unusable_urls(resolver: Resolver, bad: str) -> None:
    with pytest.raises(InvalidURL):
        resolver.resolve(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_a_url_or_invalid_url(text: str) -> None:
    profile = load_profile("sco")
    for candidate in (text, "http://" + text, "http://eng.sectsco.org/" + text):
        with contextlib.suppress(InvalidURL):
            target(candidate, profile)


def test_convenience_function_and_missing_warehouse(data_dir: Path, tmp_path: Path) -> None:
    found = resolve("http://eng.sectsco.org/news/20210615/765514.html", data_dir=data_dir)
    assert found is not None and found.capture.url == ANNIVERSARY
    with pytest.raises(WarehouseError, match="scoarchive load"):
        Resolver(tmp_path).resolve(ANNIVERSARY)


def test_the_index_follows_new_snapshots(archive: ArchiveHistory, tmp_path: Path) -> None:
    files = sorted((archive.data_dir / "warcs").glob("*.warc.gz"))
    (tmp_path / "warcs").mkdir()
    shutil.copy2(files[0], tmp_path / "warcs")
    load(tmp_path)
    resolver = Resolver(tmp_path)
    assert len(resolver.captures(ANNIVERSARY)) == 1
    for path in files[1:]:
        shutil.copy2(path, tmp_path / "warcs")
    load(tmp_path)
    assert len(resolver.captures(ANNIVERSARY)) == 3  # same resolver, new snapshot: one per crawl
    assert len(list((tmp_path / "warehouse" / "resolve").glob("*.sqlite"))) == 1


def test_the_resolved_record_is_the_one_in_the_warc(data_dir: Path, resolver: Resolver) -> None:
    result = resolver.resolve(ANNIVERSARY)
    assert result is not None
    content = result.capture.content
    record = read_record(data_dir / "warcs" / content.warc_file, content.warc_offset)
    assert record.rec_headers.get_header("WARC-Record-ID") == content.record_id
    assert record.rec_headers.get_header("WARC-Payload-Digest") == result.capture.payload_digest
    assert payload_digest(record.raw_stream.read()) == result.capture.payload_digest


# -- the CLI ----------------------------------------------------------------------------------------


def test_cli_resolves_with_briefing_dates(archive: ArchiveHistory, data_dir: Path) -> None:
    for when in ("16. Juni 2021", "7 June 2021", "15.06.2021", "2021-06-15", "16 июня 2021"):
        result = cli(
            "resolve",
            "http://eng.sectsco.org/news/20210615/765514.html",
            "--at",
            when,
            "--data",
            str(data_dir),
        )
        assert result.exit_code == 0, result.output
        assert "SCO celebrates its 20th anniversary" in result.stdout
        assert "alias" in result.stdout and ".warc.gz" in result.stdout


def test_cli_at_picks_the_nearer_version(archive: ArchiveHistory, data_dir: Path, resolver: Resolver) -> None:
    edited = archive.change.edited
    old, new = [c for c in resolver.captures(edited) if c.record_type == "response"]
    for at, expected in [
        (old.time + timedelta(microseconds=1), old),
        (new.time - timedelta(microseconds=1), new),
    ]:
        result = cli("resolve", edited, "--at", at.isoformat(), "--json", "--data", str(data_dir))
        assert result.exit_code == 0, result.output
        answer = json.loads(result.stdout)
        assert answer["capture"]["content"]["record_id"] == expected.record_id
        assert answer["capture"]["warc_offset"] == expected.warc_offset
        assert answer["match"] == "exact" and abs(answer["distance_seconds"]) < 1e-3


def test_cli_json_shape(data_dir: Path) -> None:
    result = cli("resolve", REDIRECT_CHAIN, "--json", "--data", str(data_dir))
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    assert answer["match"] == "redirect" and len(answer["via"]) == 3
    capture = answer["capture"]
    assert capture["url"] == ALIBABA and capture["title"].startswith("SCO Secretary-General")
    assert {"time", "status", "warc_file", "warc_offset", "record_id", "payload_digest"} <= capture.keys()
    assert answer["memento_path"].startswith("/web/") and answer["memento_path"].endswith(ALIBABA)


def test_cli_nothing_archived_exits_1(data_dir: Path) -> None:
    result = cli("resolve", "http://eng.sectsco.org/20990101/1.html", "--data", str(data_dir))
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(
        "Error: nothing archived for http://eng.sectsco.org/20990101/1.html"
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["not a url"],
        ["ftp://eng.sectsco.org/"],
        [ANNIVERSARY, "--at", "32.13.2021"],
        [ANNIVERSARY, "--at", "soon"],
    ],
)
def test_cli_bad_input_exits_2(data_dir: Path, args: list[str]) -> None:
    result = cli("resolve", *args, "--data", str(data_dir))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")


def test_cli_without_a_warehouse_exits_1(tmp_path: Path) -> None:
    DataDir(tmp_path).create()
    result = cli("resolve", ANNIVERSARY, "--data", str(tmp_path))
    assert result.exit_code == 1 and "scoarchive load" in result.stderr


# -- CDXJ ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdxj_dir(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cdxj")
    export_cdxj(data_dir, directory)
    return directory


def test_cdxj_is_sorted_and_matches_cdxj_indexer(data_dir: Path, cdxj_dir: Path) -> None:
    lines = (cdxj_dir / "index.cdxj").read_bytes().splitlines()
    assert lines == sorted(lines)  # LC_ALL=C: byte order
    ours = {line.decode() for line in lines}
    reference = cdxj_index(sorted((data_dir / "warcs").glob("*.warc.gz")))
    full = {line for line in reference if '"warc/revisit"' not in line}
    revisits = [line for line in reference if '"warc/revisit"' in line]
    assert revisits and full <= ours  # full captures: byte for byte what cdxj-indexer writes
    assert len(lines) == len(reference)  # one line per record
    for line in ours - full:  # revisits point at the record they refer to
        fields = json.loads(line.split(" ", 2)[2])
        assert fields["status"] == "200" and fields["mime"] != "warc/revisit"


def test_pywb_replays_a_200_at_a_revisit_time(
    data_dir: Path, cdxj_dir: Path, resolver: Resolver, tmp_path: Path
) -> None:
    first, _, revisit = resolver.captures(ANNIVERSARY)
    assert revisit.record_type == "revisit" and revisit.status == 304
    record = read_record(data_dir / "warcs" / first.warc_file, first.warc_offset)
    body = record.content_stream().read()  # decoded, as pywb serves it
    warcs = sorted((data_dir / "warcs").glob("*.warc.gz"))
    replayed = pywb_replay(tmp_path / "pywb", ANNIVERSARY, revisit.timestamp, warcs, cdxj_dir=cdxj_dir)
    assert replayed["raw"]["status"] == 200
    assert replayed["raw"]["body"] == body
    assert replayed["browser"]["status"] == 200  # pywb's frame around the page
