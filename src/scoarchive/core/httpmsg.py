"""Small helpers for HTTP messages as the archive stores them.

The archive keeps bodies content-encoded, exactly as the server sent them; everything that
reads them (link discovery, extraction, replay for a browser) decodes through
:func:`decode_body`, which stops at a hard bound so a gzip bomb costs a bounded amount of
memory and time.
"""

from __future__ import annotations

import zlib
from typing import BinaryIO

DECODE_CHUNK = 1 << 16


class BodyTooLarge(ValueError):
    """The decoded body exceeded the caller's bound; the partial text is on ``.partial``."""

    def __init__(self, limit: int, partial: bytes) -> None:
        super().__init__(f"decoded body exceeds {limit} bytes")
        self.partial = partial


def parse_headers(head: bytes) -> list[tuple[str, str]]:
    """The header fields of a status line + headers block, in order, names as sent."""
    lines = head.decode("iso-8859-1").split("\r\n")[1:]
    fields: list[tuple[str, str]] = []
    for line in lines:
        if not line:
            break
        name, _, value = line.partition(":")
        fields.append((name.strip(), value.strip()))
    return fields


def header_value(fields: list[tuple[str, str]], name: str) -> str | None:
    """The first value of a header, case-insensitively."""
    wanted = name.lower()
    return next((value for key, value in fields if key.lower() == wanted), None)


def media_type(content_type: str | None) -> str:
    """``text/html`` from ``text/html; charset=utf-8``; empty when unknown."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def decode_body(body: BinaryIO, content_encoding: str | None, limit: int) -> bytes:
    """The body with its Content-Encoding removed, reading at most ``limit`` decoded bytes.

    Raises BodyTooLarge (carrying the first ``limit`` bytes) instead of inflating further,
    and ValueError for a body that is not valid in its declared encoding.
    """
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        data = body.read(limit + 1)
        if len(data) > limit:
            raise BodyTooLarge(limit, data[:limit])
        return data
    if encoding in ("gzip", "x-gzip"):
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decompressor = zlib.decompressobj()
    else:
        raise ValueError(f"unsupported Content-Encoding {content_encoding!r}")
    out = bytearray()
    try:
        while chunk := body.read(DECODE_CHUNK):
            data = chunk
            while data:
                out += decompressor.decompress(data, limit + 1 - len(out))
                if len(out) > limit:
                    raise BodyTooLarge(limit, bytes(out[:limit]))
                data = decompressor.unconsumed_tail
            if decompressor.eof:
                break
    except zlib.error as exc:
        raise ValueError(f"corrupt {encoding} body: {exc}") from None
    return bytes(out)


HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
