"""Write the Word versions of the example briefing from example.txt, so all formats say the same.

    python tests/data/briefings/make_docx.py

example.docx keeps the briefing's own footnote list (``[n] ...`` paragraphs, URLs as Word
hyperlinks); example-footnotes.docx uses Word's native footnotes instead (a reference mark in
the text, the note in word/footnotes.xml), which is how a briefing typed in Word usually comes.
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.text.paragraph import Paragraph

HERE = Path(__file__).resolve().parent
URL = re.compile(r"https?://\S+")
NOTE = re.compile(r"\s*\d+\.\s+\[(\d+)\]\s*(.*)")
MARKER = re.compile(r" ?\[(\d+)\]")
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


def hyperlink(paragraph_element, part, url: str, text: str) -> None:
    """A ``w:hyperlink`` whose target is an external relationship of ``part``, as Word writes it."""
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), part.relate_to(url, RT.HYPERLINK, is_external=True))
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    properties.append(underline)
    run.append(properties)
    run.append(_text(text))
    link.append(run)
    paragraph_element.append(link)


def _text(text: str):
    element = OxmlElement("w:t")
    element.set(qn("xml:space"), "preserve")
    element.text = text
    return element


def _run(paragraph_element, text: str) -> None:
    run = OxmlElement("w:r")
    run.append(_text(text))
    paragraph_element.append(run)


def _with_links(paragraph_element, part, text: str) -> None:
    position = 0
    for match in URL.finditer(text):
        _run(paragraph_element, text[position : match.start()])
        hyperlink(paragraph_element, part, match.group(), match.group())
        position = match.end()
    if text[position:]:
        _run(paragraph_element, text[position:])


def _footnote_reference(paragraph: Paragraph, note_id: int) -> None:
    run = paragraph.add_run()
    properties = OxmlElement("w:rPr")
    align = OxmlElement("w:vertAlign")
    align.set(qn("w:val"), "superscript")
    properties.append(align)
    run._r.append(properties)
    reference = OxmlElement("w:footnoteReference")
    reference.set(qn("w:id"), str(note_id))
    run._r.append(reference)


def add_footnotes(document: Document, notes: dict[int, str]) -> None:
    """Word's footnotes part, with the two separator notes Word always writes (ids -1 and 0)."""
    part = XmlPart(
        PackURI("/word/footnotes.xml"),
        FOOTNOTES_TYPE,
        parse_xml(f"<w:footnotes {nsdecls('w', 'r')}/>"),
        document.part.package,
    )
    for note_id, kind in ((-1, "separator"), (0, "continuationSeparator")):
        note = OxmlElement("w:footnote")
        note.set(qn("w:type"), kind)
        note.set(qn("w:id"), str(note_id))
        paragraph = OxmlElement("w:p")
        run = OxmlElement("w:r")
        run.append(OxmlElement(f"w:{kind}"))
        paragraph.append(run)
        note.append(paragraph)
        part.element.append(note)
    for note_id, text in notes.items():
        note = OxmlElement("w:footnote")
        note.set(qn("w:id"), str(note_id))
        paragraph = OxmlElement("w:p")
        reference = OxmlElement("w:r")
        reference.append(OxmlElement("w:footnoteRef"))
        paragraph.append(reference)
        _run(paragraph, " ")
        _with_links(paragraph, part, text)
        note.append(paragraph)
        part.element.append(note)
    document.part.relate_to(part, RT.FOOTNOTES)


def build(source: Path, native_footnotes: bool) -> Document:
    """Title, headings (one-line blocks), body paragraphs and the footnote list of a text briefing."""
    document = docx.Document()
    blocks = [b for b in source.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    document.add_heading(blocks[0].strip(), level=0)
    notes: dict[int, str] = {}
    for block in blocks[1:]:
        lines = block.splitlines()
        if NOTE.match(lines[-1]):
            document.add_heading(lines[0].strip(), level=3)
            for line in lines[1:]:
                number, text = NOTE.match(line).groups()
                notes[int(number)] = text
                if not native_footnotes:
                    paragraph = document.add_paragraph(style="List Number")
                    _with_links(paragraph._p, document.part, f"[{number}] {text}")
        elif len(lines) == 1 and len(block) < 120 and not block.rstrip().endswith("."):
            document.add_heading(block.strip(), level=2)
        else:
            paragraph = document.add_paragraph()
            position = 0
            for match in MARKER.finditer(block):
                if native_footnotes:
                    paragraph.add_run(block[position : match.start()])
                    _footnote_reference(paragraph, int(match.group(1)))
                else:
                    paragraph.add_run(block[position : match.end()])
                position = match.end()
            paragraph.add_run(block[position:])
    if native_footnotes:
        add_footnotes(document, notes)
    return document


if __name__ == "__main__":
    build(HERE / "example.txt", native_footnotes=False).save(HERE / "example.docx")
    build(HERE / "example.txt", native_footnotes=True).save(HERE / "example-footnotes.docx")
