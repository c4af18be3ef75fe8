"""The archive at a glance, as ``scoarchive status`` shows it.

Last runs of each flow (from the Prefect API when it answers, else the crawl runs the frontier
recorded), archive size, warehouse state and the newest capture per host. Its own module (split
from :mod:`scoarchive.ops`) because it only reads: it never fails on a missing piece, and needs
neither a Prefect server nor the warehouse to exist. Prefect is imported only to ask a server
that answers.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from scoarchive import warehouse
from scoarchive.capture.frontier import latest_captures, recent_runs
from scoarchive.core.settings import DataDir
from scoarchive.core.urls import InvalidURL, split_http_url
from scoarchive.warehouse.lookups import loaded_file_count, newest_per_host

FLOW_NAMES = ("crawl", "load", "verify", "watch")


log = logging.getLogger(__name__)


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
    """How fresh one host's archive is. The article is known once the warehouse is loaded."""

    host: str
    newest_capture: str | None  # UTC ISO time of the newest capture answered below 400
    capture_url: str | None
    newest_article: str | None  # title of the most recently published archived article
    published: str | None
    article_url: str | None


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
    """The archive at a glance: last runs, size, newest article and capture per host. Never fails
    on a missing piece (no Prefect, no warehouse yet): it reports what it can see."""
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
        hosts=freshness(data.root, snapshot is not None),
        prefect_api=None,
        crawl_runs=frontier_runs(data.root, runs_per_flow * len(FLOW_NAMES)),
    )
    api = api_url_for(data.root, api_url)
    if api and api_healthy(api):
        result.prefect_api = api
        result.flow_runs = prefect_flow_runs(api, runs_per_flow)
    return result


def _warehouse_state(root: Path) -> tuple[int | None, str | None]:
    snapshot = warehouse.current_snapshot(root)
    if snapshot is None:
        return None, None
    try:
        loaded = loaded_file_count(root)
    except Exception as exc:  # a damaged snapshot must not hide the rest of the status
        log.warning("cannot read the warehouse: %s", exc)
        return None, snapshot.name
    return loaded, snapshot.name


def _host_of(url: str) -> str | None:
    try:
        return split_http_url(url)[1].lower()
    except InvalidURL:
        return None


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment is not None else None


def freshness(data_dir: Path | str, loaded: bool) -> list[HostFreshness]:
    """Per host, the newest article and capture: from the warehouse once one is loaded (exact),
    else the newest full capture the crawl frontier recorded (no article yet)."""
    if loaded:
        try:
            return [
                HostFreshness(
                    row.host,
                    _iso(row.capture_time),
                    row.capture_url,
                    row.article_title,
                    row.article_published.isoformat() if row.article_published else None,
                    row.article_url,
                )
                for row in newest_per_host(data_dir)
            ]
        except Exception as exc:  # a damaged snapshot must not hide the rest of the status
            log.warning("cannot read the warehouse: %s", exc)
    newest: dict[str, tuple[str, str]] = {}
    for seen in latest_captures(DataDir(data_dir).frontier).values():
        host = _host_of(seen.url)
        if host and (host not in newest or seen.date > newest[host][0]):
            newest[host] = (seen.date, seen.url)
    return [HostFreshness(host, date, url, None, None, None) for host, (date, url) in sorted(newest.items())]


def frontier_runs(data_dir: Path | str, limit: int = 10) -> list[CrawlRunInfo]:
    """The latest crawl runs the frontier recorded (what status shows without Prefect)."""
    runs = []
    for run in recent_runs(DataDir(data_dir).frontier, limit):
        failed = run.summary.get("failed")
        fetched, new = run.summary.get("fetched"), run.summary.get("new")
        runs.append(
            CrawlRunInfo(
                run.run_id,
                run.profile,
                run.status,
                run.started,
                run.finished,
                fetched if isinstance(fetched, int) else None,
                new if isinstance(new, int) else None,
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
