"""From paragraphs to citations: footnotes, their titles, stated dates and quotations."""

from __future__ import annotations

import re
from collections.abc import Iterator

from scoarchive.briefing.dates import _DateMatch, _find_dates
from scoarchive.briefing.model import Citation, _Block
from scoarchive.briefing.quotations import _quote_spans, _quotes_in, _squash
from scoarchive.briefing.urls import _check_url, url_spans

ARCHIVED_MARK = "[archived: "  # how scoarchive.annotate writes an archived address after a URL


_ARCHIVED_NOTE = re.compile(rf" ?{re.escape(ARCHIVED_MARK)}[^\]\n]*\]")


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
