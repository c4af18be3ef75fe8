from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from scoarchive.briefing.citations import _citations
from scoarchive.briefing.formats.docx import _docx_blocks
from scoarchive.briefing.formats.html import _html_blocks
from scoarchive.briefing.formats.markdown import _markdown_blocks
from scoarchive.briefing.formats.text import _text_blocks
from scoarchive.briefing.model import Briefing, BriefingError, _Block
from scoarchive.briefing.quotations import _squash

FORMATS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
}


_FORMAT_NAMES = {"txt": "txt", "text": "txt", "md": "md", "markdown": "md", "html": "html", "htm": "html"}


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is refused, not guessed at."""
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BriefingError(f"{name} is a binary file, not a briefing")
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BriefingError(
            f"{name} is not UTF-8 text (binary, or another encoding: save as UTF-8)"
        ) from None


_HTML_SNIFF = re.compile(r"^\s*(?:<!doctype html|<html|<head|<body|<p[\s>]|<div[\s>])", re.IGNORECASE)


_MD_SNIFF = re.compile(r"^ {0,3}#{1,6} |\]\(https?://|<https?://|\[\^\d+\]", re.MULTILINE)


def detect_format(path: Path, data: bytes) -> str:
    """txt, md, html or docx: from the file's extension, else from its content."""
    return FORMATS.get(path.suffix.lower()) or _sniff(data, str(path))


def _sniff(data: bytes, name: str) -> str:
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
        raise BriefingError(f"{name}: unknown briefing format (a ZIP file that is not DOCX)")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BriefingError(f"{name}: unknown briefing format (binary; known: {', '.join(FORMATS)})")
    text = decode_text(data, name)
    if _HTML_SNIFF.match(text):
        return "html"
    return "md" if _MD_SNIFF.search(text) else "txt"


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
    if fmt == "docx":
        if not data.startswith(b"PK\x03\x04"):
            raise BriefingError(f"{path} is not a DOCX file (not a ZIP archive)")
        title, blocks = _docx_blocks(data)
        briefing = _briefing(title, "docx", blocks, str(path))
    else:
        briefing = parse_text(decode_text(data, str(path)), fmt, name=str(path))
    briefing.source = path
    return briefing


def parse_text(text: str, fmt: str, *, name: str = "briefing") -> Briefing:
    """The citations of a briefing given as text: ``fmt`` is txt, md or html (or markdown, htm, text)."""
    kind = _FORMAT_NAMES.get(fmt.lower().lstrip("."))
    if kind is None:
        known = ", ".join(sorted(set(_FORMAT_NAMES.values())))
        hint = " (DOCX is binary: use parse_briefing)" if fmt.lower().lstrip(".") == "docx" else ""
        raise BriefingError(f"unknown briefing format {fmt!r}{hint}; known: {known}")
    if not text.strip():
        raise BriefingError(f"{name} is empty")
    if "\x00" in text:
        raise BriefingError(f"{name} is a binary file, not a briefing")
    if kind == "html":
        title, blocks = _html_blocks(text)
    elif kind == "md":
        title, blocks = _markdown_blocks(text)
    else:
        blocks = _text_blocks(text)
        title = _squash(blocks[0].text.splitlines()[0]) if blocks else ""
    return _briefing(title, kind, blocks, name)


def _briefing(title: str, kind: str, blocks: list[_Block], name: str) -> Briefing:
    citations = _citations(blocks)
    if not citations:
        raise BriefingError(f"{name}: no citations found (no footnote or paragraph with an http(s) URL)")
    return Briefing(title, kind, None, citations)
