"""The resolver's index: a SQLite file derived from each published warehouse snapshot.

DuckDB answers a point query in 0.5 ms (p99 2 ms on a million captures), too slow for several
lookups per resolution at 1,000 resolutions/s; SQLite answers the same query in 15-25 us. So
the resolver keeps a derived SQLite file per snapshot,
``DATA/warehouse/resolve/<snapshot>-<size>-<mtime>-v<N>.sqlite``, built on first use and rebuilt
when the warehouse publishes a new snapshot. Deleting the directory is always safe.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scoarchive.core.profile import Profile
from scoarchive.core.urls import InvalidURL, surt_key
from scoarchive.resolve.model import EPOCH, MICROSECOND, Capture, StoredRecord, _grade
from scoarchive.resolve.target import canonical_url
from scoarchive.warehouse.lookups import capture_rows

INDEX_VERSION = 1


_SCHEMA = """
CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE captures (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL,     -- SURT of the canonical URL
    article_key TEXT,              -- host/ID of an article address
    ts          INTEGER NOT NULL,  -- capture time, microseconds since 1970 UTC
    grade       INTEGER NOT NULL,  -- 0: 2xx content, 1: redirect with a Location, 2: anything else
    url TEXT NOT NULL, status INTEGER, mime TEXT, record_type TEXT NOT NULL, record_id TEXT NOT NULL,
    file INTEGER NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL,
    digest TEXT, location TEXT, title TEXT,
    -- revisits: the record holding the content (NULL for full captures)
    c_record_id TEXT, c_file INTEGER, c_offset INTEGER, c_length INTEGER, c_status INTEGER, c_mime TEXT
);
"""


_INDEXES = """
CREATE INDEX by_key ON captures (key, grade, ts);
CREATE INDEX by_article ON captures (article_key, grade, ts) WHERE article_key IS NOT NULL;
"""


# The index's columns, in the order build_index inserts them.
_COLUMNS = (
    "key, url, article_key, ts, status, mime, record_type, record_id, file, offset, length, digest, "
    "location, title, c_record_id, c_file, c_offset, c_length, c_status, c_mime"
)


def _index_key(surt: str | None, url: str, profile: Profile) -> str | None:
    """The capture's lookup key, computed as for a cited URL when the warehouse's SURT may differ.

    The warehouse's SURT is of the URL as captured; queries (tracking parameters) and
    non-ASCII paths are canonicalised first, exactly as :func:`target` does for the citation.
    """
    if surt and url.isascii() and "?" not in url and " " not in url:
        return surt
    try:
        return surt_key(canonical_url(url, profile))
    except (InvalidURL, ValueError):
        return None


def build_index(snapshot: Path, path: Path, profile: Profile) -> None:
    """Write the SQLite index for ``snapshot`` to ``path`` (atomically: temporary file, rename)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    db = sqlite3.connect(temporary)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(_SCHEMA)
        files: dict[str, int] = {}

        def file_id(name: str | None) -> int | None:
            if name is None:
                return None
            if name not in files:
                files[name] = len(files) + 1
            return files[name]

        def rows() -> Iterator[tuple[Any, ...]]:
            for row in capture_rows(snapshot):
                key = _index_key(row.surt, row.url, profile)
                if key is None:
                    continue
                served = row.content_status if row.record_type == "revisit" else row.status
                yield (
                    key, row.url, row.article_key, row.time_us, row.status, row.mime, row.record_type,
                    row.record_id, file_id(row.warc_file), row.warc_offset, row.warc_length,
                    row.payload_digest, row.location, row.title, row.content_record_id,
                    file_id(row.content_warc_file), row.content_warc_offset, row.content_warc_length,
                    row.content_status, row.content_mime, _grade(served, row.location),
                )  # fmt: skip

        db.executemany(f"INSERT INTO captures ({_COLUMNS}, grade) VALUES ({', '.join('?' * 21)})", rows())
        db.executemany("INSERT INTO files (id, name) VALUES (?, ?)", [(i, n) for n, i in files.items()])
        db.executescript(_INDEXES)
        db.execute("INSERT INTO meta VALUES ('snapshot', ?), ('version', ?)", (snapshot.name, INDEX_VERSION))
        db.commit()
    finally:
        db.close()
    os.replace(temporary, path)


class _Index:
    """One built index file, opened once per thread (SQLite connections are per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        with contextlib.closing(self._open()) as db:
            self.files = dict(db.execute("SELECT id, name FROM files").fetchall())

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(f"file:{quote(str(self.path))}?mode=ro", uri=True, check_same_thread=False)
        db.execute("PRAGMA query_only = ON")
        db.row_factory = sqlite3.Row
        return db

    @property
    def db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._open()
        return db

    def capture(self, row: sqlite3.Row) -> Capture:
        """A Capture from a row of the index's ``captures`` table."""
        name = self.files[row["file"]]
        if row["c_record_id"] is None:
            content = StoredRecord(
                row["record_id"], name, row["offset"], row["length"], row["status"], row["mime"]
            )
        else:
            content = StoredRecord(
                row["c_record_id"], self.files[row["c_file"]], row["c_offset"], row["c_length"],
                row["c_status"], row["c_mime"],
            )  # fmt: skip
        return Capture(
            key=row["key"], url=row["url"], article_key=row["article_key"],
            time=EPOCH + row["ts"] * MICROSECOND, status=row["status"], mime=row["mime"],
            record_type=row["record_type"], record_id=row["record_id"], warc_file=name,
            warc_offset=row["offset"], warc_length=row["length"], payload_digest=row["digest"],
            location=row["location"], title=row["title"], content=content,
        )  # fmt: skip

    def nearest(self, where: str, args: tuple[Any, ...], grade: int, at: int | None) -> Capture | None:
        """The capture matching ``where`` with this grade nearest to ``at`` (latest if None)."""
        base = f"SELECT {_COLUMNS} FROM captures WHERE {where} AND grade = ?"
        if at is None:
            rows = self.db.execute(f"{base} ORDER BY ts DESC LIMIT 1", (*args, grade)).fetchall()
        else:
            rows = self.db.execute(
                f"SELECT * FROM ({base} AND ts <= ? ORDER BY ts DESC LIMIT 1) "
                f"UNION ALL SELECT * FROM ({base} AND ts > ? ORDER BY ts LIMIT 1)",
                (*args, grade, at, *args, grade, at),
            ).fetchall()
            # the earlier one wins a tie: the page as it stood by then
            rows.sort(key=lambda row: (abs(row["ts"] - at), row["ts"]))
        return self.capture(rows[0]) if rows else None

    def all(self, where: str, args: tuple[Any, ...], limit: int) -> list[Capture]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM captures WHERE {where} ORDER BY ts LIMIT ?", (*args, limit)
        ).fetchall()
        return [self.capture(row) for row in rows]

    def count_between(self, key: str, start: int, end: int) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM captures WHERE key = ? AND grade IN (0, 1, 2) AND ts >= ? AND ts < ?",
            (key, start, end),
        ).fetchone()
        return int(row[0])


@dataclass
class _Snapshot:
    signature: tuple[int, int, int] | None = None
    index: _Index | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
