"""What a briefing cites: the parsed citations, and the paragraphs every format is reduced to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


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
