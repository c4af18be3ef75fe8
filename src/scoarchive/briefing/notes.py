"""How analysts number their sources in text: typed footnotes, reference lists, body markers.

Word, Markdown and HTML can say structurally that a paragraph is footnote *n* (the format
readers set :attr:`Block.note <scoarchive.briefing.model.Block.note>`); many briefings type it
instead, and those are read here from the text:

- a typed footnote starts a paragraph or a line with ``[n]`` (or a superscript ``¹``), possibly
  after the list number a word processor adds (``1. [1] Title…``), or with a Markdown
  definition no parser took (``[^1]: …``);
- a numbered reference list has items ``1. Title, date, URL`` (or ``1)``); an item is a reference
  only where it cites an address, so "15. SCO-Jahrestag" in a heading is not note 15;
- in the running text a reference is ``[n]`` (``[^n]``) or a superscript digit (``Typ¹``), which the format
  readers also write for ``<sup>1</sup>`` and Word's footnote and endnote references.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from scoarchive.briefing.dates import find_dates
from scoarchive.briefing.urls import url_spans

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


_TYPED = re.compile(rf"\s*(?:(?:\d{{1,3}}[.)]\s*)?\[\^?(\d{{1,4}})\]:?|([{_SUPERSCRIPTS}]{{1,3}}))\s*")


_NUMBERED = re.compile(r"\s*(\d{1,3})[.)]\s+(?=\S)")


_LINE_START = re.compile(r"(?<=\n)")


_DIGITS = str.maketrans(_SUPERSCRIPTS, "0123456789")


_MARKER = re.compile(
    rf"\[\^?(\d{{1,4}})\]|(?<=[^\s\d{_SUPERSCRIPTS}])([{_SUPERSCRIPTS}]{{1,3}})(?![{_SUPERSCRIPTS}])"
)


@dataclass(frozen=True)
class NoteStart:
    """A paragraph that is note ``number``; its own text starts at ``body``."""

    number: int
    body: int


def typed_note(text: str) -> NoteStart | None:
    """``[n] …`` (or ``1. [n] …``) at the start of ``text``."""
    match = _TYPED.match(text)
    if match is None:
        return None
    return NoteStart(int(match.group(1) or match.group(2).translate(_DIGITS)), match.end())


def numbered_item(text: str) -> NoteStart | None:
    """``n. …`` or ``n) …`` at the start of ``text``: a reference if the item cites an address
    (the caller knows), a list item or a numbered heading otherwise; "20. Juni 2021 …" is a date."""
    match = _NUMBERED.match(text)
    if match is None or any(found.start == match.start(1) for found in find_dates(text[: match.end() + 40])):
        return None
    return NoteStart(int(match.group(1)), match.end())


def note_line_starts(text: str) -> list[int]:
    """Where, after the first line, a line of ``text`` begins another note (``[2] …`` typed under
    ``[1] …``, or ``2. …`` under ``1. …``).

    In a text that itself begins as a note, every such line does, so notes typed one under the
    other stay apart. In a paragraph, only a line whose note cites an address (the list of
    sources under a "Quellen:" line), so a marker ``[1]`` wrapped to the start of a line, or a
    wrapped line that begins "2. Juni", stays in its paragraph.
    """
    listed = typed_note(text) is not None or numbered_item(text) is not None
    starts = [
        match.start()
        for match in _LINE_START.finditer(text)
        if typed_note(text[match.start() :]) or numbered_item(text[match.start() :])
    ]
    if listed:
        return starts
    bounds = [*starts, len(text)]
    return [start for start, end in itertools.pairwise(bounds) if url_spans(text[start:end])]


def markers(text: str) -> list[tuple[int, int]]:
    """(position, note number) of each reference in running text: ``[n]`` or superscript digits
    right after a word or a closing mark (``Typ“¹``, ``2021.²``)."""
    found = []
    for match in _MARKER.finditer(text):
        digits = match.group(1) or match.group(2).translate(_DIGITS)
        found.append((match.start(), int(digits)))
    return found
