"""What a briefing cites, and the paragraphs every format is reduced to.

Each format reader (:mod:`scoarchive.briefing.formats`) turns its file into a :class:`Document`:
paragraphs as plain text (:class:`Block`) with the link targets the text may not show. Everything
after that (footnotes, dates, quotations, citations) works on blocks alone, so a rule learnt
from one format holds for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path


class BriefingError(ValueError):
    """A briefing that cannot be read; the message is one line, fit for the command line."""


class Format(StrEnum):
    """The formats a briefing is read from (the value is what reports and ``--format`` name)."""

    TXT = "txt"
    MD = "md"
    HTML = "html"
    DOCX = "docx"
    PDF = "pdf"
    ODT = "odt"


@dataclass
class Citation:
    """One cited address, with what the briefing says about it.

    ``n`` is the footnote number, None for a URL in the running text. ``stated_date_text`` is the
    date exactly as written, for reports. ``quotes`` are the passages the source should contain;
    ``terms`` the short quotations (a name, an expression, a translated term such as „neuen Typ“)
    that are checked too, but apart, since a two-word term is not a claim about a passage.
    """

    n: int | None
    url: str
    title: str | None = None
    stated_date: date | None = None
    stated_date_text: str | None = None
    quotes: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


@dataclass
class Briefing:
    """What a briefing cites; ``source`` is the file read (if any)."""

    title: str
    format: Format
    source: Path | None
    citations: list[Citation]


@dataclass(frozen=True)
class UrlSpan:
    """A URL as it appears in a text: ``end`` is where an annotation can follow it; ``url`` is
    the address it names (with ``http://`` added when it was written without a scheme)."""

    start: int
    end: int
    url: str


@dataclass(frozen=True)
class Link:
    """A link target that the paragraph's text need not show (an anchor, a Word hyperlink, a PDF
    link annotation), and where in the text it starts, so it is ordered with written URLs."""

    url: str
    start: int


@dataclass
class Block:
    """A paragraph reduced to text, plus link targets the text may not show.

    ``note`` is the number of the footnote or endnote this block is the text of, when the format
    says so structurally (Word footnotes, ``<li id="fn1">``, Markdown ``[^1]:``); a typed note
    (``[1] ...``) is recognised from the text by :mod:`scoarchive.briefing.notes`.
    """

    text: str
    links: list[Link] = field(default_factory=list)
    note: int | None = None


@dataclass
class Document:
    """A briefing file read by one format: its title (may be empty) and its paragraphs in order."""

    title: str
    blocks: list[Block]


def squash(text: str) -> str:
    """Whitespace collapsed to single spaces: how titles and quotations are compared and
    reported, so a line break in the file never makes two formats of one briefing differ."""
    return " ".join(text.split())
