"""The replica's binary assets, generated in code: JPEG photos, the PNG logo, PDFs, the large
file and the gzip bomb, and the stylesheet.

The replica needs no data files and every byte is reproducible from the seed. The large file and
the bomb are built once per size per process and streamed or shared, never rebuilt per request.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import zlib
from collections.abc import Iterator


def png_bytes(rgb: tuple[int, int, int], size: int = 16) -> bytes:
    """A small solid-colour PNG, built by hand so no imaging library is needed."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    row = b"\x00" + bytes(rgb) * size
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    idat = zlib.compress(row * size, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PHOTO_MIN_BYTES = 40_000
PHOTO_MAX_BYTES = 120_000


def jpeg_bytes(key: str) -> bytes:
    """A valid 8x8 greyscale baseline JPEG of news-photo weight, derived from ``key``.

    One DC-only block with hand-made Huffman tables (DC category k -> 4-bit code k; AC: EOB -> '0')
    is the smallest thing real decoders accept; the COM segment makes every photo's bytes unique.
    """
    digest = hashlib.sha256(key.encode()).digest()
    dc = (32 + digest[0] % 192 - 128) * 8  # DC coefficient of a flat block, quantiser 1
    cat = abs(dc).bit_length()
    value = dc if dc >= 0 else (dc - 1) & ((1 << cat) - 1)
    bits = f"{cat:04b}" + (f"{value:0{cat}b}" if cat else "") + "0"
    bits += "1" * (-len(bits) % 8)
    scan = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)).replace(b"\xff", b"\xff\x00")

    def seg(marker: int, payload: bytes) -> bytes:
        return struct.pack(">HH", marker, len(payload) + 2) + payload

    comment = f"scoarchive replica photo {key} {digest.hex()} {digest.hex()}".encode()
    # A news photo weighs tens of kilobytes of incompressible data: carried in APP2 segments
    # (which decoders skip), so crawls of the replica write as many bytes as real ones.
    weight = PHOTO_MIN_BYTES + int.from_bytes(digest[1:4], "big") % (PHOTO_MAX_BYTES - PHOTO_MIN_BYTES)
    noise = hashlib.shake_256(digest).digest(weight)
    padding = [seg(0xFFE2, noise[i : i + 65000]) for i in range(0, weight, 65000)]
    return b"".join(
        (
            b"\xff\xd8",
            seg(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            seg(0xFFFE, comment),
            *padding,
            seg(0xFFDB, b"\x00" + b"\x01" * 64),
            seg(0xFFC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00"),
            seg(0xFFC4, b"\x00" + bytes([0, 0, 0, 12] + [0] * 12) + bytes(range(12))),
            seg(0xFFC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00"),
            seg(0xFFDA, b"\x01\x01\x00\x00\x3f\x00"),
            scan,
            b"\xff\xd9",
        )
    )


def _pdf_text(text: str) -> str:
    """Escape a string for a PDF literal; characters outside cp1252 cannot be shown by Helvetica."""
    text = text.encode("cp1252", "replace").decode("cp1252")
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf_bytes(title: str, lines: list[str]) -> bytes:
    """A real one-page PDF with a text layer (Helvetica, WinAnsi) and ``title`` in its Info.

    The Info title is UTF-16 so Russian and Chinese titles survive; the page text should be the
    Latin-script version, since the standard fonts cannot render other scripts.
    """
    ops = " ".join(f"{_pdf_text(line)} '" for line in lines)
    stream = f"BT /F1 12 Tf 16 TL 72 770 Td {ops} ET".encode("cp1252", "replace")
    info_title = "<FEFF" + title.encode("utf-16-be").hex().upper() + ">"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        f"<< /Title {info_title} /Producer (scoarchive replica) >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


_LARGE_HEAD = b"%PDF-1.4\n% scoarchive replica: deliberately oversized file for crawler limits\n"
_LARGE_TAIL = b"\n%%EOF\n"
_LARGE_LINE = b"% filler line of the large-file fault, identical on every request ...........\n"
CHUNK = 64 * 1024
_LARGE_BLOCK = _LARGE_LINE * (CHUNK // len(_LARGE_LINE) + 2)  # any 64 KiB window at any phase


def large_file_chunks(size: int) -> Iterator[bytes]:
    """Yield exactly ``size`` bytes in chunks of at most 64 KiB, never holding the whole file.

    The bytes look like a PDF (header, comment filler, ``%%EOF``) once ``size`` can hold both ends.
    """
    head = _LARGE_HEAD[:size]
    tail = _LARGE_TAIL[: max(0, size - len(head))]
    yield head
    filler = size - len(head) - len(tail)
    block = memoryview(_LARGE_BLOCK)
    phase = 0
    while filler > 0:
        n = min(CHUNK, filler)
        start = phase % len(_LARGE_LINE)
        yield bytes(block[start : start + n])
        phase += n
        filler -= n
    yield tail


_digest_lock = threading.Lock()
_large_digests: dict[int, str] = {}


def large_file_digest(size: int) -> str:
    """Content hash of the large file, computed once per size by streaming (for its ETag)."""
    with _digest_lock:
        if size not in _large_digests:
            h = hashlib.sha256()
            for part in large_file_chunks(size):
                h.update(part)
            _large_digests[size] = h.hexdigest()
        return _large_digests[size]


_bomb_lock = threading.Lock()
_bombs: dict[int, bytes] = {}
_BOMB_PREFIX = b"<!DOCTYPE html><html><head><title>bomb</title></head><body>"


def gzip_bomb(size: int) -> bytes:
    """Gzip stream that inflates to ``size`` bytes of HTML-ish whitespace (~1000:1).

    Computed once per size per process: compressing 200 MiB takes about a second, so the first
    request pays it and later ones (and other threads waiting on the lock) reuse the bytes.
    """
    with _bomb_lock:
        if size not in _bombs:
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)
            prefix = _BOMB_PREFIX[:size]
            parts = [comp.compress(prefix)]
            spaces = memoryview(b" " * 2**20)
            remaining = size - len(prefix)
            while remaining > 0:
                n = min(remaining, len(spaces))
                parts.append(comp.compress(spaces[:n]))
                remaining -= n
            parts.append(comp.flush())
            _bombs[size] = b"".join(parts)
        return _bombs[size]


CSS = b"""/* scoarchive replica stylesheet */
body { font-family: Georgia, serif; margin: 0 auto; max-width: 60em; color: #222; }
.site-header { background: #0b3d91; color: #fff; padding: 0.5em 1em; }
.site-header a { color: #fff; margin-right: 1em; }
.menu ul { list-style: none; display: flex; gap: 1em; padding: 0; }
article h1 { font-size: 1.6em; }
figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; }
.share a, .pagination a { margin-right: 0.6em; }
.site-footer { border-top: 1px solid #ccc; font-size: 0.8em; padding: 1em; }
"""
