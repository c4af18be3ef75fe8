"""Plain-text briefings: paragraphs separated by blank lines."""

from __future__ import annotations

from scoarchive.briefing.citations import _FOOTNOTE
from scoarchive.briefing.model import _Block


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
