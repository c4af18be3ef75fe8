"""Operations: what runs the archive unattended, and what tells an operator how it is doing.

The Prefect flows in ``flows/`` are thin; everything they need beyond the pipeline itself lives
here so that the CLI and the flows share it:

- **per-host slots shared across runs**: :class:`HostSlots` holds one of Prefect's global
  concurrency limits (``scoarchive-host-<host>``, sized by the profile's politeness) around
  every request, so crawls and watches on any number of workers stay polite together;
- **crawl settings** as the CLI builds them, with a language narrowing a profile to its hosts;
- **status**: last runs of each flow (from Prefect when it answers, else from the crawl
  frontier), archive size and the newest capture per host;
- **the single-machine setup** behind ``scoarchive schedule``: a Prefect server on SQLite under
  the data directory, the work pool, the limits, the deployments and a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import httpx

from scoarchive import warehouse
from scoarchive.capture import CrawlConfig, Crawler, CrawlSummary
from scoarchive.profile import Profile, ProfileError, load_profile
from scoarchive.settings import DataDir, DataDirError, Settings
from scoarchive.urls import ConnectTo, InvalidURL, split_http_url
from scoarchive.warc import read_record
from scoarchive.warehouse import LoadReport, WarehouseBusy, load
from scoarchive.watch import Live, WatchReport, recapture_config, watch_async

log = logging.getLogger(__name__)

WORK_POOL = "scoarchive"
WAREHOUSE_LIMIT = "scoarchive-warehouse"
HOST_LIMIT_PREFIX = "scoarchive-host-"
FLOW_NAMES = ("crawl", "load", "verify", "watch")
# Longer than any one exchange can last (the fetcher cuts a response at 600 s), so a slot
# never needs renewing; if a worker dies holding one, the server frees it after this.
LEASE_SECONDS = 900.0
# Prefect's 423 answer suggests a wait; a slot frees when a request ends, so poll sooner.
MAX_SLOT_WAIT = 1.0
# A run keeps a host slot between its requests for this long at most, and this long unused
# (longer than the gap a polite crawl leaves between two requests on one slot).
KEEP_SECONDS = 30.0
IDLE_SECONDS = 3.0
SOURCE_ROOT = Path(__file__).resolve().parents[2]
PREFECT_FILE = Path("deployments") / "prefect.yaml"
DEFAULT_PORT = 4200
QUIET_ENV = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}

T = TypeVar("T")


class OpsError(Exception):
    """The orchestration setup cannot do what was asked (server will not start, deploy failed)."""


class LimitsMissing(OpsError):
    """Global concurrency limits a flow needs do not exist: run ``scoarchive schedule`` first."""


class CaptureIncomplete(Exception):
    """A capture reached nothing (hosts down, API down): worth retrying later, unlike bad input."""


# -- what is worth retrying ----------------------------------------------------------------


def is_transient(exc: BaseException) -> bool:
    """True for failures a later attempt can cure: unreachable hosts, a busy warehouse, network.

    Bad input (unknown profile, seed off scope, unwritable data directory, missing limits) is
    not: retrying it only delays the message the operator needs.
    """
    if isinstance(exc, DataDirError | LimitsMissing):
        return False
    return isinstance(exc, CaptureIncomplete | WarehouseBusy | httpx.TransportError | TimeoutError | OSError)


def check_reached(summary: CrawlSummary) -> CrawlSummary:
    """Raise CaptureIncomplete when a capture got no response at all, as the CLI exits 1."""
    if summary.fetched == 0 and (summary.unreachable_hosts or summary.failed):
        reasons = summary.unreachable_hosts or dict(summary.failed[:3])
        detail = "; ".join(f"{where}: {why}" for where, why in reasons.items())
        raise CaptureIncomplete(f"nothing reached in run {summary.run_id}: {detail}")
    return summary


def retry_transient(task: object, task_run: object, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry a failed task only when its error is transient."""
    try:
        state.result()
    except BaseException as exc:
        return is_transient(exc)
    return False


def check_watched(report: WatchReport) -> WatchReport:
    """Raise CaptureIncomplete when no checked page got any answer (the site or network is down)."""
    if report.checks and all(check.state is Live.ERROR and check.status is None for check in report.checks):
        raise CaptureIncomplete(f"no page answered: {report.checks[0].detail}")
    return report


def batches(items: Sequence[T], count: int) -> list[list[T]]:
    """``items`` in at most ``count`` contiguous batches of near-equal size (none empty)."""
    count = max(1, min(count, len(items)))
    size, extra = divmod(len(items), count)
    out, start = [], 0
    for index in range(count):
        end = start + size + (index < extra)
        out.append(list(items[start:end]))
        start = end
    return [batch for batch in out if batch]


# -- crawl settings ---------------------------------------------------------------------------


def for_language(profile: Profile, language: str | None) -> Profile:
    """The profile narrowed to the hosts of one language (``en``, ``ru``, ``zh``).

    A narrowed crawl stays on its hosts (links to the other languages become outlinks), which
    is what lets runs per language share one archive and together equal one whole crawl.
    """
    if not language:
        return profile
    hosts = tuple(host for host in profile.hosts if profile.languages.get(host) == language)
    if not hosts:
        known = ", ".join(sorted(set(profile.languages.values()))) or "none"
        raise ProfileError(f"profile {profile.name!r} has no hosts in language {language!r} (known: {known})")
    starts = tuple(url for url in profile.start_urls if profile.language_of(url) == language)
    return profile.model_copy(update={"hosts": hosts, "start_urls": starts})


def crawl_config(
    profile: str = "sco",
    data: Path | str | None = None,
    *,
    language: str | None = None,
    seeds: Sequence[str] = (),
    connect_to: Sequence[str] = (),
    max_pages: int | None = None,
    concurrency: int = 8,
    host_concurrency: int | None = None,
    delay: float | None = None,
    timeout: float = 30.0,
    max_bytes: int = 100 * 2**20,
    retries: int = 3,
) -> CrawlConfig:
    """The CrawlConfig ``scoarchive crawl`` builds from its options, with a language filter.

    Seeds on hosts outside the language are dropped; none left is an error (bad input).
    """
    site = for_language(load_profile(profile), language)
    chosen = list(seeds)
    if language and chosen:
        chosen = [seed for seed in chosen if site.in_scope(seed)]
        if not chosen:
            raise ProfileError(f"no seed is on a {language!r} host of profile {site.name!r}")
    return CrawlConfig(
        profile=site,
        data_dir=Path(data) if data is not None else Settings().home,
        seeds=chosen,
        connect_to=[ConnectTo.parse(spec) for spec in connect_to],
        max_pages=max_pages,
        concurrency=concurrency,
        host_concurrency=host_concurrency,
        delay=delay,
        timeout=timeout,
        max_bytes=max_bytes,
        retries=retries,
        operator=Settings().operator,
    )


# -- global concurrency limits ---------------------------------------------------------------


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
    acquire/release pair costs 25 ms, 120-240 ms when runs contend for the server's database.
    So a slot is pooled like a keep-alive connection: after a request it stays with this run
    for the next request to the host, released when idle for ``idle_seconds`` or after
    ``keep_seconds`` (so other runs get their turn). Any request in flight still holds a slot.
    """

    def __init__(
        self,
        *,
        lease_seconds: float = LEASE_SECONDS,
        keep_seconds: float = KEEP_SECONDS,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        from prefect.client.orchestration import PrefectClient, get_client

        self._client: PrefectClient = get_client()
        self.lease_seconds = lease_seconds
        self.keep_seconds = keep_seconds
        self.idle_seconds = idle_seconds
        self._idle: dict[str, list[_Lease]] = {}
        self._releases: set[asyncio.Task[None]] = set()
        self._one_at_a_time = asyncio.Lock()
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
                async with self._one_at_a_time:  # concurrent writes stall a SQLite server (~1 s each)
                    response = await self._client.increment_concurrency_slots_with_lease(
                        names=[name], slots=1, mode="concurrency", lease_duration=self.lease_seconds
                    )
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 423:
                    raise
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


async def watch_shared(
    config: CrawlConfig, urls: Sequence[str] | None = None, retries: int = 2
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

    with get_client(sync_client=True) as client:
        while True:
            try:
                response = client.increment_concurrency_slots_with_lease(
                    names=[WAREHOUSE_LIMIT], slots=1, mode="concurrency", lease_duration=lease_seconds
                )
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 423:
                    raise
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


# -- status -----------------------------------------------------------------------------------


@dataclass
class FlowRunInfo:
    flow: str
    name: str
    deployment: str | None
    state: str
    started: datetime | None
    seconds: float | None


@dataclass
class CrawlRunInfo:
    run_id: str
    profile: str
    status: str
    started: str
    finished: str | None
    fetched: int | None
    new: int | None
    failed: int | None


@dataclass
class HostFreshness:
    host: str
    newest_capture: str  # WARC-Date of the newest successful capture
    url: str
    run_id: str


@dataclass
class ArchiveStatus:
    data_dir: str
    warc_files: int
    warc_bytes: int
    open_files: int
    loaded_files: int | None  # None: no warehouse snapshot yet
    snapshot: str | None
    hosts: list[HostFreshness]
    prefect_api: str | None  # the API that answered, if any
    flow_runs: list[FlowRunInfo] = field(default_factory=list)
    crawl_runs: list[CrawlRunInfo] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=str))


def prefect_home(data_dir: Path | str) -> Path:
    return DataDir(data_dir).root / "prefect"


def api_url_for(data_dir: Path | str, explicit: str | None = None) -> str | None:
    """The Prefect API to ask: explicit, else $PREFECT_API_URL, else the one ``schedule`` started."""
    if explicit:
        return explicit
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    recorded = prefect_home(data_dir) / "api-url"
    return recorded.read_text(encoding="utf-8").strip() if recorded.exists() else None


def api_healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def status(data_dir: Path | str, api_url: str | None = None, runs_per_flow: int = 3) -> ArchiveStatus:
    """The archive at a glance: last runs, size, newest capture per host. Never fails on a
    missing piece (no Prefect, no warehouse yet): it reports what it can see."""
    data = DataDir(data_dir)
    closed = data.warc_files()
    loaded, snapshot = _warehouse_state(data.root)
    result = ArchiveStatus(
        data_dir=str(data.root),
        warc_files=len(closed),
        warc_bytes=sum(path.stat().st_size for path in closed),
        open_files=len(data.warc_files("*.warc.gz.open")),
        loaded_files=loaded,
        snapshot=snapshot,
        hosts=newest_captures(data.root),
        prefect_api=None,
    )
    api = api_url_for(data.root, api_url)
    if api and api_healthy(api):
        result.prefect_api = api
        result.flow_runs = prefect_flow_runs(api, runs_per_flow)
    else:
        result.crawl_runs = frontier_runs(data.root, runs_per_flow * len(FLOW_NAMES))
    return result


def _warehouse_state(root: Path) -> tuple[int | None, str | None]:
    snapshot = warehouse.current_snapshot(root)
    if snapshot is None:
        return None, None
    try:
        _, rows = warehouse.query(root, "SELECT count(*) FROM loaded_files")
    except Exception as exc:  # a damaged snapshot must not hide the rest of the status
        log.warning("cannot read the warehouse: %s", exc)
        return None, snapshot.name
    return int(rows[0][0]), snapshot.name


def _host_of(url: str) -> str | None:
    try:
        return split_http_url(url)[1].lower()
    except InvalidURL:
        return None


def newest_captures(data_dir: Path | str) -> list[HostFreshness]:
    """Per host, the WARC-Date of the newest capture that got an answer below 400.

    The frontier knows, for every run, where each URL's record was written; within a run,
    file names and offsets grow as records are written, so the newest record of a host is the
    largest (file, offset) of its latest run. One seek per host reads the exact date.
    """
    data = DataDir(data_dir)
    if not data.frontier.exists():
        return []
    db = sqlite3.connect(f"file:{data.frontier}?mode=ro", uri=True)
    try:
        db.create_function("host_of", 1, _host_of, deterministic=True)
        rows = db.execute(
            """
            SELECT host, url, warc_file, warc_offset, run_id FROM (
                SELECT host_of(q.url) AS host, q.url, q.warc_file, q.warc_offset, q.run_id,
                       row_number() OVER (PARTITION BY host_of(q.url)
                           ORDER BY r.started DESC, q.warc_file DESC, q.warc_offset DESC) AS rank
                FROM queue AS q JOIN runs AS r USING (run_id)
                WHERE q.warc_file IS NOT NULL AND q.status < 400
            ) WHERE rank = 1 AND host IS NOT NULL ORDER BY host
            """
        ).fetchall()
    finally:
        db.close()
    found = []
    for host, url, warc_file, offset, run_id in rows:
        try:
            date = read_record(data.warcs / warc_file, offset).rec_headers.get_header("WARC-Date")
        except (OSError, ValueError, StopIteration) as exc:
            date = f"unreadable ({type(exc).__name__})"
        found.append(HostFreshness(host, date, url, run_id))
    return found


def frontier_runs(data_dir: Path | str, limit: int = 10) -> list[CrawlRunInfo]:
    """The latest crawl runs the frontier recorded (what status shows without Prefect)."""
    data = DataDir(data_dir)
    if not data.frontier.exists():
        return []
    db = sqlite3.connect(f"file:{data.frontier}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT run_id, profile, status, started, finished, summary FROM runs"
            " ORDER BY started DESC LIMIT ?",
            (limit,),
        ).fetchall()
    finally:
        db.close()
    runs = []
    for run_id, profile, state, started, finished, summary in rows:
        facts = json.loads(summary) if summary else {}
        failed = facts.get("failed")
        runs.append(
            CrawlRunInfo(
                run_id,
                profile,
                state,
                started,
                finished,
                facts.get("fetched"),
                facts.get("new"),
                len(failed) if isinstance(failed, list) else None,
            )
        )
    return runs


def prefect_flow_runs(api_url: str, per_flow: int = 3) -> list[FlowRunInfo]:
    """The last started runs of each scoarchive flow, newest first, from the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterStartTime,
    )
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    found = []
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        names = {d.id: d.name for d in client.read_deployments()}
        for flow in FLOW_NAMES:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[flow])),
                flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(is_null_=False)),
                sort=FlowRunSort.START_TIME_DESC,
                limit=per_flow,
            )
            for run in runs:
                found.append(
                    FlowRunInfo(
                        flow=flow,
                        name=run.name,
                        deployment=names.get(run.deployment_id) if run.deployment_id else None,
                        state=(run.state.name if run.state else None) or "unknown",
                        started=run.start_time,
                        seconds=round(run.total_run_time.total_seconds(), 1),
                    )
                )
    return found


# -- the single-machine setup -------------------------------------------------------------------


def prefect_bin() -> str:
    """The ``prefect`` command of this environment (beside the running interpreter)."""
    candidate = Path(sys.executable).parent / "prefect"
    return str(candidate) if candidate.exists() else "prefect"


def prefect_env(data_dir: Path | str, api_url: str, **extra: str) -> dict[str, str]:
    """Environment for the server, deploys and workers: PREFECT_HOME under DATA, telemetry off."""
    data = DataDir(data_dir)
    env = {
        **os.environ,
        **QUIET_ENV,
        "PREFECT_HOME": str(prefect_home(data.root).resolve()),
        "PREFECT_API_URL": api_url,
        "SCOARCHIVE_HOME": str(data.root.resolve()),
        **extra,
    }
    return env


def ensure_work_pool(name: str = WORK_POOL) -> None:
    """A process work pool (flow runs as subprocesses of the worker), created if missing."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type="process",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )


def deploy(api_url: str, data_dir: Path | str, source: Path = SOURCE_ROOT) -> list[str]:
    """``prefect deploy --all`` with the project's prefect.yaml; the deployment names."""
    prefect_file = source / PREFECT_FILE
    if not prefect_file.exists():
        raise OpsError(f"{prefect_file} not found: run from a checkout or pass --source")
    completed = subprocess.run(
        [prefect_bin(), "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file)],
        cwd=source,
        env=prefect_env(data_dir, api_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        raise OpsError("prefect deploy failed: " + " | ".join(tail))
    return deployment_names(prefect_file)


def deployment_names(prefect_file: Path) -> list[str]:
    import yaml

    spec = yaml.safe_load(prefect_file.read_text(encoding="utf-8"))
    return [entry["name"] for entry in spec.get("deployments", [])]


def setup(
    api_url: str, data_dir: Path | str, source: Path = SOURCE_ROOT, profiles: Sequence[str] = ("sco",)
) -> list[str]:
    """Work pool, global concurrency limits and deployments on the server at ``api_url``.

    Idempotent: run it again after changing prefect.yaml or a profile's politeness.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}):
        ensure_work_pool()
        ensure_limits(limit_specs(load_profile(name) for name in profiles))
    return deploy(api_url, data_dir, source)


@dataclass
class Scheduled:
    api_url: str
    server_pid: int | None  # None: a server was already answering
    worker_pid: int | None
    deployments: list[str]


def _run_dir(data_dir: Path | str) -> Path:
    path = prefect_home(data_dir) / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recorded_pid(data_dir: Path | str, role: str) -> int | None:
    path = _run_dir(data_dir) / f"{role}.pid"
    try:
        pid = int(path.read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def _spawn(data_dir: Path | str, role: str, command: list[str], env: dict[str, str], cwd: Path) -> int:
    """Start a detached process (its own session, so it outlives this command); record its pid."""
    logs = prefect_home(data_dir) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{role}.log", "ab") as log_file:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (_run_dir(data_dir) / f"{role}.pid").write_text(f"{process.pid}\n", encoding="utf-8")
    return process.pid


def start_server(
    data_dir: Path | str, port: int = DEFAULT_PORT, timeout: float = 90.0, **env: str
) -> tuple[str, int | None]:
    """``prefect server start`` (SQLite under DATA/prefect unless ``env`` names another
    database); waits until it answers."""
    api_url = f"http://127.0.0.1:{port}/api"
    if api_healthy(api_url):
        return api_url, None
    home = prefect_home(data_dir)
    home.mkdir(parents=True, exist_ok=True)
    pid = _spawn(
        data_dir,
        "server",
        [prefect_bin(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        prefect_env(data_dir, api_url, **env),
        home,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api_healthy(api_url, timeout=1.0):
            (home / "api-url").write_text(api_url + "\n", encoding="utf-8")
            return api_url, pid
        if not _pid_alive(pid):
            break
        time.sleep(0.5)
    raise OpsError(f"the Prefect server did not answer on {api_url}; see {home / 'logs' / 'server.log'}")


def start_worker(
    api_url: str,
    data_dir: Path | str,
    source: Path = SOURCE_ROOT,
    *,
    name: str = "scoarchive-worker",
    limit: int | None = None,
    role: str = "worker",
    **env: str,
) -> int:
    """A process worker on the work pool: it runs each flow run as a child process."""
    command = [prefect_bin(), "worker", "start", "--pool", WORK_POOL, "--type", "process", "--name", name]
    if limit is not None:
        command += ["--limit", str(limit)]
    return _spawn(data_dir, role, command, prefect_env(data_dir, api_url, **env), source)


def schedule(data_dir: Path | str, *, port: int = DEFAULT_PORT, source: Path = SOURCE_ROOT) -> Scheduled:
    """Bring up the single-machine setup: server, work pool, limits, deployments, one worker."""
    DataDir(data_dir).ensure_writable()
    api_url, server_pid = start_server(data_dir, port)
    names = setup(api_url, data_dir, source)
    worker_pid = _recorded_pid(data_dir, "worker")
    if worker_pid is None:
        worker_pid = start_worker(api_url, data_dir, source)
    return Scheduled(api_url, server_pid, worker_pid, names)


def stop(data_dir: Path | str, roles: Sequence[str] = ("worker", "server"), grace: float = 15.0) -> list[str]:
    """Stop the worker, then the server, that ``schedule`` started (by their recorded pids)."""
    stopped = []
    for role in roles:
        pid = _recorded_pid(data_dir, role)
        if pid is None:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)  # its own session: the group holds its children
        deadline = time.monotonic() + grace
        while _pid_alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.2)
        if _pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        (_run_dir(data_dir) / f"{role}.pid").unlink(missing_ok=True)
        stopped.append(f"{role} (pid {pid})")
    if "server" in roles:
        (prefect_home(data_dir) / "api-url").unlink(missing_ok=True)
    return stopped


# -- run reports (artifacts) -------------------------------------------------------------------


def crawl_markdown(
    title: str, summary: CrawlSummary, load: Any | None, seconds: float, warc_dir: Path
) -> str:
    """The account of one crawl an operator reads in the Prefect UI."""
    lines = [
        f"# {title}",
        "",
        f"Run `{summary.run_id}` ({summary.status}{', resumed' if summary.resumed else ''}),"
        f" {seconds:.1f} s.",
        "",
        "| | |",
        "| --- | ---: |",
        f"| pages fetched | {summary.fetched} |",
    ]
    if load is not None:
        lines += [
            f"| new articles | {load.articles_added} |",
            f"| new article versions | {load.versions_added} |",
            f"| new documents | {load.documents_added} |",
        ]
    lines += [
        f"| new or changed captures | {summary.new} |",
        f"| unchanged (revisits) | {summary.unchanged} |",
        f"| redirects | {summary.redirects} |",
        f"| failed | {len(summary.failed)} |",
        f"| blocked by robots.txt | {summary.blocked} |",
        f"| WARC bytes written | {summary.bytes_written:,} |",
        f"| duration (s) | {seconds:.1f} |",
    ]
    if load is None:
        lines += ["", "Not loaded into the warehouse by this run (the load deployment picks the files up)."]
    if summary.failed:
        lines += ["", "## Failures", ""]
        lines += [f"- {url}: {reason}" for url, reason in summary.failed[:50]]
        if len(summary.failed) > 50:
            lines.append(f"- ... and {len(summary.failed) - 50} more (see the failures table)")
    if summary.warc_files:
        lines += ["", "## WARC files written", ""]
        lines += [f"- [{name}]({(warc_dir / name).resolve().as_uri()})" for name in summary.warc_files]
    return "\n".join(lines) + "\n"


def failure_rows(failures: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"url": url, "reason": reason} for url, reason in failures]


def artifact_key(*parts: str | None) -> str:
    """Prefect artifact keys allow lower-case letters, digits and dashes only."""
    text = "-".join(part for part in parts if part)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def load_markdown(report: LoadReport) -> str:
    lines = [
        "# Warehouse load",
        "",
        "| | |",
        "| --- | ---: |",
        f"| WARC files loaded | {len(report.files_loaded)} |",
        f"| captures added | {report.captures_added} |",
        f"| new articles | {report.articles_added} |",
        f"| new article versions | {report.versions_added} |",
        f"| new documents | {report.documents_added} |",
        f"| records skipped | {len(report.skipped)} |",
        f"| snapshot | {report.snapshot.name if report.snapshot else 'unchanged'} |",
        f"| duration (s) | {report.seconds:.1f} |",
    ]
    return "\n".join(lines) + "\n"


def skipped_rows(report: LoadReport) -> list[dict[str, str]]:
    return [
        {"warc_file": s.warc_file, "offset": str(s.warc_offset), "url": s.url or "", "reason": s.reason}
        for s in report.skipped
    ]


def failure_markdown(flow: str, exc: BaseException) -> str:
    """What an operator sees for a run that failed outright (after any retries)."""
    kind = "transient, retried" if is_transient(exc) else "not retried: fix the input or the setup"
    return f"# {flow} run failed\n\n{type(exc).__name__}: {exc}\n\n({kind})\n"
