"""``scoarchive demo``: the whole pipeline, offline, against the replica of the SCO site.

The replica serves eng/rus/chn.sectsco.org on a loopback port; the crawler reaches it with
``--connect-to`` so the archive records the real addresses, exactly as a crawl of the live
site would. Nothing leaves the machine.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scoarchive import warehouse
from scoarchive.capture.config import CrawlConfig, CrawlProgress, CrawlSummary
from scoarchive.capture.crawler import crawl
from scoarchive.core.profile import load_profile
from scoarchive.core.urls import ConnectTo
from scoarchive.replica import HOSTS, ReplicaConfig, ReplicaServer, Site
from scoarchive.resolve import update_index
from scoarchive.warehouse.lookups import LanguageSummary, articles_by_language


@dataclass
class DemoResult:
    data_dir: Path
    summary: CrawlSummary
    load: warehouse.LoadReport
    articles_by_language: list[LanguageSummary]


def replica_crawl_config(server: ReplicaServer, data_dir: Path, **overrides: object) -> CrawlConfig:
    """A crawl of the replica with the production profile: seeds on the real hostnames."""
    options: dict[str, object] = {
        "profile": load_profile("sco"),
        "data_dir": data_dir,
        "seeds": [f"http://{host}/" for host in HOSTS],
        "connect_to": [ConnectTo.parse(spec) for spec in server.connect_to_args()],
        "delay": 0.0,
        "host_concurrency": 4,
        "concurrency": 8,
        "backoff": 0.2,
        "timeout": 10.0,
    }
    options.update(overrides)
    return CrawlConfig(**options)  # type: ignore[arg-type]


def run_demo(data_dir: Path, progress: Callable[[CrawlProgress], None] | None = None) -> DemoResult:
    """Serve the replica, crawl it into a fresh ``data_dir``, load the warehouse, report."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    site = Site(ReplicaConfig(slow_seconds=1.0, bomb_bytes=50 * 2**20))
    with ReplicaServer(site) as server:
        summary = crawl(replica_crawl_config(server, data_dir), progress=progress)
    report = warehouse.load(data_dir)
    update_index(data_dir)  # the commands the demo prints resolve at once
    return DemoResult(data_dir, summary, report, articles_by_language(data_dir))
