"""A WACZ 1.1.1 evidence bundle: the archived pages a briefing cites, in one file anyone can open.

The bundle is what goes out with a checked briefing: ReplayWeb.page, pywb or any WACZ reader
replays the cited pages from it, offline, without access to the archive. So it holds only what
those pages need: each page's record, its requisites (stylesheets, images) and, for a revisit,
the original record the revisit stands for.

Records are copied byte for byte from the archive's WARC files. Every record there is one gzip
member, so a record is the bytes at (offset, length) and a concatenation of members is a valid
``.warc.gz``: ``archive/data.warc.gz`` is a new warcinfo record followed by the copied members,
and nothing is recompressed, so the records' digests stay the archive's. Entries are STORED (not
deflated), as WACZ requires, so readers can fetch byte ranges from the ZIP.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from scoarchive import __version__
from scoarchive.core.urls import InvalidURL, canonicalize, surt_key
from scoarchive.warc.records import COPY_CHUNK, WARC_VERSION, new_record_id, sha1_digest, warc_date

GZIP_MAGIC = b"\x1f\x8b"


WACZ_VERSION = "1.1.1"


DATA_WARC = "data.warc.gz"


INDEXED_TYPES = ("response", "revisit")


class BundleError(ValueError):
    """A capture that cannot go into a bundle: missing file, wrong location, missing original."""


@dataclass(frozen=True)
class WarcLocation:
    """Where a record lives in the archive: one gzip member of a WARC file."""

    warc_file: str
    warc_offset: int
    warc_length: int


@dataclass(frozen=True)
class BundleRecord:
    """A record to copy: a requisite of a page, or a page itself (see BundleCapture).

    ``url`` and ``timestamp`` must be the record's WARC-Target-URI and WARC-Date (to the second):
    they are checked, so a wrong offset fails loudly instead of bundling another page.
    ``refers_to`` is the original record of a revisit, which the bundle must carry too.
    """

    url: str
    timestamp: datetime
    warc_file: str
    warc_offset: int
    warc_length: int
    refers_to: WarcLocation | None = None


@dataclass(frozen=True)
class BundleCapture(BundleRecord):
    """A cited page: listed in pages.jsonl under ``title``, with the records it needs in ``also``."""

    title: str | None = None
    also: tuple[BundleRecord, ...] = ()


@dataclass(frozen=True)
class _Copied:
    """One record in data.warc.gz: its new offset and what the index needs."""

    offset: int
    length: int
    record_type: str
    url: str
    date: str
    record_id: str
    refers_to: str | None
    digest: str | None
    mime: str | None
    status: str | None


def _cdx_timestamp(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())[:14]


def _utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, the time WARC dates are in."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _same_url(a: str, b: str) -> bool:
    try:
        return canonicalize(a) == canonicalize(b)
    except InvalidURL:
        return a == b


class _Copier:
    """Copies records into data.warc.gz, each once, checking each is the one asked for."""

    def __init__(self, out: IO[bytes], warc_dir: Path) -> None:
        self.out = out
        self.warc_dir = warc_dir
        self.hasher = hashlib.sha256()
        self.size = 0
        self.copied: dict[tuple[str, int], _Copied] = {}

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.hasher.update(data)
        self.size += len(data)

    def copy(self, location: WarcLocation, expect: BundleRecord | None = None) -> _Copied:
        key = (location.warc_file, location.warc_offset)
        if key in self.copied:
            return self.copied[key]
        path = self.warc_dir / location.warc_file
        if Path(location.warc_file).name != location.warc_file or not path.is_file():
            raise BundleError(f"WARC file {location.warc_file!r} not found in {self.warc_dir}")
        where = f"{location.warc_file}@{location.warc_offset}"
        with open(path, "rb") as handle:
            handle.seek(location.warc_offset)
            if handle.read(2) != GZIP_MAGIC:  # every record of ours starts a gzip member
                raise BundleError(f"no WARC record at {where} (not the start of a gzip member)")
            handle.seek(location.warc_offset)
            try:
                record = next(iter(ArchiveIterator(handle)))
            except (StopIteration, OSError, ValueError, ArchiveLoadFailed) as exc:
                raise BundleError(f"no WARC record at {where} ({type(exc).__name__})") from None
            headers = record.rec_headers
            record_type = str(record.rec_type)
            if record_type not in INDEXED_TYPES:
                raise BundleError(f"{where} is a {record_type} record, not a response or revisit")
            url = headers.get_header("WARC-Target-URI") or ""
            date = headers.get_header("WARC-Date") or ""
            if expect is not None and not (
                _same_url(url, expect.url)
                and _cdx_timestamp(date) == _utc(expect.timestamp).strftime("%Y%m%d%H%M%S")
            ):
                raise BundleError(
                    f"{where} holds {url} of {date}, not {expect.url} of {_utc(expect.timestamp)}"
                )
            http = record.http_headers
            mime = "warc/revisit" if record_type == "revisit" else None
            if mime is None and http is not None:
                mime = (http.get_header("Content-Type") or "").split(";")[0].strip() or None
            offset = self.size
            handle.seek(location.warc_offset)
            self._copy_member(handle, location, where)
        copied = _Copied(
            offset,
            location.warc_length,
            record_type,
            url,
            date,
            headers.get_header("WARC-Record-ID") or "",
            headers.get_header("WARC-Refers-To"),
            headers.get_header("WARC-Payload-Digest"),
            mime,
            http.get_statuscode() if http is not None else None,
        )
        self.copied[key] = copied
        return copied

    def _copy_member(self, handle: IO[bytes], location: WarcLocation, where: str) -> None:
        """Copy exactly one whole gzip member, or refuse: a wrong length would corrupt the bundle."""
        inflater = zlib.decompressobj(31)
        remaining = location.warc_length
        while remaining:
            chunk = handle.read(min(COPY_CHUNK, remaining))
            if not chunk:
                raise BundleError(f"{where}: the file ends before the record's {location.warc_length} bytes")
            try:
                inflater.decompress(chunk)
            except zlib.error as exc:
                raise BundleError(f"{where}: not a gzip member ({exc})") from None
            self.write(chunk)
            remaining -= len(chunk)
        if not inflater.eof or inflater.unused_data:
            raise BundleError(f"{where}: length {location.warc_length} is not exactly one WARC record")


def _location(record: BundleRecord) -> WarcLocation:
    return WarcLocation(record.warc_file, record.warc_offset, record.warc_length)


def _warcinfo(title: str, created: datetime) -> bytes:
    """The bundle's own warcinfo record, one gzip member, first in data.warc.gz."""
    fields = {
        "software": f"scoarchive/{__version__}",
        "format": "WARC File Format 1.1",
        "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": f"scoarchive evidence bundle: {title}",
    }
    block = "".join(f"{key}: {' '.join(value.split())}\r\n" for key, value in fields.items()).encode("utf-8")
    head = [
        WARC_VERSION,
        "WARC-Type: warcinfo",
        f"WARC-Record-ID: {new_record_id()}",
        f"WARC-Date: {warc_date(created)}",
        f"WARC-Filename: {DATA_WARC}",
        f"WARC-Block-Digest: {sha1_digest(hashlib.sha1(block))}",
        "Content-Type: application/warc-fields",
        f"Content-Length: {len(block)}",
    ]
    record = ("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + block + b"\r\n\r\n"
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    return compressor.compress(record) + compressor.flush()


def _cdxj(records: Sequence[_Copied]) -> bytes:
    """Index lines as cdxj-indexer writes them (same fields, order and string values), C-sorted."""
    lines = []
    for record in records:
        fields = {
            "url": record.url,
            "mime": record.mime,
            "status": record.status,
            "digest": record.digest,
            "length": str(record.length),
            "offset": str(record.offset),
            "filename": DATA_WARC,
        }
        entry = {key: value for key, value in fields.items() if value is not None}
        line = f"{surt_key(record.url)} {_cdx_timestamp(record.date)} {json.dumps(entry)}\n"
        lines.append(line.encode("utf-8"))
    return b"".join(sorted(lines))


def _pages(captures: Sequence[BundleCapture], copied: Sequence[_Copied], title: str) -> bytes:
    lines = [{"format": "json-pages-1.0", "id": "pages", "title": title}]
    seen = set()
    for capture, record in zip(captures, copied, strict=True):
        page_id = hashlib.sha256(record.record_id.encode()).hexdigest()[:24]
        if page_id in seen:
            continue
        seen.add(page_id)
        lines.append(
            {"id": page_id, "url": record.url, "ts": record.date, "title": capture.title or record.url}
        )
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")


def _records(captures: Sequence[BundleCapture]) -> Iterator[tuple[WarcLocation, BundleRecord | None]]:
    """Every record to copy: each page, its requisites, and the originals of revisits."""
    for capture in captures:
        for record in (capture, *capture.also):
            yield _location(record), record
            if record.refers_to is not None:
                yield record.refers_to, None


def write_wacz(out: Path, captures: Sequence[BundleCapture], title: str, warc_dir: Path) -> Path:
    """Write the WACZ for ``captures`` (WARC files named relative to ``warc_dir``) and return its path.

    The file appears complete or not at all (written beside ``out``, then renamed).
    """
    if not captures:
        raise BundleError("nothing to bundle: no captures")
    out = Path(out)
    created = datetime.now(UTC).replace(microsecond=0)
    stamp = created.timetuple()[:6]
    partial = out.with_name(f".{out.name}.part")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            resources = []
            entry = zipfile.ZipInfo(f"archive/{DATA_WARC}", stamp)
            with archive.open(entry, "w", force_zip64=True) as data:
                copier = _Copier(data, Path(warc_dir))
                copier.write(_warcinfo(title, created))
                pages = [copier.copy(_location(c), c) for c in captures]
                for location, expect in _records(captures):
                    copier.copy(location, expect)
            resources.append((entry.filename, copier.size, copier.hasher.hexdigest()))
            _check_originals(list(copier.copied.values()))
            files = {
                "indexes/index.cdxj": _cdxj(list(copier.copied.values())),
                "pages/pages.jsonl": _pages(captures, pages, title),
            }
            for name, content in files.items():
                archive.writestr(zipfile.ZipInfo(name, stamp), content)
                resources.append((name, len(content), hashlib.sha256(content).hexdigest()))
            package = {
                "profile": "data-package",
                "resources": [
                    {"name": Path(path).name, "path": path, "hash": f"sha256:{digest}", "bytes": size}
                    for path, size, digest in resources
                ],
                "wacz_version": WACZ_VERSION,
                "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "software": f"scoarchive {__version__}",
                "title": title,
            }
            package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
            archive.writestr(zipfile.ZipInfo("datapackage.json", stamp), package_bytes)
            digest = {
                "path": "datapackage.json",
                "hash": f"sha256:{hashlib.sha256(package_bytes).hexdigest()}",
            }
            archive.writestr(zipfile.ZipInfo("datapackage-digest.json", stamp), json.dumps(digest, indent=2))
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out


def _check_originals(copied: Sequence[_Copied]) -> None:
    """A revisit replays only with its original beside it: refuse a bundle that lacks one."""
    present = {record.record_id for record in copied}
    for record in copied:
        if record.record_type == "revisit" and record.refers_to and record.refers_to not in present:
            raise BundleError(
                f"revisit of {record.url} at {record.date} needs its original record {record.refers_to}: "
                "pass its location as refers_to"
            )
