"""Briefing parsing: the example briefing in every format, dates, URLs, quotations, and bad input."""

from __future__ import annotations

import importlib.util
import re
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from scoarchive.briefing.dates import find_dates
from scoarchive.briefing.model import BriefingError, Citation
from scoarchive.briefing.reader import parse_briefing, parse_text
from scoarchive.briefing.urls import url_spans

DATA = Path(__file__).parent / "data" / "briefings"
EXAMPLE = DATA / "example.txt"
JUBILEE = "http://eng.sectsco.org/news/20210615/765514.html"
ALIBABA = "http://eng.sectsco.org/news/20210607/765371.html"


def _make_docx():
    spec = importlib.util.spec_from_file_location("make_docx", DATA / "make_docx.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def summary(citation: Citation) -> tuple:
    return (citation.n, citation.url, citation.title, citation.stated_date, citation.quotes, citation.terms)


def test_example_briefing() -> None:
    briefing = parse_briefing(EXAMPLE)
    assert briefing.format == "txt" and briefing.source == EXAMPLE
    assert briefing.title.startswith("Q2/2021 - Tadschikische Präsidentschaft")
    jubilee, alibaba = briefing.citations
    assert (jubilee.n, jubilee.url, jubilee.title) == (1, JUBILEE, "SCO celebrates its 20th anniversary")
    assert (jubilee.stated_date, jubilee.stated_date_text) == (date(2021, 6, 16), "16. Juni 2021")
    assert len(jubilee.quotes) == 1 and jubilee.quotes[0].startswith(
        "By resolutely upholding multilateralism"
    )
    assert jubilee.quotes[0].endswith("community of common destiny for humankind.")
    assert not any("neuen Typ" in q or q == "Shanghai Cooperation Organisation" for q in jubilee.quotes)
    assert jubilee.terms == ["Shanghai Cooperation Organisation", "neuen Typ"]  # short: terms
    assert (alibaba.n, alibaba.url, alibaba.stated_date) == (2, ALIBABA, date(2021, 6, 7))
    assert alibaba.title == "SCO Secretary-General’s videoconference with Alibaba Group delegation"
    (quote,) = alibaba.quotes  # the outer „…“, with the inner "…" inside it
    assert quote.startswith("On 7 June 2021, SCO Secretary-General Vladimir Norov had an online meeting")
    assert '"The SCO member states are developing' in quote and quote.endswith('e-commerce," he noted.')


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("example.md", "md"),
        ("example.html", "html"),
        ("example.docx", "docx"),
        ("example-footnotes.docx", "docx"),  # Word's own footnotes, not a typed list
        ("example.odt", "odt"),  # example-footnotes.docx saved by LibreOffice Writer
        ("example.pdf", "pdf"),  # and printed by it
    ],
)
def test_every_format_gives_the_same_citations(name: str, fmt: str) -> None:
    expected = parse_briefing(EXAMPLE)
    briefing = parse_briefing(DATA / name)
    assert briefing.format == fmt and briefing.title == expected.title
    assert [summary(c) for c in briefing.citations] == [summary(c) for c in expected.citations]


def test_docx_fixtures_are_what_the_generator_writes(tmp_path: Path) -> None:
    make_docx = _make_docx()
    for native, name in ((False, "example.docx"), (True, "example-footnotes.docx")):
        make_docx.build(EXAMPLE, native_footnotes=native).save(tmp_path / name)
        fresh, committed = parse_briefing(tmp_path / name), parse_briefing(DATA / name)
        assert [summary(c) for c in fresh.citations] == [summary(c) for c in committed.citations]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("16. Juni 2021", date(2021, 6, 16)),
        ("7. Juni 2021", date(2021, 6, 7)),
        ("3. März 2021", date(2021, 3, 3)),
        ("7 June 2021", date(2021, 6, 7)),
        ("7th June, 2021", date(2021, 6, 7)),
        ("June 7, 2021", date(2021, 6, 7)),
        ("Sept. 3, 2021", date(2021, 9, 3)),
        ("15.06.2021", date(2021, 6, 15)),
        ("2021-06-15", date(2021, 6, 15)),
        ("16 июня 2021", date(2021, 6, 16)),
        ("16 июня 2021 г.", date(2021, 6, 16)),
        ("2021年6月15日", date(2021, 6, 15)),
        ("31.02.2021", None),
        ("Juni 2021", None),
    ],
)
def test_stated_dates(written: str, expected: date | None) -> None:
    (citation,) = parse_text(f"[1] A title, {written}, in: http://eng.sectsco.org/a.html", "txt").citations
    assert citation.stated_date == expected
    assert citation.title == ("A title" if expected else f"A title, {written}")
    assert citation.stated_date_text == (written.removesuffix(" г.") if expected else None)


def test_stated_date_is_not_a_date_inside_the_quotation() -> None:
    text = (
        '[1] Meeting, in: http://eng.sectsco.org/a.html: "On 7 June 2021 the secretary met the delegation."'
    )
    (citation,) = parse_text(text, "txt").citations
    assert citation.stated_date is None and citation.title == "Meeting"
    assert citation.quotes == ["On 7 June 2021 the secretary met the delegation."]


def test_quoted_title_is_the_title_not_a_quote() -> None:
    text = "[1] „SCO celebrates its 20th anniversary“, 16. Juni 2021, in: http://eng.sectsco.org/a.html"
    (citation,) = parse_text(text, "txt").citations
    assert citation.title == "SCO celebrates its 20th anniversary" and citation.quotes == []


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("see http://eng.sectsco.org/a.html.", "http://eng.sectsco.org/a.html"),
        ("(see http://eng.sectsco.org/a.html), then", "http://eng.sectsco.org/a.html"),
        ("see http://en.wikipedia.org/wiki/SCO_(org).", "http://en.wikipedia.org/wiki/SCO_(org)"),
        ("„http://eng.sectsco.org/a.html“", "http://eng.sectsco.org/a.html"),
        ("«http://eng.sectsco.org/a.html»;", "http://eng.sectsco.org/a.html"),
        ('"http://eng.sectsco.org/a.html",', "http://eng.sectsco.org/a.html"),
        ("in: http://eng.sectsco.org/search?q=sco&p=2:", "http://eng.sectsco.org/search?q=sco&p=2"),
        ("in: http://eng.sectsco.org/news/2021\n    0615/765514.html", JUBILEE),
        ("in: http://eng.sectsco.org/news/20210615/\n765514.html.", JUBILEE),
        (
            "in: http://eng.sectsco.org/news/20210615/765514.\nhtml and more",
            "http://eng.sectsco.org/news/20210615/765514",
        ),
        ("in: http://eng.sectsco.org/news/20210615/765514.html\nBei dem Gespräch", JUBILEE),
        ("in: http://eng.sectsco.org/news/\n2. [2] next", "http://eng.sectsco.org/news/"),
        ("in: http://eng.sectsco.org/a.html.\nwww.example.org is another", "http://eng.sectsco.org/a.html"),
    ],
)
def test_urls_in_text(text: str, url: str) -> None:
    assert [span.url for span in url_spans(text)][:1] == [url]
    span = url_spans(text)[0]
    assert "".join(text[span.start : span.end].split()) == url


def test_every_url_of_a_footnote_is_a_citation_and_bare_urls_cite_without_number() -> None:
    text = (
        'The Secretary-General said "we will strengthen cooperation in the region" '
        "on http://eng.sectsco.org/b.html today.\n\n"
        "[1] Two sources, in: http://eng.sectsco.org/a.html and http://rus.sectsco.org/a.html\n"
    )
    citations = parse_text(text, "txt").citations
    assert [(c.n, c.url) for c in citations] == [
        (None, "http://eng.sectsco.org/b.html"),
        (1, "http://eng.sectsco.org/a.html"),
        (1, "http://rus.sectsco.org/a.html"),
    ]
    assert citations[0].quotes == ["we will strengthen cooperation in the region"]
    assert citations[1].title == citations[2].title == "Two sources"


def test_body_quotes_go_to_the_marker_that_closes_them() -> None:
    text = (
        "He said «the member states adopted the declaration» [1] and added "
        "‚cooperation will continue to grow steadily‘ [2]. Later: »a new type of relations is needed«\n\n"
        "[1] First, in: http://eng.sectsco.org/1.html\n"
        "[2] Second, in: http://eng.sectsco.org/2.html\n"
    )
    first, second = parse_text(text, "txt").citations
    assert first.quotes == ["the member states adopted the declaration"]
    assert second.quotes == [
        "cooperation will continue to grow steadily",
        "a new type of relations is needed",
    ]


def test_an_unclosed_mark_does_not_swallow_the_quotes_after_it() -> None:
    text = 'A 24" screen showed "the heads of state signed the declaration" [1]\n\n[1] T, in: http://eng.sectsco.org/a'
    (citation,) = parse_text(text, "txt").citations
    assert citation.quotes == ["the heads of state signed the declaration"]


def test_the_last_paragraph_starting_with_a_marker_is_the_footnote() -> None:
    text = (
        "Norow traf die Alibaba Group\n"
        "[1] und sprach über „die Ausbildung von vielen eCommerce-Experten“.\n\n"
        "[1] Alibaba, 7. Juni 2021, in: http://eng.sectsco.org/news/20210607/765371.html\n"
    )
    (citation,) = parse_text(text, "txt").citations
    assert (citation.n, citation.title, citation.quotes) == (
        1,
        "Alibaba",
        ["die Ausbildung von vielen eCommerce-Experten"],
    )


def test_markdown_links_and_footnotes() -> None:
    text = (
        "# Title\n\nText „with a quote of five words“[^1] and [the site](http://en.wikipedia.org/wiki/SCO_(org)).\n\n"
        '[^1]: *Report*, 2021-06-15, in: [eng.sectsco.org](http://eng.sectsco.org/a.html "title")\n'
    )
    briefing = parse_text(text, "md")
    assert briefing.title == "Title"
    body, note = briefing.citations
    assert (body.n, body.url) == (None, "http://en.wikipedia.org/wiki/SCO_(org)")
    assert (note.n, note.url, note.title, note.stated_date) == (
        1,
        "http://eng.sectsco.org/a.html",
        "Report",
        date(2021, 6, 15),
    )
    assert note.quotes == ["with a quote of five words"]


def test_html_fragment_and_format_sniffing(tmp_path: Path) -> None:
    html = '<p>[1] Report, 15.06.2021, in: <a href="http://eng.sectsco.org/a.html">the page</a></p>'
    for name, content, fmt in (
        ("b.briefing", html, "html"),
        ("b", "[1] R, in: <http://eng.sectsco.org/a.html>", "md"),
        ("b.note", "[1] R, in: http://eng.sectsco.org/a.html", "txt"),
    ):
        (tmp_path / name).write_text(content, encoding="utf-8")
        briefing = parse_briefing(tmp_path / name)
        assert briefing.format == fmt and briefing.citations[0].url == "http://eng.sectsco.org/a.html"


def _field_paragraph(document, url: str, display: str, simple: bool) -> None:
    paragraph = document.add_paragraph("[1] Report, 15.06.2021, in: ")
    if simple:
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), f' HYPERLINK "{url}" ')
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = display
        run.append(text)
        field.append(run)
        paragraph._p.append(field)
    else:
        for kind, instruction in (("begin", None), (None, f' HYPERLINK "{url}" '), ("separate", None)):
            run = paragraph.add_run()
            if kind:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                run._r.append(char)
            else:
                instr = OxmlElement("w:instrText")
                instr.text = instruction
                run._r.append(instr)
        paragraph.add_run(display)
        end = OxmlElement("w:fldChar")
        end.set(qn("w:fldCharType"), "end")
        paragraph.add_run()._r.append(end)


@pytest.mark.parametrize("simple", [True, False])
def test_docx_field_hyperlinks_and_tables(tmp_path: Path, simple: bool) -> None:
    document = docx.Document()
    document.add_paragraph("Briefing", style="Title")
    table = document.add_table(rows=1, cols=1)
    table.cell(0, 0).text = "Quelle: http://rus.sectsco.org/b.html"
    _field_paragraph(document, "http://eng.sectsco.org/a.html", "die Seite", simple)
    document.save(tmp_path / "b.docx")
    briefing = parse_briefing(tmp_path / "b.docx")
    assert briefing.title == "Briefing"
    assert [(c.n, c.url, c.title) for c in briefing.citations] == [
        (None, "http://rus.sectsco.org/b.html", None),
        (1, "http://eng.sectsco.org/a.html", "Report"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fake.pdf", b"[1] T, in: http://eng.sectsco.org/", "is not a PDF file"),
        ("broken.odt", b"PK\x03\x04broken", "not a readable ODT file"),
        ("empty.txt", b"", "is empty"),
        ("blank.md", b"  \n\n ", "is empty"),
        ("nul.txt", b"[1] T, in: http://eng.sectsco.org/\x00\x01", "binary"),
        ("latin1.txt", "[1] Präsidentschaft, in: http://eng.sectsco.org/".encode("latin-1"), "not UTF-8"),
        ("scan.pdf", b"%PDF-1.7\n\x00\x00binary", "not a readable PDF file"),
        ("data.zip", b"PK\x03\x04" + b"\x00" * 30, "unknown briefing format"),
        ("fake.docx", b"[1] T, in: http://eng.sectsco.org/", "not a DOCX"),
        ("broken.docx", b"PK\x03\x04broken", "not a readable DOCX"),
        ("none.txt", "Nur Text „ohne jede Quelle hier“.".encode(), "no citations"),
        ("bad.txt", b"[1] T, in: http://[sectsco.org/a.html", "footnote [1]: unparsable URL"),
        ("nohost.md", b"See [it](http:///a.html).", "link: unparsable URL"),
    ],
)
def test_errors_are_one_line(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BriefingError, match=re.escape(message)) as raised:
        parse_briefing(path)
    assert "\n" not in str(raised.value)


def test_parse_text_errors() -> None:
    with pytest.raises(BriefingError, match="unknown briefing format 'rtf'"):
        parse_text("[1] T, in: http://eng.sectsco.org/", "rtf")
    with pytest.raises(BriefingError, match="DOCX is binary"):
        parse_text("[1] T, in: http://eng.sectsco.org/", "docx")
    with pytest.raises(BriefingError, match="cannot read"):
        parse_briefing(Path("/nonexistent/briefing.txt"))
    assert zipfile.is_zipfile(DATA / "example.docx")


def test_utf16_text_and_nul_in_text(tmp_path: Path) -> None:
    text = "[1] Доклад, 16 июня 2021, in: http://rus.sectsco.org/a.html"
    with pytest.raises(BriefingError, match="binary"):
        parse_text(text + "\x00", "txt")
    (tmp_path / "b.txt").write_bytes(text.encode("utf-16"))
    (citation,) = parse_briefing(tmp_path / "b.txt").citations
    assert (citation.title, citation.stated_date) == ("Доклад", date(2021, 6, 16))


def test_two_urls_on_consecutive_lines_stay_two() -> None:
    text = "in: http://eng.sectsco.org/news/\nhttp://rus.sectsco.org/news/20210615/765514.html"
    assert [span.url for span in url_spans(text)] == [
        "http://eng.sectsco.org/news/",
        "http://rus.sectsco.org/news/20210615/765514.html",
    ]


def test_docx_runs_tabs_breaks_hyphens_and_tracked_deletions(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("[1] SCO Secretary")
    run = paragraph.add_run()
    for tag, text in (("w:noBreakHyphen", None), ("w:t", "General"), ("w:delText", " (old title)")):
        element = OxmlElement(tag)
        element.text = text
        run._r.append(element)
    run = paragraph.add_run(", 7. Juni 2021,")
    run._r.append(OxmlElement("w:br"))
    run._r.append(OxmlElement("w:tab"))
    paragraph.add_run("in: http://eng.sectsco.org/a.html")
    document.save(tmp_path / "b.docx")
    (citation,) = parse_briefing(tmp_path / "b.docx").citations
    assert (citation.title, citation.stated_date) == ("SCO Secretary-General", date(2021, 6, 7))


@pytest.mark.parametrize(
    ("text", "value", "written"),
    [
        ("On 20 January 2022 the Secretary-General", date(2022, 1, 20), "20 January 2022"),
        ("31 августа 2023 года Генеральный секретарь", date(2023, 8, 31), "31 августа 2023"),
        ("2025年7月24日，秘书长", date(2025, 7, 24), "2025年7月24日"),
        ("早在2017 年 9 月 20 日，秘书处", date(2017, 9, 20), "2017 年 9 月 20 日"),
        (
            "am 15.-16. Juni 2021 in Duschanbe",
            date(2021, 6, 15),
            "15.-16. Juni 2021",
        ),  # a range: its first day
        ("held on 15-16 June 2021", date(2021, 6, 15), "15-16 June 2021"),
        ("held on June 15-16, 2021", date(2021, 6, 15), "June 15-16, 2021"),
        ("23–24 июня 2021", date(2021, 6, 23), "23–24 июня 2021"),
        ("the 7th of June 2021", date(2021, 6, 7), "7th of June 2021"),
        ("2021年6月15日至16日", date(2021, 6, 15), "2021年6月15日至16日"),
    ],
)
def test_dates_as_the_site_and_briefings_write_them(text: str, value: date, written: str) -> None:
    (found,) = find_dates(text)
    assert (found.value, found.text) == (value, written)


@pytest.mark.parametrize("text", ["30-31 June 2021", "Version 3 2021", "Juni 2021", "31.02.2021"])
def test_impossible_ranges_and_look_alikes_are_no_dates(text: str) -> None:
    assert find_dates(text) == []


@pytest.mark.parametrize("gap", ["\n", "\n\n", "\n\n\n", "\n   \n"])
def test_markdown_footnotes_stand_alone_however_spaced(gap: str) -> None:
    text = (
        "# Note\n\nThe SCO marked its anniversary[^1] and met Alibaba[^2].\n\n"
        f"[^1]: SCO celebrates its 20th anniversary, 15 June 2021, in: <{JUBILEE}>{gap}"
        "[^2]: SCO Secretary-General’s videoconference with Alibaba Group delegation, 7 June 2021, "
        f"in: <{ALIBABA}>\n"
    )
    jubilee, alibaba = parse_text(text, "md").citations
    assert (jubilee.n, jubilee.url, jubilee.title, jubilee.stated_date) == (
        1,
        JUBILEE,
        "SCO celebrates its 20th anniversary",
        date(2021, 6, 15),
    )
    assert (alibaba.n, alibaba.url, alibaba.stated_date) == (2, ALIBABA, date(2021, 6, 7))
    assert alibaba.title == "SCO Secretary-General’s videoconference with Alibaba Group delegation"


def test_pandoc_footnotes_with_several_paragraphs() -> None:
    text = (
        "# Note\n\nText.[^long] More.[^2]\n\n"
        f"[^long]: First paragraph, 15 June 2021, in:\n    <{JUBILEE}>\n\n"
        '    A second paragraph quotes "a new type of international relations" here.\n\n'
        "    And a third.\n"
        f"[^2]: Alibaba, 7 June 2021, <{ALIBABA}>\n"
    )
    first, second = parse_text(text, "md").citations
    assert (first.n, first.url, first.title, first.quotes) == (
        3,  # a label that is no number is numbered after the numeric ones
        JUBILEE,
        "First paragraph",
        ["a new type of international relations"],
    )
    assert (second.n, second.url, second.quotes) == (2, ALIBABA, [])


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("see eng.sectsco.org/20210615/765514.html.", ["http://eng.sectsco.org/20210615/765514.html"]),
        ("(www.sectsco.org)", ["http://www.sectsco.org"]),
        ("at eng.sectsco.org./20240704/1460010.html,", ["http://eng.sectsco.org./20240704/1460010.html"]),
        ("rus.sectsco.org/news/20210615/\n765514.html", ["http://rus.sectsco.org/news/20210615/765514.html"]),
        ("详见chn.sectsco.org/20250724/1922437.html。", ["http://chn.sectsco.org/20250724/1922437.html"]),
        ("z.B./u.a. und inkl.mwst/Jahr, e.g./i.e., 3.5/4, Bd.II/3", []),
        ("mail presse@sectsco.org/x or sectsco.org without a path", []),
        (
            "http://eng.sectsco.org/a.html and eng.sectsco.org/b.html",
            ["http://eng.sectsco.org/a.html", "http://eng.sectsco.org/b.html"],
        ),
    ],
)
def test_urls_without_a_scheme(text: str, urls: list[str]) -> None:
    assert [span.url for span in url_spans(text)] == urls


def test_a_written_url_that_is_a_links_text_is_the_link() -> None:
    html = '<p>[1] Report, in: <a href="https://eng.sectsco.org/a.html">eng.sectsco.org/a.html</a></p>'
    assert [c.url for c in parse_text(html, "html").citations] == ["https://eng.sectsco.org/a.html"]


@pytest.mark.parametrize("fmt", ["txt", "md", "html"])
def test_a_quote_goes_to_the_url_that_follows_it(fmt: str) -> None:
    """In a paragraph with note markers, a quotation followed by a URL is that URL's, not the note's."""
    url = "http://eng.sectsco.org/news/20210610/765450.html"
    body = f'He met them [1]. The site said "the ministers approved a joint action plan", see {url}.'
    note = "[1] Alibaba, 7 June 2021, in: " + ALIBABA
    text = {"txt": f"{body}\n\n{note}", "md": f"{body}\n\n{note}", "html": f"<p>{body}</p><p>{note}</p>"}[fmt]
    cited = {c.url: c for c in parse_text(text, fmt).citations}
    assert cited[url].quotes == ["the ministers approved a joint action plan"] and cited[ALIBABA].quotes == []


# Pieces of what briefings are made of, so that generated texts reach the parser's deeper paths
# (notes, URLs, quotations, dates, markup) and not only its "no citations" answer.
_PIECES = st.sampled_from(
    [
        "[^1]", "[^1]: ", "[^2]: ", "[1] ", "1. ", "\n", "\n\n", "    ", "> ", "# ", "<sup>1</sup>",
        "<ol><li>", "</li></ol>", "<a href=\"", "\">", "</a>", "«", "»", "„", "“", "”", "\"",
        "http://eng.sectsco.org/news/20210615/765514.html", "eng.sectsco.org/20220805/-SCO-908439.html",
        "https://", "www.", "16. Juni 2021", "31 августа 2023 года", "2017 年 9 月 20 日",
        "15.-16. Juni 2021", "7 June 2021", "(", ")", ",", ".", "-", "*", "_", "`", "|",
    ]
)  # fmt: skip
_BRIEFING_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_BRIEFING_TEXT, fmt=st.sampled_from(["txt", "md", "html"]))
def test_the_parser_never_raises_on_any_text(text: str, fmt: str) -> None:
    """Any text is a briefing or a BriefingError (one line for the CLI), never another exception;
    every citation found has an absolute web address and, when numbered, a number from 1."""
    try:
        briefing = parse_text(text, fmt)
    except BriefingError as exc:
        assert "\n" not in str(exc)
        return
    for citation in briefing.citations:
        assert (citation.n is None or citation.n >= 1) and citation.url.startswith(("http://", "https://"))


@settings(max_examples=100, deadline=None)
@given(data=st.binary(min_size=1, max_size=600), suffix=st.sampled_from([".docx", ".pdf", ".odt", ".md"]))
def test_the_parser_never_raises_on_any_file(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str
) -> None:
    path = tmp_path_factory.mktemp("any") / f"briefing{suffix}"
    for content in (data, b"PK\x03\x04" + data, b"%PDF-1.4\n" + data):
        path.write_bytes(content)
        try:
            parse_briefing(path)
        except BriefingError as exc:
            assert "\n" not in str(exc)
