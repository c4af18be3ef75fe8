"""WARC records to rows: one pass over a WARC file gives capture rows and extraction jobs.

Nothing here touches DuckDB or extracts anything: :class:`WarcRecords` reads every record once,
in order, and turns it into a plain row for ``captures`` (or ``outlinks``, or a
:class:`SkippedRecord`), and each full capture of a page or PDF into an :class:`ExtractionJob`
for :mod:`.extraction`. A damaged gzip member becomes a damaged :class:`SkippedRecord` and reading
goes on at the next whole record (:func:`scoarchive.warc.reader.scan`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from warcio.recordloader import ArcWarcRecord

from scoarchive.core.httpmsg import HTML_TYPES, PDF_TYPES, media_type
from scoarchive.core.profile import Profile
from scoarchive.core.urls import InvalidURL, surt_key
from scoarchive.warc.reader import Damage, scan

log = logging.getLogger("scoarchive.warehouse")  # the package's logger

MAX_STORED_HTML = 32 * 2**20  # stored (still encoded) bytes read for one page
MAX_PDF = 64 * 2**20


class ContentKind(StrEnum):
    """What an extraction read (the ``kind`` of ``extractions``)."""

    ARTICLE = "article"  # an article page (any page at an article address)
    DOCUMENT = "document"  # a PDF
    DOCUMENT_PAGE = "document_page"  # a document's page: metadata table and the PDF it links


@dataclass(frozen=True)
class SkippedRecord:
    """A record the warehouse does not use, and why. ``damaged``: the WARC data itself is damaged
    (a fixity finding), rather than a record whose content cannot be read as a page or PDF."""

    warc_file: str
    warc_offset: int
    record_id: str | None
    url: str | None
    reason: str
    damaged: bool = False


@dataclass(frozen=True)
class ExtractionJob:
    """One captured page or PDF to extract; ``payload`` is the body as stored (still encoded)."""

    kind: ContentKind  # ARTICLE (an HTML page; extraction tells document pages) or DOCUMENT
    record_id: str
    item_key: str
    url: str
    capture_time: datetime
    crawl_run_id: str | None
    warc_file: str
    warc_offset: int
    content_type: str | None
    content_encoding: str | None
    language_hint: str | None
    payload: bytes


@dataclass
class FileBatch:
    """Everything read from one WARC file, written in one transaction."""

    warc_file: str
    size: int
    crawl_run_id: str | None = None
    records: int = 0
    captures: list[dict[str, Any]] = field(default_factory=list)
    extractions: list[dict[str, Any]] = field(default_factory=list)
    outlinks: list[dict[str, Any]] = field(default_factory=list)
    document_pages: list[dict[str, Any]] = field(default_factory=list)
    language_links: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)


def _warc_time(value: str | None) -> datetime | None:
    """A WARC-Date as a naive UTC datetime (the warehouse's TIMESTAMP convention)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _warcinfo_fields(block: bytes) -> dict[str, str]:
    fields = {}
    for line in block.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


class WarcRecords:
    """Turns one WARC file into capture rows and extraction jobs.

    Reads every record once, in order, with the stream consumed before the reader moves on;
    a damaged gzip member is skipped and named, and the records after it are read.
    """

    def __init__(self, path: Path, profile: Profile) -> None:
        self.path = path
        self.profile = profile
        self.batch = FileBatch(path.name, path.stat().st_size)

    def skip(
        self,
        offset: int,
        reason: str,
        record_id: str | None = None,
        url: str | None = None,
        *,
        damaged: bool = False,
    ) -> None:
        log.warning("%s@%d %s: skipped: %s", self.path.name, offset, url or "", reason)
        self.batch.skipped.append(SkippedRecord(self.path.name, offset, record_id, url, reason, damaged))

    def read(self) -> Iterator[ExtractionJob]:
        """Yield extraction jobs as they are found; capture rows accumulate on ``batch``."""
        for item in scan(self.path):
            if isinstance(item, Damage):
                self.skip(item.offset, f"damaged WARC data: {item.reason}", damaged=True)
                continue
            if item.missing:  # its member is whole but ends inside the block
                self.batch.records += 1
                headers = item.record.rec_headers
                self.skip(
                    item.offset,
                    f"record cut short: {item.missing} bytes of its block missing",
                    headers.get_header("WARC-Record-ID"),
                    headers.get_header("WARC-Target-URI"),
                    damaged=True,
                )
                continue
            job = self._record(item.offset, item.length, item.record)
            if job is not None:
                yield job

    def _record(self, offset: int, length: int, record: ArcWarcRecord) -> ExtractionJob | None:
        self.batch.records += 1
        kind = record.rec_type
        headers = record.rec_headers
        if kind == "warcinfo":
            fields = _warcinfo_fields(record.raw_stream.read(1 << 20))
            self.batch.crawl_run_id = self.batch.crawl_run_id or fields.get("isPartOf")
            return None
        if kind == "metadata":
            self._outlinks(record)
            return None
        if kind not in ("response", "revisit", "resource"):
            return None
        record_id = headers.get_header("WARC-Record-ID")
        url = headers.get_header("WARC-Target-URI")
        moment = _warc_time(headers.get_header("WARC-Date"))
        if not record_id or not url or moment is None:
            self.skip(
                offset, "record without WARC-Record-ID, WARC-Target-URI or a valid WARC-Date", record_id, url
            )
            return None
        http = record.http_headers
        status = None
        content_type = encoding = location = None
        if http is not None:
            with contextlib.suppress(TypeError, ValueError):
                status = int(http.get_statuscode())
            content_type = http.get_header("Content-Type")
            encoding = http.get_header("Content-Encoding")
            location = http.get_header("Location")
        elif kind == "resource":
            content_type = headers.get_header("Content-Type")
        try:
            surt = surt_key(url)
        except (InvalidURL, ValueError):
            surt = None
        try:
            article_key = self.profile.article_key(url)
        except (InvalidURL, ValueError):
            article_key = None
        truncated = headers.get_header("WARC-Truncated")
        profile = headers.get_header("WARC-Profile")
        declared = headers.get_header("Content-Length")
        self.batch.captures.append(
            {
                "record_id": record_id,
                "url": url,
                "surt": surt,
                "capture_time": moment,
                "status": status,
                "mime": media_type(content_type) or None,
                "payload_digest": headers.get_header("WARC-Payload-Digest"),
                "record_type": kind,
                "warc_file": self.path.name,
                "warc_offset": offset,
                "warc_length": length,
                "crawl_run_id": self.batch.crawl_run_id,
                "refers_to": headers.get_header("WARC-Refers-To"),
                "refers_to_uri": headers.get_header("WARC-Refers-To-Target-URI"),
                "refers_to_date": _warc_time(headers.get_header("WARC-Refers-To-Date")),
                "revisit_profile": profile.rstrip("/").rsplit("/", 1)[-1] if profile else None,
                "article_key": article_key,
                "content_length": int(declared) if declared and declared.isdigit() else None,
                "content_encoding": encoding,
                "truncated": truncated,
                "location": location,
            }
        )
        if kind == "revisit" or (status is not None and status != 200):
            return None
        mime = media_type(content_type)
        if article_key is not None and mime in HTML_TYPES:
            job_kind, item_key, limit = ContentKind.ARTICLE, article_key, MAX_STORED_HTML
        elif mime in PDF_TYPES:
            job_kind, item_key, limit = ContentKind.DOCUMENT, url, MAX_PDF
        else:
            if article_key is not None and status == 200:
                self.skip(
                    offset, f"article address without an HTML body ({mime or 'no type'})", record_id, url
                )
            return None
        if truncated:
            self.skip(offset, f"truncated record (WARC-Truncated: {truncated})", record_id, url)
            return None
        payload = record.raw_stream.read(limit + 1)
        if len(payload) > limit:
            self.skip(offset, f"stored body over {limit} bytes", record_id, url)
            return None
        return ExtractionJob(
            kind=job_kind,
            record_id=record_id,
            item_key=item_key,
            url=url,
            capture_time=moment,
            crawl_run_id=self.batch.crawl_run_id,
            warc_file=self.path.name,
            warc_offset=offset,
            content_type=content_type,
            content_encoding=encoding,
            language_hint=self.profile.language_of(url),
            payload=payload,
        )

    def _outlinks(self, record: ArcWarcRecord) -> None:
        """Heritrix-style ``outlink:`` fields of a metadata record (repeated, so not a dict)."""
        headers = record.rec_headers
        record_id = headers.get_header("WARC-Record-ID")
        source = headers.get_header("WARC-Target-URI")
        if not record_id or not source:
            return
        block = record.raw_stream.read(16 * 2**20).decode("utf-8", "replace")
        targets = sorted(
            {
                line.partition(":")[2].strip()
                for line in block.splitlines()
                if line.lower().startswith("outlink:")
            }
        )
        self.batch.outlinks += [
            {"record_id": record_id, "source_url": source, "target_url": t} for t in targets if t
        ]
