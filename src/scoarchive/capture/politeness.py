"""Politeness: how many requests are in flight to a host, how far apart they start, and retries.

A crawl and a live check ask the same things of a server, so both send their requests through
one :class:`PoliteClient`: per-host gates, a cap on requests in flight in total, the shared
per-host slots of concurrent runs, and retries with exponential backoff for what may pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from scoarchive.capture.transport import Fetcher, FetchResult
from scoarchive.core.urls import split_http_url

# Answers worth asking again after a pause: the server is busy or failing for now.
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


# Held around every request to a host, beside the run's own gate: how concurrent runs (e.g.
# Prefect flows sharing a global concurrency limit per host) stay polite together.
HostLimiter = Callable[[str], AbstractAsyncContextManager[object]]


class HostGate:
    """Per-host politeness: at most ``concurrency`` requests in flight, starts ``delay`` apart.

    The next start is counted from when a request really went, not from when it was due: on a
    loaded machine a sleep overshoots, and counting from the due time would let the following
    request catch up and reach the server less than ``delay`` after it. A server's Retry-After
    pauses the whole host, not just the URL that got it.
    """

    def __init__(self, delay: float, concurrency: int) -> None:
        self.delay = delay
        self._slots = asyncio.Semaphore(concurrency)
        self._next_start = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._next_start = max(self._next_start, time.monotonic() + seconds)

    async def __aenter__(self) -> HostGate:
        await self._slots.acquire()
        try:
            async with self._lock:  # one start at a time, so each counts from the one before
                while (wait := self._next_start - time.monotonic()) > 0:
                    await asyncio.sleep(wait)  # again if a Retry-After paused the host meanwhile
                self._next_start = time.monotonic() + self.delay
        except BaseException:  # cancelled while waiting: the slot was never used
            self._slots.release()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._slots.release()


class PoliteClient:
    """GETs through the fetcher, politely; retried for network failures, 429 and 5xx."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        delay: float,
        host_concurrency: int,
        concurrency: int,
        retries: int,
        backoff: float,
        host_limiter: HostLimiter | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.delay = delay
        self.host_concurrency = host_concurrency
        self.retries = retries
        self.backoff = backoff
        self.host_limiter = host_limiter
        self._slots = asyncio.Semaphore(concurrency)
        self._gates: dict[str, HostGate] = {}

    def gate(self, host: str) -> HostGate:
        return self._gates.setdefault(host, HostGate(self.delay, self.host_concurrency))

    async def get(
        self, url: str, extra: Sequence[tuple[str, str]] = (), *, retries: int | None = None
    ) -> FetchResult:
        """The last attempt's result; a retried attempt's body is closed, a Retry-After honoured
        for the whole host."""
        host = split_http_url(url)[1].lower()
        gate = self.gate(host)
        attempts = self.retries if retries is None else retries
        for attempt in range(attempts + 1):
            shared = self.host_limiter(host) if self.host_limiter else contextlib.nullcontext()
            async with self._slots, gate, shared:
                result = await self.fetcher.fetch(url, extra)
            if attempt == attempts or not (result.transient or result.status in RETRYABLE_STATUS):
                return result
            wait = result.retry_after()
            if wait is not None:
                gate.pause(wait)
            else:
                wait = self.backoff * 2**attempt
            if result.exchange is not None:
                result.exchange.body.close()
            await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns")
