"""Per-host politeness: how many requests are in flight to a host, and how far apart they start."""

from __future__ import annotations

import asyncio
import time

# Answers worth asking again after a pause: the server is busy or failing for now.
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class HostGate:
    """Per-host politeness: at most ``concurrency`` requests in flight, starts ``delay`` apart.

    A server's Retry-After pauses the whole host, not just the URL that got it.
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
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self.delay
        if start > now:
            await asyncio.sleep(start - now)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._slots.release()
