"""Word briefings: body paragraphs, tables, hyperlinks, fields and Word's own footnotes."""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree

from scoarchive.briefing.model import BriefingError, _Block, _Link
from scoarchive.briefing.quotations import _squash
from scoarchive.briefing.urls import _is_http

_W_HYPERLINK, _W_R_ID = qn("w:hyperlink"), qn("r:id")


_W_T, _W_TAB, _W_BR, _W_CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")


_W_NOBREAK_HYPHEN, _W_FOOTNOTE_REF = qn("w:noBreakHyphen"), qn("w:footnoteReference")


_W_INSTR, _W_FLD_SIMPLE, _W_DEL = qn("w:instrText"), qn("w:fldSimple"), qn("w:delText")


_W_P, _W_ID, _W_TYPE, _W_INSTR_ATTR = qn("w:p"), qn("w:id"), qn("w:type"), qn("w:instr")


_FIELD_LINK = re.compile(r'HYPERLINK\s+"([^"]+)"')


class _DocxParagraph:
    """Text and hyperlinks of one ``w:p``: hyperlink targets are relationships of the part."""

    def __init__(self, rels: dict[str, str], note_numbers: dict[str, int]) -> None:
        self.rels = rels
        self.note_numbers = note_numbers
        self.parts: list[str] = []
        self.links: list[_Link] = []
        self.length = 0

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def field_link(self, instruction: str | None) -> None:
        if instruction and (match := _FIELD_LINK.search(instruction)) and _is_http(match.group(1)):
            self.links.append(_Link(match.group(1), self.length))

    def walk(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == _W_T:
            self.emit(element.text or "")
        elif tag == _W_TAB:
            self.emit("\t")
        elif tag in (_W_BR, _W_CR):
            self.emit("\n")
        elif tag == _W_NOBREAK_HYPHEN:
            self.emit("-")
        elif tag == _W_FOOTNOTE_REF:
            self.emit(f"[{self.note_numbers.get(element.get(_W_ID, ''), 0)}]")
        elif tag == _W_INSTR:
            self.field_link(element.text)
        elif tag != _W_DEL:
            if tag == _W_HYPERLINK and _is_http(target := self.rels.get(element.get(_W_R_ID, ""), "")):
                self.links.append(_Link(target, self.length))
            elif tag == _W_FLD_SIMPLE:
                self.field_link(element.get(_W_INSTR_ATTR))
            for child in element:
                self.walk(child)

    def block(self) -> _Block:
        return _Block("".join(self.parts), self.links)


def _rels(part: Part) -> dict[str, str]:
    return {rid: rel.target_ref for rid, rel in part.rels.items() if rel.is_external}


def _docx_blocks(data: bytes) -> tuple[str, list[_Block]]:
    """Body paragraphs (tables included), then Word's own footnotes as ``[n] ...`` paragraphs,
    numbered in the order the body refers to them, as Word displays them."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BriefingError(f"not a readable DOCX file: {exc}") from None
    body = document.element.body
    note_numbers: dict[str, int] = {}
    for reference in body.iter(_W_FOOTNOTE_REF):
        note_numbers.setdefault(reference.get(_W_ID, ""), len(note_numbers) + 1)
    blocks = []
    title = ""
    rels = _rels(document.part)
    for child in body.iterchildren(_W_P, qn("w:tbl")):
        for element in [child] if child.tag == _W_P else child.iter(_W_P):
            walker = _DocxParagraph(rels, note_numbers)
            walker.walk(element)
            block = walker.block()
            if not block.text.strip():
                continue
            blocks.append(block)
            style = Paragraph(element, document).style
            if not title and style is not None and style.name.startswith(("Title", "Heading")):
                title = _squash(block.text)
    blocks += _docx_footnotes(document, note_numbers)
    return title or (_squash(blocks[0].text) if blocks else ""), blocks


def _docx_footnotes(document: docx.document.Document, note_numbers: dict[str, int]) -> list[_Block]:
    try:
        part = document.part.part_related_by(RT.FOOTNOTES)
    except KeyError:
        return []
    rels = _rels(part)
    notes = []
    for note in etree.fromstring(part.blob).iter(qn("w:footnote")):
        number = note_numbers.get(note.get(_W_ID, ""))
        if number is None or note.get(_W_TYPE) in ("separator", "continuationSeparator"):
            continue
        walker = _DocxParagraph(rels, note_numbers)
        walker.emit(f"[{number}] ")
        for paragraph in note.iter(_W_P):
            walker.walk(paragraph)
            walker.emit("\n")
        notes.append((number, walker.block()))
    return [block for _, block in sorted(notes, key=lambda item: item[0])]
