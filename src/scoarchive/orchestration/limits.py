"""Global concurrency limits: how crawls, watches and loads on any number of workers stay polite.

Prefect's global concurrency limits hold the politeness that no single run can see:
``scoarchive-host-<host>`` (sized by the profile's per-host concurrency) around every request,
and ``scoarchive-warehouse`` (1) around every load. This module names and sizes them, checks
they exist before a run, and holds them: :class:`HostSlots` pools per-host slots across
requests, :func:`warehouse_slot` keeps the warehouse's one slot while a load runs.

Its own module (split from :mod:`scoarchive.ops`) because it is the part of the orchestration
that runs inside every request. Prefect is imported inside the functions that call its API, so
importing this module does not import Prefect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from scoarchive.capture.config import CrawlConfig, CrawlSummary
from scoarchive.capture.crawler import Crawler
from scoarchive.capture.live import LIVE_RETRIES, WatchReport
from scoarchive.core.profile import Profile
from scoarchive.orchestration.retry import OpsError, check_reached
from scoarchive.upkeep.watch import recapture_config, watch_async
from scoarchive.warehouse import LoadReport, load

WAREHOUSE_LIMIT = "scoarchive-warehouse"


HOST_LIMIT_PREFIX = "scoarchive-host-"


# Longer than any one exchange can last (the fetcher cuts a response at 600 s), so a slot
# never needs renewing; if a worker dies holding one, the server frees it after this.
LEASE_SECONDS = 900.0


# Prefect's 423 answer suggests a wait; a slot frees when a request ends, so poll sooner.
MAX_SLOT_WAIT = 1.0


# A run keeps a host slot between its requests for this long at most, and this long unused
# (longer than the gap a polite crawl leaves between two requests on one slot).
KEEP_SECONDS = 30.0


IDLE_SECONDS = 3.0


# A Prefect server on SQLite answers 503 when a slot increment (a read, then a write, in one
# deferred transaction) meets another write, such as the events of a task run that just ended
# (SQLITE_BUSY_SNAPSHOT); Prefect's client then waits 2 s before asking again, 4 s, 8 s... The
# conflict passes in milliseconds and the slot calls sit in front of a request or a load, so
# they are asked again after these waits instead (a Retry-After, which Prefect's client
# honours), the last for every further 503; a server that is down refuses connections instead.
BUSY_RETRY_AFTER = (0.05, 0.15, 0.45, 1.0)


log = logging.getLogger(__name__)
_busy_answers: weakref.WeakKeyDictionary[httpx.Request, int] = weakref.WeakKeyDictionary()


def retry_soon(response: httpx.Response) -> None:
    """httpx response hook: a Retry-After on a busy server's 503s (see BUSY_RETRY_AFTER)."""
    if response.status_code != 503 or "Retry-After" in response.headers:
        return
    answers = _busy_answers.get(response.request, 0)
    _busy_answers[response.request] = answers + 1
    response.headers["Retry-After"] = str(BUSY_RETRY_AFTER[min(answers, len(BUSY_RETRY_AFTER) - 1)])


async def _retry_soon_async(response: httpx.Response) -> None:
    retry_soon(response)


def _hooks(sync: bool) -> dict[str, Any]:
    """``httpx_settings`` for the slot calls' Prefect clients."""
    return {"event_hooks": {"response": [retry_soon if sync else _retry_soon_async]}}


class LimitsMissing(OpsError):
    """Global concurrency limits a flow needs do not exist: run ``scoarchive schedule`` first."""


def host_limit_name(host: str) -> str:
    return f"{HOST_LIMIT_PREFIX}{host.lower()}"


def limit_specs(profiles: Iterable[Profile]) -> dict[str, int]:
    """Every limit the flows take: one per host (the profile's per-host concurrency), the warehouse's 1."""
    specs = {WAREHOUSE_LIMIT: 1}
    for profile in profiles:
        for host in profile.hosts:
            specs[host_limit_name(host)] = profile.politeness.host_concurrency
    return specs


def ensure_limits(specs: dict[str, int]) -> None:
    """Create (or resize) the global concurrency limits on the current Prefect API."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for name, limit in specs.items():
            client.upsert_global_concurrency_limit_by_name(name, limit)


def missing_limits(names: Iterable[str]) -> list[str]:
    """Limits among ``names`` that the current Prefect API does not have."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    missing = []
    with get_client(sync_client=True) as client:
        for name in names:
            try:
                client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                missing.append(name)
    return missing


def require_limits(profile: Profile, *, loading: bool = False) -> None:
    """Fail at once, naming them, if the limits a run will take strictly are missing.

    Checked before any request: a missing limit found mid-crawl would fail every page instead.
    """
    names = [host_limit_name(host) for host in profile.hosts] + ([WAREHOUSE_LIMIT] if loading else [])
    missing = missing_limits(names)
    if missing:
        raise LimitsMissing(
            f"global concurrency limits missing: {', '.join(missing)} "
            "(create them with `scoarchive schedule --setup-only`)"
        )


@dataclass
class _Lease:
    lease_id: UUID
    host: str
    acquired: float  # time.monotonic()
    idle_since: float = 0.0


class HostSlots:
    """Per-host request slots held in Prefect's global concurrency limits, across all runs.

    Used as ``CrawlConfig.host_limiter``: ``slots.hold(host)`` is held around each request, so
    the requests in flight to a host, summed over every run on every worker, never exceed the
    host's limit (the profile's per-host concurrency). Strict: a limit that does not exist
    raises rather than letting requests through unlimited.

    Cost, measured on a SQLite server here: Prefect's own ``concurrency()`` takes ~240 ms and a
    lease-renewal thread per use (a new API client for each release), and even a bare
    acquire/release pair costs 25 ms, 120-240 ms when runs contend for the server's database,
    and 2 s when the increment meets another write, unless it is asked again sooner
    (:data:`BUSY_RETRY_AFTER`). So a slot is pooled like a keep-alive connection: after a
    request it stays with this run for the next request to the host, released when idle for
    ``idle_seconds`` or after ``keep_seconds`` (so other runs get their turn). Any request in
    flight still holds a slot.
    """

    def __init__(
        self,
        *,
        lease_seconds: float = LEASE_SECONDS,
        keep_seconds: float = KEEP_SECONDS,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        from prefect.client.orchestration import PrefectClient, get_client

        self._client: PrefectClient = get_client(httpx_settings=_hooks(sync=False))
        self.lease_seconds = lease_seconds
        self.keep_seconds = keep_seconds
        self.idle_seconds = idle_seconds
        self._idle: dict[str, list[_Lease]] = {}
        self._releases: set[asyncio.Task[None]] = set()
        self._one_at_a_time = asyncio.Lock()
        self._waited: set[str] = set()
        self.acquired = 0  # leases taken from the server (API round trips / 2)
        self.waits = 0  # times the server said the host's slots were all taken

    async def __aenter__(self) -> HostSlots:
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            for leases in self._idle.values():
                for lease in leases:
                    self._release_soon(lease)
            self._idle.clear()
            if self._releases:
                await asyncio.gather(*self._releases, return_exceptions=True)
        finally:
            await self._client.__aexit__(*exc_info)

    @contextlib.asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        lease = self._reuse(host) or await self._acquire(host)
        try:
            yield
        finally:
            self._put_back(lease)

    def _reuse(self, host: str) -> _Lease | None:
        idle = self._idle.get(host)
        now = time.monotonic()
        while idle:
            lease = idle.pop()
            if now - lease.acquired < self.keep_seconds:
                return lease
            self._release_soon(lease)
        return None

    def _put_back(self, lease: _Lease) -> None:
        now = time.monotonic()
        if now - lease.acquired >= self.keep_seconds:
            self._release_soon(lease)
            return
        lease.idle_since = now
        self._idle.setdefault(lease.host, []).append(lease)
        asyncio.get_running_loop().call_later(self.idle_seconds, self._expire, lease, now)

    def _expire(self, lease: _Lease, idle_since: float) -> None:
        """Give a slot back if it has stayed unused since ``idle_since``."""
        idle = self._idle.get(lease.host, [])
        if lease in idle and lease.idle_since == idle_since:
            idle.remove(lease)
            self._release_soon(lease)

    def _release_soon(self, lease: _Lease) -> None:
        release = asyncio.ensure_future(self._release(lease))
        self._releases.add(release)
        release.add_done_callback(self._releases.discard)

    async def _release(self, lease: _Lease) -> None:
        try:
            await self._client.release_concurrency_slots_with_lease(lease.lease_id)
        except httpx.HTTPError as exc:  # the server frees it when the lease runs out
            log.warning(
                "could not release a slot of %s (expires in %.0f s): %s", lease.host, self.lease_seconds, exc
            )

    async def _acquire(self, host: str) -> _Lease:
        name = host_limit_name(host)
        while True:
            try:
                async with self._one_at_a_time:  # our own writes would conflict on a SQLite server
                    response = await self._client.increment_concurrency_slots_with_lease(
                        names=[name], slots=1, mode="concurrency", lease_duration=self.lease_seconds
                    )
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code == 503:  # still busy after the client's retries
                    await asyncio.sleep(MAX_SLOT_WAIT)
                    continue
                if exc.response.status_code != 423:
                    raise
                if host not in self._waited:
                    log.info("every slot of %s is taken (other runs hold them): waiting", host)
                    self._waited.add(host)
                self.waits += 1
                suggested = float(exc.response.headers.get("Retry-After", MAX_SLOT_WAIT))
                await asyncio.sleep(min(max(suggested, 0.01), MAX_SLOT_WAIT))
                continue
            body = response.json()
            if not body.get("limits"):
                raise LimitsMissing(f"global concurrency limit {name!r} does not exist")
            self.acquired += 1
            return _Lease(UUID(body["lease_id"]), host, time.monotonic())


async def capture_shared(config: CrawlConfig, urls: Sequence[str] | None = None) -> CrawlSummary:
    """A crawl (or, with ``urls``, a recapture of exactly those pages) holding the shared host slots."""
    async with HostSlots() as slots:
        if urls is not None:
            config = recapture_config(config, urls)
        return await Crawler(replace(config, host_limiter=slots.hold)).run()


def capture(config: CrawlConfig, urls: Sequence[str] | None = None) -> CrawlSummary:
    """:func:`capture_shared` run to completion, as the flows' tasks call it.

    Raises CaptureIncomplete (worth a retry) when it reached nothing, as the CLI exits 1.
    """
    return check_reached(asyncio.run(capture_shared(config, urls)))


async def watch_shared(
    config: CrawlConfig, urls: Sequence[str] | None = None, retries: int = LIVE_RETRIES
) -> WatchReport:
    """The live check of a watch with the crawl's settings, holding the shared host slots."""
    async with HostSlots() as slots:
        return await watch_async(
            config.data_dir,
            config.profile,
            urls=urls,
            connect_to=config.connect_to,
            timeout=config.timeout,
            delay=config.delay,
            host_concurrency=config.host_concurrency,
            retries=retries,
            host_limiter=slots.hold,
        )


def load_serialised(data_dir: Path | str, workers: int = 1) -> LoadReport:
    """Load the warehouse holding the one warehouse slot, so loads from any worker never overlap.

    The warehouse's own file lock only serialises loads on one machine; the global limit does it
    across machines sharing the data directory.
    """
    with warehouse_slot():
        return load(data_dir, workers=workers)


@contextlib.contextmanager
def warehouse_slot(lease_seconds: float = 120.0, poll: float = 2.0) -> Iterator[None]:
    """Hold the warehouse's global slot, renewing its lease while held (a load may take hours).

    Prefect's ``concurrency()`` does the same but took 0.1-2.2 s to enter here (it starts a
    service thread and a renewal client per use); this takes two API calls and a thread.
    If the holder dies, the slot frees when its lease runs out.
    """
    from prefect.client.orchestration import get_client

    with get_client(httpx_settings=_hooks(sync=True), sync_client=True) as client:
        waited = False
        while True:
            try:
                response = client.increment_concurrency_slots_with_lease(
                    names=[WAREHOUSE_LIMIT], slots=1, mode="concurrency", lease_duration=lease_seconds
                )
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code == 503:  # still busy after the client's retries
                    time.sleep(poll)
                    continue
                if exc.response.status_code != 423:
                    raise
                if not waited:
                    log.info("the warehouse slot is taken (another load holds it): waiting")
                    waited = True
                time.sleep(poll)
                continue
            body = response.json()
            if not body.get("limits"):
                raise LimitsMissing(f"global concurrency limit {WAREHOUSE_LIMIT!r} does not exist")
            break
        lease = UUID(body["lease_id"])
        done = threading.Event()

        def renew() -> None:
            while not done.wait(lease_seconds / 3):
                try:
                    client.renew_concurrency_lease(lease, lease_duration=lease_seconds)
                except httpx.HTTPError as exc:  # retried at the next tick; the lease has time left
                    log.warning("could not renew the warehouse slot: %s", exc)

        renewer = threading.Thread(target=renew, name="warehouse-slot", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            renewer.join()
            client.release_concurrency_slots_with_lease(lease)
