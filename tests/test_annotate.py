"""Robust Links in every briefing format: the archived copy beside each cited link, nothing else changed."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import lxml.html
import pytest
from test_briefing import ALIBABA, DATA, JUBILEE, summary

from scoarchive.briefing.annotate import ArchivedLink, annotate
from scoarchive.briefing.model import BriefingError
from scoarchive.briefing.reader import parse_briefing

ARCHIVE = "https://archive.example.org/web"
LINKS = {
    JUBILEE: ArchivedLink(f"{ARCHIVE}/20210616000000/{JUBILEE}", datetime(2021, 6, 16, 9, 30, tzinfo=UTC)),
    ALIBABA: ArchivedLink(f"{ARCHIVE}/20210607120000/{ALIBABA}", datetime(2021, 6, 7, 12, 0, tzinfo=UTC)),
}
NOTES = [f" [archived: {link.archived_url}, {link.version_date:%Y-%m-%d}]" for link in LINKS.values()]


def _same_citations(original: Path, annotated: Path) -> None:
    before, after = parse_briefing(original), parse_briefing(annotated)
    assert [summary(c) for c in after.citations] == [summary(c) for c in before.citations]


@pytest.mark.parametrize("name", ["example.txt", "example.md"])
def test_text_and_markdown(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    assert annotate(DATA / name, out, LINKS) == 2
    original, annotated = (DATA / name).read_text(encoding="utf-8"), out.read_text(encoding="utf-8")
    for note in NOTES:
        assert annotated.count(note) == 1
    for note in NOTES:
        annotated = annotated.replace(note, "")
    assert annotated == original  # nothing else changed
    _same_citations(DATA / name, out)
    assert annotate(out, tmp_path / f"again-{name}", LINKS) == 0  # no second note
    assert (tmp_path / f"again-{name}").read_bytes() == out.read_bytes()


def test_text_places_the_note_after_the_url_and_its_punctuation_stays(tmp_path: Path) -> None:
    wrapped = JUBILEE.replace("/news/", "/news/\n    ")  # hard-wrapped: the note follows the whole URL
    (tmp_path / "b.txt").write_text(f"Siehe ({ALIBABA}), und {wrapped}.\n", encoding="utf-8")
    assert annotate(tmp_path / "b.txt", tmp_path / "out.txt", LINKS) == 2
    assert (tmp_path / "out.txt").read_text(
        encoding="utf-8"
    ) == f"Siehe ({ALIBABA}{NOTES[1]}), und {wrapped}{NOTES[0]}.\n"


def test_markdown_links_stay_links(tmp_path: Path) -> None:
    wiki = "http://en.wikipedia.org/wiki/SCO_(org)"
    source = tmp_path / "b.md"
    source.write_text(
        f'See [the page]({JUBILEE} "title"), <{ALIBABA}> and [wiki]({wiki}).\n', encoding="utf-8"
    )
    links = {**LINKS, wiki: LINKS[JUBILEE]}
    assert annotate(source, tmp_path / "out.md", links) == 3
    assert (tmp_path / "out.md").read_text(encoding="utf-8") == (
        f'See [the page]({JUBILEE} "title"){NOTES[0]}, <{ALIBABA}>{NOTES[1]} and [wiki]({wiki}){NOTES[0]}.\n'
    )
    reference = f"See [the page][1].\n\n[1]: {JUBILEE}\n"
    source.write_text(reference, encoding="utf-8")  # a note would break the definition: left alone
    assert annotate(source, tmp_path / "out.md", links) == 0
    assert (tmp_path / "out.md").read_text(encoding="utf-8") == reference


def test_html(tmp_path: Path) -> None:
    out = tmp_path / "example.html"
    assert annotate(DATA / "example.html", out, LINKS) == 2
    tree = lxml.html.parse(str(out))
    cited = tree.xpath("//a[@data-versionurl]")
    assert [
        (a.get("href"), a.get("data-originalurl"), a.get("data-versionurl"), a.get("data-versiondate"))
        for a in cited
    ] == [
        (JUBILEE, JUBILEE, LINKS[JUBILEE].archived_url, "2021-06-16"),
        (ALIBABA, ALIBABA, LINKS[ALIBABA].archived_url, "2021-06-07"),
    ]
    original = lxml.html.parse(str(DATA / "example.html"))
    assert tree.docinfo.doctype == original.docinfo.doctype == "<!DOCTYPE html>"
    for anchor in cited:
        for attribute in ("data-originalurl", "data-versionurl", "data-versiondate"):
            del anchor.attrib[attribute]
    assert lxml.html.tostring(tree) == lxml.html.tostring(original)  # the rest is intact
    _same_citations(DATA / "example.html", out)


def test_html_fragment_stays_a_fragment(tmp_path: Path) -> None:
    source = tmp_path / "b.html"
    source.write_text(
        f'<p>[1] Bericht, in: <a href=" {JUBILEE}\n">Seite</a></p>\n<p>Ende</p>', encoding="utf-8"
    )
    assert annotate(source, tmp_path / "out.html", LINKS) == 1
    text = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "<html" not in text and "<body" not in text and text.endswith("<p>Ende</p>")
    assert f'data-versionurl="{LINKS[JUBILEE].archived_url}"' in text


@pytest.mark.parametrize("name", ["example.docx", "example-footnotes.docx"])
def test_docx(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    assert annotate(DATA / name, out, LINKS) == 2
    with zipfile.ZipFile(DATA / name) as before, zipfile.ZipFile(out) as after:
        assert before.namelist() == after.namelist()
        changed = {n for n in before.namelist() if before.read(n) != after.read(n)}
        text = "".join(after.read(n).decode() for n in changed)
    expected = {"word/document.xml"} if name == "example.docx" else {"word/footnotes.xml"}
    assert changed == expected  # every other part byte for byte
    plain = re.sub(r"<[^>]+>", "", text)
    for note in NOTES:
        assert plain.count(note) == 1
    _same_citations(DATA / name, out)
    assert annotate(out, tmp_path / f"again-{name}", LINKS) == 0


def test_docx_written_out_url(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("[1] Bericht, in: ")
    paragraph.add_run(JUBILEE[:20])
    paragraph.add_run(JUBILEE[20:] + " (abgerufen).")
    document.save(tmp_path / "b.docx")
    assert annotate(tmp_path / "b.docx", tmp_path / "out.docx", LINKS) == 1
    text = "".join(p.text for p in docx.Document(str(tmp_path / "out.docx")).paragraphs)
    assert text == f"[1] Bericht, in: {JUBILEE}{NOTES[0]} (abgerufen)."
    _same_citations(tmp_path / "b.docx", tmp_path / "out.docx")


def test_links_match_by_canonical_form_and_others_are_left(tmp_path: Path) -> None:
    source = tmp_path / "b.txt"
    source.write_text(
        "[1] A, in: HTTP://ENG.SECTSCO.ORG:80/news/20210615/765514.html\n[2] B, in: http://x.org/\n"
    )
    assert annotate(source, tmp_path / "out.txt", {JUBILEE: LINKS[JUBILEE]}) == 1
    assert (tmp_path / "out.txt").read_text().count("[archived: ") == 1


def test_bom_kept_and_unreadable_input(tmp_path: Path) -> None:
    source = tmp_path / "b.txt"
    source.write_text(f"[1] A, in: {JUBILEE}\n", encoding="utf-8-sig")
    assert annotate(source, tmp_path / "out.txt", LINKS) == 1
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == f"\ufeff[1] A, in: {JUBILEE}{NOTES[0]}\n"
    with pytest.raises(BriefingError, match="cannot read"):
        annotate(tmp_path / "missing.txt", tmp_path / "out.txt", LINKS)


@pytest.mark.parametrize("name", ["30-de-pdf-footnotes.pdf", "27-de-odt-footnotes.odt"])
def test_pdf_and_odt_are_refused_in_one_line(tmp_path: Path, name: str) -> None:
    with pytest.raises(BriefingError, match="briefings are not annotated") as raised:
        annotate(DATA / "corpus" / name, tmp_path / name, LINKS)
    assert "\n" not in str(raised.value) and not (tmp_path / name).exists()
