"""PDF briefings (pypdf): lines joined into paragraphs, link annotations, footnote numbers.

A PDF has no paragraphs, only positioned pieces of text, so they are rebuilt from what the page
shows (pypdf reports each piece with its position and font size):

- a line ends where pypdf's text ends one; a *paragraph* ends where the gap to the next line is
  clearly wider than the page's usual line spacing, or the font size changes (a heading); a
  paragraph cut by a page break goes on when the next page starts mid-sentence;
- a footnote reference is a small raised number (``Typ¹``) and is written ``[n]``; a line that
  starts with a number set apart from its text (small, or a piece of its own, as Word and
  Writer set the number of a footnote) starts note *n*, and the paragraphs after it on the page
  are notes too (a paragraph that starts no note is the previous note's next paragraph);
- lines stay joined by line breaks, so a URL wrapped at a line end is re-joined by
  :func:`scoarchive.briefing.urls.url_spans` and a quotation is compared with whitespace folded;
  a line that ends in a hyphen after a letter goes on without one ("e-commerce", and the
  quote check folds the hyphen of "develop-ment" away);
- a link annotation (``/Link`` with a ``/URI`` action) is a link of the paragraph its rectangle
  lies on, so "Website der SCO" linking the article cites the article.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from scoarchive.briefing.model import Block, BriefingError, Document, Link, squash
from scoarchive.briefing.urls import is_http

_NUMBER = re.compile(r"\s*(\d{1,3})\s*")


_SUPERSCRIPT = 0.8  # a piece this much smaller than its line's text is raised


_PARAGRAPH_GAP = 1.25  # times the usual line spacing


_HYPHENATED = re.compile(r"[^\W\d_]-$")  # "e-" at a line end: "e-commerce", "develop-ment"


_SENTENCE_END = ".!?:»“”\"'"


@dataclass
class _Piece:
    text: str
    x: float
    y: float
    size: float


@dataclass
class _Line:
    pieces: list[_Piece] = field(default_factory=list)

    @property
    def y(self) -> float:
        return self.pieces[0].y

    @property
    def size(self) -> float:
        """The size of most of the line's text (a raised number does not count)."""
        sizes: Counter[float] = Counter()
        for piece in self.pieces:
            sizes[round(piece.size, 1)] += len(piece.text.strip())
        return sizes.most_common(1)[0][0]

    @property
    def text_pieces(self) -> list[_Piece]:
        return [piece for piece in self.pieces if piece.text.strip()]


@dataclass
class _Paragraph:
    text: str = ""
    links: list[Link] = field(default_factory=list)
    lines: list[tuple[_Line, int]] = field(default_factory=list)  # each line and where it starts


def _lines(page: Any) -> list[_Line]:
    lines: list[_Line] = [_Line()]

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        for index, part in enumerate(text.split("\n")):
            if index:
                lines.append(_Line())
            if part:
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                scale = (abs(tm[3] * cm[3]) or 1.0) if tm[3] and cm[3] else 1.0
                lines[-1].pieces.append(_Piece(part, x, y, size * scale))

    page.extract_text(visitor_text=visit)
    return [line for line in lines if any(piece.text.strip() for piece in line.pieces)]


def _line_text(line: _Line) -> tuple[str, bool]:
    """The line's text with footnote numbers written ``[n]``, and whether it starts a note."""
    size = line.size
    parts = []
    starts_note = False
    first = line.text_pieces[0]
    for piece in line.pieces:
        number = _NUMBER.fullmatch(piece.text) if piece.text.strip() else None
        raised = number is not None and piece.size < size * _SUPERSCRIPT
        if number and piece is first and (raised or len(line.text_pieces) > 1):
            parts.append(f"[{number.group(1)}] ")
            starts_note = True
        elif raised and number:
            parts.append(f"[{number.group(1)}]")
        else:
            parts.append(piece.text)
    text = "".join(parts)
    return (re.sub(r"^(\s*\[\d+\]) +", r"\1 ", text) if starts_note else text), starts_note


def _spacing(lines: list[_Line]) -> float:
    """The page's usual gap between consecutive lines of the same size, in font sizes (so a
    heading's wider spacing in points is still the spacing of its own lines)."""
    gaps: Counter[float] = Counter()
    for before, after in itertools.pairwise(lines):
        if abs(before.size - after.size) < 0.5 and before.y > after.y and after.size:
            gaps[round((before.y - after.y) / after.size, 1)] += 1
    return gaps.most_common(1)[0][0] if gaps else 0.0


def _paragraphs(lines: list[_Line]) -> list[_Paragraph]:
    spacing = _spacing(lines)
    paragraphs: list[_Paragraph] = []
    previous: _Line | None = None
    for line in lines:
        text, starts_note = _line_text(line)
        gap = (previous.y - line.y) / (line.size or 1.0) if previous is not None else 0.0
        new = (
            previous is None
            or starts_note
            or abs(previous.size - line.size) >= 0.5
            or (spacing and (gap > spacing * _PARAGRAPH_GAP or gap < 0))
        )
        if new:
            paragraphs.append(_Paragraph())
        elif not _HYPHENATED.search(paragraphs[-1].text):
            paragraphs[-1].text += "\n"
        paragraphs[-1].lines.append((line, len(paragraphs[-1].text)))
        paragraphs[-1].text += text
        previous = line
    return paragraphs


def _resolved(value: Any) -> Any:
    """A PDF object with indirect references followed (pypdf leaves them to the reader)."""
    return value.get_object() if hasattr(value, "get_object") else value


def _annotate(page: Any, paragraphs: list[_Paragraph]) -> None:
    """Each URI link annotation becomes a link of the paragraph whose line lies in its rectangle."""
    for annotation in _resolved(page.get("/Annots")) or []:
        annotation = _resolved(annotation)
        action = _resolved(annotation.get("/A"))
        uri = _resolved(action.get("/URI")) if action is not None else None
        if annotation.get("/Subtype") != "/Link" or not uri or not is_http(str(uri)):
            continue
        rectangle = _resolved(annotation.get("/Rect")) or [0, 0, 0, 0]
        _, y1, _, y2 = (float(_resolved(value)) for value in rectangle)
        low, high = min(y1, y2) - 2, max(y1, y2) + 2
        for paragraph in paragraphs:
            place = next((start for line, start in paragraph.lines if low <= line.y <= high), None)
            if place is not None:
                paragraph.links.append(Link(str(uri), place))
                break


def _join(paragraph: _Paragraph, more: _Paragraph) -> None:
    offset = len(paragraph.text) + 1
    paragraph.text += "\n" + more.text
    paragraph.links += [Link(link.url, link.start + offset) for link in more.links]


def _continues(before: _Paragraph, after: _Paragraph) -> bool:
    """Whether the first paragraph of a page goes on from the last body paragraph of the one
    before: that one stopped mid-sentence, or this one starts in lower case."""
    end, start = before.text.rstrip(), after.text.lstrip()
    return bool(end and start) and (end[-1] not in _SENTENCE_END or start[0].islower())


@contextmanager
def _quiet() -> Iterator[None]:
    """pypdf logs what it repairs ("EOF marker not found"); a briefing error says it in one line."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_pdf(data: bytes) -> Document:
    """The paragraphs of a PDF briefing; the title is the document's Info title, else its first
    paragraph."""
    with _quiet():
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise BriefingError("the PDF is encrypted: save it without a password")
            pages = []
            for page in reader.pages:
                paragraphs = _paragraphs(_lines(page))
                _annotate(page, paragraphs)
                pages.append(paragraphs)
            info = reader.metadata
        except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError) as exc:
            raise BriefingError(f"not a readable PDF file: {exc}") from None
    body: list[_Paragraph] = []
    notes: list[_Paragraph] = []
    for paragraphs in pages:
        starts = [index for index, p in enumerate(paragraphs) if _line_text(p.lines[0][0])[1]]
        cut = starts[0] if starts else len(paragraphs)
        page_body = paragraphs[:cut]
        if body and page_body and _continues(body[-1], page_body[0]):
            _join(body[-1], page_body.pop(0))
        body += page_body
        for index in range(cut, len(paragraphs)):  # the notes at the foot of the page
            if index in starts:
                notes.append(paragraphs[index])
            else:
                _join(notes[-1], paragraphs[index])  # a further paragraph of the same note
    blocks = [Block(p.text, p.links) for p in body + notes if p.text.strip() or p.links]
    title = squash(str(info.title)) if info is not None and info.title else ""
    return Document(title or (squash(blocks[0].text) if blocks else ""), blocks)
