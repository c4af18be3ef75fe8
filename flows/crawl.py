"""The crawl and load flows: ``scoarchive crawl`` then ``scoarchive load``, scheduled and retried.

A crawl is a handful of tasks, not one per page: the capture task fetches its pages
concurrently inside the library's crawler, because a Prefect task costs 5-8 ms on the client and
about 20 KB of server database, more than a page. Tasks hand each other references (the run
id, WARC file names), never page bodies. Every request to a host also holds a slot of the host's
global concurrency limit, so crawls on any number of workers stay within the profile's
politeness together; loads hold the one warehouse slot, so they never overlap.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from scoarchive.capture.config import CrawlConfig, CrawlSummary, crawl_default
from scoarchive.capture.crawler import Crawler
from scoarchive.core.settings import Settings
from scoarchive.orchestration import limits, reports
from scoarchive.orchestration.options import crawl_config
from scoarchive.orchestration.tasks import RETRIES, fail_on_damage, load_warehouse, thread_pool


@task(name="plan-crawl", cache_policy=NO_CACHE)
def plan_crawl(
    profile: str,
    language: str | None,
    seed: list[str],
    data: str | None,
    connect_to: list[str],
    options: dict[str, Any],
    load: bool,
) -> CrawlConfig:
    """Check everything the crawl needs before any request: profile, seeds, data dir, limits."""
    config = crawl_config(profile, data, language=language, seeds=seed, connect_to=connect_to, **options)
    Crawler(config)  # validates the seeds and that the data directory is writable
    limits.require_limits(config.profile, loading=load)
    return config


@task(name="capture", **RETRIES)
def capture(config: CrawlConfig) -> CrawlSummary:
    """Discover and capture: the library's crawl (resumes an interrupted run), host slots held."""
    summary = limits.capture(config)
    get_run_logger().info(
        "run %s: %d fetched, %d new, %d unchanged, %d failed, %d bytes in %s",
        summary.run_id,
        summary.fetched,
        summary.new,
        summary.unchanged,
        len(summary.failed),
        summary.bytes_written,
        ", ".join(summary.warc_files) or "no new file",
    )
    return summary


@flow(name="crawl", task_runner=thread_pool(2))
def crawl_flow(
    profile: str = "sco",
    language: str | None = None,
    seed: list[str] | None = None,
    data: str | None = None,
    connect_to: list[str] | None = None,
    max_pages: int | None = crawl_default("max_pages"),
    concurrency: int = crawl_default("concurrency"),
    host_concurrency: int | None = crawl_default("host_concurrency"),
    delay: float | None = crawl_default("delay"),
    timeout: float = crawl_default("timeout"),
    max_bytes: int = crawl_default("max_bytes"),
    retries: int = crawl_default("retries"),
    load: bool = True,
    workers: int = 1,
) -> dict[str, Any]:
    """Crawl a profile (or one language of it) into WARC files, then load the warehouse.

    Parameters mirror ``scoarchive crawl`` (CrawlConfig's fields and defaults); ``language``
    narrows the profile to that language's hosts; ``load=False`` leaves loading to the load
    deployment (capture-only workers).
    """
    started = time.monotonic()
    key = reports.artifact_key("crawl", profile, language)
    options = {
        "max_pages": max_pages,
        "concurrency": concurrency,
        "host_concurrency": host_concurrency,
        "delay": delay,
        "timeout": timeout,
        "max_bytes": max_bytes,
        "retries": retries,
    }
    try:
        config = plan_crawl(profile, language, seed or [], data, connect_to or [], options, load)
        summary = capture(config)
        report = load_warehouse(config.data_dir, workers) if load else None
    except Exception as exc:
        create_markdown_artifact(reports.failure_markdown("crawl", exc), key=key, description="crawl failed")
        raise
    seconds = time.monotonic() - started
    title = f"Crawl of {profile}" + (f" ({language})" if language else "")
    warcs = config.data_dir / "warcs"
    create_markdown_artifact(
        reports.crawl_markdown(title, summary, report, seconds, warcs), key=key, description=title
    )
    create_table_artifact(
        reports.failure_rows(summary.failed),
        key=f"{key}-failures",
        description=f"failures of run {summary.run_id}",
    )
    for name in summary.warc_files:
        create_link_artifact(
            (warcs / name).resolve().as_uri(), link_text=name, description="WARC file written"
        )
    if report is not None:
        create_table_artifact(
            reports.skipped_rows(report), key=f"{key}-skipped", description="records not loaded"
        )
    fail_on_damage(report)
    return {"crawl": summary.to_dict(), "load": report.to_dict() if report else None}


@flow(name="load", task_runner=thread_pool(1))
def load_flow(data: str | None = None, workers: int = 1) -> dict[str, Any]:
    """Load whatever WARC files the capture workers closed (one load at a time, anywhere)."""
    data_dir = Path(data) if data else Settings().home
    try:
        report = load_warehouse(data_dir, workers)
    except Exception as exc:
        create_markdown_artifact(reports.failure_markdown("load", exc), key="load", description="load failed")
        raise
    create_markdown_artifact(reports.load_markdown(report), key="load", description="warehouse load")
    create_table_artifact(reports.skipped_rows(report), key="load-skipped", description="records not loaded")
    fail_on_damage(report)
    return report.to_dict()
