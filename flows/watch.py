"""The watch flow (link rot and drift): is every archived article still live, and unchanged?

Three tasks: check the live pages (concurrently inside one task, politely, holding the shared
host slots), capture the changed ones again with the capture engine, and load them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from scoarchive.capture.config import CrawlConfig, CrawlSummary, crawl_default
from scoarchive.capture.live import LIVE_RETRIES, WatchReport
from scoarchive.orchestration import limits, reports
from scoarchive.orchestration.options import crawl_config
from scoarchive.orchestration.retry import check_watched
from scoarchive.orchestration.tasks import RETRIES, fail_on_damage, load_warehouse, thread_pool


@task(name="plan-watch", cache_policy=NO_CACHE)
def plan_watch(
    profile: str,
    language: str | None,
    data: str | None,
    connect_to: list[str],
    options: dict[str, Any],
    load: bool,
) -> CrawlConfig:
    """Settings for the checks and the recapture; limits checked before any request."""
    config = crawl_config(profile, data, language=language, connect_to=connect_to, **options)
    limits.require_limits(config.profile, loading=load)
    return config


@task(name="check-live", **RETRIES)
def check_live(config: CrawlConfig, urls: list[str] | None, retries: int) -> WatchReport:
    """Ask the live site for every archived article (or the given URLs)."""
    report = check_watched(asyncio.run(limits.watch_shared(config, urls, retries)))
    get_run_logger().info("checked %d pages: %s", len(report.checks), report.counts())
    return report


@task(name="recapture", **RETRIES)
def recapture(config: CrawlConfig, urls: list[str]) -> CrawlSummary:
    """Capture the changed pages again (revisit records if they turn out unchanged)."""
    summary = limits.capture(config, urls)
    get_run_logger().info("recaptured %d pages in run %s", summary.fetched, summary.run_id)
    return summary


@flow(name="watch", task_runner=thread_pool(1))
def watch_flow(
    profile: str = "sco",
    language: str | None = None,
    url: list[str] | None = None,
    data: str | None = None,
    connect_to: list[str] | None = None,
    host_concurrency: int | None = crawl_default("host_concurrency"),
    delay: float | None = crawl_default("delay"),
    timeout: float = crawl_default("timeout"),
    retries: int = LIVE_RETRIES,
    recapture_changed: bool = True,
    load: bool = True,
    workers: int = 1,
) -> dict[str, Any]:
    """Check archived articles (or the cited ``url`` list) on the live site; recapture drift."""
    key = reports.artifact_key("watch", profile, language)
    options = {"host_concurrency": host_concurrency, "delay": delay, "timeout": timeout}
    recaptured = loaded = None
    try:
        config = plan_watch(profile, language, data, connect_to or [], options, load)
        report = check_live(config, url, retries)
        changed = report.to_recapture()
        if recapture_changed and changed:
            recaptured = recapture(config, changed)
            if load:
                loaded = load_warehouse(config.data_dir, workers)
    except Exception as exc:
        create_markdown_artifact(reports.failure_markdown("watch", exc), key=key, description="watch failed")
        raise
    create_markdown_artifact(report.to_markdown(recaptured), key=key, description=f"{report.counts()}")
    create_table_artifact(report.rows(), key=f"{key}-changes", description="moved, gone, changed, errors")
    fail_on_damage(loaded)
    return {"counts": report.counts(), "recaptured": recaptured.to_dict() if recaptured else None}
