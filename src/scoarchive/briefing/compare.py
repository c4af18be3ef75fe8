"""Does the archived page say what the briefing quotes, and on the date the briefing gives?

A quotation rarely survives copying byte for byte: an analyst's editor turns "…" into „…“,
hyphens into dashes, joins lines, and the page itself may carry soft hyphens or words hyphenated
across lines. So a quote is checked twice: verbatim, then after *folding* both sides (Unicode
NFKC, lower case, and no quote marks, dashes, soft hyphens or whitespace at all, which also
rejoins "develop-\nment"). Ellipses in the quote ("[…]", "...") are gaps: the parts must each be
found, in order. When the quote is still not found, the report names the closest passage, so a
reader sees at once whether one word was changed or the quote is not there at all.

A quotation in another language than its source (a German briefing translating an English
article) is not a misquote: it is looked for in the article's linked translations, when the
check is given them, and is otherwise reported ``other_language`` with both languages, rather
than ``not_found``.

The closest passage is found on tokens (words and punctuation): windows of the quote's length
are ranked by how many tokens they share with it (one pass, a sliding counter), and only the few
that can win are compared exactly, by longest common subsequence, computed bit-parallel. That
keeps a 20 KB article well under 50 ms per quote.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

from scoarchive.briefing.languages import detect_language


class QuoteVerdict(StrEnum):
    """Whether a quotation is in its source (values are the JSON report's)."""

    FOUND = "found"
    FOUND_NORMALISED = "found_normalised"
    NOT_FOUND = "not_found"
    OTHER_LANGUAGE = "other_language"  # not found, and written in another language than the source


class DateVerdict(StrEnum):
    """How the date a note states compares with the page's publication date."""

    MATCH = "match"
    OFF = "off"
    CONTRADICTS = "contradicts"
    NONE = "none"


class SourceText(Protocol):
    """A text a quotation may come from besides the cited page: one of its linked translations
    (``language`` an ISO 639-1 code, or None to detect it)."""

    @property
    def url(self) -> str: ...

    @property
    def language(self) -> str | None: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Translation:
    """A linked translation of a cited article, as :class:`SourceText`."""

    url: str
    language: str | None
    text: str


QUOTE_MARKS = "\"'„“”‟«»‹›‚‘’‛`´"


DASHES = "-‐‑‒–—―−"


SOFT_HYPHEN = "\u00ad"


_IGNORED = frozenset(QUOTE_MARKS + DASHES + SOFT_HYPHEN)


_ELLIPSIS = re.compile(r"\[\s*(?:…|\.{3})\s*\]|\(\s*(?:…|\.{3})\s*\)|…|\.{3,}")


_TOKEN = re.compile(rf"\w+|[^\w\s{re.escape(QUOTE_MARKS + DASHES + SOFT_HYPHEN)}]")


MAX_DAYS_OFF = 3


_MAX_WINDOWS = 400  # windows compared exactly at most (only repetitive text needs many)


_EDGE = 2


@dataclass(frozen=True)
class QuoteResult:
    """``closest`` is the passage of the source the quote matched (or came nearest to), as the
    source writes it; ``similarity`` is 1.0 when found, else the token similarity in [0, 1]
    (0.0 and no passage for ``other_language``: words of two languages are not comparable).
    ``translation_url`` names the translation the verdict is about, when it is not the cited
    page; the languages are those detected (None for a text without letters)."""

    text: str
    verdict: QuoteVerdict
    closest: str
    similarity: float
    quote_language: str | None = None
    source_language: str | None = None
    translation_url: str | None = None
    translation_language: str | None = None


@dataclass(frozen=True)
class DateCheck:
    """``days_off`` is stated minus published (a footnote giving the event day after the
    publication day is positive); None when either date is missing."""

    stated: date | None
    published: date | None
    days_off: int | None
    verdict: DateVerdict


@dataclass(frozen=True)
class _Folded:
    text: str
    origin: tuple[int, ...]  # index in the source of each folded character


@dataclass(frozen=True)
class _Tokens:
    words: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]


def _fold_char(char: str) -> str:
    if char.isascii():
        return "" if char in _IGNORED or char.isspace() else char.lower()
    return "".join(
        c for c in unicodedata.normalize("NFKC", char).lower() if c not in _IGNORED and not c.isspace()
    )


@lru_cache(maxsize=32)
def _fold(text: str) -> _Folded:
    """The folded text and, for each of its characters, where it came from (cached: one source,
    many quotes)."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        chars.append(folded)
        origin.extend([index] * len(folded))
    return _Folded("".join(chars), tuple(origin))


@lru_cache(maxsize=32)
def _tokens(text: str) -> _Tokens:
    matches = list(_TOKEN.finditer(text))
    return _Tokens(
        tuple(m.group().lower() for m in matches),
        tuple(m.start() for m in matches),
        tuple(m.end() for m in matches),
    )


def _find_parts(parts: list[str], source: _Folded) -> tuple[int, int] | None:
    """Start and end, in the folded source, of the parts found one after another."""
    position = first = 0
    for index, part in enumerate(parts):
        found = source.text.find(part, position)
        if found < 0:
            return None
        first = found if index == 0 else first
        position = found + len(part)
    return first, position


_CONFIDENT = 0.9  # a quote's language this probable is its language, whatever its words


_UNRELATED = 0.5  # below this similarity a quote shares too few words with the source to be a misquote of it


def _other_language(quote: str, source_text: str, similarity: float) -> bool:
    """Whether ``quote`` is in another language than its source.

    The detected languages must differ, and the quote's must be either confident (a Cyrillic
    quote of an English page, „neuen Typ“) or borne out by its words: a misquote in the source's
    language still shares most words with the source, a translation hardly any. So a garbled
    English quote that the model takes for French is still ``not_found``.
    """
    quoted, source = detect_language(quote), detect_language(source_text)
    if quoted is None or source is None or quoted.language == source.language:
        return False
    return quoted.confidence >= _CONFIDENT or similarity < _UNRELATED


def _language(text: str) -> str | None:
    detected = detect_language(text)
    return detected.language if detected else None


def _match(quote: str, parts: list[str], source_text: str) -> tuple[QuoteVerdict, str] | None:
    """Where ``quote`` is in ``source_text``, verbatim or folded; None when it is not."""
    at = source_text.find(quote.strip())
    if at >= 0:
        return QuoteVerdict.FOUND, source_text[at : at + len(quote.strip())]
    folded = _fold(source_text)
    span = _find_parts(parts, folded)
    if span is None:
        return None
    start, end = folded.origin[span[0]], folded.origin[span[1] - 1] + 1
    return QuoteVerdict.FOUND_NORMALISED, source_text[start:end]


def check_quote(quote: str, source_text: str, *, translations: Sequence[SourceText] = ()) -> QuoteResult:
    """Whether ``quote`` is in ``source_text`` or one of its ``translations``: verbatim,
    normalised, or not (and then what is closest, or that the quote is in another language)."""
    source_text = unicodedata.normalize("NFC", source_text)
    quote = unicodedata.normalize("NFC", quote)
    parts = [p for p in (_fold(part).text for part in _ELLIPSIS.split(quote)) if p]
    if not parts:
        raise ValueError("empty quote: nothing to look for")
    languages = {"quote_language": _language(quote), "source_language": _language(source_text)}
    if found := _match(quote, parts, source_text):
        return QuoteResult(quote, found[0], found[1], 1.0, **languages)
    others = [
        (t.url, t.language or _language(t.text), unicodedata.normalize("NFC", t.text)) for t in translations
    ]
    for url, language, text in others:
        if found := _match(quote, parts, text):
            return QuoteResult(
                quote,
                found[0],
                found[1],
                1.0,
                **languages,
                translation_url=url,
                translation_language=language,
            )
    closest, similarity = _closest(_ELLIPSIS.sub(" ", quote), source_text)
    if not _other_language(quote, source_text, similarity):
        return QuoteResult(quote, QuoteVerdict.NOT_FOUND, closest, similarity, **languages)
    # compared with the translation in the quote's language if there is one, else not comparable
    same = [(url, text) for url, language, text in others if language == languages["quote_language"]]
    if not same:
        return QuoteResult(quote, QuoteVerdict.OTHER_LANGUAGE, "", 0.0, **languages)
    url, text = same[0]
    closest, similarity = _closest(_ELLIPSIS.sub(" ", quote), text)
    return QuoteResult(
        quote,
        QuoteVerdict.NOT_FOUND,
        closest,
        similarity,
        **languages,
        translation_url=url,
        translation_language=languages["quote_language"],
    )


def _lcs(masks: dict[str, int], length: int, tokens: Sequence[str]) -> int:
    """Length of the longest common subsequence of ``tokens`` and the sequence ``masks`` describes
    (token -> bit set of its positions): the bit-parallel algorithm of Crochemore et al. (2001),
    one big-integer step per token instead of a quadratic table."""
    full = (1 << length) - 1
    row = full
    for token in tokens:
        matched = row & masks.get(token, 0)
        row = ((row + matched) | (row - matched)) & full
    return length - row.bit_count()


def _closest(quote: str, source_text: str) -> tuple[str, float]:
    """The source passage most similar to the quote, and the similarity 2·LCS / (len + len) over
    tokens (difflib's ratio, computed exactly).

    Windows of the quote's length are visited in order of how many tokens they share with the
    quote (an upper bound of their LCS), and the visit stops when no window left can beat the best,
    so the best window is exact while only a few are compared; then its edges may move by two
    tokens, for quotes that dropped or added a word.
    """
    wanted = _tokens(quote).words
    source = _tokens(source_text)
    if not wanted or not source.words:
        return "", 0.0
    masks: dict[str, int] = {}
    for position, token in enumerate(wanted):
        masks[token] = masks.get(token, 0) | (1 << position)
    words = source.words
    size = min(len(wanted), len(words))
    shared = _shared_counts(wanted, words, size)
    best_common, best_start = -1, 0
    for visited, start in enumerate(sorted(range(len(shared)), key=shared.__getitem__, reverse=True)):
        if shared[start] <= best_common or visited == _MAX_WINDOWS:
            break
        common = _lcs(masks, len(wanted), words[start : start + size])
        if common > best_common:
            best_common, best_start = common, start
    best = (2 * best_common / (len(wanted) + size), best_start, best_start + size)
    for start in range(max(best_start - _EDGE, 0), best_start + _EDGE + 1):
        for end in range(start + size - _EDGE, min(start + size + _EDGE, len(words)) + 1):
            if end > start:
                ratio = 2 * _lcs(masks, len(wanted), words[start:end]) / (len(wanted) + end - start)
                best = max(best, (ratio, start, end), key=lambda item: item[0])
    similarity, start, end = best
    return source_text[source.starts[start] : source.ends[end - 1]], round(similarity, 4)


def _shared_counts(wanted: Sequence[str], words: Sequence[str], size: int) -> list[int]:
    """For each window of ``size`` words, how many tokens it shares with the quote (as multisets),
    in one pass with a sliding counter."""
    need = Counter(wanted)
    have: Counter[str] = Counter()
    shared = 0
    scores = []
    for index, word in enumerate(words):
        if have[word] < need[word]:
            shared += 1
        have[word] += 1
        if index >= size:
            old = words[index - size]
            have[old] -= 1
            if have[old] < need[old]:
                shared -= 1
        if index >= size - 1:
            scores.append(shared)
    return scores


def check_date(stated: date | None, published: date | None) -> DateCheck:
    """Compare the date a footnote gives with the page's publication date.

    A footnote often gives the day of the event rather than the day of publication (the example
    briefing: 16 June for an article of 15 June), so up to three days apart is "off", not a
    contradiction.
    """
    stated_day = stated.date() if isinstance(stated, datetime) else stated
    published_day = published.date() if isinstance(published, datetime) else published
    if stated_day is None or published_day is None:
        return DateCheck(stated_day, published_day, None, DateVerdict.NONE)
    days = (stated_day - published_day).days
    verdict = (
        DateVerdict.MATCH
        if days == 0
        else DateVerdict.OFF
        if abs(days) <= MAX_DAYS_OFF
        else DateVerdict.CONTRADICTS
    )
    return DateCheck(stated_day, published_day, days, verdict)
