"""Markdown briefings: CommonMark rendered to HTML, footnotes kept."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from scoarchive.briefing.formats.html import _html_blocks
from scoarchive.briefing.model import _Block
from scoarchive.briefing.quotations import _squash

_MD_NOTE_DEF = re.compile(r"^( {0,3})\[\^(\d{1,4})\]:", re.MULTILINE)


_MD_NOTE_REF = re.compile(r"\[\^(\d{1,4})\]")


_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def _markdown_blocks(text: str) -> tuple[str, list[_Block]]:
    """Markdown goes through CommonMark to HTML; footnotes ``[^n]`` become the plain ``[n]`` style
    first, since CommonMark alone would read ``[^1]: URL`` as a link definition and drop it."""
    text = _MD_NOTE_DEF.sub(r"\1\\[\2\\]", text)
    text = _MD_NOTE_REF.sub(r"\\[\1\\]", text)
    rendered = MarkdownIt("commonmark", {"breaks": True}).render(text)
    _, blocks = _html_blocks(f"<html><body>{rendered}</body></html>")
    heading = _MD_HEADING.search(text)
    return (_squash(heading.group(1)) if heading else ""), blocks
