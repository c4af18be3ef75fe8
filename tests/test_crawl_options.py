"""One source of truth for crawl options: CrawlConfig's fields, their defaults and their help."""

from __future__ import annotations

import inspect
import sqlite3
from dataclasses import fields, replace
from pathlib import Path
from typing import get_type_hints

from hostile import HostileServer
from scoarchive.flows.crawl import crawl_flow
from scoarchive.flows.watch import watch_flow

from scoarchive.capture.config import CrawlConfig, crawl_default, crawl_help
from scoarchive.capture.crawler import crawl
from scoarchive.capture.states import Outcome, QueueState, RunState
from scoarchive.cli.crawl import crawl_command
from scoarchive.core.settings import DataDir
from scoarchive.core.urls import ConnectTo
from scoarchive.orchestration.options import crawl_config

OPTIONS = ("max_pages", "concurrency", "host_concurrency", "delay", "timeout", "max_bytes", "retries")


def test_every_field_is_documented() -> None:
    for option in fields(CrawlConfig):
        assert len(crawl_help(option.name)) > 20, option.name


def test_the_cli_and_the_flows_take_crawlconfig_defaults(tmp_path: Path) -> None:
    cli = inspect.signature(crawl_command).parameters
    flow = inspect.signature(crawl_flow.fn).parameters
    watch = inspect.signature(watch_flow.fn).parameters
    built = crawl_config("sco", tmp_path)
    hints = get_type_hints(crawl_command, include_extras=True)
    for name in OPTIONS:
        assert cli[name].default == flow[name].default == crawl_default(name) == getattr(built, name), name
        assert crawl_help(name) == hints[name].__metadata__[0].help
    for name in ("host_concurrency", "delay", "timeout"):
        assert watch[name].default == crawl_default(name)


def test_robots_blocks_are_found_by_state_not_by_message(tmp_path: Path) -> None:
    rules = b"User-agent: *\nDisallow: /private/\n"
    robots = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(rules), rules)
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
    seeds = [
        "http://eng.sectsco.org/private/a",
        "http://eng.sectsco.org/private/b",
        "http://eng.sectsco.org/ok",
    ]
    with HostileServer(
        {"/robots.txt": robots, "/ok": ok, "/gone": b"HTTP/1.1 404 Not Found\r\n\r\n"}
    ) as server:
        config = replace(
            crawl_config("sco", tmp_path, seeds=[*seeds, "http://eng.sectsco.org/gone"]),
            connect_to=[ConnectTo.parse(f"::127.0.0.1:{server.port}")],
            delay=0.0,
        )
        summary = crawl(config)
    assert not [line for line in server.seen.requests if "/private/" in line]
    with sqlite3.connect(DataDir(tmp_path).frontier) as db:
        rows = db.execute(
            "SELECT outcome FROM queue WHERE run_id = ? AND state = ?", (summary.run_id, QueueState.BLOCKED)
        )
        assert {outcome for (outcome,) in rows} == {Outcome.DISALLOWED}
    assert summary.blocked == 2 and summary.failed == [("http://eng.sectsco.org/gone", "HTTP 404 Not Found")]
    assert summary.status is RunState.FINISHED
