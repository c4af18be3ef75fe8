"""HTML briefings: block elements become paragraphs, anchors keep their targets, notes stay whole.

HTML says more than text about notes, and the walker keeps it: an element whose id names a
note (pandoc's ``<li id="fn1">``, Word's ``<div id="ftn1">``, ``id="endnote3"``) or that carries
``data-note`` (how :mod:`.markdown` renders ``[^n]:``) is note *n* as one paragraph, however
many ``<p>`` it holds; a superscript number (``<sup>1</sup>``, ``<sup><a href="#fn1">1</a></sup>``)
is a marker ``[1]``, and a number that links to the source itself is note *n* too; an item of
an ``<ol>`` is written with its number (``3. …``), as a reader sees it, so a list of references
numbered by the browser reads like a typed one.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from scoarchive.briefing.model import Block, BriefingError, Document, Link, squash
from scoarchive.briefing.urls import is_http

_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl", "dt"),
        *("figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li"),
        *("main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"),
    }
)


_SKIP_TAGS = frozenset({"script", "style", "template", "head", "noscript"})


# pandoc (fn1), Word's "Save as HTML" (ftn1, edn1), and the usual spellings of the rest
_NOTE_ID = re.compile(r"_?(?:fn|ftn|edn|footnote|endnote|note|en)[-:_]?(\d{1,4})$", re.IGNORECASE)


_NOTE_TAGS = frozenset({"li", "p", "div", "aside", "dd", "section"})


_REFERENCE = re.compile(r"\[?(\d{1,4})\]?")


def _note_number(element: etree._Element, tag: str) -> int | None:
    if tag not in _NOTE_TAGS:
        return None
    if (number := element.get("data-note", "")).isdigit():
        return int(number)
    if match := _NOTE_ID.match(element.get("id", "")):
        return int(match.group(1))
    return None


class _Walker:
    """Walks an HTML tree into paragraphs: each block element flushes the text gathered so far,
    except inside a note, which is gathered whole."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.links: list[Link] = []
        self.length = 0
        self.note: int | None = None
        self.linked_notes: dict[int, Block] = {}  # notes that are only a numbered link

    def emit(self, text: str | None) -> None:
        if text:
            self.parts.append(text)
            self.length += len(text)

    def flush(self) -> None:
        if self.note is not None:
            self.emit("\n")  # a paragraph inside a note: a line of the note
            return
        text = "".join(self.parts)
        if text.strip() or self.links:
            self.blocks.append(Block(text, self.links))
        self.parts, self.links, self.length = [], [], 0

    def walk(self, element: etree._Element, number: int | None = None) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP_TAGS or not tag:
            self.emit(element.tail)
            return
        note = _note_number(element, tag) if self.note is None else None
        if tag in _BLOCK_TAGS:
            self.flush()
        if note is not None:
            self.note = note
        elif number is not None:
            self.emit(f"{number}. ")
        if not self._reference(element, tag):
            self._inline(element, tag)
        if note is not None:
            text = "".join(self.parts)
            self.blocks.append(Block(text, self.links, note))
            self.parts, self.links, self.length, self.note = [], [], 0, None
        elif tag in _BLOCK_TAGS:
            self.flush()
        self.emit(element.tail)

    def _reference(self, element: etree._Element, tag: str) -> bool:
        """A note reference (``<sup>2</sup>``, ``<a href="#fn1">1</a>``) written as ``[n]``; a
        number that links to the source itself (``<sup><a href="https://…">1</a></sup>``, a
        Markdown ``[1]`` with a definition ``[1]: https://… "Title"``) is also note n, made of
        the link's title and target unless the briefing defines note n in full."""
        if tag not in ("sup", "a"):
            return False
        match = _REFERENCE.fullmatch(element.text_content().strip())
        if match is None:
            return False
        anchors = [element] if tag == "a" else list(element.iter("a"))
        targets = [(a, "".join(a.get("href", "").split())) for a in anchors]
        if tag == "a" and not targets[0][1].startswith("#") and not is_http(targets[0][1]):
            return False
        number = int(match.group(1))
        for anchor, target in targets:
            if is_http(target):
                text = f"{anchor.get('title', '')}, {target}".lstrip(", ")
                self.linked_notes.setdefault(
                    number, Block(text, [Link(target, len(text) - len(target))], number)
                )
        self.emit(f"[{number}]")
        return True

    def _inline(self, element: etree._Element, tag: str) -> None:
        if tag == "a" and is_http(href := "".join(element.get("href", "").split())):
            self.links.append(Link(href, self.length))
        self.emit("“" if tag == "q" else "\n" if tag == "br" else None)
        self.emit(element.text)
        start = int(element.get("start", "1")) if tag == "ol" and element.get("start", "1").isdigit() else 1
        items = 0
        for child in element:
            if tag == "ol" and child.tag == "li":
                self.walk(child, start + items)
                items += 1
            else:
                self.walk(child)
        self.emit("”" if tag == "q" else None)


def _title(tree: etree._Element) -> str:
    for path in ("//title", "//h1", "//h2"):
        for element in tree.xpath(path):
            if text := squash(element.text_content()):
                return text
    return ""


def read_html(text: str) -> Document:
    """The paragraphs of an HTML briefing (a document or a fragment); its title is the
    ``<title>``, else the first heading."""
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise BriefingError(f"not readable as HTML: {exc}") from None
    walker = _Walker()
    walker.walk(tree)
    walker.flush()
    # first, so that a note the briefing writes out in full is the one that counts
    return Document(_title(tree), [*walker.linked_notes.values(), *walker.blocks])
