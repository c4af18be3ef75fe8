"""Reading records back: by offset (one seek), file by file, and past damage.

The one reader everything uses: the loader, fixity, replay, bundles, status. Reading goes
through warcio. Every record is its own gzip member, so a reader that meets damage resumes at
the next member header (:func:`next_gzip_member`) and what follows the damage stays readable:
:func:`scan_records` does that for any file, and never raises on bad data.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from scoarchive.core.httpmsg import parse_headers


@contextlib.contextmanager
def open_record(path: Path, offset: int) -> Iterator[ArcWarcRecord]:
    """The record at ``offset``, its content streamed from the file, which closes on exit."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        yield next(iter(ArchiveIterator(handle)))


def read_record(path: Path, offset: int) -> ArcWarcRecord:
    """The record at ``offset`` read whole into memory, the file closed: for records small
    enough to hold (headers, pages); :func:`open_record` streams large ones."""
    with open_record(path, offset) as record:
        record.raw_stream = io.BytesIO(record.raw_stream.read())
    return record


def read_payload(path: Path, offset: int, limit: int) -> bytes:
    """Up to ``limit`` bytes of the HTTP payload of the record at ``offset``, as stored."""
    with open_record(path, offset) as record:
        return bytes(record.raw_stream.read(limit))


def iter_records(path: Path) -> Iterator[tuple[int, ArcWarcRecord]]:
    """Every record of a file with its offset, its content stream still unread.

    (warcio's ``get_record_offset()`` reads the record to its end to learn the length, so the
    start offset is taken from the iterator before anything is read.) Raises on damage;
    :func:`scan_records` reads past it.
    """
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            yield iterator.offset, record


@dataclass(frozen=True)
class Damage:
    """Where a file stops being readable, and why (one line); reading resumes after it."""

    offset: int
    reason: str


def scan_records(path: Path) -> Iterator[tuple[int, ArcWarcRecord] | Damage]:
    """Every readable record of a file with its offset, and a :class:`Damage` wherever it is not.

    Never raises on bad data: after damage, reading resumes at the next gzip member. A record
    whose block turns out short once read (a member cut inside it) is followed by a Damage at
    its own offset, so a caller that kept it can drop it. Each record's stream must be read
    (or left) before the next item is asked for.
    """
    size = path.stat().st_size
    start: int | None = 0
    while start is not None and start < size:
        start = yield from _scan_from(path, start)


def _scan_from(path: Path, start: int) -> Generator[tuple[int, ArcWarcRecord] | Damage, None, int | None]:
    current = start
    with open(path, "rb") as handle:
        handle.seek(start)
        iterator = ArchiveIterator(handle)
        try:
            for record in iterator:
                current = iterator.offset
                yield current, record
                iterator.read_to_end()
                missing = getattr(record.raw_stream, "limit", 0)
                if missing > 0:  # a member ended inside the record: what follows is not in step
                    yield Damage(current, f"record cut short: {missing} bytes of its block missing")
                    return next_gzip_member(path, current + 1)
                current += iterator.get_record_length()
        except Exception as exc:  # warcio and zlib raise many kinds of error on bad bytes
            detail = " ".join(str(exc).split())[:100]
            yield Damage(current, f"unreadable: {type(exc).__name__}: {detail}".rstrip(": "))
            return next_gzip_member(path, current + 1)
    return None


def next_gzip_member(path: Path, start: int) -> int | None:
    """Offset of the next gzip member header at or after ``start``: where reading a damaged file
    can resume (every record is its own member, so what follows damage is still readable)."""
    magic = b"\x1f\x8b\x08"
    with open(path, "rb") as handle:
        handle.seek(start)
        position, carry = start, b""
        while chunk := handle.read(1 << 20):
            data = carry + chunk
            found = data.find(magic)
            if found >= 0:
                return position - len(carry) + found
            carry = data[-2:]
            position += len(chunk)
    return None


MAX_HEAD = 1 << 20


STREAM_CHUNK = 1 << 16


@dataclass
class ArchivedResponse:
    """An HTTP response as stored in a WARC record: status and header fields as received (names,
    order and values unchanged), and the stored body as a stream from the WARC file."""

    status: int
    headers: list[tuple[str, str]]
    body_length: int
    _first: bytes
    _stream: BinaryIO
    _handle: BinaryIO

    def read(self) -> bytes:
        """The whole body (for bodies small enough to hold)."""
        try:
            return self._first + self._stream.read()
        finally:
            self.close()

    def chunks(self) -> Iterator[bytes]:
        """The body in pieces, for bodies too large to hold; closes the file at the end."""
        try:
            if self._first:
                yield self._first
            while chunk := self._stream.read(STREAM_CHUNK):
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        self._handle.close()


def read_response(warcs: Path, warc_file: str, warc_offset: int) -> ArchivedResponse:
    """Open the response record at ``warc_file``@``warc_offset``; LookupError if missing or not a response."""
    path = (warcs / warc_file).resolve()
    if path.parent != warcs.resolve():
        raise LookupError(f"WARC file name outside the archive: {warc_file!r}")
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by ArchivedResponse
    except OSError as exc:
        raise LookupError(f"WARC file unavailable: {warc_file}: {exc.strerror}") from None
    try:
        handle.seek(warc_offset)
        warc = next(iter(ArchiveIterator(handle, no_record_parse=True)))
        if warc.rec_type not in ("response", "revisit"):
            raise LookupError(f"record at {warc_file}@{warc_offset} is a {warc.rec_type}")
        stream = warc.raw_stream
        block_length = int(warc.rec_headers.get_header("Content-Length") or 0)
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = stream.read(STREAM_CHUNK)
            if not chunk or len(buffer) > MAX_HEAD:
                raise LookupError(f"record at {warc_file}@{warc_offset} has no HTTP head")
            buffer += chunk
        end = buffer.index(b"\r\n\r\n") + 4
        head = buffer[:end]
        status_line = head.split(b"\r\n", 1)[0].decode("iso-8859-1").split()
        status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 502
        return ArchivedResponse(status, parse_headers(head), block_length - end, buffer[end:], stream, handle)
    except LookupError:
        handle.close()
        raise
    except Exception as exc:
        handle.close()
        raise LookupError(f"record at {warc_file}@{warc_offset} unreadable: {exc}") from None
