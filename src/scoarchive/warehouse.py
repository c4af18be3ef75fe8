"""The DuckDB warehouse: WARC records loaded into tables analysts query with SQL.

The WARC files are the source of truth; the warehouse is derived and can be rebuilt from them
at any time (:func:`reindex`). Its schema is code: numbered SQL migrations in
``warehouse/migrations/`` applied in order and recorded in ``schema_migrations``.

Readers and the writer never share a file
------------------------------------------
DuckDB allows one writing process per database file, and a reader that opens a file while a
load commits could see some files loaded and not others. So analysts never open the file the
loader writes:

1. The loader holds ``DATA/warehouse/.load.lock`` (flock) for the whole load, so two loads
   cannot interleave; a second one fails at once with :class:`WarehouseBusy`.
2. It writes a private database, ``DATA/warehouse/work.duckdb``: one transaction per WARC file
   (its captures, extractions, skipped records and its ``loaded_files`` row commit together,
   so a crash leaves whole files loaded or not at all), then it rebuilds the derived tables
   (articles, documents, full-text indexes).
3. It publishes an immutable snapshot: checkpoint and close the work database, copy it to
   ``snapshots/.scoarchive-<n>.duckdb.tmp``, fsync, rename to ``snapshots/scoarchive-<n>.duckdb``.
4. It repoints ``DATA/warehouse/scoarchive.duckdb`` (a relative symlink) and the text file
   ``DATA/warehouse/current`` at the new snapshot, each by writing a temporary and renaming it
   over the old one: a reader resolves either the old snapshot or the new one, never a mix.
5. It deletes snapshots other than the newest two. A reader still holding a deleted snapshot
   open keeps reading it (POSIX unlink semantics); new readers get the current one.

Analysts open ``DATA/warehouse/scoarchive.duckdb`` read-only (:func:`connect` does). Nothing
the loader does touches a published file, so an open analyst connection can neither make a
load fail nor see half of one.

Loading is incremental and idempotent: every closed ``*.warc.gz`` not yet in ``loaded_files``
is read once; captures are keyed by WARC-Record-ID. Records that cannot be used (truncated,
gzip bombs, binary bodies, a damaged file tail) are skipped with a reason kept in
``skipped_records`` and logged; the load goes on. Extraction, the expensive part, runs in a
process pool when ``workers > 1``.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import multiprocessing
import multiprocessing.context
import os
import re
import shutil
import time
import zlib
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from scoarchive.extract import NotExtractable, extract, extract_pdf
from scoarchive.httpmsg import BodyTooLarge, decode_body, media_type
from scoarchive.profile import Profile, load_profile
from scoarchive.settings import DataDir
from scoarchive.urls import InvalidURL, surt_key
from scoarchive.warc import next_gzip_member

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parents[2] / "warehouse"
MIGRATIONS_DIR = SQL_DIR / "migrations"
QUERIES_DIR = SQL_DIR / "queries"
WORK_DB = "work.duckdb"
PUBLISHED_DB = "scoarchive.duckdb"
POINTER = "current"
KEEP_SNAPSHOTS = 2
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
MAX_STORED_HTML = 32 * 2**20  # stored (still encoded) bytes read for one page
MAX_DECODED_HTML = 16 * 2**20  # decoded bound: a gzip bomb stops here
MAX_PDF = 64 * 2**20
CHUNK_JOBS = 16  # pages per task sent to a worker process
BULK_CHUNK = 200_000  # rows per temporary JSON file
# Snowball stemmers of DuckDB's fts extension, by ISO 639-1 code; other languages: none.
STEMMERS = {
    "ar": "arabic", "da": "danish", "de": "german", "en": "english", "es": "spanish",
    "fi": "finnish", "fr": "french", "hu": "hungarian", "it": "italian", "nl": "dutch",
    "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish",
    "tr": "turkish",
}  # fmt: skip
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SNAPSHOT = re.compile(r"^scoarchive-(\d+)\.duckdb$")

CAPTURE_COLUMNS = {
    "record_id": "VARCHAR",
    "url": "VARCHAR",
    "surt": "VARCHAR",
    "capture_time": "TIMESTAMP",
    "status": "SMALLINT",
    "mime": "VARCHAR",
    "payload_digest": "VARCHAR",
    "record_type": "VARCHAR",
    "warc_file": "VARCHAR",
    "warc_offset": "BIGINT",
    "warc_length": "BIGINT",
    "crawl_run_id": "VARCHAR",
    "refers_to": "VARCHAR",
    "refers_to_uri": "VARCHAR",
    "refers_to_date": "TIMESTAMP",
    "revisit_profile": "VARCHAR",
    "article_key": "VARCHAR",
    "content_length": "BIGINT",
    "content_encoding": "VARCHAR",
    "truncated": "VARCHAR",
    "location": "VARCHAR",
}
EXTRACTION_COLUMNS = {
    "record_id": "VARCHAR",
    "kind": "VARCHAR",
    "item_key": "VARCHAR",
    "url": "VARCHAR",
    "capture_time": "TIMESTAMP",
    "crawl_run_id": "VARCHAR",
    "warc_file": "VARCHAR",
    "warc_offset": "BIGINT",
    "title": "VARCHAR",
    "published": "DATE",
    "page_date": "DATE",
    "url_date": "DATE",
    "date_agrees": "BOOLEAN",
    "date_source": "VARCHAR",
    "authors": "VARCHAR[]",
    "language": "VARCHAR",
    "description": "VARCHAR",
    "encoding": "VARCHAR",
    "text": "VARCHAR",
    "markdown": "VARCHAR",
    "word_count": "INTEGER",
    "pages": "INTEGER",
    "content_sha256": "VARCHAR",
}
SKIP_COLUMNS = {
    "warc_file": "VARCHAR",
    "warc_offset": "BIGINT",
    "record_id": "VARCHAR",
    "url": "VARCHAR",
    "reason": "VARCHAR",
}
SEARCH_COLUMNS = {
    "article_key": "VARCHAR",
    "url": "VARCHAR",
    "title": "VARCHAR",
    "language": "VARCHAR",
    "published": "DATE",
    "body": "VARCHAR",
}
OUTLINK_COLUMNS = {"record_id": "VARCHAR", "source_url": "VARCHAR", "target_url": "VARCHAR"}
# Relations `export` writes, each in a deterministic order.
EXPORTS = {
    "captures": "record_id",
    "articles": "article_key, first_seen, content_sha256",
    "articles_latest": "article_key",
    "article_versions": "article_key, version",
    "documents": "url, first_seen, content_sha256",
    "crawl_runs": "first_capture, run_id",
    "skipped_records": "warc_file, warc_offset",
    "outlinks": "record_id, target_url",
}


class WarehouseError(Exception):
    """The warehouse cannot do what was asked (no snapshot yet, bad SQL file ...)."""


class WarehouseBusy(WarehouseError):
    """Another load holds the warehouse's writer lock."""


@dataclass(frozen=True)
class SkippedRecord:
    warc_file: str
    warc_offset: int
    record_id: str | None
    url: str | None
    reason: str


@dataclass
class LoadReport:
    """What one load did; ``skipped`` lists records not used, with the reason."""

    files_loaded: list[str] = field(default_factory=list)
    captures_added: int = 0
    articles_added: int = 0
    versions_added: int = 0
    documents_added: int = 0
    skipped: list[SkippedRecord] = field(default_factory=list)
    snapshot: Path | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_loaded": self.files_loaded,
            "captures_added": self.captures_added,
            "articles_added": self.articles_added,
            "versions_added": self.versions_added,
            "documents_added": self.documents_added,
            "skipped": [vars(s) for s in self.skipped],
            "snapshot": str(self.snapshot) if self.snapshot else None,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class SearchHit:
    article_key: str
    url: str
    title: str | None
    language: str | None
    published: date | None
    score: float


@dataclass(frozen=True)
class ExtractionJob:
    """One captured page or PDF to extract; ``payload`` is the body as stored (still encoded)."""

    kind: str  # article | document
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
    skipped: list[SkippedRecord] = field(default_factory=list)


# -- paths and connections ---------------------------------------------------------------------


def fts_extension_path() -> Path:
    """The fts extension shipped by the duckdb-extension-fts wheel: loaded from disk, no network."""
    import duckdb_extension_fts

    package = Path(duckdb_extension_fts.__file__).parent
    found = sorted(package.glob(f"extensions/v{duckdb.__version__}/fts.duckdb_extension"))
    found = found or sorted(package.glob("extensions/*/fts.duckdb_extension"))
    if not found:
        raise WarehouseError(f"fts extension not found under {package}")
    return found[-1]


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load full-text search from the wheel's file: INSTALL would need the network."""
    con.execute(f"LOAD '{fts_extension_path()}'")


def published_path(data_dir: Path | str) -> Path:
    """The path analysts open read-only (a symlink to the current snapshot)."""
    return DataDir(data_dir).warehouse / PUBLISHED_DB


def connect(data_dir: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current snapshot, with full-text search loaded."""
    path = published_path(data_dir)
    if not path.exists():
        raise WarehouseError(f"no warehouse in {DataDir(data_dir).root}: run `scoarchive load` first")
    con = duckdb.connect(str(path), read_only=True)
    load_fts(con)
    return con


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, SQL) of every migration file, in order."""
    if not MIGRATIONS_DIR.is_dir():
        raise WarehouseError(f"schema migrations not found in {MIGRATIONS_DIR}")
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        number = path.name.split("_", 1)[0]
        if number.isdigit():
            found.append((int(number), path.stem, path.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations, each in its own transaction; return the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        con.execute("BEGIN")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [version, name, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except duckdb.Error:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


@contextlib.contextmanager
def _writer_lock(warehouse: Path) -> Iterator[None]:
    warehouse.mkdir(parents=True, exist_ok=True)
    with open(warehouse / ".load.lock", "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseBusy(f"another load is running on {warehouse}") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# -- reading WARC files ------------------------------------------------------------------------


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


class _WarcReader:
    """Turns one WARC file into capture rows and extraction jobs.

    Reads every record once, in order, with the stream consumed before the iterator moves on;
    a damaged gzip member is skipped by resuming at the next member header.
    """

    def __init__(self, path: Path, profile: Profile) -> None:
        self.path = path
        self.profile = profile
        self.batch = FileBatch(path.name, path.stat().st_size)

    def skip(self, offset: int, reason: str, record_id: str | None = None, url: str | None = None) -> None:
        log.warning("%s@%d %s: skipped: %s", self.path.name, offset, url or "", reason)
        self.batch.skipped.append(SkippedRecord(self.path.name, offset, record_id, url, reason))

    def read(self) -> Iterator[ExtractionJob]:
        """Yield extraction jobs as they are found; capture rows accumulate on ``batch``."""
        start: int | None = 0
        size = self.batch.size
        while start is not None and start < size:
            resume = yield from self._read_from(start)
            start = resume

    def _read_from(self, start: int) -> Generator[ExtractionJob, None, int | None]:
        last_end = start
        with open(self.path, "rb") as handle:
            handle.seek(start)
            iterator = ArchiveIterator(handle)
            try:
                for record in iterator:
                    offset = iterator.offset  # absolute: the iterator starts at handle.tell()
                    job = self._record(offset, record)
                    length = iterator.get_record_length()
                    last_end = offset + length
                    missing = getattr(record.raw_stream, "limit", 0)
                    if missing > 0:
                        # warcio ends a cut gzip member quietly: the block is just short
                        self._discard(offset)
                        headers = record.rec_headers
                        self.skip(
                            offset,
                            f"record cut short: {missing} bytes of its block missing",
                            headers.get_header("WARC-Record-ID"),
                            headers.get_header("WARC-Target-URI"),
                        )
                        continue
                    self._set_length(offset, length)
                    if job is not None:
                        yield job
            except (ArchiveLoadFailed, zlib.error, EOFError, ValueError, OSError) as exc:
                self._discard(last_end)  # the record that failed half-way, if it got a row
                self.skip(last_end, f"damaged WARC data: {type(exc).__name__}: {exc}")
                return next_gzip_member(self.path, last_end + 1)
        return None

    def _discard(self, offset: int) -> None:
        captures = self.batch.captures
        if captures and captures[-1]["warc_offset"] == offset:
            captures.pop()

    def _set_length(self, offset: int, length: int) -> None:
        captures = self.batch.captures
        if captures and captures[-1]["warc_offset"] == offset:
            captures[-1]["warc_length"] = length

    def _record(self, offset: int, record: ArcWarcRecord) -> ExtractionJob | None:
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
        length = headers.get_header("Content-Length")
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
                "warc_length": 0,
                "crawl_run_id": self.batch.crawl_run_id,
                "refers_to": headers.get_header("WARC-Refers-To"),
                "refers_to_uri": headers.get_header("WARC-Refers-To-Target-URI"),
                "refers_to_date": _warc_time(headers.get_header("WARC-Refers-To-Date")),
                "revisit_profile": profile.rstrip("/").rsplit("/", 1)[-1] if profile else None,
                "article_key": article_key,
                "content_length": int(length) if length and length.isdigit() else None,
                "content_encoding": encoding,
                "truncated": truncated,
                "location": location,
            }
        )
        if kind == "revisit" or (status is not None and status != 200):
            return None
        mime = media_type(content_type)
        if article_key is not None and mime in HTML_TYPES:
            job_kind, item_key, limit = "article", article_key, MAX_STORED_HTML
        elif mime in PDF_TYPES:
            job_kind, item_key, limit = "document", url, MAX_PDF
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


# -- extraction (runs in worker processes) -----------------------------------------------------


def run_job(job: ExtractionJob) -> dict[str, Any] | SkippedRecord:
    """Decode and extract one page or PDF; a row for ``extractions`` or the reason it was skipped.

    Never raises: one page's bug must not end a load.
    """

    def skipped(reason: str) -> SkippedRecord:
        return SkippedRecord(job.warc_file, job.warc_offset, job.record_id, job.url, reason)

    limit = MAX_DECODED_HTML if job.kind == "article" else MAX_PDF
    try:
        body = decode_body(io.BytesIO(job.payload), job.content_encoding, limit)
    except BodyTooLarge:
        return skipped(f"body decodes to over {limit} bytes (gzip bomb?)")
    except ValueError as exc:
        return skipped(f"undecodable body: {exc}")
    row: dict[str, Any] = {
        "record_id": job.record_id,
        "kind": job.kind,
        "item_key": job.item_key,
        "url": job.url,
        "capture_time": job.capture_time,
        "crawl_run_id": job.crawl_run_id,
        "warc_file": job.warc_file,
        "warc_offset": job.warc_offset,
    }
    try:
        if job.kind == "article":
            article = extract(body, job.url, content_type=job.content_type)
            row.update(
                title=article.title,
                published=article.published,
                page_date=article.page_date,
                url_date=article.url_date,
                date_agrees=article.date_agrees,
                date_source=article.date_source,
                authors=list(article.authors),
                language=article.language or job.language_hint,
                description=article.description,
                encoding=article.encoding,
                text=article.text,
                markdown=article.markdown,
                word_count=article.word_count,
                pages=None,
                content_sha256=article.content_sha256,
            )
        else:
            doc = extract_pdf(body, job.url)
            row.update(
                title=doc.title,
                published=doc.created,
                page_date=None,
                url_date=None,
                date_agrees=None,
                date_source="pdf" if doc.created else None,
                authors=list(doc.authors),
                language=job.language_hint,
                description=None,
                encoding=None,
                text=doc.text,
                markdown=None,
                word_count=doc.word_count,
                pages=doc.pages,
                content_sha256=doc.content_sha256,
            )
    except NotExtractable as exc:
        return skipped(str(exc))
    except Exception as exc:
        return skipped(f"extractor error: {type(exc).__name__}: {exc}")
    return row


def run_jobs(jobs: Sequence[ExtractionJob]) -> list[dict[str, Any] | SkippedRecord]:
    """A chunk of jobs: the unit sent to a worker process (amortises pickling overhead)."""
    return [run_job(job) for job in jobs]


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers start from a clean forkserver with the extractor already imported.

    Plain fork would copy the loader's open DuckDB connection (and its threads) and every
    object on its heap, which copy-on-write then duplicates page by page as the children's
    garbage collector walks it: measured, that erased the speedup of a second worker.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["scoarchive.extract"])
    return context


class ExtractionPool:
    """Runs extraction inline or in a process pool, keeping results in submission order."""

    def __init__(self, workers: int) -> None:
        self.pool = ProcessPoolExecutor(workers, mp_context=_worker_context()) if workers > 1 else None
        self.max_pending = 4 * workers
        self.pending: list[Future[list[dict[str, Any] | SkippedRecord]]] = []
        self.chunk: list[ExtractionJob] = []
        self.results: list[dict[str, Any] | SkippedRecord] = []

    def submit(self, job: ExtractionJob) -> None:
        self.chunk.append(job)
        if len(self.chunk) >= CHUNK_JOBS:
            self._flush()

    def _flush(self) -> None:
        chunk, self.chunk = self.chunk, []
        if not chunk:
            return
        if self.pool is None:
            self.results += run_jobs(chunk)
            return
        self.pending.append(self.pool.submit(run_jobs, chunk))
        while len(self.pending) > self.max_pending:
            self.results += self.pending.pop(0).result()

    def drain(self) -> list[dict[str, Any] | SkippedRecord]:
        self._flush()
        while self.pending:
            self.results += self.pending.pop(0).result()
        results, self.results = self.results, []
        return results

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def read_warc(path: Path, profile: Profile, extractor: ExtractionPool) -> FileBatch:
    """One WARC file as rows: captures, extractions, outlinks and skipped records."""
    reader = _WarcReader(path, profile)
    for job in reader.read():
        extractor.submit(job)
    batch = reader.batch
    for result in extractor.drain():
        if isinstance(result, SkippedRecord):
            log.warning(
                "%s@%d %s: skipped: %s", result.warc_file, result.warc_offset, result.url, result.reason
            )
            batch.skipped.append(result)
        else:
            batch.extractions.append(result)
    if batch.crawl_run_id:
        for row in (*batch.captures, *batch.extractions):
            row["crawl_run_id"] = row["crawl_run_id"] or batch.crawl_run_id
    return batch


# -- writing -----------------------------------------------------------------------------------


def _json_line(row: dict[str, Any]) -> bytes:
    """One row as a JSON line (orjson writes dates and naive UTC datetimes in ISO form)."""
    try:
        return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        # lone surrogates (undecodable bytes in a WARC header) are not valid UTF-8
        clean = {
            k: v.encode("utf-8", "replace").decode() if isinstance(v, str) else v for k, v in row.items()
        }
        return orjson.dumps(clean, option=orjson.OPT_APPEND_NEWLINE)


def bulk_insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str],
    rows: Sequence[dict[str, Any]],
    tmp: Path,
    *,
    keyed: bool = True,
) -> int:
    """Insert rows in bulk through newline-delimited JSON files read by DuckDB's read_json.

    DuckDB's ``executemany`` inserts row by row and list parameters convert element by element
    (minutes per million rows); a JSON file, written by orjson (5x the standard library's
    encoder), is read in parallel by DuckDB's own reader. Rows
    whose key already exists are ignored (``keyed``: the table has a primary key), which is
    what makes loading idempotent.
    """
    if not rows:
        return 0
    spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
    names = ", ".join(columns)
    added = 0
    insert = "INSERT OR IGNORE" if keyed else "INSERT"
    for start in range(0, len(rows), BULK_CHUNK):
        path = tmp / f"{table}-{os.getpid()}-{start}.jsonl"
        try:
            with open(path, "wb") as handle:
                handle.writelines(_json_line(row) for row in rows[start : start + BULK_CHUNK])
            before = _count(con, table)
            con.execute(
                f"{insert} INTO {table} ({names}) SELECT {names} FROM read_json(?, "
                f"format = 'newline_delimited', columns = {spec}, maximum_object_size = 268435456)",
                [str(path)],
            )
            added += _count(con, table) - before
        finally:
            path.unlink(missing_ok=True)
    return added


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _write_batch(con: duckdb.DuckDBPyConnection, batch: FileBatch, tmp: Path) -> int:
    """Commit one file's rows and its loaded_files row together: a file is loaded or it is not."""
    con.execute("BEGIN")
    try:
        added = bulk_insert(con, "captures", CAPTURE_COLUMNS, _unique(batch.captures, "record_id"), tmp)
        bulk_insert(con, "extractions", EXTRACTION_COLUMNS, _unique(batch.extractions, "record_id"), tmp)
        bulk_insert(con, "outlinks", OUTLINK_COLUMNS, batch.outlinks, tmp)
        skipped = [vars(s) for s in batch.skipped]
        bulk_insert(con, "skipped_records", SKIP_COLUMNS, _unique(skipped, "warc_offset"), tmp)
        con.execute(
            "INSERT INTO loaded_files VALUES (?, ?, ?, ?, ?)",
            [batch.warc_file, batch.size, batch.crawl_run_id, batch.records, len(batch.skipped)],
        )
        con.execute("INSERT OR REPLACE INTO warehouse_state VALUES ('dirty', 'true')")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return added


def _unique(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    seen: set[object] = set()
    out = []
    for row in rows:
        if row[key] not in seen:
            seen.add(row[key])
            out.append(row)
    return out


def _cjk_bigrams(text: str) -> str:
    """Chinese has no spaces: index overlapping character bigrams so words match inside runs."""

    def split(match: re.Match[str]) -> str:
        run = match.group(0)
        if len(run) == 1:
            return f" {run} "
        return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "

    return _CJK_RUN.sub(split, text)


def refresh(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    """Rebuild the derived tables (articles, documents) and one BM25 index per language.

    Each language gets its own table and index so each is stemmed by its own Snowball stemmer;
    :func:`search` queries them all.
    """
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM articles")
        con.execute("INSERT INTO articles SELECT * FROM articles_build")
        con.execute("DELETE FROM documents")
        con.execute("INSERT INTO documents SELECT * FROM documents_build")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    load_fts(con)
    old = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'search\\_%' ESCAPE '\\'"
    ).fetchall()
    for (table,) in old:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"PRAGMA drop_fts_index('{table}')")
        con.execute(f"DROP TABLE {table}")
    rows = con.execute(
        "SELECT coalesce(language, 'xx'), article_key, url, title, language, published, text "
        "FROM articles_latest ORDER BY article_key"
    ).fetchall()
    by_language: dict[str, list[dict[str, Any]]] = {}
    for language, key, url, title, lang, published, text in rows:
        if re.fullmatch(r"[a-z]{2}", language):
            body = _cjk_bigrams(f"{title or ''}\n{text}")
            by_language.setdefault(language, []).append(
                {
                    "article_key": key,
                    "url": url,
                    "title": title,
                    "language": lang,
                    "published": published,
                    "body": body,
                }
            )
    for language, docs in sorted(by_language.items()):
        table = f"search_{language}"
        con.execute(f"CREATE TABLE {table} ({', '.join(f'{n} {t}' for n, t in SEARCH_COLUMNS.items())})")
        bulk_insert(con, table, SEARCH_COLUMNS, docs, tmp, keyed=False)
        stemmer = STEMMERS.get(language, "none")
        stopwords = "english" if language == "en" else "none"
        con.execute(
            f"PRAGMA create_fts_index('{table}', 'article_key', 'body', stemmer = '{stemmer}', "
            f"stopwords = '{stopwords}', overwrite = 1)"
        )


# -- publishing --------------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _snapshots(directory: Path) -> list[tuple[int, Path]]:
    found = []
    if directory.exists():
        for path in directory.iterdir():
            match = _SNAPSHOT.match(path.name)
            if match:
                found.append((int(match.group(1)), path))
    return sorted(found)


def current_snapshot(data_dir: Path | str) -> Path | None:
    """The snapshot the pointer names, or None before the first publication."""
    warehouse = DataDir(data_dir).warehouse
    try:
        name = (warehouse / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = warehouse / "snapshots" / name
    return path if path.exists() else None


def _replace_atomically(target: Path, write: Any) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    write(temporary)
    os.replace(temporary, target)


def publish(work: Path, warehouse: Path) -> Path:
    """Copy the (closed, checkpointed) work database to a new snapshot and point readers at it."""
    directory = warehouse / "snapshots"
    directory.mkdir(parents=True, exist_ok=True)
    existing = _snapshots(directory)
    number = existing[-1][0] + 1 if existing else 1
    snapshot = directory / f"scoarchive-{number}.duckdb"
    temporary = directory / f".{snapshot.name}.tmp"
    shutil.copyfile(work, temporary)
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, snapshot)
    _fsync_dir(directory)

    def write_pointer(path: Path) -> None:
        path.write_text(snapshot.name + "\n", encoding="utf-8")

    _replace_atomically(warehouse / POINTER, write_pointer)
    _replace_atomically(
        warehouse / PUBLISHED_DB, lambda path: path.symlink_to(Path("snapshots") / snapshot.name)
    )
    _fsync_dir(warehouse)
    for _, old in _snapshots(directory)[:-KEEP_SNAPSHOTS]:
        if old != snapshot:
            old.unlink()
    return snapshot


# -- the load ----------------------------------------------------------------------------------


def _counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    row = con.execute(
        "SELECT (SELECT count(DISTINCT article_key) FROM articles), (SELECT count(*) FROM articles),"
        " (SELECT count(*) FROM documents)"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def load(data_dir: Path | str, *, workers: int = 1, profile: str | Profile = "sco") -> LoadReport:
    """Load every closed WARC file not loaded yet, then publish a new snapshot if anything changed.

    Raises WarehouseBusy if another load is running.
    """
    warehouse = DataDir(data_dir).warehouse
    with _writer_lock(warehouse):
        return _load(DataDir(data_dir), workers, profile)


def reindex(data_dir: Path | str, *, workers: int = 1, profile: str | Profile = "sco") -> LoadReport:
    """Rebuild the warehouse from the WARC files alone and publish it as a new snapshot.

    The work database is deleted and every file loaded again, under one hold of the writer
    lock; analysts keep reading the previous snapshot until the new one is published.
    """
    warehouse = DataDir(data_dir).warehouse
    with _writer_lock(warehouse):
        for name in (WORK_DB, WORK_DB + ".wal"):
            with contextlib.suppress(FileNotFoundError):
                (warehouse / name).unlink()
        return _load(DataDir(data_dir), workers, profile)


def _load(data: DataDir, workers: int, profile: str | Profile) -> LoadReport:
    started = time.monotonic()
    site = load_profile(profile) if isinstance(profile, str) else profile
    warehouse = data.warehouse
    report = LoadReport()
    work = warehouse / WORK_DB
    tmp = warehouse / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(work))
    except duckdb.IOException as exc:
        raise WarehouseBusy(f"cannot open {work}: {exc}") from None
    try:
        migrate(con)
        before = _counts(con)
        loaded = dict(con.execute("SELECT warc_file, size FROM loaded_files").fetchall())
        pending = []
        for path in data.warc_files():
            size = path.stat().st_size
            if path.name not in loaded:
                pending.append(path)
            elif loaded[path.name] != size:
                reason = f"file changed since loaded ({loaded[path.name]} -> {size} bytes): run reindex"
                report.skipped.append(SkippedRecord(path.name, 0, None, None, reason))
        extractor = ExtractionPool(workers)
        try:
            for path in pending:
                batch = read_warc(path, site, extractor)
                report.captures_added += _write_batch(con, batch, tmp)
                report.files_loaded.append(path.name)
                report.skipped += batch.skipped
                log.info("loaded %s: %d records, %d skipped", path.name, batch.records, len(batch.skipped))
        finally:
            extractor.close()
        dirty = con.execute("SELECT value FROM warehouse_state WHERE key = 'dirty'").fetchone()
        if (dirty is not None and dirty[0] == "true") or current_snapshot(data.root) is None:
            refresh(con, tmp)
            after = _counts(con)
            report.articles_added = after[0] - before[0]
            report.versions_added = after[1] - before[1]
            report.documents_added = after[2] - before[2]
            con.execute("INSERT OR REPLACE INTO warehouse_state VALUES ('dirty', 'false')")
            con.execute("CHECKPOINT")
            con.close()
            report.snapshot = publish(work, warehouse)
    finally:
        with contextlib.suppress(duckdb.Error):
            con.close()
    report.seconds = round(time.monotonic() - started, 3)
    return report


# -- reading the warehouse ---------------------------------------------------------------------


def search(data_dir: Path | str, words: str | Sequence[str], limit: int = 20) -> list[SearchHit]:
    """Articles (latest versions) matching all ``words``, best BM25 score first."""
    query = words if isinstance(words, str) else " ".join(words)
    query = _cjk_bigrams(query).strip()
    if not query:
        raise ValueError("nothing to search for")
    con = connect(data_dir)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'search\\_%' ESCAPE '\\' "
                "ORDER BY 1"
            ).fetchall()
        ]
        if not tables:
            return []
        parts = [
            f"SELECT article_key, url, title, language, published, "
            f"fts_main_{table}.match_bm25(article_key, $q, conjunctive := 1) AS score FROM {table}"
            for table in tables
        ]
        sql = (
            f"SELECT * FROM ({' UNION ALL '.join(parts)}) WHERE score IS NOT NULL "
            "ORDER BY score DESC, article_key LIMIT $limit"
        )
        rows = con.execute(sql, {"q": query, "limit": limit}).fetchall()
    finally:
        con.close()
    return [SearchHit(*row) for row in rows]


def query(data_dir: Path | str, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run SQL on the current snapshot (read-only); column names and rows."""
    con = connect(data_dir)
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()
    finally:
        con.close()


def example_queries() -> dict[str, str]:
    """The analyst queries shipped in ``warehouse/queries``, by file stem."""
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(QUERIES_DIR.glob("*.sql"))}


def export(data_dir: Path | str, directory: Path | str, fmt: str = "parquet") -> list[Path]:
    """Write each analyst relation to ``directory`` as one Parquet or CSV file."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown export format {fmt!r} (parquet or csv)")
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
    con = connect(data_dir)
    written = []
    try:
        for relation, order in EXPORTS.items():
            path = target / f"{relation}.{fmt}"
            con.execute(
                f"COPY (SELECT * FROM {relation} ORDER BY {order}) TO '{_sql_string(path)}' ({options})"
            )
            written.append(path)
    finally:
        con.close()
    return written


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")
