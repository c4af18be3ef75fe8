"""OpenDocument briefings (LibreOffice Writer's ``.odt``): paragraphs, links, notes, numbered lists.

An ODT file is a ZIP whose ``content.xml`` holds the text, so lxml reads it directly: headings
and paragraphs (``text:h``, ``text:p``) are blocks, ``text:a`` carries its target, spaces and
tabs are elements (``text:s``, ``text:tab``), tracked deletions (``text:tracked-changes``) are
not text. A footnote or endnote (``text:note``) stands inline where it is referenced; it is
written there as ``[n]`` and becomes a note of its own, numbered as Writer displays footnotes
(endnotes after them, as in :mod:`.docx`); a number typed in superscript is a reference too.
Items of a numbered list are written with their number (``1. …``), as Writer shows them, so a
reference list reads like a typed one.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from scoarchive.briefing.model import Block, BriefingError, Document, Link, squash
from scoarchive.briefing.urls import is_http

ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"  # and "…text-web", an HTML page saved by Writer


_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
}


def _t(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


_PARAGRAPHS = frozenset({_t("text:p"), _t("text:h")})


_SKIPPED = frozenset({_t("text:tracked-changes"), _t("text:note-citation"), _t("office:annotation")})


class _Reader:
    """Walks ``office:text`` into blocks; notes are collected apart and appended at the end."""

    def __init__(self, numbered_lists: frozenset[str], raised: frozenset[str], footnotes: int) -> None:
        self.numbered_lists = numbered_lists
        self.raised = raised
        self.counts = {"footnote": 0, "endnote": footnotes}  # endnotes are numbered after footnotes
        self.blocks: list[Block] = []
        self.notes: list[tuple[int, Block]] = []
        self.parts: list[str] = []
        self.links: list[Link] = []
        self.length = 0
        self.title = ""

    def emit(self, text: str | None) -> None:
        if text:
            self.parts.append(text)
            self.length += len(text)

    def paragraph(self, element: etree._Element, prefix: str = "") -> None:
        self.parts, self.links, self.length = [], [], 0
        self.emit(prefix)
        self.inline(element)
        text = "".join(self.parts)
        if text.strip():
            self.blocks.append(Block(text, self.links))
            if not self.title and (
                element.tag == _t("text:h") or "Title" in element.get(_t("text:style-name"), "")
            ):
                self.title = squash(text)

    def inline(self, element: etree._Element) -> None:
        self.emit(element.text)
        for child in element:
            tag = child.tag
            if tag == _t("text:s"):
                self.emit(" " * int(child.get(_t("text:c"), "1")))
            elif tag == _t("text:tab"):
                self.emit("\t")
            elif tag == _t("text:line-break"):
                self.emit("\n")
            elif tag == _t("text:note"):
                self.note(child)
            elif (
                tag == _t("text:span")
                and child.get(_t("text:style-name")) in self.raised
                and _is_number(child)
            ):
                self.emit(f"[{''.join(child.itertext()).strip()}]")  # a typed superscript reference
            elif tag not in _SKIPPED:
                href = child.get(_t("xlink:href"), "") if tag == _t("text:a") else ""
                if is_http(href):
                    self.links.append(Link(href, self.length))
                self.inline(child)
            self.emit(child.tail)

    def note(self, element: etree._Element) -> None:
        outer = self.parts, self.links, self.length
        self.parts, self.links, self.length = [], [], 0
        for paragraph in element.iter(_t("text:p"), _t("text:h")):
            self.inline(paragraph)
            self.emit("\n")
        kind = "endnote" if element.get(_t("text:note-class")) == "endnote" else "footnote"
        self.counts[kind] += 1
        number = self.counts[kind]
        self.notes.append((number, Block("".join(self.parts), self.links, number)))
        self.parts, self.links, self.length = outer
        self.emit(f"[{number}]")

    def walk(self, element: etree._Element) -> None:
        for child in element:
            if child.tag in _PARAGRAPHS:
                self.paragraph(child)
            elif child.tag == _t("text:list"):
                self.list(child, child.get(_t("text:style-name"), ""))
            elif child.tag not in _SKIPPED:
                self.walk(child)  # tables, sections, frames

    def list(self, element: etree._Element, style: str) -> None:
        number = 0
        for item in element.iterchildren(_t("text:list-item"), _t("text:list-header")):
            number += item.tag == _t("text:list-item")
            prefix = f"{number}. " if style in self.numbered_lists else ""
            for child in item:
                if child.tag in _PARAGRAPHS:
                    self.paragraph(child, prefix)
                    prefix = ""
                elif child.tag == _t("text:list"):
                    self.list(child, child.get(_t("text:style-name"), "") or style)

    def document(self) -> Document:
        notes = [block for _, block in sorted(self.notes, key=lambda item: item[0])]
        blocks = self.blocks + notes
        return Document(self.title or (squash(blocks[0].text) if blocks else ""), blocks)


def _is_number(element: etree._Element) -> bool:
    text = "".join(element.itertext()).strip()
    return text.isdigit() and len(text) <= 3


def _raised_styles(*roots: etree._Element) -> frozenset[str]:
    """Names of the text styles that raise their text (superscript: ``text-position="super …"``
    or a positive percentage)."""
    names = set()
    for root in roots:
        for style in root.iter(_t("style:style")):
            for properties in style.iter(_t("style:text-properties")):
                position = properties.get(_t("style:text-position"), "").split()
                raised = position and (position[0] == "super" or not position[0].startswith(("-", "0")))
                if raised:
                    names.add(style.get(_t("style:name"), ""))
    return frozenset(names)


def _numbered_lists(*roots: etree._Element) -> frozenset[str]:
    """Names of the list styles whose first level is numbered (not bulleted)."""
    names = set()
    for root in roots:
        for style in root.iter(_t("text:list-style")):
            first = next(iter(style), None)
            if first is not None and first.tag == _t("text:list-level-style-number"):
                names.add(style.get(_t("style:name"), ""))
    return frozenset(names)


def read_odt(data: bytes) -> Document:
    """The paragraphs and notes of an ODT briefing; the title is the first heading or
    Title-styled paragraph, else the first paragraph."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            content = etree.fromstring(archive.read("content.xml"))
            styles = (
                etree.fromstring(archive.read("styles.xml")) if "styles.xml" in archive.namelist() else None
            )
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise BriefingError(f"not a readable ODT file: {exc}") from None
    body = content.find(f"{_t('office:body')}/{_t('office:text')}")
    if body is None:
        raise BriefingError("not a readable ODT file: no office:text in content.xml")
    footnotes = sum(note.get(_t("text:note-class")) != "endnote" for note in body.iter(_t("text:note")))
    roots = [content, *([styles] if styles is not None else [])]
    reader = _Reader(_numbered_lists(*roots), _raised_styles(*roots), footnotes)
    reader.walk(body)
    return reader.document()
