"""Word briefings: body paragraphs, tables, hyperlinks, fields, and Word's footnotes and endnotes.

The text is read from the XML runs rather than python-docx's ``paragraph.text``, because a
citation's address is often only in a hyperlink relationship or a ``HYPERLINK`` field, and a
tracked deletion must not be read as text. A number typed in superscript is a note reference,
as Word's own footnote references are. A paragraph of a numbered list (Word's automatic
numbering, ``w:numPr`` on the paragraph or its style, decimal format) is written with its
number (``1. …``), as Word shows it, so a reference list Word numbers reads like a typed one.
Footnotes and endnotes are numbered in the order the body refers to them, as Word displays
them; when a briefing has both, the endnotes are numbered after the footnotes, so every note
has a number of its own.
"""

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

from scoarchive.briefing.model import Block, BriefingError, Document, Link, squash
from scoarchive.briefing.urls import is_http

_W_HYPERLINK, _W_R_ID = qn("w:hyperlink"), qn("r:id")


_W_T, _W_TAB, _W_BR, _W_CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")


_W_NOBREAK_HYPHEN, _W_FOOTNOTE_REF, _W_ENDNOTE_REF = (
    qn("w:noBreakHyphen"),
    qn("w:footnoteReference"),
    qn("w:endnoteReference"),
)


_W_INSTR, _W_FLD_SIMPLE, _W_DEL = qn("w:instrText"), qn("w:fldSimple"), qn("w:delText")


_W_P, _W_ID, _W_TYPE, _W_INSTR_ATTR = qn("w:p"), qn("w:id"), qn("w:type"), qn("w:instr")


_W_R, _W_VERT_ALIGN, _W_VAL, _W_ILVL_ATTR = qn("w:r"), qn("w:vertAlign"), qn("w:val"), qn("w:ilvl")


_FIELD_LINK = re.compile(r'HYPERLINK\s+"([^"]+)"')


_SEPARATORS = ("separator", "continuationSeparator", "continuationNotice")


NoteNumbers = dict[tuple[str, str], int]  # (w:footnoteReference or w:endnoteReference, w:id) -> number


class _Paragraph:
    """Text and hyperlinks of one ``w:p``: hyperlink targets are relationships of the part."""

    def __init__(self, rels: dict[str, str], numbers: NoteNumbers) -> None:
        self.rels = rels
        self.numbers = numbers
        self.parts: list[str] = []
        self.links: list[Link] = []
        self.length = 0

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def field_link(self, instruction: str | None) -> None:
        if instruction and (match := _FIELD_LINK.search(instruction)) and is_http(match.group(1)):
            self.links.append(Link(match.group(1), self.length))

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
        elif tag in (_W_FOOTNOTE_REF, _W_ENDNOTE_REF):
            self.emit(f"[{self.numbers.get((tag, element.get(_W_ID, '')), 0)}]")
        elif tag == _W_INSTR:
            self.field_link(element.text)
        elif tag == _W_R and (number := _superscript_number(element)):
            self.emit(f"[{number}]")  # a reference typed as a superscript number
        elif tag != _W_DEL:
            if tag == _W_HYPERLINK and is_http(target := self.rels.get(element.get(_W_R_ID, ""), "")):
                self.links.append(Link(target, self.length))
            elif tag == _W_FLD_SIMPLE:
                self.field_link(element.get(_W_INSTR_ATTR))
            for child in element:
                self.walk(child)

    def block(self, note: int | None = None) -> Block:
        return Block("".join(self.parts), self.links, note)


def _superscript_number(run: etree._Element) -> str | None:
    align = run.find(f"{qn('w:rPr')}/{_W_VERT_ALIGN}")
    if align is None or align.get(_W_VAL) != "superscript":
        return None
    text = "".join(t.text or "" for t in run.iter(_W_T)).strip()
    return text if text.isdigit() and len(text) <= 3 else None


class _Numbering:
    """Word's automatic list numbers: which lists count in decimals, and where each one is."""

    def __init__(self, document: docx.document.Document) -> None:
        self.formats: dict[tuple[str, str], tuple[str, int]] = {}  # (numId, ilvl) -> (numFmt, start)
        self.counts: dict[tuple[str, str], int] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        levels: dict[str, dict[str, tuple[str, int]]] = {}
        for abstract in root.iter(qn("w:abstractNum")):
            levels[abstract.get(qn("w:abstractNumId"), "")] = {
                level.get(_W_ILVL_ATTR, "0"): (
                    _val(level, "w:numFmt") or "decimal",
                    int(_val(level, "w:start") or 1),
                )
                for level in abstract.iter(qn("w:lvl"))
            }
        for num in root.iter(qn("w:num")):
            for ilvl, value in levels.get(_val(num, "w:abstractNumId") or "", {}).items():
                self.formats[(num.get(qn("w:numId"), ""), ilvl)] = value

    def prefix(self, paragraph: Paragraph) -> str:
        """``n. `` for a paragraph of a decimal list, counted in document order; else nothing."""
        num_pr = paragraph._p.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        if num_pr is None and paragraph.style is not None:
            num_pr = paragraph.style.element.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        if num_pr is None:
            return ""
        key = (_val(num_pr, "w:numId") or "", _val(num_pr, "w:ilvl") or "0")
        fmt, start = self.formats.get(key, ("", 1))
        if fmt != "decimal":
            return ""
        self.counts[key] = self.counts.get(key, start - 1) + 1
        return f"{self.counts[key]}. "


def _val(element: etree._Element, child: str) -> str | None:
    found = element.find(qn(child))
    return found.get(_W_VAL) if found is not None else None


def _rels(part: Part) -> dict[str, str]:
    return {rid: rel.target_ref for rid, rel in part.rels.items() if rel.is_external}


def _note_numbers(body: etree._Element) -> NoteNumbers:
    numbers: NoteNumbers = {}
    for tag in (_W_FOOTNOTE_REF, _W_ENDNOTE_REF):
        for reference in body.iter(tag):
            numbers.setdefault((tag, reference.get(_W_ID, "")), len(numbers) + 1)
    return numbers


def read_docx(data: bytes) -> Document:
    """Body paragraphs (tables included), then the footnotes and endnotes as notes; the title is
    the first paragraph styled Title or Heading, else the first paragraph."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BriefingError(f"not a readable DOCX file: {exc}") from None
    body = document.element.body
    numbers = _note_numbers(body)
    blocks = []
    title = ""
    rels = _rels(document.part)
    numbering = _Numbering(document)
    for child in body.iterchildren(_W_P, qn("w:tbl")):
        for element in [child] if child.tag == _W_P else child.iter(_W_P):
            paragraph = Paragraph(element, document)
            walker = _Paragraph(rels, numbers)
            walker.emit(numbering.prefix(paragraph))
            walker.walk(element)
            block = walker.block()
            if not block.text.strip():
                continue
            blocks.append(block)
            style = paragraph.style
            if not title and style is not None and style.name.startswith(("Title", "Heading")):
                title = squash(block.text)
    notes = _notes(document, RT.FOOTNOTES, "footnote", _W_FOOTNOTE_REF, numbers)
    notes += _notes(document, RT.ENDNOTES, "endnote", _W_ENDNOTE_REF, numbers)
    blocks += [block for _, block in sorted(notes, key=lambda item: item[0])]
    return Document(title or (squash(blocks[0].text) if blocks else ""), blocks)


def _notes(
    document: docx.document.Document, relationship: str, name: str, reference: str, numbers: NoteNumbers
) -> list[tuple[int, Block]]:
    """The notes of one part (``word/footnotes.xml`` or ``word/endnotes.xml``) the body refers
    to, each one block of its paragraphs."""
    try:
        part = document.part.part_related_by(relationship)
    except KeyError:
        return []
    rels = _rels(part)
    notes = []
    for note in etree.fromstring(part.blob).iter(qn(f"w:{name}")):
        number = numbers.get((reference, note.get(_W_ID, "")))
        if number is None or note.get(_W_TYPE) in _SEPARATORS:
            continue
        walker = _Paragraph(rels, numbers)
        for paragraph in note.iter(_W_P):
            walker.walk(paragraph)
            walker.emit("\n")
        notes.append((number, walker.block(number)))
    return notes
