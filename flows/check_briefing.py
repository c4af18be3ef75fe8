"""The check-briefing flow: ``scoarchive check`` run by Prefect, each report kept as an artifact.

For a publishing pipeline (``run_deployment`` with one briefing) and for a daily check of every
briefing registered with the archive (the files in ``DATA/briefings/``): pages cited months ago
are archived if missing, and a run fails when any citation is not preserved, which is what
Prefect automations alert on. The reports are Markdown artifacts in the Prefect UI.

Missing pages are captured as the crawl flow captures, holding the shared host slots, and loaded
holding the warehouse slot, so a check stays polite beside crawls on any worker and never loads
at the same time as another load; a capture that reaches nothing is retried like a crawl's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from scoarchive.briefing.check import CheckOptions, check_briefing
from scoarchive.briefing.report import render_markdown
from scoarchive.core.settings import DataDir
from scoarchive.orchestration import limits
from scoarchive.orchestration.tasks import RETRIES


class CitationsNotPreserved(Exception):
    """Some citations resolve to no preserved copy (the message and the reports name them)."""


@task(name="check-briefing", **RETRIES)
def check(briefing: Path, options: CheckOptions) -> dict[str, Any]:
    """Parse, resolve, capture and load what is missing (if asked), compare dates and quotes."""
    report = check_briefing(briefing, options, capture=limits.capture, load=limits.load_serialised).report
    key = "check-" + "".join(c if c.isalnum() else "-" for c in briefing.stem.lower())
    create_markdown_artifact(render_markdown(report), key=key[:100], description=briefing.name)
    return report.to_dict()


@flow(name="check-briefing")
def check_briefing_flow(
    briefing: str | None = None,
    data: str | None = None,
    capture_missing: bool = False,
    live: bool = False,
    connect_to: list[str] | None = None,
    service: str = "http://127.0.0.1:8080",
    profile: str = "sco",
    delay: float | None = None,
) -> list[dict[str, Any]]:
    """Check one briefing, or every registered one (``DATA/briefings/``); mirrors ``scoarchive check``."""
    data_dir = DataDir(data)
    options = CheckOptions.from_names(
        data_dir.root,
        profile,
        connect_to or [],
        capture_missing=capture_missing,
        live=live,
        service_url=service,
        delay=delay,
    )
    if capture_missing:  # before any request, as the crawl flow checks
        limits.require_limits(options.profile, loading=True)
    registered = data_dir.root / "briefings"
    paths = [Path(briefing)] if briefing else sorted(p for p in registered.glob("*") if p.is_file())
    reports = [check(path, options) for path in paths]
    logger = get_run_logger()
    missing = [
        f"{report['briefing']} [{citation['n']}] {citation['url']}"
        for report in reports
        for citation in report["citations"]
        if not citation["resolved"]
    ]
    headline = f"{len(paths)} briefing(s) checked, {len(missing)} citation(s) not preserved"
    if missing:
        logger.error("%s: %s", headline, "; ".join(missing))
        raise CitationsNotPreserved(f"{headline}: {'; '.join(missing)}")
    logger.info(headline)
    return reports
