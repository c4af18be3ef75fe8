from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import io
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin

from warcio.recordloader import ArcWarcRecord

from scoarchive.capture.config import CrawlBusy, CrawlConfig, CrawlError, CrawlProgress, CrawlSummary
from scoarchive.capture.discovery import classify, extract_links
from scoarchive.capture.frontier import Frontier, QueueItem, Seen
from scoarchive.capture.politeness import RETRYABLE_STATUS, HostGate
from scoarchive.capture.robots import Robots
from scoarchive.capture.transport import Fetcher, FetchResult
from scoarchive.core.httpmsg import HTML_TYPES, BodyTooLarge, decode_body, header_value, media_type
from scoarchive.core.profile import Action, Profile
from scoarchive.core.settings import DataDir
from scoarchive.core.urls import InvalidURL, split_http_url
from scoarchive.warc.reader import iter_records, read_payload
from scoarchive.warc.records import (
    PROFILE_IDENTICAL,
    PROFILE_NOT_MODIFIED,
    HttpExchange,
    PriorCapture,
    RecordRef,
)
from scoarchive.warc.recovery import recover_open_file
from scoarchive.warc.writer import WarcWriter, default_warcinfo

log = logging.getLogger(__name__)


REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})  # not 304: that is a revisit


def crawl(config: CrawlConfig, progress: Callable[[CrawlProgress], None] | None = None) -> CrawlSummary:
    """Run (or resume) a crawl to completion and return what it did."""
    return asyncio.run(Crawler(config).run(progress))


def run_key(profile: Profile, seeds: Sequence[str]) -> str:
    """Runs with the same profile and seeds are the same job: the key that resumes them."""
    material = json.dumps({"profile": profile.name, "seeds": sorted(seeds)})
    return hashlib.sha1(material.encode()).hexdigest()[:16]


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold a lock for the run's whole life: two processes resuming one run would fetch twice.

    flock is released by the kernel when a process dies, so a killed crawl never blocks its own
    resumption.
    """
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrawlBusy(
                f"the same crawl (profile and seeds) is already running on {lock_path.parent.parent}"
            ) from None
        yield


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
        self._write_lock = asyncio.Lock()
        self._outlinks = 0
        self._failed = 0
        self._known: set[str] = set()
        self._unreachable: dict[str, str] = {}

    def _check_seed(self, seed: str) -> str:
        try:
            url = self.profile.canonicalize(seed)
        except InvalidURL as exc:
            raise CrawlError(f"bad seed: {exc}") from None
        if not self.profile.in_scope(url):
            hosts = ", ".join(self.profile.hosts)
            raise CrawlError(f"seed {seed!r} is outside profile {self.profile.name!r} (hosts: {hosts})")
        return url

    # -- the run -------------------------------------------------------------------------

    async def run(self, progress: Callable[[CrawlProgress], None] | None = None) -> CrawlSummary:
        key = run_key(self.profile, self.seeds)
        with _exclusive(self.data.state / f"run-{key}.lock"):
            return await self._run(key, progress)

    async def _run(self, key: str, progress: Callable[[CrawlProgress], None] | None) -> CrawlSummary:
        started = time.monotonic()
        self.progress = progress
        self.frontier = Frontier(self.data.frontier)
        run = self.frontier.start_run(key, self.profile.name)
        self.run_id = run.run_id
        warcinfo = default_warcinfo(
            self.profile.name, self.config.user_agent, self.config.operator, run.run_id
        )
        self.writer = WarcWriter(
            self.data.warcs,
            f"scoarchive-{run.run_id}",
            warcinfo,
            max_size=self.config.warc_max_size,
            compress_level=self.config.compress_level,
        )
        self.fetcher = Fetcher(
            self.config.user_agent,
            timeout=self.config.timeout,
            max_bytes=self.config.max_bytes,
            connect_to=self.config.connect_to,
        )
        politeness = self.profile.politeness
        delay = politeness.delay if self.config.delay is None else self.config.delay
        per_host = self.config.host_concurrency or politeness.host_concurrency
        self._slots = asyncio.Semaphore(self.config.concurrency)
        self._gates = {host: HostGate(delay, per_host) for host in self.profile.hosts}
        self._per_host = min(per_host, self.config.concurrency)
        self._queues = {host: asyncio.Queue() for host in self.profile.hosts}
        self._known = self.frontier.urls(self.run_id)
        try:
            if run.resumed:
                self._recover()
            else:
                seeds = [QueueItem(url, self._seed_action(url)) for url in self.seeds]
                self.frontier.enqueue(self.run_id, self._unknown(seeds))
            for item in self.frontier.queued(self.run_id):
                self._push(item)
            workers = [self._worker(queue) for queue in self._queues.values() for _ in range(self._per_host)]
            if self._pending == 0:
                self._stop_workers()
            await asyncio.gather(*workers)
        finally:
            async with self._write_lock:
                self.writer.close()
            await self.fetcher.aclose()
        remaining = len(self.frontier.queued(self.run_id))
        status = "finished" if remaining == 0 else "stopped"
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
                self._mark_failed(item.url, f"internal error: {exc}")
            finally:
                self._pending -= 1
                self._report()
                if self._pending == 0:
                    self._stop_workers()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(CrawlProgress(self._pages, self._pending, self._failed, self.writer.bytes_written))

    def _mark_failed(self, url: str, reason: str, state: str = "failed") -> None:
        self._failed += state == "failed"
        self.frontier.mark(self.run_id, url, state=state, outcome=reason)

    # -- one URL -------------------------------------------------------------------------

    async def _process(self, item: QueueItem) -> None:
        host = _host(item.url)
        robots = await self._robots_for(item.url)
        if isinstance(robots, str):
            self._unreachable.setdefault(host, robots)
            self._mark_failed(item.url, f"host unreachable: {robots}")
            return
        if not robots.allowed(item.url, self.config.user_agent):
            self._mark_failed(item.url, "disallowed by robots.txt", state="blocked")
            return
        if self.config.max_pages is not None and self._pages >= self.config.max_pages:
            self._stopping = True
            return
        self._pages += 1
        prior = self.frontier.seen(item.url)
        result = await self._fetch(item.url, host, prior.conditional_headers() if prior else [])
        if result.exchange is None:
            self._unreachable.setdefault(host, result.error or "no response")
            self._mark_failed(item.url, result.error or "no response")
            return
        self._unreachable.pop(host, None)
        await self._store(item, result.exchange, result.headers, prior)

    async def _fetch(self, url: str, host: str, extra: list[tuple[str, str]]) -> FetchResult:
        """GET with retries and exponential backoff for network errors and 5xx/429."""
        gate = self._gates[host]
        for attempt in range(self.config.retries + 1):
            async with self._slots, gate, self._shared_limit(host):
                result = await self.fetcher.fetch(url, extra)
            retryable = result.exchange is None or result.status in RETRYABLE_STATUS
            if not retryable or attempt == self.config.retries:
                return result
            wait = result.retry_after()
            if wait is not None:
                gate.pause(wait)
            else:
                wait = self.config.backoff * 2**attempt
            if result.exchange is not None:
                result.exchange.body.close()
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    def _shared_limit(self, host: str) -> AbstractAsyncContextManager[object]:
        limiter = self.config.host_limiter
        return limiter(host) if limiter is not None else contextlib.nullcontext()

    async def _store(
        self, item: QueueItem, exchange: HttpExchange, headers: list[tuple[str, str]], prior: Seen | None
    ) -> None:
        """Write the exchange (full, or as a revisit of ``prior``) and record what follows from it."""
        try:
            status = exchange.status
            seen = None
            if prior is not None and (
                status == 304
                or (
                    status == 200
                    and not exchange.truncated
                    and exchange.payload_digest == prior.payload_digest
                )
            ):
                profile = PROFILE_NOT_MODIFIED if status == 304 else PROFILE_IDENTICAL
                capture = PriorCapture(prior.record_id, prior.url, prior.date, prior.payload_digest)
                ref = await self._write(self.writer.write_revisit, exchange, profile, capture)
                outcome = "unchanged"
                new_items, outlinks = self._successors(item, status, headers, prior, self._prior_body(prior))
            else:
                compressed = _compressed(headers)
                ref = await self._write(self.writer.write_response, exchange, compressed_payload=compressed)
                outcome = _outcome(status, exchange.response_head, exchange.truncated)
                if status == 200 and not exchange.truncated:
                    seen = _seen(exchange.url, exchange.payload_digest, headers, ref)
                new_items, outlinks = self._successors(item, status, headers, None, lambda: exchange.body)
                self._outlinks += len(outlinks)
                if outlinks:
                    await self._write(self.writer.write_outlinks, exchange.url, ref, outlinks)
            self._failed += status >= 400
            added = self.frontier.mark(
                self.run_id,
                item.url,
                state="failed" if status >= 400 else "done",
                status=status,
                outcome=outcome,
                warc_file=ref.filename,
                warc_offset=ref.offset,
                seen=seen,
                new_items=self._unknown(new_items),
            )
        finally:
            exchange.body.close()
        for each in added:
            self._push(each)

    def _unknown(self, items: list[QueueItem]) -> list[QueueItem]:
        """Drop URLs the run already has, before they cost a database round trip."""
        fresh = [item for item in items if item.url not in self._known]
        self._known.update(item.url for item in fresh)
        return fresh

    async def _write(self, method: Callable[..., RecordRef], *args: object, **kwargs: object) -> RecordRef:
        """Serialise writes; compress in a thread (zlib releases the GIL)."""
        async with self._write_lock:
            return await asyncio.to_thread(method, *args, **kwargs)

    def _prior_body(self, prior: Seen) -> Callable[[], BinaryIO]:
        """The stored payload of an earlier capture, read only if a caller needs it."""
        path = self.data.warcs / prior.warc_file
        return lambda: io.BytesIO(read_payload(path, prior.warc_offset, self.config.max_bytes))

    def _successors(
        self,
        item: QueueItem,
        status: int,
        headers: list[tuple[str, str]],
        prior: Seen | None,
        open_body: Callable[[], BinaryIO],
    ) -> tuple[list[QueueItem], list[str]]:
        """URLs to queue next, and off-scope outlinks, from a redirect or an HTML page.

        For a revisit the page's type, encoding and body are those of the ``prior`` capture.
        """
        if status in REDIRECT_STATUS:
            location = header_value(headers, "location")
            return self._redirect_target(item, location) if location else ([], [])
        source = prior if prior is not None else None
        content_type = source.content_type if source else header_value(headers, "content-type")
        encoding = source.content_encoding if source else header_value(headers, "content-encoding")
        if item.action != Action.FOLLOW.value or media_type(content_type) not in HTML_TYPES:
            return [], []
        body = open_body()
        body.seek(0)
        try:
            html = decode_body(body, encoding, self.config.html_limit)
        except BodyTooLarge as exc:
            log.warning(
                "%s decodes to over %d bytes; links from the first part only",
                item.url,
                self.config.html_limit,
            )
            html = exc.partial
        except ValueError as exc:
            log.warning("cannot decode %s: %s", item.url, exc)
            return [], []
        discovered = classify(extract_links(html, item.url), self.profile)
        items = [
            QueueItem(url, action.value, 0, item.url)
            for url, action in discovered.to_capture.items()
            if self.config.follow_links or action is Action.REQUISITE
        ]
        return items, discovered.outlinks

    def _redirect_target(self, item: QueueItem, location: str) -> tuple[list[QueueItem], list[str]]:
        try:
            target = self.profile.canonicalize(urljoin(item.url, location))
        except (InvalidURL, ValueError):
            return [], []
        if not self.profile.in_scope(target) or item.hops + 1 > self.config.max_redirects:
            return [], [target]
        action = self.profile.action_for(target)
        chosen = action.value if action is not Action.IGNORE else item.action
        return [QueueItem(target, chosen, item.hops + 1, item.url)], []

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
        return self._robots[origin]

    async def _load_robots(self, url: str) -> Robots | str:
        robots_url = urljoin(url, "/robots.txt")
        item = QueueItem(robots_url, Action.CAPTURE.value)
        self.frontier.enqueue(self.run_id, [item])
        prior = self.frontier.seen(robots_url)
        if self.frontier.state_of(self.run_id, robots_url) == "done" and prior is not None:
            return Robots.from_body(self._prior_body(prior)(), prior.content_encoding)
        result = await self._fetch(robots_url, _host(url), prior.conditional_headers() if prior else [])
        if result.exchange is None:
            self._mark_failed(robots_url, result.error or "no response")
            return result.error or "no response"
        exchange = result.exchange
        if exchange.status == 304 and prior is not None:
            robots = Robots.from_body(self._prior_body(prior)(), prior.content_encoding)
        else:
            exchange.body.seek(0)
            robots = Robots.from_response(
                exchange.status, exchange.body, header_value(result.headers, "content-encoding")
            )
        await self._store(item, exchange, result.headers, prior)
        return robots

    # -- resuming ------------------------------------------------------------------------

    def _recover(self) -> None:
        """Close the run's unfinished WARC files and take every record in them as done."""
        prefix = f"scoarchive-{self.run_id}-"
        for path in self.data.warc_files(prefix + "*.warc.gz.open"):
            recovered = recover_open_file(path)
            log.info("recovered %s", recovered.name)
        for path in self.data.warc_files(prefix + "*.warc.gz"):
            for offset, record in iter_records(path):
                kind = record.rec_type
                if kind not in ("response", "revisit"):
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                if self.frontier.state_of(self.run_id, url) not in (None, "queued"):
                    continue
                self._replay_record(path, offset, record, url)

    def _replay_record(self, path: Path, offset: int, record: ArcWarcRecord, url: str) -> None:
        """Bring the frontier up to date with a record written just before a crash."""
        rec_headers = record.rec_headers
        status = int(record.http_headers.get_statuscode()) if record.http_headers else 0
        headers = list(record.http_headers.headers) if record.http_headers else []
        revisit = record.rec_type == "revisit"
        prior = self.frontier.seen(url) if revisit else None
        ref = RecordRef(
            path.name,
            offset,
            0,
            rec_headers.get_header("WARC-Record-ID"),
            rec_headers.get_header("WARC-Date"),
        )
        item = QueueItem(url, self.frontier.action_of(self.run_id, url) or self.profile.action_for(url).value)
        if prior is not None:
            open_body = self._prior_body(prior)
        else:

            def open_body() -> BinaryIO:
                return io.BytesIO(record.raw_stream.read(self.config.max_bytes))

        new_items, _ = self._successors(item, status, headers, prior, open_body)
        truncated = rec_headers.get_header("WARC-Truncated")
        seen = None
        if not revisit and status == 200 and not truncated:
            seen = _seen(url, rec_headers.get_header("WARC-Payload-Digest"), headers, ref)
        self._failed += status >= 400
        self.frontier.mark(
            self.run_id,
            url,
            state="failed" if status >= 400 else "done",
            status=status,
            outcome="unchanged" if revisit else _outcome(status, None, truncated),
            warc_file=path.name,
            warc_offset=offset,
            seen=seen,
            new_items=self._unknown(new_items),
        )

    # -- summary -------------------------------------------------------------------------

    def _summary(self, resumed: bool, status: str, seconds: float) -> CrawlSummary:
        outcomes = self.frontier.outcomes(self.run_id)
        counts = self.frontier.counts(self.run_id)
        failures = self.frontier.failures(self.run_id)
        return CrawlSummary(
            run_id=self.run_id,
            resumed=resumed,
            status=status,
            requests=self.fetcher.requests_sent,
            fetched=self.frontier.fetched(self.run_id),
            new=outcomes.get("new", 0),
            unchanged=outcomes.get("unchanged", 0),
            redirects=outcomes.get("redirect", 0),
            truncated=outcomes.get("truncated", 0),
            failed=[(url, reason) for url, reason in failures if not reason.startswith("disallowed")],
            blocked=counts.get("blocked", 0),
            outlinks=self._outlinks,
            bytes_written=self.writer.bytes_written,
            warc_files=[path.name for path in self.writer.closed_files],
            seconds=round(seconds, 3),
            unreachable_hosts=dict(self._unreachable),
        )


ALREADY_COMPRESSED = frozenset({"application/pdf", "application/zip", "application/gzip"})


def _compressed(headers: list[tuple[str, str]]) -> bool:
    """Whether a body is already compressed, so deflating it again would only cost CPU."""
    if (header_value(headers, "content-encoding") or "identity").lower() != "identity":
        return True
    kind = media_type(header_value(headers, "content-type"))
    if kind == "image/svg+xml":
        return False
    return kind.startswith(("image/", "video/", "audio/", "font/")) or kind in ALREADY_COMPRESSED


def _outcome(status: int, response_head: bytes | None, truncated: str | None) -> str:
    if status in REDIRECT_STATUS:
        return "redirect"
    if status >= 400:
        status_line = (response_head or b"").split(b"\r\n", 1)[0].decode("iso-8859-1")
        reason = status_line.split(" ", 1)[-1] if status_line else ""
        return f"HTTP {reason}" if reason else f"HTTP {status}"
    return "truncated" if truncated else "new"


def _seen(url: str, payload_digest: str, headers: list[tuple[str, str]], ref: RecordRef) -> Seen:
    return Seen(
        url=url,
        record_id=ref.record_id,
        date=ref.date,
        payload_digest=payload_digest,
        etag=header_value(headers, "etag"),
        last_modified=header_value(headers, "last-modified"),
        content_type=header_value(headers, "content-type"),
        content_encoding=header_value(headers, "content-encoding"),
        warc_file=ref.filename,
        warc_offset=ref.offset,
    )
