"""WARC 1.1 writing: the archive's source of truth.

We write records ourselves instead of through warcio's writer for three reasons measured on
this project: warcio re-serialises HTTP headers (we must keep the bytes the server sent),
its revisit helper omits WARC-Refers-To, and its gzip level is fixed at 9 (several times
slower than level 6 for a percent or two of size).

Durability: every record is one gzip member, written and flushed before the crawler marks
its URL done, into ``*.warc.gz.open``; a file is renamed to ``*.warc.gz`` when closed and
never written again (:mod:`scoarchive.warc.recovery` closes a file a crash left open).
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from scoarchive import __version__
from scoarchive.warc.records import (
    COPY_CHUNK,
    OPEN_SUFFIX,
    WARC_VERSION,
    HttpExchange,
    PriorCapture,
    RecordRef,
    new_record_id,
    sha1_digest,
    warc_date,
)


def _header_block(fields: list[tuple[str, str]]) -> bytes:
    lines = [WARC_VERSION] + [f"{name}: {value}" for name, value in fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class WarcWriter:
    """Appends records to a series of rotating WARC files in one directory.

    One writer belongs to one crawl run; files are named
    ``{prefix}-{timestamp}-{serial}.warc.gz`` and start with a ``warcinfo`` record.
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        warcinfo: Mapping[str, str],
        *,
        max_size: int = 1_000_000_000,
        compress_level: int = 6,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.warcinfo = dict(warcinfo)
        self.max_size = max_size
        self.compress_level = compress_level
        self.closed_files: list[Path] = []
        self.bytes_written = 0
        self._serial = 0
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._warcinfo_id = ""

    # -- files -------------------------------------------------------------------------

    @property
    def current_path(self) -> Path | None:
        """The final name of the file being written (without ``.open``)."""
        return self._path

    def _open_next(self) -> None:
        while True:
            self._serial += 1
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
            name = f"{self.prefix}-{stamp}-{self._serial:05d}.warc.gz"
            path = self.directory / name
            if not path.exists() and not Path(str(path) + OPEN_SUFFIX).exists():
                break
        self._path = path
        self._file = open(str(path) + OPEN_SUFFIX, "xb")  # noqa: SIM115 - closed in close()
        self._warcinfo_id = new_record_id()
        fields = "".join(f"{key}: {value}\r\n" for key, value in self.warcinfo.items())
        block = fields.encode("utf-8")
        self._write_record(
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", self._warcinfo_id),
                ("WARC-Date", warc_date(datetime.now(UTC))),
                ("WARC-Filename", name),
                ("WARC-Block-Digest", sha1_digest(hashlib.sha1(block))),
                ("Content-Type", "application/warc-fields"),
                ("Content-Length", str(len(block))),
            ],
            [io.BytesIO(block)],
        )

    def close(self) -> None:
        """Finish the current file: fsync, then rename it to its final name."""
        if self._file is None or self._path is None:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(str(self._path) + OPEN_SUFFIX, self._path)
        self.closed_files.append(self._path)
        self._file = None
        self._path = None

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- records -----------------------------------------------------------------------

    def _write_record(
        self, fields: list[tuple[str, str]], parts: list[BinaryIO], level: int | None = None
    ) -> RecordRef:
        """Write one record as one gzip member and flush it, so a crash cannot split it."""
        assert self._file is not None and self._path is not None, "records start with _fields()"
        offset = self._file.tell()
        compressor = zlib.compressobj(self.compress_level if level is None else level, zlib.DEFLATED, 31)
        write = self._file.write
        write(compressor.compress(_header_block(fields)))
        for part in parts:
            part.seek(0)
            while chunk := part.read(COPY_CHUNK):
                write(compressor.compress(chunk))
        write(compressor.compress(b"\r\n\r\n"))
        write(compressor.flush())
        self._file.flush()
        length = self._file.tell() - offset
        self.bytes_written += length
        header = dict(fields)
        return RecordRef(self._path.name, offset, length, header["WARC-Record-ID"], header["WARC-Date"])

    def _fields(self, record_type: str, url: str, date: str) -> list[tuple[str, str]]:
        """The fields every record of a capture starts with; opens a file (with its warcinfo,
        which the fields name) when none is open, so every write begins here."""
        if self._file is None:
            self._open_next()
        return [
            ("WARC-Type", record_type),
            ("WARC-Record-ID", new_record_id()),
            ("WARC-Date", date),
            ("WARC-Target-URI", url),
            ("WARC-Warcinfo-ID", self._warcinfo_id),
        ]

    def _common(self, record_type: str, exchange: HttpExchange, date: str) -> list[tuple[str, str]]:
        fields = self._fields(record_type, exchange.url, date)
        if exchange.ip_address:
            fields.append(("WARC-IP-Address", exchange.ip_address))
        return fields

    def _write_request(self, exchange: HttpExchange, date: str, concurrent_to: str) -> None:
        fields = self._common("request", exchange, date)
        fields += [
            ("WARC-Concurrent-To", concurrent_to),
            ("WARC-Block-Digest", sha1_digest(hashlib.sha1(exchange.request_head))),
            ("Content-Type", "application/http;msgtype=request"),
            ("Content-Length", str(len(exchange.request_head))),
        ]
        self._write_record(fields, [io.BytesIO(exchange.request_head)])

    def _rotate_if_full(self) -> None:
        if self._file is not None and self._file.tell() >= self.max_size:
            self.close()

    def write_response(self, exchange: HttpExchange, *, level: int | None = None) -> RecordRef:
        """A full capture: the response record, then its request record.

        ``level`` is the gzip level of this record (None: the writer's): an already compressed
        payload (a JPEG, a gzip-encoded page) costs far less stored (level 0) than deflated
        again to no gain; the caller knows the payload's type.
        """
        date = warc_date(exchange.date)
        fields = self._common("response", exchange, date)
        fields += [
            ("WARC-Payload-Digest", exchange.payload_digest),
            ("WARC-Block-Digest", exchange.block_digest),
        ]
        if exchange.truncated:
            fields.append(("WARC-Truncated", exchange.truncated))
        fields += [
            ("Content-Type", "application/http;msgtype=response"),
            ("Content-Length", str(len(exchange.response_head) + exchange.body_length)),
        ]
        ref = self._write_record(fields, [io.BytesIO(exchange.response_head), exchange.body], level)
        self._write_request(exchange, date, ref.record_id)
        self._rotate_if_full()
        return ref

    def write_revisit(self, exchange: HttpExchange, profile: str, prior: PriorCapture) -> RecordRef:
        """A capture whose payload the archive already holds: HTTP headers only.

        ``profile`` is PROFILE_NOT_MODIFIED for a 304, PROFILE_IDENTICAL for a 200 whose body
        digest equals the prior capture's. Either way the record names the earlier one.
        """
        date = warc_date(exchange.date)
        head = exchange.response_head
        fields = self._common("revisit", exchange, date)
        fields += [
            ("WARC-Profile", profile),
            ("WARC-Refers-To", prior.record_id),
            ("WARC-Refers-To-Target-URI", prior.url),
            ("WARC-Refers-To-Date", prior.date),
            ("WARC-Payload-Digest", prior.payload_digest),
            ("WARC-Block-Digest", sha1_digest(hashlib.sha1(head))),
            ("Content-Type", "application/http;msgtype=response"),
            ("Content-Length", str(len(head))),
        ]
        ref = self._write_record(fields, [io.BytesIO(head)])
        self._write_request(exchange, date, ref.record_id)
        self._rotate_if_full()
        return ref

    def write_outlinks(self, url: str, response: RecordRef, outlinks: list[str]) -> RecordRef:
        """A metadata record listing the links of a page the crawler did not follow.

        Heritrix's convention (``outlink:`` fields): share links, partner sites and
        off-scope redirects are kept as evidence of what the page pointed to.
        """
        block = "".join(f"outlink: {link}\r\n" for link in outlinks).encode("utf-8")
        fields = self._fields("metadata", url, response.date)
        fields += [
            ("WARC-Concurrent-To", response.record_id),
            ("WARC-Block-Digest", sha1_digest(hashlib.sha1(block))),
            ("Content-Type", "application/warc-fields"),
            ("Content-Length", str(len(block))),
        ]
        ref = self._write_record(fields, [io.BytesIO(block)])
        self._rotate_if_full()
        return ref


def default_warcinfo(profile_name: str, user_agent: str, operator: str, run_id: str) -> dict[str, str]:
    """The warcinfo fields every file of a crawl starts with."""
    return {
        "software": f"scoarchive/{__version__}",
        "format": "WARC File Format 1.1",
        "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "hostname": socket.gethostname(),
        "operator": operator,
        "robots": "obey",
        "isPartOf": run_id,
        "description": f"scoarchive crawl with profile {profile_name}",
        "http-header-user-agent": user_agent,
    }
