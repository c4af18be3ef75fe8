"""Quoted passages in a briefing: German, English, Russian, French and CJK quote marks, nested.

Analysts quote in the marks of the language they write in („…“, “…”, «…», »…«, ‚…‘, 「…」) and
nest the source's own quotation inside (the example's „… "The SCO member states …" he noted.“),
so only the outermost quotation counts, and a mark never closed (a typo, ``24"`` for inches) must
not swallow the quotations after it.

A quotation of fewer than :data:`MIN_QUOTE_WORDS` words is a *term* (a name, an expression, a
translated word: „neuen Typ“), not a passage: it is still checked, but reported apart, since a
term that is not in the source is a different finding from a misquoted sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoarchive.briefing.model import squash

MIN_QUOTE_WORDS = 4


_CLOSERS = {"„": "“”", "“": "”", '"': '"', "«": "»", "»": "«", "‚": "‘", "‹": "›", "「": "」", "『": "』"}


_MARKS = frozenset(_CLOSERS) | frozenset("".join(_CLOSERS.values()))


@dataclass(frozen=True)
class Quotation:
    """The inside of one outermost quotation: ``start``/``end`` in the text, ``text`` squashed."""

    start: int
    end: int
    text: str

    @property
    def is_term(self) -> bool:
        """Too short to be a passage: see the module's docstring."""
        return len(self.text.split()) < MIN_QUOTE_WORDS and not _is_cjk(self.text)


def _is_cjk(text: str) -> bool:
    """CJK text has no spaces between words, so its words cannot be counted: a quotation of more
    than a few characters is a passage."""
    return sum("\u3400" <= char <= "\u9fff" for char in text) >= MIN_QUOTE_WORDS * 2


def _straight_quote_role(text: str, index: int) -> tuple[bool, bool]:
    """Whether a straight ``"`` at ``index`` can open and can close a quotation: it opens after a
    space or bracket and before a word, closes after a word, so ``24"`` (inches) is neither."""
    before = text[index - 1] if index else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    opens = (before.isspace() or before in "([{–—-/:„“«‚") and not after.isspace()
    return opens, not before.isspace()


def quote_spans(text: str) -> list[tuple[int, int]]:
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


def quotations(text: str, spans: list[tuple[int, int]] | None = None) -> list[Quotation]:
    """The quotations of ``text`` (or of the given ``spans`` of it) that have a word in them:
    ``"“”"`` or a quoted number is not a quotation."""
    found = []
    for start, end in quote_spans(text) if spans is None else spans:
        inside = squash(text[start:end])
        if any(char.isalpha() for char in inside):
            found.append(Quotation(start, end, inside))
    return found
