"""HTML briefings: block elements become paragraphs, anchors keep their targets."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from scoarchive.briefing.model import BriefingError, _Block, _Link
from scoarchive.briefing.quotations import _squash
from scoarchive.briefing.urls import _is_http

_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl", "dt"),
        *("figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li"),
        *("main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"),
    }
)


_SKIP_TAGS = frozenset({"script", "style", "template", "head", "noscript"})


_NOTE_ID = re.compile(r"fn[-:_]?(\d+)$")


class _HtmlBlocks:
    """Walks an HTML tree into paragraphs: each block element flushes the text gathered so far."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.parts: list[str] = []
        self.links: list[_Link] = []
        self.length = 0

    def emit(self, text: str | None) -> None:
        if text:
            self.parts.append(text)
            self.length += len(text)

    def flush(self) -> None:
        text = "".join(self.parts)
        if text.strip():
            self.blocks.append(_Block(text, self.links))
        self.parts, self.links, self.length = [], [], 0

    def walk(self, element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP_TAGS or not tag:
            self.emit(element.tail)
            return
        if tag in _BLOCK_TAGS:
            self.flush()
        if tag == "li" and (note := _NOTE_ID.match(element.get("id", ""))):
            self.emit(f"[{note.group(1)}] ")  # a footnote list item (pandoc: <li id="fn1">)
        href = "".join(element.get("href", "").split()) if tag == "a" else ""
        label = element.text_content().strip() if tag == "a" else ""
        if href.startswith("#") and label.isdigit():
            self.emit(f"[{label}]")  # a footnote reference (<sup><a href="#fn1">1</a></sup>)
        else:
            if _is_http(href):
                self.links.append(_Link(href, self.length))
            self.emit("“" if tag == "q" else "\n" if tag == "br" else None)
            self.emit(element.text)
            for child in element:
                self.walk(child)
            self.emit("”" if tag == "q" else None)
        if tag in _BLOCK_TAGS:
            self.flush()
        self.emit(element.tail)


def _html_title(tree: etree._Element) -> str:
    for path in ("//title", "//h1", "//h2"):
        for element in tree.xpath(path):
            if text := _squash(element.text_content()):
                return text
    return ""


def _html_blocks(text: str) -> tuple[str, list[_Block]]:
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise BriefingError(f"not readable as HTML: {exc}") from None
    walker = _HtmlBlocks()
    walker.walk(tree)
    walker.flush()
    return _html_title(tree), walker.blocks
