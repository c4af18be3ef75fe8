"""Citations in analysts' briefings: which SCO pages a briefing cites, and what it claims they say.

Briefings arrive as plain text, Markdown, HTML or Word documents, written by hand: footnotes as
``[n] Title, 16. Juni 2021, in: URL``, quotations in German, English or Russian quote marks,
URLs hard-wrapped over two lines. Every format is first reduced to the same thing, a list of
paragraphs (:class:`_Block`: text plus the links whose targets the text does not show), so one
set of rules finds footnotes, titles, stated dates and quotations whatever the format, and the
same briefing gives the same citations as .txt, .md, .html or .docx.

Rules, in short:

- a paragraph that starts with ``[n]`` (after an optional list number) is the footnote ``n``; when
  several do, the last one is (footnote lists come last; a hard-wrapped body line can start with
  a marker too);
- each http(s) URL of a footnote is a citation numbered ``n``; a URL in any other paragraph is a
  citation without number;
- a footnote's title is its text up to the first date that follows a comma, or ``in:``, or the URL;
  its stated date is that date (dates inside quotations are not it);
- a citation's quotes are the quotations of at least four words in its footnote and, for ``[n]``
  markers in body paragraphs, those each marker closes (the first marker after a quotation);
  nested quotations are part of the outer one.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import docx
import lxml.html
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree
from markdown_it import MarkdownIt

from scoarchive.dates import parse_date
from scoarchive.urls import InvalidURL, split_http_url

FORMATS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
}
_FORMAT_NAMES = {"txt": "txt", "text": "txt", "md": "md", "markdown": "md", "html": "html", "htm": "html"}
MIN_QUOTE_WORDS = 4
ARCHIVED_MARK = "[archived: "  # how scoarchive.annotate writes an archived address after a URL
_ARCHIVED_NOTE = re.compile(rf" ?{re.escape(ARCHIVED_MARK)}[^\]\n]*\]")


class BriefingError(ValueError):
    """A briefing that cannot be read; the message is one line, fit for the command line."""


@dataclass
class Citation:
    """One cited address, with what the briefing says about it.

    ``n`` is the footnote number, None for a URL in the running text. ``stated_date_text`` is the
    date exactly as written, for reports; ``quotes`` are the passages the source should contain.
    """

    n: int | None
    url: str
    title: str | None = None
    stated_date: date | None = None
    stated_date_text: str | None = None
    quotes: list[str] = field(default_factory=list)


@dataclass
class Briefing:
    """What a briefing cites; ``format`` is txt, md, html or docx, ``source`` the file read (if any)."""

    title: str
    format: str
    source: Path | None
    citations: list[Citation]


@dataclass(frozen=True)
class UrlSpan:
    """A URL as it appears in a text: ``end`` is where an annotation can follow it."""

    start: int
    end: int
    url: str


@dataclass
class _Link:
    url: str
    start: int


@dataclass
class _Block:
    """A paragraph reduced to text, plus link targets the text may not show (anchors, hyperlinks)."""

    text: str
    links: list[_Link] = field(default_factory=list)


# -- URLs ------------------------------------------------------------------------------------

_URL_CHARS = r"""[^\s<>"“”„«»‹›‘’‚\[\]{}|\\^`]"""
_URL = re.compile(rf"https?://{_URL_CHARS}*", re.IGNORECASE)
_WRAP = re.compile(rf"[ \t]*\r?\n[ \t]*({_URL_CHARS}+)")
_TRAILING = ".,;:!?'…)>"
_PATH_LIKE = re.compile(r"[/=&?#%]|\.[a-z]{2,5}$", re.IGNORECASE)


def _strip_trailing(url: str) -> str:
    """Drop sentence punctuation after a URL, keeping a closing parenthesis the URL opened."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _continues(raw: str, continuation: str) -> bool:
    """Whether the next line's first word is the rest of a URL cut by a line break.

    Only when the URL did not end in punctuation and the continuation looks like a path (a
    slash, a query, a file extension): a plain word on the next line is the sentence going on.
    """
    if raw[-1] in _TRAILING or continuation.lower().startswith(("http://", "https://")):
        return False
    rest = _strip_trailing(continuation)
    if not rest:
        return False
    return bool(_PATH_LIKE.search(rest))


def url_spans(text: str) -> list[UrlSpan]:
    """Every http(s) URL written out in ``text``, re-joined across a line break where it was wrapped."""
    spans = []
    position = 0
    while match := _URL.search(text, position):
        raw, end = match.group(), match.end()
        while (wrapped := _WRAP.match(text, end)) and _continues(raw, wrapped.group(1)):
            raw += wrapped.group(1)
            end = wrapped.end()
        url = _strip_trailing(raw)
        spans.append(UrlSpan(match.start(), end - (len(raw) - len(url)), url))
        position = end
    return spans


def _check_url(url: str, where: str) -> str:
    try:
        split_http_url(url)
    except InvalidURL as exc:
        raise BriefingError(f"{where}: unparsable URL {url!r} ({exc})") from None
    return url


def _is_http(href: str) -> bool:
    return href.lower().startswith(("http://", "https://"))


# -- dates -----------------------------------------------------------------------------------

_WORD = r"[^\W\d_]+"
# Where a date may be written; scoarchive.dates.parse_date decides whether it is one (a month name
# in German, English, Russian or French, a real calendar day) and what it is.
_DATE_CANDIDATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\.?\s+{_WORD}\.?,?\s+\d{{4}}\b"  # 16. Juni 2021, 7 June 2021, 16 июня 2021
    rf"|\b{_WORD}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"  # June 7, 2021
    r"|\b\d{1,2}\.\d{1,2}\.\d{4}\b|\b\d{4}-\d{2}-\d{2}\b"  # 15.06.2021, 2021-06-15
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日?",  # 2021年6月15日
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _DateMatch:
    start: int
    end: int
    value: date
    text: str


def _find_dates(text: str) -> list[_DateMatch]:
    """The dates written in ``text``, in order ("16. Juni 2021", "June 7, 2021", "16 июня 2021",
    "15.06.2021", "2021-06-15"); impossible ones (31.02.2021) and look-alikes are skipped."""
    found = []
    position = 0
    while match := _DATE_CANDIDATE.search(text, position):
        try:
            found.append(_DateMatch(match.start(), match.end(), parse_date(match.group()), match.group()))
            position = match.end()
        except ValueError:
            position = match.start() + 1
    return found


# -- quotations ------------------------------------------------------------------------------

_CLOSERS = {"„": "“”", "“": "”", '"': '"', "«": "»", "»": "«", "‚": "‘", "‹": "›"}
_MARKS = frozenset(_CLOSERS) | frozenset("".join(_CLOSERS.values()))


def _straight_quote_role(text: str, index: int) -> tuple[bool, bool]:
    """Whether a straight ``"`` at ``index`` can open and can close a quotation: it opens after a
    space or bracket and before a word, closes after a word, so ``24"`` (inches) is neither."""
    before = text[index - 1] if index else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    opens = (before.isspace() or before in "([{–—-/:„“«‚") and not after.isspace()
    return opens, not before.isspace()


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the inside of each outermost quotation in ``text``.

    A stack of open marks, so „… "…" …“ is one quotation; a mark never closed (a typo) is taken
    as a literal character and the scan resumes after it.
    """
    spans: list[tuple[int, int]] = []
    position = 0
    while position < len(text):
        stack: list[tuple[str, int]] = []
        for index in range(position, len(text)):
            char = text[index]
            if char not in _MARKS:
                continue
            opens, closes = _straight_quote_role(text, index) if char == '"' else (True, True)
            if stack and closes and char in _CLOSERS[stack[-1][0]]:
                _, start = stack.pop()
                if not stack:
                    spans.append((start + 1, index))
            elif opens and char in _CLOSERS:
                stack.append((char, index))
        if not stack:
            break
        position = stack[0][1] + 1
        spans = [span for span in spans if span[1] < stack[0][1]]
    return spans


def _squash(text: str) -> str:
    return " ".join(text.split())


def _quotes_in(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """The spans long enough to be quotations worth checking (short ones are terms: „neuen Typ“)."""
    return [
        (start, end, _squash(text[start:end]))
        for start, end in spans
        if len(text[start:end].split()) >= MIN_QUOTE_WORDS
    ]


# -- footnotes and citations -----------------------------------------------------------------

_FOOTNOTE = re.compile(r"\s*(?:\d{1,3}[.)]\s*)?\[(\d{1,4})\]\s*")
_MARKER = re.compile(r"\[(\d{1,4})\]")
_IN = re.compile(r"(?:,|\s)\s*(?:in|at|unter|URL|в)\s*:", re.IGNORECASE)


def _title_and_date(text: str) -> tuple[str | None, _DateMatch | None, tuple[int, int] | None]:
    """Title, stated date and the span of a quoted title in a footnote's text (after ``[n]``)."""
    quotes = _quote_spans(text)
    dates = [d for d in _find_dates(text) if not any(s - 1 <= d.start < e + 1 for s, e in quotes)]
    after_comma = [d for d in dates if re.search(r",\s*$", text[: d.start])]
    stated = (after_comma or dates)[0] if dates else None
    cuts = [len(text)]
    if stated:
        cuts.append(stated.start)
    if match := _IN.search(text):
        cuts.append(match.start())
    cuts += [span.start for span in url_spans(text)[:1]]
    title_span = None
    if quotes and not text[: quotes[0][0] - 1].strip() and quotes[0][1] < min(cuts):
        title_span = quotes[0]
        title = text[title_span[0] : title_span[1]]
    else:
        cuts += [start - 1 for start, _ in quotes if start > 1]
        title = text[: min(cuts)]
    title = _squash(title).strip(" ,;:–-")
    return title or None, stated, title_span


def _marker_quotes(block: _Block) -> dict[int, list[str]]:
    """Quotations of a body paragraph by the footnote they belong to: the first marker after the
    quotation (where a citation mark goes), else the last one before it."""
    markers = [(m.start(), int(m.group(1))) for m in _MARKER.finditer(block.text)]
    by_note: dict[int, list[str]] = {}
    for start, end, quote in _quotes_in(block.text, _quote_spans(block.text)):
        after = [n for position, n in markers if position >= end]
        before = [n for position, n in markers if position < start]
        if after or before:
            by_note.setdefault(after[0] if after else before[-1], []).append(quote)
    return by_note


def _footnote_citations(n: int, block: _Block, text: str, body_quotes: list[str]) -> list[Citation]:
    title, stated, title_span = _title_and_date(text)
    spans = [span for span in _quote_spans(text) if span != title_span]
    quotes = list(dict.fromkeys(body_quotes + [quote for *_, quote in _quotes_in(text, spans)]))
    return [
        Citation(
            n,
            _check_url(url, f"footnote [{n}]"),
            title,
            stated.value if stated else None,
            stated.text if stated else None,
            quotes,
        )
        for url in _urls(block)
    ]


def _citations(blocks: list[_Block]) -> list[Citation]:
    # the archived addresses scoarchive.annotate added are not citations: an annotated briefing
    # reads back as the original did
    blocks = [_Block(_ARCHIVED_NOTE.sub("", block.text), block.links) for block in blocks]
    definitions: dict[int, tuple[int, int]] = {}  # n -> (block index, where its text starts)
    for index, block in enumerate(blocks):
        if match := _FOOTNOTE.match(block.text):
            definitions[int(match.group(1))] = (index, match.end())
    notes = {index: (n, body) for n, (index, body) in definitions.items()}
    body_quotes: dict[int, list[str]] = {}
    for index, block in enumerate(blocks):
        if index not in notes:
            for n, quotes in _marker_quotes(block).items():
                body_quotes.setdefault(n, []).extend(quotes)
    citations: dict[tuple[int | None, str], Citation] = {}
    for index, block in enumerate(blocks):
        if index in notes:
            n, body = notes[index]
            found = _footnote_citations(n, block, block.text[body:], body_quotes.get(n, []))
        else:
            quotes = [quote for *_, quote in _quotes_in(block.text, _quote_spans(block.text))]
            found = [Citation(None, _check_url(url, "link"), quotes=quotes) for url in _urls(block)]
        for citation in found:
            citations.setdefault((citation.n, citation.url), citation)
    return list(citations.values())


def _urls(block: _Block) -> Iterator[str]:
    """The block's link targets and written-out URLs, in order, each once."""
    links = [(link.start, link.url) for link in block.links]
    links += [(span.start, span.url) for span in url_spans(block.text)]
    yield from dict.fromkeys(url for _, url in sorted(links, key=lambda item: item[0]))


# -- formats ---------------------------------------------------------------------------------


def _text_blocks(text: str) -> list[_Block]:
    """Paragraphs are separated by blank lines; a line starting with ``[n]`` starts a new one."""
    blocks: list[_Block] = []
    lines: list[str] = []
    for line in [*text.splitlines(), ""]:
        if (not line.strip() or _FOOTNOTE.match(line)) and lines:
            blocks.append(_Block("\n".join(lines)))
            lines = []
        if line.strip():
            lines.append(line)
    return blocks


_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl", "dt"),
        *("figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li"),
        *("main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"),
    }
)
_SKIP_TAGS = frozenset({"script", "style", "template", "head", "noscript"})
_NOTE_ID = re.compile(r"fn[-:_]?(\d+)$")


class _HtmlBlocks:
    """Walks an HTML tree into paragraphs: each block element flushes the text gathered so far."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.parts: list[str] = []
        self.links: list[_Link] = []
        self.length = 0

    def emit(self, text: str | None) -> None:
        if text:
            self.parts.append(text)
            self.length += len(text)

    def flush(self) -> None:
        text = "".join(self.parts)
        if text.strip():
            self.blocks.append(_Block(text, self.links))
        self.parts, self.links, self.length = [], [], 0

    def walk(self, element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP_TAGS or not tag:
            self.emit(element.tail)
            return
        if tag in _BLOCK_TAGS:
            self.flush()
        if tag == "li" and (note := _NOTE_ID.match(element.get("id", ""))):
            self.emit(f"[{note.group(1)}] ")  # a footnote list item (pandoc: <li id="fn1">)
        href = "".join(element.get("href", "").split()) if tag == "a" else ""
        label = element.text_content().strip() if tag == "a" else ""
        if href.startswith("#") and label.isdigit():
            self.emit(f"[{label}]")  # a footnote reference (<sup><a href="#fn1">1</a></sup>)
        else:
            if _is_http(href):
                self.links.append(_Link(href, self.length))
            self.emit("“" if tag == "q" else "\n" if tag == "br" else None)
            self.emit(element.text)
            for child in element:
                self.walk(child)
            self.emit("”" if tag == "q" else None)
        if tag in _BLOCK_TAGS:
            self.flush()
        self.emit(element.tail)


def _html_title(tree: etree._Element) -> str:
    for path in ("//title", "//h1", "//h2"):
        for element in tree.xpath(path):
            if text := _squash(element.text_content()):
                return text
    return ""


def _html_blocks(text: str) -> tuple[str, list[_Block]]:
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise BriefingError(f"not readable as HTML: {exc}") from None
    walker = _HtmlBlocks()
    walker.walk(tree)
    walker.flush()
    return _html_title(tree), walker.blocks


_MD_NOTE_DEF = re.compile(r"^( {0,3})\[\^(\d{1,4})\]:", re.MULTILINE)
_MD_NOTE_REF = re.compile(r"\[\^(\d{1,4})\]")
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def _markdown_blocks(text: str) -> tuple[str, list[_Block]]:
    """Markdown goes through CommonMark to HTML; footnotes ``[^n]`` become the plain ``[n]`` style
    first, since CommonMark alone would read ``[^1]: URL`` as a link definition and drop it."""
    text = _MD_NOTE_DEF.sub(r"\1\\[\2\\]", text)
    text = _MD_NOTE_REF.sub(r"\\[\1\\]", text)
    rendered = MarkdownIt("commonmark", {"breaks": True}).render(text)
    _, blocks = _html_blocks(f"<html><body>{rendered}</body></html>")
    heading = _MD_HEADING.search(text)
    return (_squash(heading.group(1)) if heading else ""), blocks


_W_HYPERLINK, _W_R_ID = qn("w:hyperlink"), qn("r:id")
_W_T, _W_TAB, _W_BR, _W_CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_W_NOBREAK_HYPHEN, _W_FOOTNOTE_REF = qn("w:noBreakHyphen"), qn("w:footnoteReference")
_W_INSTR, _W_FLD_SIMPLE, _W_DEL = qn("w:instrText"), qn("w:fldSimple"), qn("w:delText")
_W_P, _W_ID, _W_TYPE, _W_INSTR_ATTR = qn("w:p"), qn("w:id"), qn("w:type"), qn("w:instr")
_FIELD_LINK = re.compile(r'HYPERLINK\s+"([^"]+)"')


class _DocxParagraph:
    """Text and hyperlinks of one ``w:p``: hyperlink targets are relationships of the part."""

    def __init__(self, rels: dict[str, str], note_numbers: dict[str, int]) -> None:
        self.rels = rels
        self.note_numbers = note_numbers
        self.parts: list[str] = []
        self.links: list[_Link] = []
        self.length = 0

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def field_link(self, instruction: str | None) -> None:
        if instruction and (match := _FIELD_LINK.search(instruction)) and _is_http(match.group(1)):
            self.links.append(_Link(match.group(1), self.length))

    def walk(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == _W_T:
            self.emit(element.text or "")
        elif tag == _W_TAB:
            self.emit("\t")
        elif tag in (_W_BR, _W_CR):
            self.emit("\n")
        elif tag == _W_NOBREAK_HYPHEN:
            self.emit("-")
        elif tag == _W_FOOTNOTE_REF:
            self.emit(f"[{self.note_numbers.get(element.get(_W_ID, ''), 0)}]")
        elif tag == _W_INSTR:
            self.field_link(element.text)
        elif tag != _W_DEL:
            if tag == _W_HYPERLINK and _is_http(target := self.rels.get(element.get(_W_R_ID, ""), "")):
                self.links.append(_Link(target, self.length))
            elif tag == _W_FLD_SIMPLE:
                self.field_link(element.get(_W_INSTR_ATTR))
            for child in element:
                self.walk(child)

    def block(self) -> _Block:
        return _Block("".join(self.parts), self.links)


def _rels(part: Part) -> dict[str, str]:
    return {rid: rel.target_ref for rid, rel in part.rels.items() if rel.is_external}


def _docx_blocks(data: bytes) -> tuple[str, list[_Block]]:
    """Body paragraphs (tables included), then Word's own footnotes as ``[n] ...`` paragraphs,
    numbered in the order the body refers to them, as Word displays them."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BriefingError(f"not a readable DOCX file: {exc}") from None
    body = document.element.body
    note_numbers: dict[str, int] = {}
    for reference in body.iter(_W_FOOTNOTE_REF):
        note_numbers.setdefault(reference.get(_W_ID, ""), len(note_numbers) + 1)
    blocks = []
    title = ""
    rels = _rels(document.part)
    for child in body.iterchildren(_W_P, qn("w:tbl")):
        for element in [child] if child.tag == _W_P else child.iter(_W_P):
            walker = _DocxParagraph(rels, note_numbers)
            walker.walk(element)
            block = walker.block()
            if not block.text.strip():
                continue
            blocks.append(block)
            style = Paragraph(element, document).style
            if not title and style is not None and style.name.startswith(("Title", "Heading")):
                title = _squash(block.text)
    blocks += _docx_footnotes(document, note_numbers)
    return title or (_squash(blocks[0].text) if blocks else ""), blocks


def _docx_footnotes(document: docx.document.Document, note_numbers: dict[str, int]) -> list[_Block]:
    try:
        part = document.part.part_related_by(RT.FOOTNOTES)
    except KeyError:
        return []
    rels = _rels(part)
    notes = []
    for note in etree.fromstring(part.blob).iter(qn("w:footnote")):
        number = note_numbers.get(note.get(_W_ID, ""))
        if number is None or note.get(_W_TYPE) in ("separator", "continuationSeparator"):
            continue
        walker = _DocxParagraph(rels, note_numbers)
        walker.emit(f"[{number}] ")
        for paragraph in note.iter(_W_P):
            walker.walk(paragraph)
            walker.emit("\n")
        notes.append((number, walker.block()))
    return [block for _, block in sorted(notes, key=lambda item: item[0])]


# -- entry points ----------------------------------------------------------------------------


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is refused, not guessed at."""
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BriefingError(f"{name} is a binary file, not a briefing")
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BriefingError(
            f"{name} is not UTF-8 text (binary, or another encoding: save as UTF-8)"
        ) from None


_HTML_SNIFF = re.compile(r"^\s*(?:<!doctype html|<html|<head|<body|<p[\s>]|<div[\s>])", re.IGNORECASE)
_MD_SNIFF = re.compile(r"^ {0,3}#{1,6} |\]\(https?://|<https?://|\[\^\d+\]", re.MULTILINE)


def detect_format(path: Path, data: bytes) -> str:
    """txt, md, html or docx: from the file's extension, else from its content."""
    return FORMATS.get(path.suffix.lower()) or _sniff(data, str(path))


def _sniff(data: bytes, name: str) -> str:
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
        raise BriefingError(f"{name}: unknown briefing format (a ZIP file that is not DOCX)")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BriefingError(f"{name}: unknown briefing format (binary; known: {', '.join(FORMATS)})")
    text = decode_text(data, name)
    if _HTML_SNIFF.match(text):
        return "html"
    return "md" if _MD_SNIFF.search(text) else "txt"


def parse_briefing(path: Path) -> Briefing:
    """The citations of a briefing file; the format comes from the extension, else from the content."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BriefingError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise BriefingError(f"{path} is empty")
    fmt = detect_format(path, data)
    if fmt == "docx":
        if not data.startswith(b"PK\x03\x04"):
            raise BriefingError(f"{path} is not a DOCX file (not a ZIP archive)")
        title, blocks = _docx_blocks(data)
        briefing = _briefing(title, "docx", blocks, str(path))
    else:
        briefing = parse_text(decode_text(data, str(path)), fmt, name=str(path))
    briefing.source = path
    return briefing


def parse_text(text: str, fmt: str, *, name: str = "briefing") -> Briefing:
    """The citations of a briefing given as text: ``fmt`` is txt, md or html (or markdown, htm, text)."""
    kind = _FORMAT_NAMES.get(fmt.lower().lstrip("."))
    if kind is None:
        known = ", ".join(sorted(set(_FORMAT_NAMES.values())))
        hint = " (DOCX is binary: use parse_briefing)" if fmt.lower().lstrip(".") == "docx" else ""
        raise BriefingError(f"unknown briefing format {fmt!r}{hint}; known: {known}")
    if not text.strip():
        raise BriefingError(f"{name} is empty")
    if "\x00" in text:
        raise BriefingError(f"{name} is a binary file, not a briefing")
    if kind == "html":
        title, blocks = _html_blocks(text)
    elif kind == "md":
        title, blocks = _markdown_blocks(text)
    else:
        blocks = _text_blocks(text)
        title = _squash(blocks[0].text.splitlines()[0]) if blocks else ""
    return _briefing(title, kind, blocks, name)


def _briefing(title: str, kind: str, blocks: list[_Block], name: str) -> Briefing:
    citations = _citations(blocks)
    if not citations:
        raise BriefingError(f"{name}: no citations found (no footnote or paragraph with an http(s) URL)")
    return Briefing(title, kind, None, citations)
