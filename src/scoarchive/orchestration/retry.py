"""What is worth retrying: the failures a later attempt can cure, as Prefect's retry condition."""

from __future__ import annotations

from typing import Any

import httpx

from scoarchive.capture.config import CrawlBusy, CrawlSummary
from scoarchive.capture.live import Live, WatchReport
from scoarchive.core.settings import DataDirError
from scoarchive.warehouse import WarehouseBusy


class OpsError(Exception):
    """The orchestration setup cannot do what was asked (server will not start, deploy failed)."""


class CaptureIncomplete(Exception):
    """A capture reached nothing (hosts down, API down): worth retrying later, unlike bad input."""


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
    detail = summary.nothing_reached()
    if detail is None and summary.fetched == 0 and summary.failed:
        detail = "; ".join(f"{where}: {why}" for where, why in summary.failed[:3])
    if detail is not None:
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
