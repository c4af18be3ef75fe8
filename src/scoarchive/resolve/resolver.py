from __future__ import annotations

import fcntl
import os
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from scoarchive.core.dates import parse_timestamp
from scoarchive.core.profile import Profile, load_profile
from scoarchive.core.settings import DataDir, Settings
from scoarchive.core.urls import InvalidURL
from scoarchive.resolve.index import INDEX_VERSION, _Index, _Snapshot, build_index
from scoarchive.resolve.model import (
    GRADE_OK,
    GRADE_OTHER,
    GRADE_REDIRECT,
    Capture,
    Resolution,
    _distance,
    _micros,
    as_moment,
)
from scoarchive.resolve.target import Target, target
from scoarchive.warehouse import WarehouseError, current_snapshot
from scoarchive.warehouse.snapshots import POINTER

MAX_HOPS = 10


class Resolver:
    """Resolves cited URLs against one data directory's archive; safe to share between threads."""

    def __init__(
        self, data_dir: Path | str, *, profile: str | Profile = "sco", index_dir: Path | None = None
    ) -> None:
        self.data = DataDir(data_dir)
        self.profile = load_profile(profile) if isinstance(profile, str) else profile
        self.index_dir = index_dir if index_dir is not None else self.data.warehouse / "resolve"
        self._pointer = str(self.data.warehouse / POINTER)  # stat-ed on every lookup: kept as a str
        self._state = _Snapshot()

    # -- the index ---------------------------------------------------------------------------

    def index(self) -> _Index:
        """The index of the current snapshot, built or switched when the warehouse publishes."""
        state = self._state
        try:
            pointer = os.stat(self._pointer)
        except FileNotFoundError:
            raise WarehouseError(f"no warehouse in {self.data.root}: run `scoarchive load` first") from None
        signature = (pointer.st_ino, pointer.st_mtime_ns, pointer.st_size)
        if signature == state.signature and state.index is not None:
            return state.index
        with state.lock:
            if signature != state.signature or state.index is None:
                state.index = _Index(self._ensure_built())
                state.signature = signature
            return state.index

    def _ensure_built(self) -> Path:
        for _ in range(3):  # the snapshot named may be retired by a load while we read it
            snapshot = current_snapshot(self.data.root)
            if snapshot is None:
                raise WarehouseError(f"no warehouse in {self.data.root}: run `scoarchive load` first")
            try:
                stat = snapshot.stat()
                name = f"{snapshot.stem}-{stat.st_size}-{stat.st_mtime_ns}-v{INDEX_VERSION}.sqlite"
                path = self.index_dir / name
                if not path.exists():
                    self._build_locked(snapshot, path)
                return path
            except (FileNotFoundError, duckdb.IOException):
                continue
        raise WarehouseError(f"the warehouse in {self.data.root} keeps changing; try again")

    def _build_locked(self, snapshot: Path, path: Path) -> None:
        """Build under a lock, so processes sharing the data directory build each index once."""
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            lock = open(self.index_dir / ".build.lock", "a+b")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise WarehouseError(
                f"cannot write the resolver index in {self.index_dir}: {exc.strerror or exc} "
                "(give Resolver an index_dir that is writable)"
            ) from None
        with lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                if not path.exists():
                    build_index(snapshot, path, self.profile)
                    for old in self.index_dir.glob("*.sqlite"):
                        if old != path:
                            old.unlink(missing_ok=True)  # open readers keep their file
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    # -- lookups -----------------------------------------------------------------------------

    def target(self, url: str) -> Target:
        return target(url, self.profile)

    def resolve(self, url: str, at: datetime | date | None = None) -> Resolution | None:
        """The capture that best answers ``url`` at ``at`` (latest if None); None if none is archived.

        Raises InvalidURL (a ValueError) for a URL the archive cannot hold, WarehouseError when no
        warehouse has been published.
        """
        query = self.target(url)
        return self._resolve(query, as_moment(at), {query.key})

    def _resolve(self, query: Target, at: datetime | None, seen: set[str]) -> Resolution | None:
        index = self.index()
        when = _micros(at) if at is not None else None
        by_key = ("key = ?", (query.key,))
        by_article = ("article_key = ? AND key <> ?", (query.article_key, query.key))
        tiers = [by_key, by_article] if query.article_key else [by_key]

        def found(capture: Capture, tier: tuple[str, tuple[Any, ...]]) -> Resolution:
            match = "alias" if tier is by_article else "exact" if capture.url == query.url else "canonical"
            return Resolution(query.url, at, match, capture)

        for tier in tiers:
            if hit := index.nearest(*tier, GRADE_OK, when):
                return found(hit, tier)
        redirect = next((hit for tier in tiers if (hit := index.nearest(*tier, GRADE_REDIRECT, when))), None)
        if redirect is not None and (followed := self._follow(redirect, at, seen)) is not None:
            return Resolution(query.url, at, "redirect", followed.capture, (redirect, *followed.via))
        for tier in tiers:
            hits = [
                hit for grade in (GRADE_REDIRECT, GRADE_OTHER) if (hit := index.nearest(*tier, grade, when))
            ]
            if hits:
                return found(min(hits, key=lambda hit: _distance(hit, when)), tier)
        return None

    def _follow(self, redirect: Capture, at: datetime | None, seen: set[str]) -> Resolution | None:
        """Follow a captured redirect through the archive to content, or None (loop, not archived)."""
        location = redirect.redirect_target()
        if location is None or len(seen) > MAX_HOPS:
            return None
        try:
            hop = self.target(location)
        except InvalidURL:
            return None
        if hop.key in seen:
            return None
        seen.add(hop.key)
        result = self._resolve(hop, at, seen)
        return result if result is not None and result.capture.grade == GRADE_OK else None

    def captures(self, url: str, limit: int = 10_000) -> list[Capture]:
        """Every capture of the URL and of the same article, oldest first."""
        query = self.target(url)
        index = self.index()
        if query.article_key:
            return index.all("key = ? OR article_key = ?", (query.key, query.article_key), limit)
        return index.all("key = ?", (query.key,), limit)

    def at_timestamp(self, url: str, timestamp: str) -> Capture | None:
        """The capture a memento URI names: same SURT key, the timestamp's second (or microsecond).

        None when no capture, or more than one, falls in that second: the caller redirects to
        the nearest capture's own URI.
        """
        if len(timestamp) not in (14, 20):
            return None
        query = self.target(url)
        start = _micros(parse_timestamp(timestamp))
        end = start + (1 if len(timestamp) == 20 else 1_000_000)
        hits = self.index().all(
            "key = ? AND grade IN (0, 1, 2) AND ts >= ? AND ts < ?", (query.key, start, end), 2
        )
        return hits[0] if len(hits) == 1 else None

    def memento_timestamp(self, capture: Capture) -> str:
        """The timestamp of the capture's memento URI: 14 digits, or 20 (with microseconds) when
        another capture of the same URL falls in the same second, so every capture has its own URI."""
        second = _micros(capture.time.replace(microsecond=0))
        if self.index().count_between(capture.key, second, second + 1_000_000) > 1:
            return capture.time.strftime("%Y%m%d%H%M%S%f")
        return capture.timestamp


_RESOLVERS: dict[Path, Resolver] = {}


_RESOLVERS_LOCK = threading.Lock()


def resolve(
    url: str, at: datetime | date | None = None, data_dir: Path | str | None = None
) -> Resolution | None:
    """:meth:`Resolver.resolve` on ``data_dir`` (default ``$SCOARCHIVE_HOME``), reusing one resolver."""
    root = Path(data_dir) if data_dir is not None else Settings().home
    key = root.resolve()
    with _RESOLVERS_LOCK:
        resolver = _RESOLVERS.get(key)
        if resolver is None:
            resolver = _RESOLVERS[key] = Resolver(root)
    return resolver.resolve(url, at)
