"""What every handler shares: the archive's files and index, the public base URL, the cache, and
the threads that read files.

Index lookups (SQLite, tens of microseconds) run on the event loop, cheaper than a thread hop.
Reading a WARC file or rendering a page (:meth:`Archive.run`) and querying the warehouse
(:meth:`Archive.query`, DuckDB: a connection costs about 0.1 s) run in threads, each kind with
its own limit (``config.threads``), so a slow disk never stalls the loop, slow queries never hold
up replay, and a bounded number of bodies is in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.requests import Request

from scoarchive.core.settings import DataDir
from scoarchive.resolve.model import Capture
from scoarchive.resolve.resolver import Resolver
from scoarchive.service.addresses import uri
from scoarchive.service.cache import ByteCache
from scoarchive.service.config import ServiceConfig, base_url_for

T = TypeVar("T")


class Archive:
    """One data directory as the service sees it."""

    def __init__(self, data_dir: Path | str, resolver: Resolver, config: ServiceConfig) -> None:
        self.data = DataDir(data_dir)
        self.resolver = resolver
        self.config = config
        self.cache = ByteCache(config.cache_bytes)
        self._limiters: dict[str, CapacityLimiter] = {}

    def base(self, request: Request) -> str:
        """The public base URL: configured, or the address the connection arrived at (from the
        socket, not the Host header)."""
        if self.config.base_url is not None:
            return self.config.base_url
        server = request.scope.get("server")
        if server and server[1] is not None:
            return base_url_for(server[0], server[1])
        return f"http://{self.config.host}"

    def snapshot(self) -> str:
        """A name of the warehouse snapshot the index was built from, for keys of cached pages."""
        return self.resolver.index().path.name

    def memento_path(self, capture: Capture, modifier: str = "") -> str:
        return f"/web/{self.resolver.memento_timestamp(capture)}{modifier}/{uri(capture.url)}"

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)``, which reads WARC files or renders, in a thread."""
        return await self._in_thread("files", function, *args)

    async def query(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)``, which queries the warehouse, in a thread."""
        return await self._in_thread("warehouse", function, *args)

    async def _in_thread(self, kind: str, function: Callable[..., T], *args: object) -> T:
        limiter = self._limiters.get(kind)
        if limiter is None:  # made on the event loop, where it is used
            limiter = self._limiters[kind] = CapacityLimiter(self.config.threads)
        return await anyio.to_thread.run_sync(function, *args, limiter=limiter)
