"""The verify flow (fixity): re-read every WARC record, check its digests and the warehouse's rows.

Files are checked in a few batches in parallel (bounded thread pool), not one task per file or
record. A mismatch or a missing file fails the run, naming them: a failed run is what Prefect
automations and the UI surface as the alert.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from scoarchive.core.settings import Settings
from scoarchive.orchestration.retry import retry_transient
from scoarchive.orchestration.tasks import thread_pool
from scoarchive.upkeep import verify

MAX_WORKERS = 2


class FixityFailed(Exception):
    """The archive has damaged, mismatched or missing WARC data (the message names it)."""


@task(name="plan-fixity", cache_policy=NO_CACHE)
def plan_fixity(data_dir: Path) -> verify.FixityPlan:
    """The closed WARC files to read, and the referenced files that are gone."""
    return verify.plan(data_dir)


@task(
    name="check-warc-files",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_condition_fn=retry_transient,
)
def check_batch(data_dir: Path, names: list[str]) -> verify.FixityReport:
    """Recompute the digests of every record of these files; compare the warehouse's rows."""
    return verify.check_files(data_dir, names)


@flow(name="verify", task_runner=thread_pool(MAX_WORKERS))
def verify_flow(data: str | None = None, batches: int = 2 * MAX_WORKERS) -> dict[str, Any]:
    """Fixity of the whole archive; fails (the alert) on any damaged, mismatched or missing file."""
    started = time.monotonic()
    data_dir = Path(data) if data else Settings().home
    plan = plan_fixity(data_dir)
    futures = [check_batch.submit(data_dir, names) for names in plan.batches(batches)]
    report = verify.FixityReport(missing=list(plan.missing))
    for future in futures:
        report.merge(future.result())
    report.seconds = round(time.monotonic() - started, 3)
    create_markdown_artifact(report.to_markdown(), key="verify", description=report.headline())
    create_table_artifact(report.rows(), key="verify-problems", description="damaged, mismatched, missing")
    logger = get_run_logger()
    if not report.ok:
        logger.error(report.headline())
        raise FixityFailed(report.headline())
    logger.info(report.headline())
    return report.to_dict()
