"""``scoarchive demo``: the whole pipeline, offline, against the replica of the SCO site.

The replica serves eng/rus/chn.sectsco.org on a loopback port; the crawler reaches it with
``--connect-to`` so the archive records the real addresses, exactly as a crawl of the live
site would. Nothing leaves the machine.

The demo writes into a data directory marked as a demo one. It never deletes anything: run
again, it re-crawls into the same directory (revisits, as a scheduled re-crawl would), and it
refuses a directory that holds anything else, a real archive included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scoarchive import warehouse
from scoarchive.capture.config import CrawlConfig, CrawlProgress, CrawlSummary
from scoarchive.capture.crawler import crawl
from scoarchive.core.profile import load_profile
from scoarchive.core.settings import DataDir, DataDirError
from scoarchive.core.urls import ConnectTo
from scoarchive.replica import FAULT_HOST, FAULT_PATHS, HOSTS, ReplicaConfig, ReplicaServer, Site
from scoarchive.resolve import update_index
from scoarchive.warehouse.lookups import LanguageSummary, articles_by_language

# What each of the replica's deliberate faults is there to show (keys of replica.FAULT_PATHS).
FAULTS = {
    "transient_503": "a 503 with Retry-After that succeeds on a retry",
    "permanent_500": "a page that always fails with HTTP 500",
    "slow": "a page that answers slowly",
    "redirect_chain": "a chain of redirects",
    "redirect_loop": "a redirect loop, stopped at the first repeat",
    "offsite_redirect": "a redirect off the profile's hosts, recorded and not followed",
    "gzip_bomb": "a gzip bomb, stored as sent and never inflated past the bound",
    "large_file": "an oversized file that is not a valid PDF",
}


@dataclass
class DemoResult:
    data_dir: Path
    summary: CrawlSummary
    load: warehouse.LoadReport
    articles_by_language: list[LanguageSummary]

    def fault(self, url: str) -> str | None:
        """What a failure or a skipped record is, when it is one of the replica's deliberate faults."""
        for name, path in FAULT_PATHS.items():
            if url == f"http://{FAULT_HOST}{path}":
                return FAULTS.get(name, name)
        return None


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


def prepare(data_dir: Path) -> DataDir:
    """A demo data directory: new, empty, or one an earlier demo made; anything else is refused."""
    data = DataDir(data_dir)
    if data.layout() is not None and not data.is_demo:
        raise DataDirError(
            f"{data_dir} is a scoarchive data directory, not a demo one: the demo never writes the"
            " replica into a real archive; give it another --data"
        )
    data.create(demo=True)
    return data


def run_demo(data_dir: Path, progress: Callable[[CrawlProgress], None] | None = None) -> DemoResult:
    """Serve the replica, crawl it into a demo data directory, load the warehouse, report.

    The crawler's and loader's warnings are about the replica's fault pages, which the summary
    names instead (:meth:`DemoResult.fault`): its failures and skipped records say what each is.
    """
    prepare(data_dir)
    site = Site(ReplicaConfig(slow_seconds=1.0, bomb_bytes=50 * 2**20))
    log = logging.getLogger("scoarchive")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with ReplicaServer(site) as server:
            summary = crawl(replica_crawl_config(server, data_dir), progress=progress)
        report = warehouse.load(data_dir)
        update_index(data_dir)  # the commands the demo prints resolve at once
    finally:
        log.setLevel(level)
    return DemoResult(data_dir, summary, report, articles_by_language(data_dir))
