"""Prefect task options, and the tasks more than one flow runs.

The only module of the library that imports Prefect when it is imported: the flows import it,
the CLI never does (``import prefect`` alone costs more than a second).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from scoarchive.orchestration.limits import load_serialised
from scoarchive.orchestration.retry import retry_transient
from scoarchive.resolve import update_index
from scoarchive.warehouse import LoadReport, WarehouseError

# Task options where a later attempt can succeed (a host or the API down, the warehouse busy);
# retry_transient lets bad input fail at once.
RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=30),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": retry_transient,
    "cache_policy": NO_CACHE,
}


class DamageFound(Exception):
    """A load met damaged WARC data or WARC files gone: the run fails (the alert), after it
    loaded everything intact and wrote its account."""


def fail_on_damage(report: LoadReport | None) -> None:
    """Raise DamageFound for a load that found damage, as ``scoarchive load`` exits 1."""
    if report is not None and report.damage_found:
        get_run_logger().error(report.damage_headline())
        raise DamageFound(report.damage_headline())


def thread_pool(max_workers: int) -> TaskRunner[PrefectFuture[Any]]:
    """A bounded thread pool for a flow's tasks (Prefect's own pool is unbounded by default).

    The cast is Prefect's typing, not ours: its flow decorator wants ``TaskRunner[PrefectFuture]``
    and its thread pool is a ``TaskRunner[PrefectConcurrentFuture]`` (an invariant type variable).
    """
    return cast(TaskRunner[PrefectFuture[Any]], ThreadPoolTaskRunner(max_workers=max_workers))


@task(name="load-warehouse", **RETRIES)
def load_warehouse(data_dir: Path, workers: int = 1) -> LoadReport:
    """Extract and load every closed WARC file not loaded yet (whoever wrote it), one load at a time."""
    report = load_serialised(data_dir, workers)
    logger = get_run_logger()
    logger.info(
        "loaded %d files: %d captures, %d new articles, %d new versions",
        len(report.files_loaded),
        report.captures_added,
        report.articles_added,
        report.versions_added,
    )
    try:  # now, so that no citation lookup waits for it; if this fails, the first lookup does it
        update = update_index(data_dir)
    except WarehouseError as exc:
        logger.warning("resolver index not updated: %s", exc)
    else:
        logger.info(
            "resolver index: %s %d captures in %.2f s", update.change, update.captures, update.seconds
        )
    return report
