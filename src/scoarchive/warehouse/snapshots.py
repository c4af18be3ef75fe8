"""Publishing immutable snapshots, so readers and the writer never share a file.

The loader holds the writer lock (:func:`_writer_lock`) and writes a private work database;
:func:`publish` copies it to a new numbered snapshot, atomically repoints the ``current``
pointer and the ``scoarchive.duckdb`` symlink at it, and prunes all but the newest
``KEEP_SNAPSHOTS``. Readers only ever open the published path (:func:`connect`), read-only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from scoarchive.core.settings import DataDir
from scoarchive.warehouse.errors import WarehouseBusy, WarehouseError
from scoarchive.warehouse.schema import load_fts

WORK_DB = "work.duckdb"
PUBLISHED_DB = "scoarchive.duckdb"
POINTER = "current"
KEEP_SNAPSHOTS = 2
_SNAPSHOT = re.compile(r"^scoarchive-(\d+)\.duckdb$")


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
