"""Asking the live site about archived pages: alive, changed, moved, gone, unarchived, error.

Through the same fetcher, politeness and robots.txt rules as a crawl; nothing is archived by
the check itself. The watch (:mod:`scoarchive.upkeep.watch`) and the briefing check's
``--live`` both use it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urljoin

from scoarchive.capture.config import CrawlSummary, crawl_default
from scoarchive.capture.egress import EgressPolicy, EgressRefused
from scoarchive.capture.frontier import Seen
from scoarchive.capture.politeness import HostLimiter, PoliteClient
from scoarchive.capture.robots import Robots, RobotsUnavailable
from scoarchive.capture.transport import Fetcher, FetchResult
from scoarchive.core.httpmsg import header_value, status_text
from scoarchive.core.profile import Profile
from scoarchive.core.urls import ConnectTo, split_http_url

# A live check asks again less than a crawl does: it records nothing, and runs often.
LIVE_RETRIES = 2


class Live(StrEnum):
    ALIVE = "alive"
    CHANGED = "changed"
    MOVED = "moved"
    GONE = "gone"
    UNARCHIVED = "unarchived"
    ERROR = "error"
    NOT_CHECKED = "not checked"  # outside the profile: never asked


@dataclass(frozen=True)
class UrlCheck:
    url: str
    state: Live
    status: int | None
    detail: str
    location: str | None = None  # where a moved page now redirects
    captured: str | None = None  # WARC-Date of the capture it was compared with

    @property
    def verdict(self) -> str:
        """The state as a report shows it: ``alive``, or ``not checked: outside the profile``."""
        return f"{self.state.value}: {self.detail}" if self.state is Live.NOT_CHECKED else self.state.value


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
    """Polite concurrent GETs (as in a crawl), robots.txt obeyed, nothing outside the profile asked."""

    def __init__(self, client: PoliteClient, user_agent: str) -> None:
        self.client = client
        self.user_agent = user_agent
        self._robots: dict[str, asyncio.Task[Robots | str]] = {}

    async def robots(self, url: str) -> Robots | str:
        scheme, host, port, _ = split_http_url(url)
        origin = f"{scheme}://{host.lower()}:{port}"
        if origin not in self._robots:
            self._robots[origin] = asyncio.ensure_future(self._load_robots(urljoin(url, "/robots.txt")))
        return await self._robots[origin]

    async def _load_robots(self, robots_url: str) -> Robots | str:
        result = await self.client.get(robots_url, retries=0)
        exchange = result.exchange
        if exchange is None:
            return result.error or "no response"
        try:
            if result.error is not None:
                raise RobotsUnavailable(f"robots.txt {result.error}")
            exchange.body.seek(0)
            reason = status_text(exchange.response_head, exchange.status)
            encoding = header_value(result.headers, "content-encoding")
            return Robots.from_response(exchange.status, reason, exchange.body, encoding)
        except RobotsUnavailable as exc:
            return str(exc)
        finally:
            exchange.body.close()

    async def check(self, url: str, prior: Seen | None) -> UrlCheck:
        captured = prior.date if prior else None
        try:
            self.client.fetcher.policy.check_url(url)
        except EgressRefused:
            return UrlCheck(url, Live.NOT_CHECKED, None, "outside the profile", captured=captured)
        robots = await self.robots(url)
        if isinstance(robots, str):
            return UrlCheck(url, Live.ERROR, None, f"host unreachable: {robots}", captured=captured)
        if not robots.allowed(url, self.user_agent):
            return UrlCheck(url, Live.ERROR, None, "robots.txt now disallows it", captured=captured)
        result = await self.client.get(url, prior.conditional_headers() if prior else [])
        if result.exchange is not None:
            result.exchange.body.close()  # only the digests and headers are needed
        return classify(url, prior, result)


async def check_live(
    pages: Sequence[tuple[str, Seen | None]],
    profile: Profile,
    *,
    connect_to: Sequence[ConnectTo] = (),
    user_agent: str = crawl_default("user_agent"),
    timeout: float = crawl_default("timeout"),
    delay: float | None = None,
    host_concurrency: int | None = None,
    concurrency: int = crawl_default("concurrency"),
    retries: int = LIVE_RETRIES,
    backoff: float = crawl_default("backoff"),
    host_limiter: HostLimiter | None = None,
) -> WatchReport:
    """Check each page on the live site, politely; results in the order of ``pages``.

    Only the profile's hosts and ports are asked (the egress policy of a crawl): any other
    page is reported "not checked: outside the profile" and costs no connection. Politeness is
    the profile's unless ``delay`` / ``host_concurrency`` say otherwise.
    """
    started = time.monotonic()
    fetcher = Fetcher(user_agent, EgressPolicy(profile, connect_to), timeout=timeout)
    client = PoliteClient(
        fetcher,
        delay=profile.politeness.delay if delay is None else delay,
        host_concurrency=host_concurrency or profile.politeness.host_concurrency,
        concurrency=concurrency,
        retries=retries,
        backoff=backoff,
        host_limiter=host_limiter,
    )
    checker = _Checker(client, user_agent)
    try:
        checks = await asyncio.gather(*(checker.check(url, prior) for url, prior in pages))
    finally:
        await fetcher.aclose()
    return WatchReport(list(checks), round(time.monotonic() - started, 3))
