"""Shared fixtures: the replica of the SCO site on loopback, and crawls of it.

Crawls are the expensive part of the suite, so a session-scoped archive is built once
(first crawl, unchanged re-crawl, crawl after the site changed) and tests read it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scoarchive.capture.config import CrawlSummary
from scoarchive.capture.crawler import crawl
from scoarchive.core.urls import ConnectTo
from scoarchive.orchestration.demo import replica_crawl_config
from scoarchive.replica import ReplicaConfig, ReplicaServer, Site, SiteChange

# Small enough to keep the suite fast, large enough to paginate every listing.
TEST_REPLICA = ReplicaConfig(
    articles_per_host=24,
    documents_per_host=12,
    slow_seconds=0.5,
    large_file_bytes=3 * 2**20,
    bomb_bytes=40 * 2**20,
)


def catch_all(server: ReplicaServer) -> ConnectTo:
    """Send any other host to the replica too, so a request off-scope would show in its log."""
    return ConnectTo(host="", port=None, address="127.0.0.1", address_port=server.port)


def crawl_replica(server: ReplicaServer, data_dir: Path, **overrides: object) -> CrawlSummary:
    config = replica_crawl_config(server, data_dir, **overrides)
    config.connect_to = [*config.connect_to, catch_all(server)]
    return crawl(config)


@pytest.fixture
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(Site(TEST_REPLICA)) as server:
        yield server


@dataclass
class ArchiveHistory:
    """One data directory crawled three times: first, unchanged, and after the site changed."""

    data_dir: Path
    site: Site
    first: CrawlSummary
    first_requests: list
    first_max_in_flight: dict[str, int]
    first_expected: set[str]
    unchanged: CrawlSummary
    unchanged_requests: list
    change: SiteChange
    changed: CrawlSummary


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArchiveHistory]:
    data_dir = tmp_path_factory.mktemp("archive")
    site = Site(TEST_REPLICA)
    with ReplicaServer(site) as server:
        expected = site.expected_urls()
        first = crawl_replica(server, data_dir)
        first_requests = server.stats.requests
        first_max_in_flight = server.stats.max_in_flight
        server.stats.reset()
        unchanged = crawl_replica(server, data_dir)
        unchanged_requests = server.stats.requests
        change = site.mutate()
        changed = crawl_replica(server, data_dir)
        yield ArchiveHistory(
            data_dir,
            site,
            first,
            first_requests,
            first_max_in_flight,
            expected,
            unchanged,
            unchanged_requests,
            change,
            changed,
        )


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The installed command, as a user runs it (a separate process: tracebacks would show)."""
    return subprocess.run(
        [sys.executable, "-m", "scoarchive", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
