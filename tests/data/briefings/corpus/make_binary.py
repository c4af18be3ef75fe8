"""Write the corpus's Word, OpenDocument and PDF briefings, as analysts' tools write them.

    python tests/data/briefings/corpus/make_binary.py          # DOCX only (python-docx)
    python tests/data/briefings/corpus/make_binary.py --office # and ODT, PDF (LibreOffice)

The DOCX files are built with python-docx from the specs below: Word's own footnotes and
endnotes (``w:footnoteReference`` in the text, the note in ``word/footnotes.xml`` or
``word/endnotes.xml``), hyperlinks as relationships or ``HYPERLINK`` fields, and a typed reference
list with superscript numbers. The ODT and PDF files are what LibreOffice Writer makes of those
DOCX files, of two HTML briefings and of a hard-wrapped text briefing (``soffice --headless
--convert-to``), so they carry real footnotes, numbered lists, superscripts, link annotations
and line wrapping. The files are
committed; CI does not need LibreOffice, and the tests compare a fresh DOCX with the committed one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn

HERE = Path(__file__).resolve().parent
MARKER = re.compile(r"\[(\d+)\]")
LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)]+)\)|https?://\S+")
NOTE_TYPES = {
    "footnote": "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
    "endnote": "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml",
}


@dataclass
class Spec:
    """A briefing: title, body paragraphs with ``[n]`` markers (each once, as Word numbers every
    reference as a note of its own), and its notes.

    ``notes`` are Word footnotes, endnotes, a typed list ("typed": "n. text" paragraphs under
    a heading, superscript numbers in the text) or a list Word numbers ("numbered": "List
    Number" paragraphs, ``[n]`` typed in the text); ``links`` is how a URL in a note is written:
    a hyperlink relationship, a ``HYPERLINK`` field, or plain text. ``[label](url)`` in a note is
    a link whose visible text is the label.
    """

    title: str
    paragraphs: list[str]
    notes: dict[int, str]
    kind: str = "footnote"
    links: str = "hyperlink"
    headings: dict[int, str] = field(default_factory=dict)  # before paragraph i


def _text(text: str):
    element = OxmlElement("w:t")
    element.set(qn("xml:space"), "preserve")
    element.text = text
    return element


def _run(parent, text: str, superscript: bool = False) -> None:
    run = OxmlElement("w:r")
    if superscript:
        properties = OxmlElement("w:rPr")
        align = OxmlElement("w:vertAlign")
        align.set(qn("w:val"), "superscript")
        properties.append(align)
        run.append(properties)
    run.append(_text(text))
    parent.append(run)


def _hyperlink(parent, part, url: str, label: str) -> None:
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), part.relate_to(url, RT.HYPERLINK, is_external=True))
    _run(link, label)
    parent.append(link)


def _field(parent, url: str, label: str) -> None:
    """A complex HYPERLINK field, as Word writes a link pasted from a browser."""
    for kind, instruction in (("begin", None), (None, f' HYPERLINK "{url}" '), ("separate", None)):
        run = OxmlElement("w:r")
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run.append(char)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = instruction
            run.append(instr)
        parent.append(run)
    _run(parent, label)
    end = OxmlElement("w:r")
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), "end")
    end.append(char)
    parent.append(end)


def _with_links(parent, part, text: str, links: str) -> None:
    position = 0
    for match in LINK.finditer(text):
        _run(parent, text[position : match.start()])
        label, url = (match.group(1), match.group(2)) if match.group(1) else (match.group(), match.group())
        if links == "hyperlink":
            _hyperlink(parent, part, url, label)
        elif links == "field":
            _field(parent, url, label)
        else:
            _run(parent, label)
        position = match.end()
    if text[position:]:
        _run(parent, text[position:])


def _reference(paragraph, kind: str, number: int) -> None:
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    align = OxmlElement("w:vertAlign")
    align.set(qn("w:val"), "superscript")
    properties.append(align)
    run.append(properties)
    reference = OxmlElement(f"w:{kind}Reference")
    reference.set(qn("w:id"), str(number))
    run.append(reference)
    paragraph.append(run)


def _notes_part(document: Document, spec: Spec) -> None:
    """Word's footnotes or endnotes part, with the two separator notes Word always writes."""
    kind = spec.kind
    part = XmlPart(
        PackURI(f"/word/{kind}s.xml"),
        NOTE_TYPES[kind],
        parse_xml(f"<w:{kind}s {nsdecls('w', 'r')}/>"),
        document.part.package,
    )
    for note_id, separator in ((-1, "separator"), (0, "continuationSeparator")):
        note = OxmlElement(f"w:{kind}")
        note.set(qn("w:type"), separator)
        note.set(qn("w:id"), str(note_id))
        paragraph = OxmlElement("w:p")
        run = OxmlElement("w:r")
        run.append(OxmlElement(f"w:{separator}"))
        paragraph.append(run)
        note.append(paragraph)
        part.element.append(note)
    for number, text in spec.notes.items():
        note = OxmlElement(f"w:{kind}")
        note.set(qn("w:id"), str(number))
        for index, paragraph_text in enumerate(text.split("\n\n")):
            paragraph = OxmlElement("w:p")
            if index == 0:
                reference = OxmlElement("w:r")
                reference.append(OxmlElement(f"w:{kind}Ref"))
                paragraph.append(reference)
                _run(paragraph, " ")
            _with_links(paragraph, part, paragraph_text, spec.links)
            note.append(paragraph)
        part.element.append(note)
    document.part.relate_to(part, RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES)


def build(spec: Spec) -> Document:
    document = docx.Document()
    document.core_properties.title = spec.title
    document.add_heading(spec.title, level=0)
    for index, text in enumerate(spec.paragraphs):
        if index in spec.headings:
            document.add_heading(spec.headings[index], level=2)
        paragraph = document.add_paragraph()._p
        position = 0
        for match in MARKER.finditer(text):
            _run(paragraph, text[position : match.start()])
            number = int(match.group(1))
            if spec.kind == "typed":
                _run(paragraph, str(number), superscript=True)
            elif spec.kind == "numbered":
                _run(paragraph, f"[{number}]")
            else:
                _reference(paragraph, spec.kind, number)
            position = match.end()
        _run(paragraph, text[position:])
    if spec.kind == "typed":
        document.add_heading("Quellen", level=2)
        for number, text in spec.notes.items():
            _with_links(document.add_paragraph()._p, document.part, f"{number}. {text}", spec.links)
    elif spec.kind == "numbered":
        document.add_heading("References", level=2)
        for text in spec.notes.values():
            _with_links(document.add_paragraph(style="List Number")._p, document.part, text, spec.links)
    else:
        _notes_part(document, spec)
    return document


SPECS = {
    "23-de-docx-footnotes": Spec(
        "Vermerk: SCO-Außenminister in Taschkent",
        [
            "Die Außenminister der SCO-Staaten trafen sich am 28.-29. Juli 2022 in Taschkent. Sie "
            "bereiteten den Gipfel von Samarkand vor und sprachen von „einer Stärkung der "
            "wirtschaftlichen Vernetzung der Region“.[1]",
            "Der Generalsekretär hob die Rolle Usbekistans hervor. Usbekistan werde den "
            "„Samarkand-Geist“ prägen.[2]",
        ],
        {
            1: "Meeting of the SCO Council of Foreign Ministers, 29 July 2022, in: "
            "https://eng.sectsco.org/20220729/-SCO-Council-of-Foreign-Ministers-meets-in-Tashkent-890123.html",
            2: "SCO Secretary-General’s statement, 29. Juli 2022, in: [Website der SCO]"
            "(https://eng.sectsco.org/20220729/890200.html)",
        },
    ),
    "24-en-docx-endnotes": Spec(
        "Briefing: SCO anti-terrorism exercises",
        [
            'The joint anti-terrorism exercise "Peace Mission" took place in August 2021.[1] '
            'The RATS Council stated that members will "continue joint exercises of the competent '
            'authorities on a regular basis".[2]',
        ],
        {
            1: "Peace Mission 2021 anti-terrorism exercise, 21 September 2021, https://eng.sectsco.org/news/20210921/784001.html",
            2: "Meeting of the RATS Council, 2021-09-24, https://eng.sectsco.org/news/20210924/784310.html",
        },
        kind="endnote",
        links="field",
    ),
    "25-de-docx-reference-list": Spec(
        "Kurzdossier: SCO-Wirtschaftsforum",
        [
            "Das Wirtschaftsforum der SCO fand am 15. Juni 2023 statt.[1] Die Teilnehmer "
            "forderten „eine engere Zusammenarbeit im Bereich des elektronischen Handels“.[2]",
            "Die Ergebnisse fließen in die Entwicklungsstrategie ein.[3]",
        ],
        {
            1: "SCO Economic Forum, 15 June 2023, https://eng.sectsco.org/20230615/940001.html",
            2: "Final document of the SCO Economic Forum, 16.06.2023, https://eng.sectsco.org/20230616/940100.html",
            3: "SCO Development Strategy, 4. Juli 2023, https://eng.sectsco.org/20230704/945020.html",
        },
        kind="typed",
    ),
    "26-ru-docx-footnotes": Spec(
        "Справка: совещание министров обороны ШОС",
        [
            "Совещание министров обороны государств – членов ШОС состоялось 26 апреля 2024 года "
            "в Астане. Министры подтвердили намерение «развивать военное сотрудничество в "
            "интересах региональной безопасности».[1]",
            "Следующее совещание пройдет в 2025 году.[2]",
        ],
        {
            1: "Совещание министров обороны ШОС, 26 апреля 2024 года, rus.sectsco.org/20240426/1350100.html"
            "\n\nВ сообщении также говорится: «министры обсудили ход подготовки совместных учений».",
            2: "План мероприятий ШОС на 2025 год, 31 декабря 2024 г., https://rus.sectsco.org/20241231/1700001.html",
        },
        links="text",
    ),
    "42-en-docx-numbered-list": Spec(
        "Briefing: SCO and Afghanistan",
        [
            "The SCO-Afghanistan Contact Group met on 13 July 2021 [1]. The foreign ministers "
            'called for "an independent, neutral, united, democratic and peaceful state" [2].',
        ],
        {
            1: "Meeting of the SCO-Afghanistan Contact Group, 13 July 2021, https://eng.sectsco.org/news/20210713/768100.html",
            2: "Joint statement of the SCO-Afghanistan Contact Group, 14.07.2021, "
            "https://eng.sectsco.org/news/20210714/768240.html",
        },
        kind="numbered",
    ),
}


# (output, source, LibreOffice filter): Writer opens the source and saves it in the new format
OFFICE = (
    ("27-de-odt-footnotes.odt", "23-de-docx-footnotes.docx", "odt"),
    ("28-de-odt-sup-ol.odt", "17-de-html-sup-ol.html", "odt:writer8"),
    ("29-en-odt-endnotes.odt", "24-en-docx-endnotes.docx", "odt"),
    ("30-de-pdf-footnotes.pdf", "23-de-docx-footnotes.docx", "pdf:writer_pdf_Export"),
    ("31-de-pdf-sup-ol.pdf", "28-de-odt-sup-ol.odt", "pdf:writer_pdf_Export"),
    ("32-ru-pdf-footnotes.pdf", "26-ru-docx-footnotes.docx", "pdf:writer_pdf_Export"),
    ("33-de-pdf-reference-list.pdf", "25-de-docx-reference-list.docx", "pdf:writer_pdf_Export"),
    ("37-de-odt-long-urls.odt", "36-de-html-long-urls.html", "odt:writer8"),
    ("38-de-pdf-long-urls.pdf", "37-de-odt-long-urls.odt", "pdf:writer_pdf_Export"),
    ("39-en-pdf-hard-wrapped.pdf", "08-en-ranges-wrapped.txt", "pdf:writer_pdf_Export"),  # printed text
    ("43-en-pdf-numbered-list.pdf", "42-en-docx-numbered-list.docx", "pdf:writer_pdf_Export"),
    # the example briefing, as Writer saves the Word version with its own footnotes
    ("../example.odt", "../example-footnotes.docx", "odt"),
    ("../example.pdf", "../example-footnotes.docx", "pdf:writer_pdf_Export"),
)


def convert(source: Path, target: Path, fmt: str) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise SystemExit("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
             "--outdir", out, str(source)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        (converted,) = Path(out).iterdir()
        shutil.move(converted, target)


if __name__ == "__main__":
    for name, spec in SPECS.items():
        build(spec).save(HERE / f"{name}.docx")
    if "--office" in sys.argv:
        for target, source, fmt in OFFICE:
            convert(HERE / source, HERE / target, fmt)
