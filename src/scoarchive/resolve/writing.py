"""Writing the resolver's index: a snapshot's captures into rows, appended or built into a new file.

Both ways of writing (:func:`append` for a load, :func:`build` for a whole snapshot) turn the
same :class:`~scoarchive.warehouse.lookups.CaptureRow` into the same row, so an index appended
to load by load holds what one built at once would. The only derived column, ``grade``, needs
the record a revisit refers to: an append finds it in the batch or the index before inserting
(an update afterwards would rewrite every row twice); a build, which streams a million rows in
no useful order, inserts revisits ungraded and grades them in one statement once the indexes
exist (:data:`_SETTLE`), which is also how a revisit loaded before its record is graded when
that record arrives.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from scoarchive.core.profile import Profile
from scoarchive.core.urls import InvalidURL, surt_key
from scoarchive.resolve.index import INDEXES, SCHEMA
from scoarchive.resolve.model import Grade
from scoarchive.resolve.target import canonical_url
from scoarchive.warehouse.lookups import CaptureRow

_COLUMNS = (
    "record_id, key, article_key, ts, grade, url, status, mime, record_type, file, offset, length, "
    "digest, location, title, refers_to"
)
_INSERT = f"INSERT INTO captures ({_COLUMNS}) VALUES ({', '.join('?' * len(_COLUMNS.split(',')))})"
_LOOKUP_CHUNK = 500  # record ids per IN (...) when finding the records revisits refer to

# Revisits whose record is in the index now get the grade of the content they replay.
_SETTLE = """
UPDATE captures SET grade = grade_of(o.status, coalesce(captures.location, o.location))
FROM captures AS o
WHERE captures.grade IS NULL AND o.record_id = captures.refers_to
"""


class Content(NamedTuple):
    """What grading a revisit needs of the record it refers to."""

    status: int | None
    location: str | None


def index_key(surt: str | None, url: str, profile: Profile) -> str | None:
    """A capture's lookup key, computed as for a cited URL when the warehouse's SURT may differ.

    The warehouse's SURT is of the URL as captured; queries (tracking parameters) and
    non-ASCII paths are canonicalised first, exactly as :func:`.target.target` does for the
    citation. None for a URL no citation can name (the row stays, as a revisit's record).
    """
    if surt and url.isascii() and "?" not in url and " " not in url:
        return surt
    try:
        return surt_key(canonical_url(url, profile))
    except (InvalidURL, ValueError):
        return None


def _grade_of(status: int | None, location: str | None) -> int:
    return int(Grade.of(status, location))


def writer(path: Path) -> sqlite3.Connection:
    """A connection that writes the index; the caller holds the build lock."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 10000")
    # WAL: commits write the log without fsync (a power cut may lose the last append, never the
    # file's consistency); checkpoints are explicit (checkpoint, checkpoint_later), not in commits
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    db.create_function("grade_of", 2, _grade_of, deterministic=True)
    return db


def rows(db: sqlite3.Connection, sql: str, args: Iterable[object] = ()) -> list[sqlite3.Row]:
    """A query's rows, by name."""
    cursor = db.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, tuple(args)).fetchall()


def _insert(
    db: sqlite3.Connection,
    captures: Iterable[CaptureRow],
    files: Collection[str],
    profile: Profile,
    contents: Mapping[str, Content],
) -> int:
    """Insert the files and their captures (how many); a revisit whose record is not in ``contents``
    stays ungraded."""
    db.executemany("INSERT INTO files (name) VALUES (?)", [(name,) for name in sorted(files)])
    ids = {row["name"]: row["id"] for row in rows(db, "SELECT id, name FROM files")}

    def values() -> Iterator[tuple[object, ...]]:
        for row in captures:
            if row.record_type != "revisit":
                grade: int | None = _grade_of(row.status, row.location)
            elif (content := contents.get(row.refers_to or "")) is not None:
                location = row.location if row.location is not None else content.location
                grade = _grade_of(content.status, location)
            else:
                grade = None
            yield (
                row.record_id, index_key(row.surt, row.url, profile), row.article_key, row.time_us, grade,
                row.url, row.status, row.mime, row.record_type, ids[row.warc_file], row.warc_offset,
                row.warc_length, row.payload_digest, row.location, row.title, row.refers_to,
            )  # fmt: skip

    before = db.total_changes
    db.executemany(_INSERT, values())
    return db.total_changes - before


def _contents(db: sqlite3.Connection, captures: list[CaptureRow]) -> dict[str, Content]:
    """The records the batch's revisits refer to, from the batch itself or from the index."""
    found = {row.record_id: Content(row.status, row.location) for row in captures}
    wanted = sorted({row.refers_to for row in captures if row.refers_to and row.refers_to not in found})
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        marks = ", ".join("?" * len(chunk))
        for row in rows(
            db, f"SELECT record_id, status, location FROM captures WHERE record_id IN ({marks})", chunk
        ):
            found[row["record_id"]] = Content(row["status"], row["location"])
    return found


def _stamp(db: sqlite3.Connection, meta: Mapping[str, str | None]) -> None:
    db.executemany("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", sorted(meta.items()))


def append(
    db: sqlite3.Connection,
    captures: Iterable[CaptureRow],
    files: Collection[str],
    profile: Profile,
    meta: Mapping[str, str | None],
) -> int:
    """Add these files and their captures (how many) in the caller's transaction, and what the index
    now holds."""
    batch = list(captures)  # a load's worth: thousands
    added = _insert(db, batch, files, profile, _contents(db, batch))
    db.execute(_SETTLE)  # revisits loaded before their record (few: the index has a partial index of them)
    _stamp(db, meta)
    return added


def build(
    path: Path,
    captures: Iterable[CaptureRow],
    files: Collection[str],
    profile: Profile,
    meta: Mapping[str, str | None],
) -> int:
    """Write a complete index to ``path`` (a file nobody reads yet), durably, in WAL mode; its captures."""
    db = writer(path)
    try:
        db.execute("PRAGMA journal_mode = OFF")  # nobody reads it until it is complete and renamed
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(SCHEMA)
        db.execute("BEGIN")
        added = _insert(db, captures, files, profile, {})
        db.execute("COMMIT")
        db.executescript(INDEXES)
        db.execute("BEGIN")
        db.execute(_SETTLE)
        _stamp(db, meta)
        db.execute("COMMIT")
        db.execute("PRAGMA journal_mode = WAL")  # from now on readers and appends share it
    finally:
        db.close()
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())
    return added


def checkpoint(path: Path) -> None:
    """Copy the appended pages from the log into the file (as far as readers allow)."""
    try:
        db = sqlite3.connect(path, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            db.close()
    except sqlite3.Error:
        pass  # the next append checkpoints again; a WAL left long is still a valid index


def checkpoint_later(path: Path) -> threading.Thread:
    """Copy the appended pages from the log into the file, in the background.

    A checkpoint after a load's append costs as much as the append (the pages it wrote, written
    again and the file fsync-ed): done in the lookup that appended, it would double the wait.
    Readers and later appends do not wait for it (WAL); if the process ends first, SQLite's
    last connection to close, or the next append's checkpoint, does it. Loads, which can wait,
    call :func:`checkpoint` instead.
    """
    thread = threading.Thread(target=checkpoint, args=(path,), name="resolver-index-checkpoint", daemon=True)
    thread.start()
    return thread
