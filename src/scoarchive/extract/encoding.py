"""Decoding a page's bytes to text as browsers do, and where browsers guess, guessing well.

Russian pages are windows-1251 and Chinese pages GB18030, declared only in ``<meta charset>``.
Rather than leave it to trafilatura's charset detection, we decode the bytes ourselves:

1. a BOM;
2. UTF-8, when the bytes are valid UTF-8 and not plain ASCII: text in a legacy encoding is
   practically never valid UTF-8 by accident, while pages re-saved as UTF-8 under a stale
   ``<meta charset=gb2312>`` are common (a browser shows those garbled; we need not);
3. the HTTP header charset, then a meta charset in the first 2 KB, each taken only if the
   bytes decode cleanly under it (servers lie);
4. when nothing decodes cleanly: the declared encoding (UTF-8 if none) with a replacement
   character for each bad byte, as a browser does, if the bad bytes are few; if they are most
   of the text, charset detection (``charset_normalizer``, which trafilatura itself uses):
   Chinese pages saved without their HTTP header declare nothing and are GBK, which is what a
   browser in a Chinese locale would assume.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

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
    """Declared encodings, most authoritative first: BOM, HTTP header, meta charset."""
    candidates: list[str] = []
    for bom, name in _BOM:
        if data.startswith(bom):
            candidates.append(name)
    if content_type and (declared := _HEADER_CHARSET.search(content_type)):
        candidates.append(declared.group(1))
    if meta := _META_CHARSET.search(data[:SNIFF_BYTES]):
        candidates.append(meta.group(1).decode("ascii"))
    codecs_found: list[str] = []
    for label in candidates:
        codec = _codec(label)
        if codec and codec not in codecs_found:
            codecs_found.append(codec)
    return codecs_found


# Replacement characters, per non-ASCII character, up to which a page is taken as damaged text
# in its declared encoding (a few stray bytes) rather than as text in another encoding.
MAX_DAMAGE = 0.05


def _detected(data: bytes) -> str | None:
    best = from_bytes(data).best()
    return _codec(best.encoding) if best is not None else None


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The page as text and the codec used (see the module docstring for the order).

    When nothing decodes cleanly, a few bad bytes in the declared encoding (UTF-8 if none) cost
    a replacement character each, not the page; text that is mostly undecodable under it is
    decoded with the detected encoding instead.
    """
    declared = sniff_encoding(data, content_type)
    if data.isascii():
        return data.decode("ascii"), declared[0] if declared else "utf-8"
    has_bom = any(data.startswith(bom) for bom, _ in _BOM)
    for name in dict.fromkeys([*declared[:has_bom], "utf-8", *declared[has_bom:]]):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        return text.removeprefix("\ufeff"), name
    name = declared[0] if declared else "utf-8"
    text = data.decode(name, errors="replace").removeprefix("\ufeff")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    if text.count("\ufffd") > MAX_DAMAGE * non_ascii and (detected := _detected(data)):
        return data.decode(detected, errors="replace").removeprefix("\ufeff"), detected
    return text, name
