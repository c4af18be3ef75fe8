"""Operations shared by the flows and the CLI: what is worth retrying, and crawl settings.

The Prefect flows in ``flows/`` are thin; what they need beyond the pipeline itself lives here
and in the modules beside it, so that the CLI and the flows share it:

- here: the constants and errors of the orchestration, which failures are worth retrying
  (Prefect's ``retry_condition_fn``), batches, and **crawl settings** as the CLI builds them,
  with a language narrowing a profile to its hosts;
- :mod:`scoarchive.limits`: the global concurrency limits (per-host slots shared across runs,
  the one warehouse slot);
- :mod:`scoarchive.status`: what ``scoarchive status`` reports;
- :mod:`scoarchive.schedule`: the single-machine setup behind ``scoarchive schedule``;
- :mod:`scoarchive.reports`: the run reports the flows leave as Prefect artifacts.

This module imports none of them (they import it), and no Prefect: the CLI imports it at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from scoarchive.capture import CrawlBusy, CrawlConfig, CrawlSummary
from scoarchive.profile import Profile, ProfileError, load_profile
from scoarchive.settings import DataDirError, Settings
from scoarchive.urls import ConnectTo
from scoarchive.warehouse import WarehouseBusy
from scoarchive.watch import Live, WatchReport

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


class CaptureIncomplete(Exception):
    """A capture reached nothing (hosts down, API down): worth retrying later, unlike bad input."""


# -- what is worth retrying ----------------------------------------------------------------


def is_transient(exc: BaseException) -> bool:
    """True for failures a later attempt can cure: unreachable hosts, a busy warehouse, network.

    Bad input (unknown profile, seed off scope, unwritable data directory, missing limits) is
    not: retrying it only delays the message the operator needs.
    """
    # OpsError covers scoarchive.limits.LimitsMissing (its only subclass) without importing
    # that module, which imports this one.
    if isinstance(exc, DataDirError | OpsError):
        return False
    transient = (CaptureIncomplete, CrawlBusy, WarehouseBusy, httpx.TransportError, TimeoutError, OSError)
    return isinstance(exc, transient)


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
