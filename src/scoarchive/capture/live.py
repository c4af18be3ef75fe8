"""Asking the live site about archived pages: alive, changed, moved, gone, unarchived, error.

Through the same fetcher, politeness and robots.txt rules as a crawl; nothing is archived by
the check itself. The watch (:mod:`scoarchive.upkeep.watch`) and the briefing check's
``--live`` both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urljoin

from scoarchive.capture.config import DEFAULT_USER_AGENT, CrawlSummary
from scoarchive.capture.frontier import Seen
from scoarchive.capture.politeness import RETRYABLE_STATUS, HostGate
from scoarchive.capture.robots import Robots
from scoarchive.capture.transport import Fetcher, FetchResult
from scoarchive.core.httpmsg import header_value
from scoarchive.core.urls import ConnectTo, split_http_url

HostLimiter = Callable[[str], AbstractAsyncContextManager[object]]


class Live(StrEnum):
    ALIVE = "alive"
    CHANGED = "changed"
    MOVED = "moved"
    GONE = "gone"
    UNARCHIVED = "unarchived"
    ERROR = "error"


@dataclass(frozen=True)
class UrlCheck:
    url: str
    state: Live
    status: int | None
    detail: str
    location: str | None = None  # where a moved page now redirects
    captured: str | None = None  # WARC-Date of the capture it was compared with


@dataclass
class WatchReport:
    checks: list[UrlCheck] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        found = Counter(check.state.value for check in self.checks)
        return {state.value: found.get(state.value, 0) for state in Live}

    def to_recapture(self) -> list[str]:
        """Pages whose archived copy is missing or out of date."""
        return [c.url for c in self.checks if c.state in (Live.CHANGED, Live.UNARCHIVED)]

    def to_dict(self) -> dict[str, Any]:
        return {"counts": self.counts(), "checks": [asdict(c) for c in self.checks], "seconds": self.seconds}

    def rows(self) -> list[dict[str, str]]:
        """Every URL that is not simply alive, as table rows."""
        return [
            {
                "url": c.url,
                "state": c.state.value,
                "status": "" if c.status is None else str(c.status),
                "detail": c.detail,
                "location": c.location or "",
            }
            for c in self.checks
            if c.state is not Live.ALIVE
        ]

    def to_markdown(self, recaptured: CrawlSummary | None = None) -> str:
        counts = self.counts()
        lines = [
            "# Link rot and drift",
            "",
            f"{len(self.checks)} archived pages checked against the live site in {self.seconds:.1f} s.",
            "",
            "| state | pages |",
            "| --- | ---: |",
        ]
        lines += [f"| {state} | {count} |" for state, count in counts.items()]
        if recaptured is not None:
            lines += [
                "",
                f"Captured again: {recaptured.new} new or changed,"
                f" {recaptured.unchanged} unchanged after all,"
                f" {len(recaptured.failed)} failed (run `{recaptured.run_id}`).",
            ]
        notable = [c for c in self.checks if c.state is not Live.ALIVE]
        if notable:
            lines += ["", "## Pages that moved, vanished or changed", ""]
            for c in notable[:100]:
                where = f" -> {c.location}" if c.location else ""
                lines.append(f"- **{c.state.value}** {c.url}{where} ({c.detail})")
        return "\n".join(lines) + "\n"


def classify(url: str, prior: Seen | None, result: FetchResult) -> UrlCheck:
    """What one live answer says about the archived copy of ``url``."""
    captured = prior.date if prior else None
    if result.exchange is None:
        return UrlCheck(url, Live.ERROR, None, result.error or "no response", captured=captured)
    status = result.exchange.status
    if status == 304:
        return UrlCheck(url, Live.ALIVE, status, "not modified since the last capture", captured=captured)
    if 300 <= status < 400:
        location = header_value(result.headers, "location")
        target = urljoin(url, location) if location else None
        if target and target != url:
            return UrlCheck(url, Live.MOVED, status, f"redirects ({status})", target, captured)
        return UrlCheck(url, Live.ERROR, status, "redirect without a new address", target, captured)
    if status in (404, 410):
        return UrlCheck(url, Live.GONE, status, f"HTTP {status}", captured=captured)
    if status != 200:
        return UrlCheck(url, Live.ERROR, status, f"HTTP {status}", captured=captured)
    if prior is None:
        return UrlCheck(url, Live.UNARCHIVED, status, "live but never captured")
    if result.exchange.truncated:
        return UrlCheck(url, Live.ERROR, status, "live copy cut short; not compared", captured=captured)
    if result.exchange.payload_digest == prior.payload_digest:
        return UrlCheck(url, Live.ALIVE, status, "same payload as the last capture", captured=captured)
    return UrlCheck(url, Live.CHANGED, status, "payload differs from the last capture", captured=captured)


class _Checker:
    """Polite concurrent GETs: per-host gates as in a crawl, robots.txt obeyed, shared slots held."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        delay: float,
        host_concurrency: int,
        concurrency: int,
        retries: int,
        backoff: float,
        host_limiter: HostLimiter | None,
    ) -> None:
        self.fetcher = fetcher
        self.delay = delay
        self.host_concurrency = host_concurrency
        self.retries = retries
        self.backoff = backoff
        self.host_limiter = host_limiter
        self._slots = asyncio.Semaphore(concurrency)
        self._gates: dict[str, HostGate] = {}
        self._robots: dict[str, asyncio.Task[Robots | str]] = {}

    async def get(self, url: str, extra: list[tuple[str, str]]) -> FetchResult:
        host = split_http_url(url)[1].lower()
        gate = self._gates.setdefault(host, HostGate(self.delay, self.host_concurrency))
        for attempt in range(self.retries + 1):
            shared = self.host_limiter(host) if self.host_limiter else contextlib.nullcontext()
            async with self._slots, gate, shared:
                result = await self.fetcher.fetch(url, extra)
            if result.exchange is not None:
                result.exchange.body.close()  # only the digests and headers are needed
            if result.exchange is not None and result.status not in RETRYABLE_STATUS:
                return result
            if attempt < self.retries:
                wait = result.retry_after()
                if wait is not None:
                    gate.pause(wait)
                await asyncio.sleep(wait if wait is not None else self.backoff * 2**attempt)
        return result

    async def robots(self, url: str) -> Robots | str:
        scheme, host, port, _ = split_http_url(url)
        origin = f"{scheme}://{host.lower()}:{port}"
        if origin not in self._robots:
            self._robots[origin] = asyncio.ensure_future(self._load_robots(urljoin(url, "/robots.txt")))
        return await self._robots[origin]

    async def _load_robots(self, robots_url: str) -> Robots | str:
        host = split_http_url(robots_url)[1].lower()
        gate = self._gates.setdefault(host, HostGate(self.delay, self.host_concurrency))
        shared = self.host_limiter(host) if self.host_limiter else contextlib.nullcontext()
        async with self._slots, gate, shared:
            result = await self.fetcher.fetch(robots_url)
        if result.exchange is None:
            return result.error or "no response"
        try:
            result.exchange.body.seek(0)
            return Robots.from_response(
                result.exchange.status, result.exchange.body, header_value(result.headers, "content-encoding")
            )
        finally:
            result.exchange.body.close()

    async def check(self, url: str, prior: Seen | None, user_agent: str) -> UrlCheck:
        robots = await self.robots(url)
        captured = prior.date if prior else None
        if isinstance(robots, str):
            return UrlCheck(url, Live.ERROR, None, f"host unreachable: {robots}", captured=captured)
        if not robots.allowed(url, user_agent):
            return UrlCheck(url, Live.ERROR, None, "robots.txt now disallows it", captured=captured)
        return classify(url, prior, await self.get(url, prior.conditional_headers() if prior else []))


async def check_live(
    pages: Sequence[tuple[str, Seen | None]],
    *,
    connect_to: Sequence[ConnectTo] = (),
    user_agent: str = DEFAULT_USER_AGENT,
    timeout: float = 30.0,
    delay: float = 1.0,
    host_concurrency: int = 2,
    concurrency: int = 8,
    retries: int = 2,
    backoff: float = 0.5,
    host_limiter: HostLimiter | None = None,
) -> WatchReport:
    """Check each page on the live site, politely; results in the order of ``pages``."""
    started = time.monotonic()
    fetcher = Fetcher(user_agent, timeout=timeout, connect_to=connect_to)
    checker = _Checker(
        fetcher,
        delay=delay,
        host_concurrency=host_concurrency,
        concurrency=concurrency,
        retries=retries,
        backoff=backoff,
        host_limiter=host_limiter,
    )
    try:
        checks = await asyncio.gather(*(checker.check(url, prior, user_agent) for url, prior in pages))
    finally:
        await fetcher.aclose()
    return WatchReport(list(checks), round(time.monotonic() - started, 3))
