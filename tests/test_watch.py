"""Link rot and drift (scoarchive.watch): archived pages checked against the live replica.

The replica is crawled once, then changed (``Site.mutate``: one English article edited, one
deleted, new ones added), so every state a watch reports has a real page behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import catch_all, crawl_replica
from typer.testing import CliRunner

from scoarchive.capture.crawler import crawl
from scoarchive.capture.frontier import Frontier
from scoarchive.capture.live import Live
from scoarchive.cli import operations as cli_ops
from scoarchive.cli.main import app
from scoarchive.core.profile import load_profile
from scoarchive.core.urls import ConnectTo
from scoarchive.orchestration.demo import replica_crawl_config
from scoarchive.orchestration.retry import CaptureIncomplete, check_watched
from scoarchive.replica import FAULT_PATHS, ReplicaConfig, ReplicaServer, Site, SiteChange
from scoarchive.upkeep.watch import archived_pages, recapture_config, watch, watch_async

SMALL = ReplicaConfig(
    articles_per_host=5, documents_per_host=2, slow_seconds=0.1, large_file_bytes=2**18, bomb_bytes=2**21
)
assert cli_ops  # registers the operator commands on the app (until cli.py imports it)


@dataclass
class Watched:
    data: Path
    server: ReplicaServer
    change: SiteChange


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watched]:
    data = tmp_path_factory.mktemp("watch-archive")
    with ReplicaServer(Site(SMALL)) as server:
        crawl_replica(server, data)
        change = server.site.mutate()
        yield Watched(data, server, change)


def check(watched: Watched, **options: object) -> dict[str, tuple[Live, str | None]]:
    connect = [catch_all(watched.server)]
    report = watch(watched.data, load_profile("sco"), connect_to=connect, delay=0, **options)
    return {c.url: (c.state, c.location) for c in report.checks}


def test_every_archived_article_is_alive_changed_or_gone(watched: Watched) -> None:
    states = check(watched)
    articles = {url for url, _ in archived_pages(watched.data, load_profile("sco"))}
    assert set(states) == articles and len(articles) > 20
    assert states[watched.change.edited][0] is Live.CHANGED
    assert states[watched.change.deleted][0] is Live.GONE
    changed = (watched.change.edited, watched.change.deleted)
    assert {state for url, (state, _) in states.items() if url not in changed} == {Live.ALIVE}


def test_given_urls_moved_unarchived_and_forbidden(watched: Watched) -> None:
    moved = f"http://eng.sectsco.org{FAULT_PATHS['redirect_chain']}"
    new = watched.change.added[0]
    private = "http://eng.sectsco.org/private/admin.html"
    states = check(watched, urls=[moved, new, private])
    assert states[moved] == (Live.MOVED, "http://eng.sectsco.org/redirect/1")
    assert states[new][0] is Live.UNARCHIVED
    assert states[private][0] is Live.ERROR
    assert not [r for r in watched.server.stats.robots_violations if r.path_qs.startswith("/private/")]


def test_an_unreachable_site_is_an_error_per_page_and_not_a_crash(watched: Watched) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = ConnectTo(host="", port=None, address="127.0.0.1", address_port=probe.getsockname()[1])
    profile = load_profile("sco")
    report = watch(watched.data, profile, urls=[watched.change.edited], connect_to=[closed], retries=0)
    assert report.checks[0].state is Live.ERROR and report.checks[0].status is None
    with pytest.raises(CaptureIncomplete):
        check_watched(report)


def test_watch_holds_the_shared_host_slots(watched: Watched) -> None:
    held: list[str] = []

    @contextlib.asynccontextmanager
    async def limiter(host: str) -> AsyncIterator[None]:
        held.append(host)
        yield

    profile = load_profile("sco")
    report = asyncio.run(
        watch_async(
            watched.data,
            profile,
            urls=[watched.change.edited],
            connect_to=[catch_all(watched.server)],
            delay=0,
            host_limiter=limiter,
        )
    )
    assert report.checks[0].state is Live.CHANGED
    assert held == ["eng.sectsco.org", "eng.sectsco.org"]  # robots.txt, then the page


def test_recapture_archives_the_changed_page_and_nothing_else(watched: Watched) -> None:
    config = replica_crawl_config(watched.server, watched.data)
    before = Frontier(watched.data / "state" / "crawl.sqlite")
    prior = before.seen(watched.change.edited)
    before.close()
    summary = crawl(recapture_config(config, [watched.change.edited]))
    assert summary.new >= 1 and not summary.failed
    after = Frontier(watched.data / "state" / "crawl.sqlite")
    latest = after.seen(watched.change.edited)
    pages = after.fetched(summary.run_id)
    after.close()
    assert prior is not None and latest is not None and latest.payload_digest != prior.payload_digest
    assert pages <= 6  # robots.txt, the page and what it embeds; no link followed
    assert check(watched, urls=[watched.change.edited])[watched.change.edited][0] is Live.ALIVE


def test_cli_watch_json(watched: Watched) -> None:
    connect = f"eng.sectsco.org:80:127.0.0.1:{watched.server.port}"
    args = ["watch", "--data", str(watched.data), "--language", "en", "--url", watched.change.deleted]
    result = CliRunner().invoke(app, [*args, "--connect-to", connect, "--delay", "0", "--json"])
    assert result.exit_code == 1, result.output  # link rot found: a negative finding
    assert json.loads(result.output)["counts"]["gone"] == 1
    untouched = [watched.change.edited, *watched.change.added]
    alive = next(a.url for a in watched.server.site.articles("eng.sectsco.org") if a.url not in untouched)
    result = CliRunner().invoke(app, [*args[:-2], "--url", alive, "--connect-to", connect, "--delay", "0"])
    assert result.exit_code == 0, result.output  # every page as archived
    bad = CliRunner().invoke(app, ["watch", "--data", str(watched.data), "--url", "http://example.com/x"])
    assert bad.exit_code == 2 and "outside profile" in bad.output
