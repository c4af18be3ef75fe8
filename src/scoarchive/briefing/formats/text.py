"""Plain-text briefings: paragraphs separated by blank lines, the first line the title.

Notes typed one under the other are cut apart later, by :mod:`scoarchive.briefing.citations`,
for every format alike.
"""

from __future__ import annotations

from scoarchive.briefing.model import Block, Document, squash


def read_text(text: str) -> Document:
    """The paragraphs of a plain-text briefing; its title is its first line."""
    blocks: list[Block] = []
    lines: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip():
            lines.append(line)
        elif lines:
            blocks.append(Block("\n".join(lines)))
            lines = []
    return Document(squash(blocks[0].text.splitlines()[0]) if blocks else "", blocks)
