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


def status_text(head: bytes | None, status: int) -> str:
    """``HTTP 500 Internal Server Error``: the status and reason phrase a response head gives."""
    status_line = (head or b"").split(b"\r\n", 1)[0].decode("iso-8859-1")
    reason = status_line.split(" ", 1)[-1].strip() if " " in status_line else ""
    return f"HTTP {reason}" if reason else f"HTTP {status}"


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
        wbits = 16 + zlib.MAX_WBITS
    elif encoding == "deflate":
        wbits = zlib.MAX_WBITS
    else:
        raise ValueError(f"unsupported Content-Encoding {content_encoding!r}")
    first = body.read(DECODE_CHUNK)
    if encoding == "deflate" and not _zlib_wrapped(first):
        wbits = -zlib.MAX_WBITS  # raw RFC 1951 data, as many servers send for "deflate"
    decompressor = zlib.decompressobj(wbits)
    out = bytearray()
    try:
        chunk = first
        while chunk:
            data = chunk
            while data:
                out += decompressor.decompress(data, limit + 1 - len(out))
                if len(out) > limit:
                    raise BodyTooLarge(limit, bytes(out[:limit]))
                data = decompressor.unconsumed_tail
            if decompressor.eof:
                break
            chunk = body.read(DECODE_CHUNK)
    except zlib.error as exc:
        raise ValueError(f"corrupt {encoding} body: {exc}") from None
    return bytes(out)


def _zlib_wrapped(data: bytes) -> bool:
    """Whether data opens with an RFC 1950 zlib header (deflate method, valid check bits).

    HTTP's ``deflate`` means zlib-wrapped data, but servers often send raw deflate instead;
    browsers accept both by looking at these two bytes, and so do we.
    """
    return len(data) >= 2 and data[0] & 0x0F == 8 and data[0] >> 4 <= 7 and (data[0] << 8 | data[1]) % 31 == 0


HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
