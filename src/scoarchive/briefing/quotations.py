"""Quoted passages in a briefing: German, English, Russian and French quote marks, nested."""

from __future__ import annotations

MIN_QUOTE_WORDS = 4


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
