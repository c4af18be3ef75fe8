"""Reading a briefing file: which format it is, and its citations.

The format comes from the file's extension, else from its content (a briefing is often saved
under a name without one). Text is taken as UTF-8 or BOM-marked UTF-16 and anything else is
refused: a guessed encoding would silently garble the quotations the check compares.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from scoarchive.briefing.citations import citations
from scoarchive.briefing.formats.docx import read_docx
from scoarchive.briefing.formats.html import read_html
from scoarchive.briefing.formats.markdown import read_markdown
from scoarchive.briefing.formats.odt import ODT_MIMETYPE, read_odt
from scoarchive.briefing.formats.pdf import read_pdf
from scoarchive.briefing.formats.text import read_text
from scoarchive.briefing.model import Briefing, BriefingError, Document, Format

FORMATS = {
    ".txt": Format.TXT,
    ".text": Format.TXT,
    ".md": Format.MD,
    ".markdown": Format.MD,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".docx": Format.DOCX,
    ".odt": Format.ODT,
    ".pdf": Format.PDF,
}


_TEXT_READERS: dict[Format, Callable[[str], Document]] = {
    Format.TXT: read_text,
    Format.MD: read_markdown,
    Format.HTML: read_html,
}


_BINARY_READERS: dict[Format, Callable[[bytes], Document]] = {
    Format.DOCX: read_docx,
    Format.ODT: read_odt,
    Format.PDF: read_pdf,
}


_MAGIC = {
    Format.DOCX: (b"PK\x03\x04", "not a ZIP archive"),
    Format.ODT: (b"PK\x03\x04", "not a ZIP archive"),
    Format.PDF: (b"%PDF-", "no %PDF- header"),
}


_FORMAT_NAMES = {"txt": Format.TXT, "text": Format.TXT, "md": Format.MD, "markdown": Format.MD}
_FORMAT_NAMES |= {"html": Format.HTML, "htm": Format.HTML}


_BOMS_16 = (b"\xff\xfe", b"\xfe\xff")


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is refused, not guessed at."""
    if b"\x00" in data and not data.startswith(_BOMS_16):
        raise BriefingError(f"{name} is a binary file, not a briefing")
    try:
        if data.startswith(_BOMS_16):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BriefingError(
            f"{name} is not UTF-8 text (binary, or another encoding: save as UTF-8)"
        ) from None


_HTML_SNIFF = re.compile(r"^\s*(?:<!doctype html|<html|<head|<body|<p[\s>]|<div[\s>])", re.IGNORECASE)


_MD_SNIFF = re.compile(r"^ {0,3}#{1,6} |\]\(https?://|<https?://|\[\^\d+\]", re.MULTILINE)


def detect_format(path: Path, data: bytes) -> Format:
    """The briefing's format: from the file's extension, else from its content."""
    return FORMATS.get(path.suffix.lower()) or _sniff(data, str(path))


def _sniff(data: bytes, name: str) -> Format:
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                if "word/document.xml" in names:
                    return Format.DOCX
                if "mimetype" in names and archive.read("mimetype").startswith(ODT_MIMETYPE.encode()):
                    return Format.ODT
        except zipfile.BadZipFile:
            pass
        raise BriefingError(f"{name}: unknown briefing format (a ZIP file that is neither DOCX nor ODT)")
    if data.startswith(b"%PDF-"):
        return Format.PDF
    if b"\x00" in data[:4096] and not data.startswith(_BOMS_16):
        raise BriefingError(f"{name}: unknown briefing format (binary; known: {', '.join(FORMATS)})")
    text = decode_text(data, name)
    if _HTML_SNIFF.match(text):
        return Format.HTML
    return Format.MD if _MD_SNIFF.search(text) else Format.TXT


def parse_briefing(path: Path) -> Briefing:
    """The citations of a briefing file; the format comes from the extension, else from the content."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BriefingError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise BriefingError(f"{path} is empty")
    fmt = detect_format(path, data)
    if fmt in _BINARY_READERS:
        magic, missing = _MAGIC[fmt]
        if not data.startswith(magic):
            raise BriefingError(f"{path} is not a {fmt.upper()} file ({missing})")
        briefing = _briefing(_BINARY_READERS[fmt](data), fmt, str(path))
    else:
        briefing = parse_text(decode_text(data, str(path)), fmt, name=str(path))
    briefing.source = path
    return briefing


def parse_text(text: str, fmt: str, *, name: str = "briefing") -> Briefing:
    """The citations of a briefing given as text: ``fmt`` is txt, md or html (or markdown, htm, text)."""
    kind = _FORMAT_NAMES.get(fmt.lower().lstrip("."))
    if kind is None:
        known = ", ".join(sorted(set(_FORMAT_NAMES.values())))
        binary = fmt.lower().lstrip(".")
        hint = f" ({binary.upper()} is binary: use parse_briefing)" if binary in set(_BINARY_READERS) else ""
        raise BriefingError(f"unknown briefing format {fmt!r}{hint}; known: {known}")
    if not text.strip():
        raise BriefingError(f"{name} is empty")
    if "\x00" in text:
        raise BriefingError(f"{name} is a binary file, not a briefing")
    return _briefing(_TEXT_READERS[kind](text), kind, name)


def _briefing(document: Document, fmt: Format, name: str) -> Briefing:
    found = citations(document.blocks)
    if not found:
        raise BriefingError(f"{name}: no citations found (no footnote or paragraph with a URL)")
    return Briefing(document.title, fmt, None, found)
