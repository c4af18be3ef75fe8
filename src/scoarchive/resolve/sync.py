"""Keeping the resolver's index in step with the warehouse: appended to by loads, rebuilt after a reindex.

Why not rebuild it per snapshot
-------------------------------
Building the index from a snapshot takes about 12 s per million captures. Rebuilt after every
load, an archive of a few million captures loading hourly made the first citation lookup of
every hour wait half a minute. A load only adds WARC files (the warehouse loads each closed
file once, in one transaction, and never changes its rows afterwards), so the index is brought
up to date by appending the captures of the files it lacks.

What the index file records, and how it is brought up to date
-------------------------------------------------------------
``DATA/warehouse/resolve/<fingerprint>-<n>.sqlite`` (see :mod:`.index` for its tables) records
in ``files`` the WARC files it holds and in ``meta`` the snapshot it was last brought up to date
with and the warehouse's generation (``warehouse.schema.GENERATION``: an id a warehouse
database gets when it is created, which a reindex, starting a new database, changes). The
fingerprint covers :data:`INDEX_VERSION` and the profile, whose canonical form decides the
keys; ``<fingerprint>.current`` names the file in use. Each load brings the index up to date
before it returns (:func:`.resolver.update_index`), so that the lookups after it only notice
that the warehouse published and find the index already there (about a millisecond); a lookup
that finds the index behind (a load made without it, or a lookup quicker than it) does the
same work itself. Under a lock file (flock: one process at a time, none blocked by a dead one):

- **same generation, and the snapshot's loaded files a superset of the index's**: reads from
  the snapshot only the captures of the files the index lacks (a filter by file, which DuckDB
  answers from its zone maps without scanning the rest) and appends them in one SQLite
  transaction, which also grades revisits whose record has just arrived (a revisit can be
  loaded before the record it refers to: a killed crawl's file is closed and loaded only when
  the crawl resumes). For 1,000 captures into an archive of a million this costs about 100 ms
  of CPU, most of it SQLite inserting into three indexes of a million random keys, against
  15 s for a rebuild (``bench/resolve.py``).
- **otherwise** (a reindex; a file gone from the warehouse; no index yet; a damaged one; an
  append the index refuses): builds a new file from the whole snapshot, renames it into place
  and repoints ``<fingerprint>.current`` at it. The file before it is kept, for readers still
  on it; older ones are deleted.

Why it is safe
--------------
- **WARC files stay the truth**: the index holds nothing the snapshot does not, and the rows of
  a file are the same whether it came in a load or a rebuild (the tests compare both).
- **Readers never see half an update**: the index is in WAL mode, so readers in every thread
  and process keep reading the last committed state while an append is written; each
  resolution is one read transaction (:meth:`.IndexFile.reading`). A rebuild is written to a
  file no reader opens until it is complete and named by the pointer.
- **Nothing blocks a load**: the index only ever reads published snapshots, read-only, which the
  loader never writes. A lookup that finds another thread or process bringing the index up to
  date answers from the state before the load rather than wait (unless it has no index at all).
- **A crash leaves a usable index**: an append is one transaction (rolled back by SQLite if the
  process dies); a rebuild is a temporary file until renamed (deleted by the next rebuild). The
  index still says which snapshot it holds, so the next lookup finishes the work.
- **Deleting the directory is always safe**: the next lookup rebuilds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import duckdb

from scoarchive.core.profile import Profile
from scoarchive.core.settings import DataDir
from scoarchive.resolve import writing
from scoarchive.resolve.index import IndexFile
from scoarchive.warehouse import WarehouseError, current_snapshot
from scoarchive.warehouse.lookups import SnapshotReader, SnapshotState, SnapshotView
from scoarchive.warehouse.snapshots import POINTER

INDEX_VERSION = 2
KEEP_FILES = 2  # the index in use and the one before it, which readers may still be on
_LOCK = ".build.lock"
_LEGACY = re.compile(r".*-v1\.sqlite(-wal|-shm)?$")  # one file per snapshot, before INDEX_VERSION 2


def fingerprint(profile: Profile) -> str:
    """What the index's rows depend on besides the warehouse: its layout and the profile."""
    return hashlib.sha256(f"{INDEX_VERSION}\n{profile.model_dump_json()}".encode()).hexdigest()[:16]


def _holds(index: IndexFile) -> str | None:
    """The snapshot the index holds; None if it cannot say (a file damaged since it was opened)."""
    try:
        return index.meta().get("snapshot")
    except sqlite3.Error:
        return None


class Change(StrEnum):
    """What bringing the index up to date did."""

    NONE = "none"  # it was up to date
    APPENDED = "appended"  # the captures of the files it lacked
    REBUILT = "rebuilt"  # from the whole snapshot
    DEFERRED = "deferred"  # another process was at it; the state before the load meanwhile


@dataclass(frozen=True)
class Update:
    """One bringing up to date: what changed, how many captures were written, in how long."""

    change: Change
    snapshot: str
    captures: int = 0
    seconds: float = 0.0


class IndexKeeper:
    """The index of one data directory for one profile, kept at the current snapshot; thread-safe."""

    def __init__(self, data: DataDir, profile: Profile, index_dir: Path) -> None:
        self.data = data
        self.profile = profile
        self.index_dir = index_dir
        self._fingerprint = fingerprint(profile)
        self._pointer = index_dir / f"{self._fingerprint}.current"
        self._warehouse_pointer = str(data.warehouse / POINTER)  # stat-ed on every lookup: kept as a str
        self._signature: tuple[int, int, int] | None = None  # of the warehouse pointer last caught up with
        self._index: IndexFile | None = None
        self._lock = threading.Lock()
        self._reader = SnapshotReader()

    def _pointer_signature(self) -> tuple[int, int, int]:
        try:
            pointer = os.stat(self._warehouse_pointer)
        except FileNotFoundError:
            raise self._no_warehouse() from None
        return (pointer.st_ino, pointer.st_mtime_ns, pointer.st_size)

    def current(self) -> IndexFile:
        """The index, brought up to date if the warehouse published since the last call."""
        signature = self._pointer_signature()
        index = self._index
        if index is not None and signature == self._signature:
            return index
        if not self._lock.acquire(blocking=index is None):
            assert index is not None
            return index  # another thread is bringing it up to date: the state before the load meanwhile
        try:
            if self._index is None or signature != self._signature:
                self._catch_up(signature, wait=self._index is None)
            assert self._index is not None
            return self._index
        finally:
            self._lock.release()

    def update(self) -> Update:
        """Bring the index up to date now, waiting for any other process doing it."""
        with self._lock:
            return self._catch_up(self._pointer_signature(), wait=True)

    def _no_warehouse(self) -> WarehouseError:
        return WarehouseError(f"no warehouse in {self.data.root}: run `scoarchive load` first")

    def _catch_up(self, signature: tuple[int, int, int], *, wait: bool) -> Update:
        started = time.perf_counter()
        for _ in range(3):  # the snapshot named may be retired by a load while we read it
            snapshot = current_snapshot(self.data.root)
            if snapshot is None:
                raise self._no_warehouse()
            index = self._named_index()
            if index is not None and _holds(index) == snapshot.name:
                self._index, self._signature = index, signature
                return Update(Change.NONE, snapshot.name)
            try:
                with self._build_lock(wait=wait or index is None) as held:
                    if not held:  # another process is at it: answer from the state before the load
                        self._index, self._signature = index, None
                        return Update(Change.DEFERRED, snapshot.name)
                    self._index, change, captures = self._bring_up_to_date(snapshot, wait=wait)
                    self._signature = signature
                    return Update(change, snapshot.name, captures, time.perf_counter() - started)
            except (FileNotFoundError, duckdb.IOException):
                continue
            except (sqlite3.Error, duckdb.Error, OSError) as exc:  # a full disk, a read-only directory
                raise WarehouseError(f"cannot update the resolver index in {self.index_dir}: {exc}") from None
        raise WarehouseError(f"the warehouse in {self.data.root} keeps changing; try again")

    def _named_index(self) -> IndexFile | None:
        """The index file the pointer names, or None (no pointer, no file, a damaged file)."""
        try:
            path = self.index_dir / self._pointer.read_text(encoding="utf-8").strip()
        except OSError:  # none yet; or a directory that cannot be read, which building will report
            return None
        if self._index is not None and self._index.path == path:
            return self._index  # keep its connections
        try:
            return IndexFile(path)
        except sqlite3.Error:
            return None

    @contextlib.contextmanager
    def _build_lock(self, *, wait: bool) -> Iterator[bool]:
        """Held while the index is written, so processes sharing the data directory take turns."""
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            handle = open(self.index_dir / _LOCK, "a+b")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise WarehouseError(
                f"cannot write the resolver index in {self.index_dir}: {exc.strerror or exc} "
                "(give Resolver an index_dir that is writable)"
            ) from None
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _bring_up_to_date(self, snapshot: Path, *, wait: bool) -> tuple[IndexFile, Change, int]:
        """Under the build lock: append the snapshot's new files, or rebuild when it cannot.

        ``wait``: the caller is not a lookup (a load), so the append's checkpoint is done now,
        rather than in the background of a process that may exit before it ends.
        """
        index = self._named_index()  # again: the process we waited for may have done it
        if index is not None and _holds(index) == snapshot.name:
            return index, Change.NONE, 0
        with self._reader.open(snapshot) as view:
            state = view.state()
            if index is not None:
                try:
                    appended = self._append(index.path, view, state, snapshot.name, wait=wait)
                except sqlite3.DatabaseError:
                    appended = None  # a damaged file (or an integrity error): rebuilt below
                if appended is not None:
                    return index, Change.APPENDED, appended
            path, captures = self._rebuild(view, state, snapshot.name)
            return IndexFile(path), Change.REBUILT, captures

    def _meta(self, snapshot: str, state: SnapshotState) -> dict[str, str | None]:
        return {
            "snapshot": snapshot,
            "generation": state.generation,
            "version": str(INDEX_VERSION),
            "fingerprint": self._fingerprint,
        }

    def _append(
        self, path: Path, view: SnapshotView, state: SnapshotState, snapshot: str, *, wait: bool
    ) -> int | None:
        """Append the files the index lacks in one transaction: how many captures; None to rebuild."""
        db = writing.writer(path)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                meta = {row["name"]: row["value"] for row in writing.rows(db, "SELECT name, value FROM meta")}
                held = {row["name"] for row in writing.rows(db, "SELECT name FROM files")}
                if meta.get("generation") != state.generation or not held <= state.files:
                    db.execute("ROLLBACK")
                    return None
                new = state.files - held
                added = writing.append(
                    db, view.capture_rows(new), new, self.profile, self._meta(snapshot, state)
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        finally:
            db.close()
        if wait:
            writing.checkpoint(path)
        else:
            writing.checkpoint_later(path)
        return added

    def _rebuild(self, view: SnapshotView, state: SnapshotState, snapshot: str) -> tuple[Path, int]:
        """A new index file from the whole snapshot, named by the pointer once complete; its captures."""
        numbered = self._numbered()
        for stale in self.index_dir.glob(f".{self._fingerprint}-*.tmp*"):
            stale.unlink(missing_ok=True)  # a rebuild that died; we hold the lock, nobody else writes
        path = self.index_dir / f"{self._fingerprint}-{(numbered[-1][0] + 1) if numbered else 1}.sqlite"
        temporary = path.with_name(f".{path.name}.tmp")
        meta = self._meta(snapshot, state)
        captures = writing.build(temporary, view.capture_rows(None), state.files, self.profile, meta)
        os.replace(temporary, path)
        pointer = self._pointer.with_name(f".{self._pointer.name}.tmp")
        pointer.write_text(path.name + "\n", encoding="utf-8")
        os.replace(pointer, self._pointer)
        self._prune()
        return path, captures

    def _numbered(self) -> list[tuple[int, Path]]:
        pattern = re.compile(rf"^{self._fingerprint}-(\d+)\.sqlite$")
        found = [(int(m.group(1)), p) for p in self.index_dir.iterdir() if (m := pattern.match(p.name))]
        return sorted(found)

    def _prune(self) -> None:
        """Delete index files older than the one before the current, and those of INDEX_VERSION 1."""
        for _, old in self._numbered()[:-KEEP_FILES]:
            for suffix in ("", "-wal", "-shm"):
                old.with_name(old.name + suffix).unlink(missing_ok=True)  # open readers keep their file
        for legacy in self.index_dir.iterdir():
            if _LEGACY.match(legacy.name):
                legacy.unlink(missing_ok=True)
