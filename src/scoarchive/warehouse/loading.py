"""Loading: WARC files not loaded yet go into the work database, which is then published.

:func:`load` (incremental) and :func:`reindex` (from scratch) hold the writer lock, read each
pending WARC file (:mod:`.reading`), commit its rows in one transaction (:func:`_write_batch`,
through :func:`bulk_insert`), rebuild the derived tables and full-text indexes
(:func:`refresh`) and publish a new snapshot (:mod:`.snapshots`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import orjson

from scoarchive.core.profile import Profile, load_profile
from scoarchive.core.settings import DataDir
from scoarchive.warehouse.errors import WarehouseBusy, WarehouseError
from scoarchive.warehouse.extraction import ExtractionPool
from scoarchive.warehouse.fulltext import build_indexes
from scoarchive.warehouse.reading import read_warc
from scoarchive.warehouse.records import FileBatch, SkippedRecord
from scoarchive.warehouse.schema import (
    CAPTURE_COLUMNS,
    DOCUMENT_PAGE_COLUMNS,
    EXTRACTION_COLUMNS,
    LANGUAGE_LINK_COLUMNS,
    OUTLINK_COLUMNS,
    SKIP_COLUMNS,
    migrate,
)
from scoarchive.warehouse.snapshots import WORK_DB, _writer_lock, current_snapshot, publish

log = logging.getLogger("scoarchive.warehouse")  # the package's logger, as before the split

BULK_CHUNK = 200_000  # rows per temporary JSON file


@dataclass
class LoadReport:
    """What one load did. ``skipped`` lists the records not used, with the reason; those of
    them whose WARC data is damaged, and ``missing_files`` (loaded once, gone or empty now), are
    the damage a load must never keep quiet about."""

    files_loaded: list[str] = field(default_factory=list)
    captures_added: int = 0
    articles_added: int = 0
    versions_added: int = 0
    documents_added: int = 0
    skipped: list[SkippedRecord] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    snapshot: Path | None = None
    seconds: float = 0.0

    @property
    def damaged(self) -> list[SkippedRecord]:
        return [record for record in self.skipped if record.damaged]

    @property
    def damage_found(self) -> bool:
        return bool(self.damaged or self.missing_files)

    def damage_headline(self) -> str:
        """The one line every account of a load with damage gives (CLI, flow runs)."""
        count = len(self.damaged) + len(self.missing_files)
        return f"{count} damaged record(s) or missing file(s) found: `scoarchive verify` checks every file"

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_loaded": self.files_loaded,
            "captures_added": self.captures_added,
            "articles_added": self.articles_added,
            "versions_added": self.versions_added,
            "documents_added": self.documents_added,
            "skipped": [vars(s) for s in self.skipped],
            "missing_files": self.missing_files,
            "damage_found": self.damage_found,
            "snapshot": str(self.snapshot) if self.snapshot else None,
            "seconds": self.seconds,
        }


class FilesMissing(WarehouseError):
    """A reindex would drop the rows of WARC files that are gone: refused unless told to forget them."""

    def __init__(self, names: list[str]) -> None:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        super().__init__(
            f"{len(names)} WARC file(s) the warehouse holds are missing or empty: {shown}; reindex would"
            " drop their rows: restore them, or run reindex --forget-missing"
        )
        self.names = names


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
        pages = _unique(batch.document_pages, "record_id")
        bulk_insert(con, "document_pages", DOCUMENT_PAGE_COLUMNS, pages, tmp)
        bulk_insert(con, "language_links", LANGUAGE_LINK_COLUMNS, batch.language_links, tmp)
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


def refresh(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    """Rebuild the derived tables (articles, documents) and the full-text indexes (:mod:`.fulltext`)."""
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
    rows = con.execute(
        "SELECT article_key, url, title, language, published, text FROM articles_latest ORDER BY article_key"
    ).fetchall()
    columns = ("article_key", "url", "title", "language", "published", "text")
    build_indexes(
        con,
        [dict(zip(columns, row, strict=True)) for row in rows],
        partial(bulk_insert, tmp=tmp, keyed=False),
    )


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


def reindex(
    data_dir: Path | str, *, workers: int = 1, profile: str | Profile = "sco", forget_missing: bool = False
) -> LoadReport:
    """Rebuild the warehouse from the WARC files alone and publish it as a new snapshot.

    The work database is deleted and every file loaded again, under one hold of the writer
    lock; analysts keep reading the previous snapshot until the new one is published. A file the
    warehouse holds that is gone (or empty) would silently lose its rows, so that is refused
    (:class:`FilesMissing`) unless ``forget_missing``, and then reported as missing.
    """
    data = DataDir(data_dir)
    with _writer_lock(data.warehouse):
        missing = _missing_files(data)
        if missing and not forget_missing:
            raise FilesMissing(missing)
        for name in (WORK_DB, WORK_DB + ".wal"):
            with contextlib.suppress(FileNotFoundError):
                (data.warehouse / name).unlink()
        report = _load(data, workers, profile)
        report.missing_files = missing
        return report


def _missing_files(data: DataDir) -> list[str]:
    """Files the warehouse has loaded (its work database, else its snapshot) that are gone or empty."""
    work = data.warehouse / WORK_DB
    source = work if work.exists() else current_snapshot(data.root)
    if source is None:
        return []
    try:
        con = duckdb.connect(str(source), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseBusy(f"cannot open {source}: {exc}") from None
    try:
        known = [row[0] for row in con.execute("SELECT warc_file FROM loaded_files ORDER BY 1").fetchall()]
    except duckdb.CatalogException:
        known = []  # a warehouse that never loaded a file
    finally:
        con.close()
    return [
        name for name in known if not (data.warcs / name).is_file() or (data.warcs / name).stat().st_size == 0
    ]


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
        on_disk = {path.name for path in data.warc_files()}
        report.missing_files = sorted(name for name in loaded if name not in on_disk)
        pending = []
        for path in data.warc_files():
            size = path.stat().st_size
            if path.name not in loaded:
                pending.append(path)
            elif loaded[path.name] != size:
                reason = f"file changed since loaded ({loaded[path.name]} -> {size} bytes): run reindex"
                report.skipped.append(SkippedRecord(path.name, 0, None, None, reason, damaged=True))
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
