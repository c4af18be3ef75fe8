"""What every handler shares: the archive's files and index, the public base URL, the cache, and
the threads that read files.

Index lookups (SQLite, tens of microseconds) run on the event loop, cheaper than a thread hop.
Reading a WARC file (:meth:`Archive.run`), rewriting a page (:meth:`Archive.render`) and querying
the warehouse (:meth:`Archive.query`) run in threads, each kind with its own limit, so a slow disk
never stalls the loop, slow queries never hold up replay, and a bounded number of bodies is in
memory at once: ``config.threads`` reads (each body at most 1 MiB, larger ones stream) and
queries, and :data:`RENDERS` rewritings (each up to 64 MiB stored, 16 MiB decoded, and its tree).

Each warehouse query opens its own DuckDB connection (``warehouse.lookups``). Opening the
snapshot and loading full-text search costs 0.1-0.3 s, unless the database is already open in
the process: DuckDB then shares it. So the archive keeps one connection to the current snapshot
open (:class:`_KeptOpen`), and a query costs milliseconds.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import anyio.to_thread
import duckdb
from anyio import CapacityLimiter
from starlette.requests import Request

from scoarchive import warehouse
from scoarchive.core.settings import DataDir
from scoarchive.resolve.model import Capture
from scoarchive.resolve.resolver import Resolver
from scoarchive.service.addresses import uri
from scoarchive.service.cache import ByteCache, Key, Stored
from scoarchive.service.config import ServiceConfig, base_url_for, host_literal

T = TypeVar("T")


WAREHOUSE_MEMORY = "256MB"  # DuckDB's buffers for the snapshot kept open, per worker process


RENDERS = 2  # rewritings in flight per worker: they hold the GIL, more would only hold more pages


class _KeptOpen:
    """One open connection to the snapshot currently published, replaced when another is."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._path: str | None = None
        self._connection: duckdb.DuckDBPyConnection | None = None

    def ensure(self) -> None:
        current = os.path.realpath(warehouse.published_path(self.root))
        with self._lock:
            if current == self._path:
                return
            old, self._connection, self._path = self._connection, None, current
            try:
                self._connection = warehouse.connect(self.root)
                # bounds the buffers of the database the queries share (a setting, not a query)
                self._connection.execute(f"SET memory_limit = '{WAREHOUSE_MEMORY}'")
            except (warehouse.WarehouseError, duckdb.Error):
                self._path = None  # the query itself will say what is wrong
            if old is not None:
                old.close()


class Archive:
    """One data directory as the service sees it."""

    def __init__(self, data_dir: Path | str, resolver: Resolver, config: ServiceConfig) -> None:
        self.data = DataDir(data_dir)
        self.resolver = resolver
        self.config = config
        self.cache = ByteCache(config.cache_bytes)
        self._limiters: dict[str, CapacityLimiter] = {}
        self._kept_open = _KeptOpen(self.data.root)
        self._making: dict[Key, asyncio.Task[Stored]] = {}

    def base(self, request: Request) -> str:
        """The public base URL: configured, or the address the connection arrived at (from the
        socket, not the Host header)."""
        if self.config.base_url is not None:
            return self.config.base_url
        server = request.scope.get("server")
        if server and server[1] is not None:
            return base_url_for(server[0], server[1])
        return f"http://{host_literal(self.config.host)}"

    def snapshot(self) -> str:
        """A name of the warehouse snapshot the index was built from, for keys of cached pages."""
        return self.resolver.index().path.name

    def memento_path(self, capture: Capture, modifier: str = "") -> str:
        return f"/web/{self.resolver.memento_timestamp(capture)}{modifier}/{uri(capture.url)}"

    async def once(self, key: Key, make: Callable[[], Awaitable[Stored]]) -> Stored:
        """The cached answer for ``key``, made by ``make`` if need be, once however many requests
        ask for it meanwhile (a page cited in a briefing is asked for by many readers at once).

        It is made in a task of its own, so a reader who hangs up does not fail the others.
        """
        if (stored := self.cache.get(key)) is not None:
            return stored
        task = self._making.get(key)
        if task is None:
            task = self._making[key] = asyncio.ensure_future(make())
            task.add_done_callback(lambda done: self._finish(key, done))
        return await asyncio.shield(task)

    def _finish(self, key: Key, task: asyncio.Task[Stored]) -> None:
        del self._making[key]
        if not task.cancelled() and task.exception() is None:
            self.cache.put(key, task.result())

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)``, which reads WARC files, in a thread."""
        return await self._in_thread("files", self.config.threads, function, *args)

    async def render(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)``, which rewrites a page, in a thread."""
        return await self._in_thread("render", RENDERS, function, *args)

    async def query(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)``, which queries the warehouse, in a thread."""

        def kept_open() -> T:
            self._kept_open.ensure()
            return function(*args)

        return await self._in_thread("warehouse", self.config.threads, kept_open)

    async def _in_thread(self, kind: str, limit: int, function: Callable[..., T], *args: object) -> T:
        limiter = self._limiters.get(kind)
        if limiter is None:  # made on the event loop, where it is used
            limiter = self._limiters[kind] = CapacityLimiter(limit)
        return await anyio.to_thread.run_sync(function, *args, limiter=limiter)
