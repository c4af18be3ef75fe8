"""Decoding a page's bytes to text as browsers do.

Russian pages are windows-1251 and Chinese pages GB18030, declared only in ``<meta charset>``.
Rather than leave it to trafilatura's charset detection, we decode the bytes ourselves: BOM,
then the HTTP header charset, then a meta charset in the first 2 KB, then UTF-8, each taken
only if the bytes decode cleanly under it (servers lie).
"""

from __future__ import annotations

import codecs
import re

SNIFF_BYTES = 2048


_BOM = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


_META_CHARSET = re.compile(
    rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)


_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)


# WHATWG Encoding Standard: labels that browsers decode with a superset codec.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
}


def _codec(label: str) -> str | None:
    """The Python codec for an encoding label, following the WHATWG superset mapping."""
    label = label.strip().lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def sniff_encoding(data: bytes, content_type: str | None = None) -> list[str]:
    """Candidate encodings, most authoritative first: BOM, HTTP header, meta charset, UTF-8."""
    candidates: list[str] = []
    for bom, name in _BOM:
        if data.startswith(bom):
            candidates.append(name)
    if content_type and (declared := _HEADER_CHARSET.search(content_type)):
        candidates.append(declared.group(1))
    if meta := _META_CHARSET.search(data[:SNIFF_BYTES]):
        candidates.append(meta.group(1).decode("ascii"))
    candidates.append("utf-8")
    codecs_found: list[str] = []
    for label in candidates:
        codec = _codec(label)
        if codec and codec not in codecs_found:
            codecs_found.append(codec)
    return codecs_found


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The page as text and the codec used: the first candidate that decodes cleanly.

    If none does, the most authoritative one is used with replacement characters, so one bad
    byte costs a character, not the page.
    """
    candidates = sniff_encoding(data, content_type)
    for name in candidates:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        return text.removeprefix("\ufeff"), name
    return data.decode(candidates[0], errors="replace").removeprefix("\ufeff"), candidates[0]
