"""One egress policy for every fetch: only the profile's hosts and ports, no private addresses
unless the operator maps them. Each fetching command is shown to leave the addresses a
briefing or a page names alone: the raw-socket server behind a catch-all ``--connect-to``
would see any connection attempt, and sees none."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from conftest import run_cli
from hostile import HostileServer

from scoarchive.capture.config import CrawlConfig
from scoarchive.capture.crawler import crawl
from scoarchive.capture.egress import EgressPolicy, EgressRefused, forbidden
from scoarchive.capture.live import Live, check_live
from scoarchive.capture.transport import Fetcher
from scoarchive.core.profile import load_profile
from scoarchive.core.settings import DataDir
from scoarchive.core.urls import ConnectTo

SCO = load_profile("sco")
ARTICLE = "http://eng.sectsco.org/20210615/765514.html"
ROBOTS = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 23\r\n\r\nUser-agent: *\nAllow: /\n"


def page(html: str) -> bytes:
    body = html.encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def off_scope(port: int) -> list[str]:
    """What a hostile briefing or page points at: this machine, its other names, the cloud's metadata."""
    return [
        f"http://127.0.0.1:{port}/secret",
        f"http://localhost:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        f"http://eng.sectsco.org:{port}/secret",  # the profile's host, another port
    ]


def catch_all(server: HostileServer) -> str:
    return f"::127.0.0.1:{server.port}"


def asked(server: HostileServer) -> set[str]:
    return {line.split(" ")[1] for line in server.seen.requests}


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not globally routable"),
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 wrapping 10.0.0.1
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_addresses_outside_the_public_internet_are_forbidden(address: str, kind: str | None) -> None:
    assert forbidden(address) == kind


def test_scope_is_host_and_default_port() -> None:
    assert SCO.in_scope("http://eng.sectsco.org/") and SCO.in_scope("https://eng.sectsco.org:443/")
    assert not SCO.in_scope("http://eng.sectsco.org:8080/") and not SCO.in_scope(
        "https://eng.sectsco.org:80/"
    )


def test_a_profile_host_resolving_to_loopback_is_not_dialled() -> None:
    """No DNS answer leads to this machine unless the operator maps the host: the address the
    policy checked is the one dialled, so an answer that changes in between changes nothing."""
    local = SCO.model_copy(update={"hosts": ("localhost",)})
    with pytest.raises(EgressRefused, match=r"localhost resolves to .*loopback.*not dialled"):
        asyncio.run(EgressPolicy(local).addresses("localhost", 80))
    mapped = EgressPolicy(local, [ConnectTo.parse("localhost:80:127.0.0.1:9")])
    assert asyncio.run(mapped.addresses("localhost", 80)) == [("127.0.0.1", 9)]


def test_the_fetcher_refuses_before_connecting() -> None:
    with HostileServer({}) as server:
        fetcher = Fetcher("test", EgressPolicy(SCO, [ConnectTo.parse(catch_all(server))]))

        async def fetch_all() -> list[str]:
            results = [await fetcher.fetch(url) for url in off_scope(server.port)]
            await fetcher.aclose()
            return [result.error or "" for result in results]

        errors = asyncio.run(fetch_all())
    assert all(error.startswith("refused: outside the profile") for error in errors), errors
    assert server.seen.connections == 0 and fetcher.requests_sent == 0


def test_crawl_never_follows_a_link_or_redirect_off_scope(tmp_path: Path) -> None:
    with HostileServer({}) as server:
        targets = off_scope(server.port)
        links = "".join(f'<a href="{url}">x</a><img src="{url}">' for url in targets)
        redirect = f"HTTP/1.1 302 Found\r\nLocation: {targets[0]}\r\nContent-Length: 0\r\n\r\n".encode()
        server.replies.update({"/robots.txt": ROBOTS, "/": page(f"<html><body>{links}</body></html>")})
        server.replies["/redirect/1"] = redirect
        port_redirect = f"HTTP/1.1 301 Moved\r\nLocation: {targets[3]}\r\nContent-Length: 0\r\n\r\n".encode()
        server.replies["/redirect/2"] = port_redirect
        config = CrawlConfig(
            profile=SCO,
            data_dir=tmp_path,
            seeds=[
                "http://eng.sectsco.org/",
                "http://eng.sectsco.org/redirect/1",
                "http://eng.sectsco.org/redirect/2",
            ],
            connect_to=[ConnectTo.parse(catch_all(server))],
            delay=0.0,
            retries=0,
        )
        summary = crawl(config)
    assert asked(server) == {"/robots.txt", "/", "/redirect/1", "/redirect/2"}
    assert summary.outlinks >= len(targets) and summary.failed == []


def write_briefing(path: Path, urls: list[str]) -> Path:
    lines = ["# Note", "", " ".join(f"Point [{n}]." for n in range(1, len(urls) + 1)), ""]
    lines += [f"[{n}] Source {n}, 7 June 2021, in: {url}" for n, url in enumerate(urls, 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_check_live_and_capture_missing_fetch_nothing_off_scope(tmp_path: Path) -> None:
    with HostileServer({"/robots.txt": ROBOTS}) as server:
        server.replies["/20210615/765514.html"] = page("<html><body><h1>Anniversary</h1></body></html>")
        targets = off_scope(server.port)
        briefing = write_briefing(tmp_path / "note.md", [*targets, ARTICLE])
        DataDir(tmp_path / "data").create()
        common = ["--data", str(tmp_path / "data"), "--connect-to", catch_all(server), "--delay", "0"]
        live = run_cli("check", str(briefing), *common, "--live", "--format", "json")
        asked_live = asked(server)
        capture = run_cli("check", str(briefing), *common, "--capture-missing", "--format", "json")
    assert "Traceback" not in live.stderr + capture.stderr, live.stderr + capture.stderr
    states = {c["url"]: c["live"] for c in json.loads(live.stdout)["citations"]}
    assert all(states[url] == "not checked: outside the profile" for url in targets), states
    assert states[ARTICLE] == "unarchived"
    assert asked_live == {"/robots.txt", "/20210615/765514.html"}
    assert asked(server) == {"/robots.txt", "/20210615/765514.html"}, "capture-missing went off scope"
    resolved = {c["url"]: c["resolved"] for c in json.loads(capture.stdout)["citations"]}
    assert resolved[ARTICLE] and not any(resolved[url] for url in targets)


def test_watch_fetches_nothing_off_scope(tmp_path: Path) -> None:
    DataDir(tmp_path).create()
    with HostileServer({"/robots.txt": ROBOTS}) as server:
        targets = off_scope(server.port)
        urls = [arg for url in [ARTICLE, *targets] for arg in ("--url", url)]
        completed = run_cli(
            "watch", "--data", str(tmp_path), *urls, "--connect-to", catch_all(server), "--json"
        )
        assert completed.returncode == 2 and "outside profile" in completed.stderr, completed.stderr
        assert "Traceback" not in completed.stderr and server.seen.connections == 0
        pages = [(url, None) for url in [*targets, ARTICLE]]
        policy = [ConnectTo.parse(catch_all(server))]
        report = asyncio.run(check_live(pages, SCO, connect_to=policy, delay=0.0, retries=0))
    states = {check.url: check.state for check in report.checks}
    assert all(states[url] is Live.NOT_CHECKED for url in targets)
    assert asked(server) == {"/robots.txt", "/20210615/765514.html"}
