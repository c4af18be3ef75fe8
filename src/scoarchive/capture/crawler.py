"""The crawler: one run of a crawl, from its seeds (or where a killed run stopped) to its summary.

Per host, a queue and as many workers as the host may have requests in flight; every request
goes through the run's :class:`~scoarchive.capture.politeness.PoliteClient` (gates, retries)
and its :class:`~scoarchive.capture.transport.Fetcher` (the egress policy). robots.txt is
fetched once per origin and run, and archived; a host whose robots.txt cannot be had is
unreachable. What each response adds is stored by the :class:`~scoarchive.capture.store.Recorder`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from urllib.parse import urljoin

from scoarchive.capture.config import CrawlConfig, CrawlError, CrawlProgress, CrawlSummary
from scoarchive.capture.egress import EgressPolicy
from scoarchive.capture.frontier import Frontier, QueueItem
from scoarchive.capture.politeness import PoliteClient
from scoarchive.capture.resume import resume_run
from scoarchive.capture.robots import Robots, RobotsUnavailable
from scoarchive.capture.runlock import run_key, run_lock
from scoarchive.capture.states import Outcome, QueueState, RunState
from scoarchive.capture.store import Recorder
from scoarchive.capture.successors import Successors
from scoarchive.capture.transport import Fetcher, FetchResult
from scoarchive.core.httpmsg import header_value, status_text
from scoarchive.core.profile import Action
from scoarchive.core.settings import DataDir
from scoarchive.core.urls import InvalidURL, split_http_url
from scoarchive.warc.writer import WarcWriter, default_warcinfo

log = logging.getLogger(__name__)


def crawl(config: CrawlConfig, progress: Callable[[CrawlProgress], None] | None = None) -> CrawlSummary:
    """Run (or resume) a crawl to completion and return what it did."""
    return asyncio.run(Crawler(config).run(progress))


def _host(url: str) -> str:
    return split_http_url(url)[1].lower()


def _origin(url: str) -> str:
    scheme, host, port, _ = split_http_url(url)
    return f"{scheme}://{host.lower()}:{port}"


class Crawler:
    """One run of a crawl. Construction checks the input, so errors come before any work."""

    def __init__(self, config: CrawlConfig) -> None:
        self.config = config
        self.profile = config.profile
        self.progress: Callable[[CrawlProgress], None] | None = None
        self.seeds = [self._check_seed(seed) for seed in (config.seeds or config.profile.start_urls)]
        self.data = DataDir(config.data_dir)
        self.data.ensure_writable()
        self._queues: dict[str, asyncio.Queue[QueueItem | None]] = {}
        self._pending = 0
        self._pages = 0
        self._stopping = False
        self._robots: dict[str, Robots | str] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._unreachable: dict[str, str] = {}
        self._reached: set[str] = set()

    def _check_seed(self, seed: str) -> str:
        try:
            url = self.profile.canonicalize(seed)
        except InvalidURL as exc:
            raise CrawlError(f"bad seed: {exc}") from None
        if not self.profile.in_scope(url):
            hosts = ", ".join(self.profile.hosts)
            raise CrawlError(
                f"seed {seed!r} is outside profile {self.profile.name!r} (hosts: {hosts}, default ports)"
            )
        return url

    # -- the run -------------------------------------------------------------------------

    async def run(self, progress: Callable[[CrawlProgress], None] | None = None) -> CrawlSummary:
        key = run_key(self.profile, self.seeds)
        with run_lock(self.data.state / f"run-{key}.lock"):
            return await self._run(key, progress)

    async def _run(self, key: str, progress: Callable[[CrawlProgress], None] | None) -> CrawlSummary:
        started = time.monotonic()
        config = self.config
        self.progress = progress
        self.frontier = Frontier(self.data.frontier)
        run = self.frontier.start_run(key, self.profile.name)
        self.run_id = run.run_id
        warcinfo = default_warcinfo(self.profile.name, config.user_agent, config.operator, run.run_id)
        writer = WarcWriter(
            self.data.warcs,
            f"scoarchive-{run.run_id}",
            warcinfo,
            max_size=config.warc_max_size,
            compress_level=config.compress_level,
        )
        successors = Successors(
            self.profile,
            follow_links=config.follow_links,
            max_redirects=config.max_redirects,
            html_limit=config.html_limit,
        )
        self.recorder = Recorder(
            writer, self.frontier, run.run_id, successors, self.data.warcs, config.max_bytes
        )
        self.fetcher = Fetcher(
            config.user_agent,
            EgressPolicy(self.profile, config.connect_to),
            timeout=config.timeout,
            max_bytes=config.max_bytes,
        )
        politeness = self.profile.politeness
        per_host = config.host_concurrency or politeness.host_concurrency
        self.client = PoliteClient(
            self.fetcher,
            delay=politeness.delay if config.delay is None else config.delay,
            host_concurrency=per_host,
            concurrency=config.concurrency,
            retries=config.retries,
            backoff=config.backoff,
            host_limiter=config.host_limiter,
        )
        self._per_host = min(per_host, config.concurrency)
        self._queues = {host: asyncio.Queue() for host in self.profile.hosts}
        try:
            if run.resumed:
                resume_run(self.data, self.recorder, self.profile)
            else:
                seeds = [QueueItem(url, self._seed_action(url)) for url in self.seeds]
                self.frontier.enqueue(self.run_id, self.recorder.unknown(seeds))
            for item in self.frontier.queued(self.run_id):
                self._push(item)
            workers = [self._worker(queue) for queue in self._queues.values() for _ in range(self._per_host)]
            if self._pending == 0:
                self._stop_workers()
            await asyncio.gather(*workers)
        finally:
            await self.recorder.close()
            await self.fetcher.aclose()
        remaining = len(self.frontier.queued(self.run_id))
        status = RunState.FINISHED if remaining == 0 else RunState.STOPPED
        summary = self._summary(run.resumed, status, time.monotonic() - started)
        self.frontier.end_run(self.run_id, status, summary.to_dict())
        self.frontier.close()
        return summary

    def _seed_action(self, url: str) -> str:
        action = self.profile.action_for(url)
        return action.value if action is not Action.IGNORE else Action.FOLLOW.value

    def _push(self, item: QueueItem) -> None:
        self._pending += 1
        self._queues[_host(item.url)].put_nowait(item)

    def _stop_workers(self) -> None:
        for queue in self._queues.values():
            for _ in range(self._per_host):
                queue.put_nowait(None)

    async def _worker(self, queue: asyncio.Queue[QueueItem | None]) -> None:
        while (item := await queue.get()) is not None:
            try:
                if not self._stopping:
                    await self._process(item)
            except Exception as exc:  # one page's bug must not end the crawl
                log.exception("unexpected error on %s", item.url)
                self.recorder.mark(item.url, QueueState.FAILED, Outcome.INTERNAL, f"internal error: {exc}")
            finally:
                self._pending -= 1
                self._report()
                if self._pending == 0:
                    self._stop_workers()

    def _report(self) -> None:
        if self.progress is not None:
            recorder = self.recorder
            self.progress(
                CrawlProgress(self._pages, self._pending, recorder.failed, recorder.writer.bytes_written)
            )

    # -- one URL -------------------------------------------------------------------------

    async def _process(self, item: QueueItem) -> None:
        host = _host(item.url)
        robots = await self._robots_for(item.url)
        if isinstance(robots, str):
            self._unreachable.setdefault(host, robots)
            self.recorder.mark(
                item.url, QueueState.FAILED, Outcome.UNREACHABLE, f"host unreachable: {robots}"
            )
            return
        if not robots.allowed(item.url, self.config.user_agent):
            self.recorder.mark(item.url, QueueState.BLOCKED, Outcome.DISALLOWED, Outcome.DISALLOWED.value)
            return
        if self.config.max_pages is not None and self._pages >= self.config.max_pages:
            self._stopping = True
            return
        self._pages += 1
        prior = self.frontier.seen(item.url)
        result = await self.client.get(item.url, prior.conditional_headers() if prior else [])
        if result.exchange is None:
            self._failed_fetch(item.url, host, result)
            return
        self._unreachable.pop(host, None)
        self._reached.add(host)
        for each in await self.recorder.store(item, result, prior):
            self._push(each)

    def _failed_fetch(self, url: str, host: str, result: FetchResult) -> None:
        """A fetch without an exchange: the URL failed, and its host may be down."""
        reason = result.error or "no response"
        self._unreachable.setdefault(host, reason)
        self.recorder.mark(url, QueueState.FAILED, result.failure or Outcome.NO_RESPONSE, reason)

    # -- robots.txt ----------------------------------------------------------------------

    async def _robots_for(self, url: str) -> Robots | str:
        """The origin's robots rules (fetched once per run and archived), or why there are none."""
        origin = _origin(url)
        if origin in self._robots:
            return self._robots[origin]
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._load_robots(url)
                if isinstance(self._robots[origin], Robots):
                    self._reached.add(_host(url))
        return self._robots[origin]

    async def _load_robots(self, url: str) -> Robots | str:
        robots_url = urljoin(url, "/robots.txt")
        item = QueueItem(robots_url, Action.CAPTURE.value)
        self.frontier.enqueue(self.run_id, [item])
        prior = self.frontier.seen(robots_url)
        try:
            if self.frontier.state_of(self.run_id, robots_url) is QueueState.DONE and prior is not None:
                return Robots.from_body(self.recorder.prior_body(prior)(), prior.content_encoding)
            result = await self.client.get(robots_url, prior.conditional_headers() if prior else [])
            exchange = result.exchange
            if exchange is None:
                self._failed_fetch(robots_url, _host(url), result)
                return result.error or "no response"
            try:
                if result.error is not None:
                    raise RobotsUnavailable(f"robots.txt {result.error}")
                if exchange.status == 304 and prior is not None:
                    return Robots.from_body(self.recorder.prior_body(prior)(), prior.content_encoding)
                exchange.body.seek(0)
                reason = status_text(exchange.response_head, exchange.status)
                encoding = header_value(result.headers, "content-encoding")
                return Robots.from_response(exchange.status, reason, exchange.body, encoding)
            finally:
                await self.recorder.store(item, result, prior)
        except RobotsUnavailable as exc:
            return str(exc)

    # -- summary -------------------------------------------------------------------------

    def _summary(self, resumed: bool, status: RunState, seconds: float) -> CrawlSummary:
        outcomes = self.frontier.outcomes(self.run_id)
        counts = self.frontier.counts(self.run_id)
        return CrawlSummary(
            run_id=self.run_id,
            resumed=resumed,
            status=status,
            requests=self.fetcher.requests_sent,
            fetched=self.frontier.fetched(self.run_id),
            new=outcomes.get(Outcome.NEW, 0),
            unchanged=outcomes.get(Outcome.UNCHANGED, 0),
            redirects=outcomes.get(Outcome.REDIRECT, 0),
            truncated=outcomes.get(Outcome.TRUNCATED, 0),
            failed=self.frontier.failures(self.run_id),
            blocked=counts.get(QueueState.BLOCKED, 0),
            outlinks=self.recorder.outlinks,
            bytes_written=self.recorder.writer.bytes_written,
            warc_files=[path.name for path in self.recorder.writer.closed_files],
            seconds=round(seconds, 3),
            unreachable_hosts=dict(self._unreachable),
            reached_hosts=sorted(self._reached),
        )
