"""The resolution algorithm: from a cited URL and a date to the capture that best answers it.

A citation names an address that may since have moved, been respelled or redirected, so the
resolver looks in tiers, each only when the one before found no content: the address itself
(its canonical form), then the article's other addresses (:attr:`.Target.article_key`), then
the redirects the archive captured, followed through the archive; a capture that is not
content (an error, a redirect that leads nowhere archived) is the answer only when nothing
better exists. Within a tier the capture nearest in time wins, the earlier on a tie.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scoarchive.core.dates import parse_timestamp
from scoarchive.core.profile import Profile, load_profile
from scoarchive.core.settings import DataDir, Settings
from scoarchive.core.urls import InvalidURL
from scoarchive.resolve.index import IndexFile
from scoarchive.resolve.model import Capture, Grade, Match, Resolution, as_moment, micros, nearness
from scoarchive.resolve.sync import IndexKeeper, Update
from scoarchive.resolve.target import Target, target

MAX_HOPS = 10


_Tier = tuple[str, tuple[Any, ...]]


class Resolver:
    """Resolves cited URLs against one data directory's archive; safe to share between threads."""

    def __init__(
        self, data_dir: Path | str, *, profile: str | Profile = "sco", index_dir: Path | None = None
    ) -> None:
        self.data = DataDir(data_dir)
        self.profile = load_profile(profile) if isinstance(profile, str) else profile
        self.index_dir = index_dir if index_dir is not None else self.data.warehouse / "resolve"
        self._keeper = IndexKeeper(self.data, self.profile, self.index_dir)

    def index(self) -> IndexFile:
        """The index, brought up to date with the warehouse's current snapshot (see :mod:`.sync`).

        Raises WarehouseError when no warehouse has been published.
        """
        return self._keeper.current()

    def update(self) -> Update:
        """Bring the index up to date now, waiting for any other process at it (see :func:`update_index`)."""
        return self._keeper.update()

    def target(self, url: str) -> Target:
        return target(url, self.profile)

    def resolve(self, url: str, at: datetime | date | None = None) -> Resolution | None:
        """The capture that best answers ``url`` at ``at`` (latest if None); None if none is archived.

        Raises InvalidURL (a ValueError) for a URL the archive cannot hold, WarehouseError when no
        warehouse has been published.
        """
        query = self.target(url)
        index = self.index()
        with index.reading():  # every query of the resolution sees the same state of the index
            return self._resolve(index, query, as_moment(at), {query.key})

    def _resolve(
        self, index: IndexFile, query: Target, at: datetime | None, seen: set[str]
    ) -> Resolution | None:
        when = micros(at) if at is not None else None
        by_key: _Tier = ("c.key = ?", (query.key,))
        by_article: _Tier = ("c.article_key = ? AND c.key <> ?", (query.article_key, query.key))
        tiers = [by_key, by_article] if query.article_key else [by_key]

        def found(capture: Capture, tier: _Tier) -> Resolution:
            if tier is by_article:
                match = Match.ALIAS
            else:
                match = Match.EXACT if capture.url == query.url else Match.CANONICAL
            return Resolution(query.url, at, match, capture)

        for tier in tiers:
            if hit := index.nearest(*tier, Grade.OK, when):
                return found(hit, tier)
        redirect = next((hit for tier in tiers if (hit := index.nearest(*tier, Grade.REDIRECT, when))), None)
        if redirect is not None and (followed := self._follow(index, redirect, at, seen)) is not None:
            return Resolution(query.url, at, Match.REDIRECT, followed.capture, (redirect, *followed.via))
        for tier in tiers:
            hits = [
                hit for grade in (Grade.REDIRECT, Grade.OTHER) if (hit := index.nearest(*tier, grade, when))
            ]
            if hits:
                return found(min(hits, key=lambda hit: nearness(hit, when)), tier)
        return None

    def _follow(
        self, index: IndexFile, redirect: Capture, at: datetime | None, seen: set[str]
    ) -> Resolution | None:
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
        result = self._resolve(index, hop, at, seen)
        return result if result is not None and result.capture.grade == Grade.OK else None

    def captures(self, url: str, limit: int = 10_000) -> list[Capture]:
        """Every capture of the URL and of the same article, oldest first."""
        query = self.target(url)
        index = self.index()
        if query.article_key:
            return index.all("c.key = ? OR c.article_key = ?", (query.key, query.article_key), limit)
        return index.all("c.key = ?", (query.key,), limit)

    def at_timestamp(self, url: str, timestamp: str) -> Capture | None:
        """The capture a memento URI names: same SURT key, the timestamp's second (or microsecond).

        None when no capture, or more than one, falls in that second: the caller redirects to
        the nearest capture's own URI.
        """
        if len(timestamp) not in (14, 20):
            return None
        query = self.target(url)
        start = micros(parse_timestamp(timestamp))
        end = start + (1 if len(timestamp) == 20 else 1_000_000)
        hits = self.index().all("c.key = ? AND c.ts >= ? AND c.ts < ?", (query.key, start, end), 2)
        return hits[0] if len(hits) == 1 else None

    def memento_timestamp(self, capture: Capture) -> str:
        """The timestamp of the capture's memento URI: 14 digits, or 20 (with microseconds) when
        another capture of the same URL falls in the same second, so every capture has its own URI."""
        second = micros(capture.time.replace(microsecond=0))
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


def update_index(data_dir: Path | str, *, profile: str | Profile = "sco") -> Update:
    """Bring the resolver's index up to date with the warehouse now, so that no lookup waits for it.

    Every load calls this once it has published (the CLI's ``load``, ``reindex`` and ``crawl``, the
    flows' load task, the demo), so that appending what the load added (tens of milliseconds), or
    after a reindex the rebuild, is paid by the load and not by the first citation looked up: a
    service already running finds the index at the new snapshot and only switches to it. A lookup
    that comes first does the same work itself (see :mod:`.sync`). Raises WarehouseError (no
    warehouse, an index directory that cannot be written).
    """
    return Resolver(data_dir, profile=profile).update()
