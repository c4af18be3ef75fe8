"""From paragraphs to citations: which note each URL belongs to, its title, date and quotations.

A note's text gives its title (up to the date, the "in:" or the URL), the date it states (the
one after a comma, if several) and the passages it quotes. A quotation in the body belongs to
the note whose marker follows it (where a citation mark goes), else to the last marker before
it; a paragraph without a marker lends its quotations to the URLs it links. Every URL of a note
is a citation of its own, under the note's number.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from scoarchive.briefing.dates import DateMatch, find_dates
from scoarchive.briefing.model import Block, Citation, Link, squash
from scoarchive.briefing.notes import NoteStart, markers, note_line_starts, numbered_item, typed_note
from scoarchive.briefing.quotations import Quotation, quotations, quote_spans
from scoarchive.briefing.urls import check_url, url_spans, without_scheme

ARCHIVED_MARK = "[archived: "  # how scoarchive.briefing.annotate writes an archived address after a URL


_ARCHIVED_NOTE = re.compile(rf" ?{re.escape(ARCHIVED_MARK)}[^\]\n]*\]")


_IN = re.compile(r"(?:,|\s)\s*(?:in|at|unter|URL|в|см\.|available at|abrufbar unter)\s*:", re.IGNORECASE)


@dataclass
class _Quoted:
    """Quotations gathered for one owner (a note number, or a paragraph's own links)."""

    quotes: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)

    def add(self, found: list[Quotation]) -> None:
        for quotation in found:
            (self.terms if quotation.is_term else self.quotes).append(quotation.text)


@dataclass(frozen=True)
class _Heading:
    title: str | None
    stated: DateMatch | None
    title_span: tuple[int, int] | None


def _heading(text: str) -> _Heading:
    """Title, stated date and the span of a quoted title in a note's own text."""
    quotes = quote_spans(text)
    dates = [d for d in find_dates(text) if not any(s - 1 <= d.start < e + 1 for s, e in quotes)]
    after_comma = [d for d in dates if re.search(r"[,，]\s*$", text[: d.start])]
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
    title = squash(title).strip(" ,;:–-，；：、")
    return _Heading(title or None, stated, title_span)


def _located_urls(block: Block) -> list[tuple[int, str]]:
    """The block's link targets and written-out URLs with where they start, in order, each
    once: a URL shown as the text of a link to it (``eng.sectsco.org/a.html`` linking
    ``https://…``) is the link's."""
    found = [(link.start, link.url) for link in block.links]
    found += [(span.start, span.url) for span in url_spans(block.text)]
    urls: dict[str, tuple[int, str]] = {}
    for start, url in sorted(found, key=lambda item: item[0]):
        urls.setdefault(without_scheme(url), (start, url))
    return list(urls.values())


def _urls(block: Block) -> list[str]:
    return [url for _, url in _located_urls(block)]


def _pieces(block: Block) -> Iterator[Block]:
    """A typed block cut where a line starts another note, so notes written one under the other
    stay apart; a note the format marked (``Block.note``) is one note whatever its lines say."""
    cuts = [] if block.note is not None else note_line_starts(block.text)
    bounds = [0, *cuts, len(block.text)]
    for start, end in itertools.pairwise(bounds):
        links = [Link(link.url, link.start - start) for link in block.links if start <= link.start < end]
        if end == len(block.text):
            links += [Link(link.url, link.start - start) for link in block.links if link.start >= end]
        yield Block(block.text[start:end], links, block.note)


def _note_start(block: Block) -> NoteStart | None:
    if block.note is not None:
        typed = typed_note(block.text)
        return NoteStart(block.note, typed.body if typed and typed.number == block.note else 0)
    if typed := typed_note(block.text):
        return typed
    item = numbered_item(block.text)
    return item if item is not None and _urls(block) else None


def _body_quotes(block: Block, notes: dict[int, _Quoted]) -> dict[str, _Quoted]:
    """The quotations of a body paragraph, by owner: each goes to the citation whose mark
    follows it (a note marker, or a URL written or linked right after the quotation), else to
    the last one before it; given to ``notes`` by note number, returned by URL for the
    paragraph's own links. A paragraph without note markers lends all its quotations to all
    its links, since nothing says which of them a quotation comes from."""
    found = markers(block.text)
    located = _located_urls(block)
    own = {url: _Quoted() for _, url in located}
    anchors: list[tuple[int, int | str]] = sorted([*found, *located], key=lambda anchor: anchor[0])
    for quotation in quotations(block.text):
        if not found:
            for quoted in own.values():
                quoted.add([quotation])
            continue
        after = [owner for position, owner in anchors if position >= quotation.end]
        before = [owner for position, owner in anchors if position < quotation.start]
        owner = after[0] if after else before[-1] if before else None
        if isinstance(owner, int):
            notes.setdefault(owner, _Quoted()).add([quotation])
        elif owner is not None:
            own[owner].add([quotation])
    return own


def _note_citations(n: int, block: Block, body: int, quoted: _Quoted) -> list[Citation]:
    text = block.text[body:]
    heading = _heading(text)
    own = _Quoted(list(quoted.quotes), list(quoted.terms))
    own.add(quotations(text, [span for span in quote_spans(text) if span != heading.title_span]))
    stated = heading.stated
    return [
        Citation(
            n,
            check_url(url, f"footnote [{n}]"),
            heading.title,
            stated.value if stated else None,
            stated.text if stated else None,
            list(dict.fromkeys(own.quotes)),
            list(dict.fromkeys(own.terms)),
        )
        for url in _urls(block)
    ]


def citations(blocks: list[Block]) -> list[Citation]:
    """Every citation of a briefing's paragraphs, in the order they appear; a note defined twice
    (a paragraph that only starts with ``[1]`` before the list of notes) is the last definition."""
    # the archived addresses scoarchive.briefing.annotate added are not citations: an annotated
    # briefing reads back as the original did
    cleaned = [Block(_ARCHIVED_NOTE.sub("", block.text), block.links, block.note) for block in blocks]
    pieces = [piece for block in cleaned for piece in _pieces(block) if piece.text.strip() or piece.links]
    definitions: dict[int, tuple[int, int]] = {}  # n -> (piece index, where its text starts)
    for index, piece in enumerate(pieces):
        if start := _note_start(piece):
            definitions[start.number] = (index, start.body)
    notes = {index: (n, body) for n, (index, body) in definitions.items()}
    owners: dict[int, _Quoted] = {}
    linked = {index: _body_quotes(piece, owners) for index, piece in enumerate(pieces) if index not in notes}
    found: dict[tuple[int | None, str], Citation] = {}
    for index, piece in enumerate(pieces):
        if index in notes:
            n, body = notes[index]
            cited = _note_citations(n, piece, body, owners.get(n, _Quoted()))
        else:
            cited = [
                Citation(None, check_url(url, "link"), quotes=quoted.quotes, terms=quoted.terms)
                for url, quoted in linked[index].items()
            ]
        for citation in cited:
            found.setdefault((citation.n, citation.url), citation)
    return list(found.values())
