"""Reading records back: by offset (one seek), file by file, and past damage.

The one reader everything uses: the loader, fixity, replay, bundles, status. Every record is its
own gzip member; reading a whole file goes member by member (:func:`scan`): each member is
decompressed once with zlib, which checks its CRC and length, so any damage is found and named
at the member's offset, and warcio parses the record from the decompressed bytes. After damage,
reading resumes at the next member that holds a whole WARC record. Reading one record by offset
(:func:`open_record`) streams it through warcio; a response read for replay is checked against
its length and payload digest as it is read (:class:`ArchivedResponse`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader

from scoarchive.core.httpmsg import parse_headers
from scoarchive.warc.records import sha1_digest


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


READ_CHUNK = 1 << 20  # bytes read from the file at a time
FEED_CHUNK = 1 << 16  # compressed bytes given to zlib at a time
OUT_CHUNK = 1 << 20  # decompressed bytes made at a time (a gzip bomb stays in bounds)
SPOOL_IN_MEMORY = 4 << 20  # a decompressed member larger than this goes to a temporary file
GZIP_MAGIC = b"\x1f\x8b\x08"  # a gzip member header (deflate)
WARC_START = b"WARC/"


@dataclass(frozen=True)
class Damage:
    """Where a file is not readable (a gzip member that gives no whole record), and why in one
    line; reading resumes at the next whole record after it."""

    offset: int
    reason: str


@dataclass(frozen=True)
class StoredRecord:
    """A record as read from its gzip member: where the member starts, its length in the file
    (both what an index stores), the record with its content stream, and ``missing``: bytes of
    its block the member does not hold (a record cut short; 0 for a whole one)."""

    offset: int
    length: int
    record: ArcWarcRecord
    missing: int


class _Unreadable(Exception):
    """A gzip member that does not give a whole WARC record, with the one-line reason."""


class _Spool:
    """A member's decompressed bytes: in memory while small (a plain BytesIO, the fastest for
    warcio's line reads), in a temporary file once over :data:`SPOOL_IN_MEMORY`."""

    def __init__(self) -> None:
        self.head = b""  # the first bytes, to tell a WARC record early
        self.parts: list[bytes] = []
        self.size = 0
        self.file: IO[bytes] | None = None

    def write(self, data: bytes) -> None:
        if len(self.head) < len(WARC_START):
            self.head += data[: len(WARC_START)]
        self.size += len(data)
        if self.file is None and self.size > SPOOL_IN_MEMORY:
            self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the member
            self.file.writelines(self.parts)
            self.parts = []
        if self.file is not None:
            self.file.write(data)
        elif data:
            self.parts.append(data)

    def stream(self) -> IO[bytes]:
        """The bytes written, at their start (the caller closes it)."""
        if self.file is None:
            return io.BytesIO(b"".join(self.parts))
        self.file.seek(0)
        return self.file

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()


class _Members:
    """Gzip members one after another from an open file, each decompressed once, whole and
    checked (zlib verifies the CRC and length of each member) before anything is parsed: warcio
    ends a damaged member quietly, as if the file ended there."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.base = 0  # the file offset of the buffer's first byte
        self.buffer = b""  # bytes read from the file and not yet decompressed start at ``used``
        self.used = 0

    @property
    def offset(self) -> int:
        """Where the next member starts."""
        return self.base + self.used

    def seek(self, offset: int) -> None:
        self.handle.seek(offset)
        self.base, self.buffer, self.used = offset, b"", 0

    def _fill(self) -> bool:
        """More of the file in the buffer if it is used up; False at the end of the file."""
        if self.used < len(self.buffer):
            return True
        self.base += len(self.buffer)
        self.buffer, self.used = self.handle.read(READ_CHUNK), 0
        return bool(self.buffer)

    def at_end(self) -> bool:
        return not self._fill()

    def inflate(self) -> tuple[int, int, IO[bytes]]:
        """The member at :attr:`offset`: its offset, compressed length and content (a spooled
        file at its start), the reader moved past it; :class:`_Unreadable` if it is not whole."""
        start = self.offset
        inflater = zlib.decompressobj(31)
        content = _Spool()
        try:
            while not inflater.eof:
                if self._fill():
                    # small pieces: zlib copies what it leaves of a piece past the member's end
                    piece = memoryview(self.buffer)[self.used : self.used + FEED_CHUNK]
                    out = inflater.decompress(piece, OUT_CHUNK)
                    left = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
                    self.used += len(piece) - len(left)  # (at the end, both hold what follows)
                else:
                    out = inflater.decompress(b"", OUT_CHUNK)  # what zlib still holds, if anything
                    if not out and not inflater.eof:
                        raise _Unreadable("gzip member cut short by the end of the file")
                content.write(out)
                if not WARC_START.startswith(content.head[: len(WARC_START)]):
                    raise _Unreadable("gzip member that does not hold a WARC record")
            if len(content.head) < len(WARC_START):
                raise _Unreadable("gzip member that does not hold a WARC record")
        except zlib.error as exc:
            content.discard()
            raise _Unreadable(f"damaged gzip member: {exc}") from None
        except _Unreadable:
            content.discard()
            raise
        return start, self.offset - start, content.stream()

    def resync(self, after: int) -> tuple[int, int, IO[bytes]] | None:
        """The first whole record member after ``after`` (damage): a member header counts only
        if its member decompresses cleanly into a WARC record, since a gzip-encoded payload
        stored as it came carries its own gzip header inside a record's member."""
        position = after
        while (candidate := self._find_magic(position)) is not None:
            self.seek(candidate)
            try:
                return self.inflate()
            except _Unreadable:
                position = candidate + 1
        return None

    def _find_magic(self, start: int) -> int | None:
        self.handle.seek(start)
        position, carry = start, b""
        while chunk := self.handle.read(READ_CHUNK):
            data = carry + chunk
            found = data.find(GZIP_MAGIC)
            if found >= 0:
                return position - len(carry) + found
            carry = data[-(len(GZIP_MAGIC) - 1) :]
            position += len(chunk)
        return None


def scan(path: Path, *, parse_http: bool = True) -> Iterator[StoredRecord | Damage]:
    """Every record of a file, read member by member, and a :class:`Damage` at the offset of
    every member that is not whole (one line saying why); never raises on bad data.

    After damage, reading resumes at the next member that holds a whole WARC record, so one
    damaged member costs only its own record. ``parse_http=False`` leaves a record's HTTP head
    in its content stream (for digests over the whole block). A record's stream must be read
    (or left) before the next item is asked for.
    """
    with open(path, "rb") as handle:
        members = _Members(handle)
        loader = ArcWarcRecordLoader()
        while not members.at_end():
            start = members.offset
            try:
                member: tuple[int, int, IO[bytes]] | None = members.inflate()
            except _Unreadable as exc:
                yield Damage(start, str(exc))
                member = members.resync(start + 1)
            if member is None:
                return
            offset, length, content = member
            with content:
                yield from _records_of(loader, offset, length, content, parse_http)


def _records_of(
    loader: ArcWarcRecordLoader, offset: int, length: int, content: IO[bytes], parse_http: bool
) -> Iterator[StoredRecord | Damage]:
    """The record(s) of one whole member. A member holding several records (not written here;
    WARC asks for one record per member) gives each the member's offset, the only one a reader
    can seek to."""
    size = content.seek(0, io.SEEK_END)
    content.seek(0)
    while content.tell() < size:
        try:
            record = loader.parse_record_stream(content, known_format="warc", no_record_parse=not parse_http)
        except Exception as exc:  # warcio raises many kinds of error on a malformed record
            detail = " ".join(str(exc).split())[:100]
            yield Damage(offset, f"unreadable record: {type(exc).__name__}: {detail}".rstrip(": "))
            return
        remaining = getattr(record.raw_stream, "limit", 0)
        end = content.tell() + remaining
        yield StoredRecord(offset, length, record, max(0, end - size))
        content.seek(min(end, size))
        while (byte := content.read(1)) in (b"\r", b"\n"):  # the blank lines after a record
            pass
        if byte:
            content.seek(-1, io.SEEK_CUR)


class DamagedWarc(ValueError):
    """A file read with :func:`iter_records` is damaged at ``damage.offset``."""

    def __init__(self, damage: Damage) -> None:
        super().__init__(f"damaged WARC data at offset {damage.offset}: {damage.reason}")
        self.damage = damage


def iter_records(path: Path) -> Iterator[tuple[int, ArcWarcRecord]]:
    """Every record of a file with its offset, its content stream still unread; raises
    :class:`DamagedWarc` at the first damage (:func:`scan_records` reads past it)."""
    for item in scan_records(path):
        if isinstance(item, Damage):
            raise DamagedWarc(item)
        yield item


def scan_records(path: Path) -> Iterator[tuple[int, ArcWarcRecord] | Damage]:
    """Every readable record of a file with its offset, and a :class:`Damage` wherever it is not.

    Never raises on bad data (see :func:`scan`). A record cut short (its member is whole but
    holds less of the block than its Content-Length says) is followed by a Damage at its own
    offset, so a caller that kept it can drop it.
    """
    for item in scan(path):
        if isinstance(item, Damage):
            yield item
            continue
        yield item.offset, item.record
        if item.missing:
            yield Damage(item.offset, f"record cut short: {item.missing} bytes of its block missing")


MAX_HEAD = 1 << 20


STREAM_CHUNK = 1 << 16


@dataclass
class ArchivedResponse:
    """An HTTP response as stored in a WARC record: status and header fields as received (names,
    order and values unchanged), and the stored body as a stream from the WARC file.

    The body is checked as it is read: a body shorter than its record says, or whose digest is
    not the record's ``WARC-Payload-Digest``, raises :class:`DamagedBody` at its end (warcio
    ends a damaged gzip member quietly), so replay never serves damaged bytes as the archive's.
    """

    status: int
    headers: list[tuple[str, str]]
    body_length: int
    _first: bytes
    _stream: BinaryIO
    _handle: BinaryIO
    _where: str = ""
    _payload_digest: str | None = None

    def read(self) -> bytes:
        """The whole body (for bodies small enough to hold)."""
        try:
            body = self._first + self._stream.read()
            hasher = hashlib.sha1(body)
            self._check(len(body), hasher)
            return body
        finally:
            self.close()

    def chunks(self) -> Iterator[bytes]:
        """The body in pieces, for bodies too large to hold; closes the file at the end."""
        hasher, size = hashlib.sha1(), 0
        try:
            chunk = self._first
            while chunk:
                hasher.update(chunk)
                size += len(chunk)
                yield chunk
                chunk = self._stream.read(STREAM_CHUNK)
            self._check(size, hasher)
        finally:
            self.close()

    def close(self) -> None:
        self._handle.close()

    def _check(self, size: int, hasher: hashlib._Hash) -> None:
        if size != self.body_length:
            raise DamagedBody(
                f"record at {self._where} damaged: body of {size} bytes, not {self.body_length}"
            )
        if self._payload_digest and sha1_digest(hasher) != self._payload_digest:
            raise DamagedBody(f"record at {self._where} damaged: its body does not match WARC-Payload-Digest")


class DamagedBody(ValueError):
    """The stored body of a record is not what its record says (damaged WARC data)."""


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
        where = f"{warc_file}@{warc_offset}"
        digest = warc.rec_headers.get_header("WARC-Payload-Digest") if warc.rec_type == "response" else None
        return ArchivedResponse(
            status, parse_headers(head), block_length - end, buffer[end:], stream, handle, where, digest
        )
    except LookupError:
        handle.close()
        raise
    except Exception as exc:
        handle.close()
        raise LookupError(f"record at {warc_file}@{warc_offset} unreadable: {exc}") from None
