"""The service trusts nothing it is sent: its public address is configured, Host headers outside the
allowed names are refused, and every response carries nosniff, a Referrer-Policy and a CSP.

Served under uvicorn in a background thread over the session archive (as in ``test_replay``),
once with the default base URL (the bound address) and once behind a configured public one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import ArchiveHistory
from memento_client import MementoClient
from test_replay import raw_get
from test_resolve import ANNIVERSARY, REDIRECT_CHAIN, loaded_archive

from scoarchive.resolve.resolver import Resolver
from scoarchive.service import ServiceConfig, background_server, create_app
from scoarchive.service.app import DEFAULT_CSP
from scoarchive.service.config import parse_base_url
from scoarchive.service.pages import PAGE_CSP
from scoarchive.service.replay import REPLAY_CSP

PUBLIC = "https://archive.example.org"


@pytest.fixture(scope="module")
def data_dir(archive: ArchiveHistory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return loaded_archive(archive, tmp_path_factory)


@pytest.fixture(scope="module")
def resolver(data_dir: Path) -> Resolver:
    return Resolver(data_dir)


@pytest.fixture(scope="module")
def base(data_dir: Path, resolver: Resolver) -> Iterator[str]:
    with background_server(create_app(data_dir, resolver=resolver)) as url:
        yield url


@pytest.fixture(scope="module")
def proxied(data_dir: Path, resolver: Resolver) -> Iterator[str]:
    """The service behind a proxy: public at PUBLIC, which clients send as their Host."""
    config = ServiceConfig(base_url=PUBLIC + "/", allowed_hosts=("archive.example.org",))
    with background_server(create_app(data_dir, resolver=resolver, config=config)) as url:
        yield url


def every_route(resolver: Resolver) -> list[str]:
    """A path of each route (and of answers that are errors: 400, 404, an unknown route)."""
    capture = resolver.captures(ANNIVERSARY)[0]
    stamp = resolver.memento_timestamp(capture)
    quoted = quote(ANNIVERSARY, safe="")
    return [
        "/",
        f"/?q={quoted}",
        "/?q=anniversary",
        f"/api/resolve?url={quoted}",
        f"/api/captures?url={quoted}",
        "/api/resolve",
        f"/timegate/{ANNIVERSARY}",
        f"/timemap/link/{ANNIVERSARY}",
        "/timemap/link/http://eng.sectsco.org/20990101/1.html",
        f"/timemap/json/{ANNIVERSARY}",
        f"/web/{stamp}/{ANNIVERSARY}",
        f"/web/{stamp}id_/{ANNIVERSARY}",
        f"/web/2021/{ANNIVERSARY}",
        f"/web/{resolver.memento_timestamp(resolver.captures(REDIRECT_CHAIN)[0])}/{REDIRECT_CHAIN}",
        "/web/2021zz_/http://eng.sectsco.org/",
        f"/article/{capture.article_key}",
        "/article/nothing",
        "/nothing",
    ]


def test_a_foreign_host_header_is_refused_on_every_route(base: str, resolver: Resolver) -> None:
    port = base.rsplit(":", 1)[1]
    for path in every_route(resolver):
        for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", "[::2]"):
            status, headers, body = raw_get(base, path, {"Host": host})
            assert status == 400, (path, host, status)
            assert ("x-content-type-options", "nosniff") in [(n.lower(), v) for n, v in headers]
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "127.0.0.1"):
            status, _, body = raw_get(base, path, {"Host": host})
            assert status != 400 or path in ("/api/resolve", "/web/2021zz_/http://eng.sectsco.org/"), (
                path,
                host,
                body[:200],
            )


def absolute_addresses(path: str, headers: list[tuple[str, str]], body: bytes) -> list[str]:
    """Every absolute address the service wrote in Location, Link or a TimeMap or API body (its
    pages link root-relative; replayed bodies are the archive's)."""
    found = [value for name, value in headers if name.lower() == "location" and "://" in value]
    for name, value in headers:
        if name.lower() == "link":
            found += list(MementoClient.parse_link_header(value))
    text = "" if path.startswith(("/web/", "/article/", "/?")) else body.decode("utf-8", "replace")
    found += re.findall(r'"(https?://[^"]+)"', text)
    found += [uri for uri in re.findall(r"<([^>]+)>", text) if uri.startswith("http")]
    archived = ("http://eng.sectsco.org/", "http://rus.sectsco.org/", "http://chn.sectsco.org/")
    return [uri for uri in found if not uri.startswith(archived)]


def test_the_configured_base_url_is_in_every_location_and_link(proxied: str, resolver: Resolver) -> None:
    seen = 0
    for path in every_route(resolver):
        for host in ("archive.example.org", proxied.removeprefix("http://")):
            _, headers, body = raw_get(proxied, path, {"Host": host})
            for address in absolute_addresses(path, headers, body):
                assert address.startswith(PUBLIC + "/"), (path, host, address)
                seen += 1
    assert seen > 40
    _, headers, _ = raw_get(proxied, f"/timegate/{ANNIVERSARY}", {"Host": "archive.example.org"})
    assert dict(headers)["location"].startswith(f"{PUBLIC}/web/")


def test_without_a_base_url_addresses_are_the_bound_one(base: str, resolver: Resolver) -> None:
    port = base.rsplit(":", 1)[1]
    for path in every_route(resolver):
        _, headers, body = raw_get(base, path, {"Host": f"localhost:{port}"})
        for address in absolute_addresses(path, headers, body):
            assert address.startswith(f"http://127.0.0.1:{port}/"), (path, address)


def test_every_response_carries_the_safety_headers(base: str, resolver: Resolver) -> None:
    for path in every_route(resolver):
        for method in ("GET", "HEAD"):
            status, headers, _ = raw_get(base, path, method=method)
            sent = [(name.lower(), value) for name, value in headers]
            assert ("x-content-type-options", "nosniff") in sent, path
            assert sent[-1] == ("referrer-policy", "no-referrer"), path  # after any archived one
            policies = [value for name, value in sent if name == "content-security-policy"]
            if path.startswith("/web/") and status < 300:
                assert REPLAY_CSP in policies and DEFAULT_CSP not in policies, path
            elif path == "/" or path.startswith(("/?", "/article/")):
                assert policies == [PAGE_CSP], path
            else:
                assert policies == [DEFAULT_CSP] or REPLAY_CSP in policies, (path, policies)
    status, headers, _ = raw_get(base, "/api/resolve", method="POST")
    assert status == 405 and ("x-content-type-options", "nosniff") in [(n.lower(), v) for n, v in headers]


@pytest.mark.parametrize(
    "text",
    [
        "archive.example.org",
        "ftp://archive.example.org",
        "https://",
        "https://a.example/sco",
        "https://a.example/?x",
        "https://user@a.example",
        "http://a.example:99999",
    ],
)
def test_a_base_url_is_scheme_host_and_port(text: str) -> None:
    with pytest.raises(ValueError, match="--base-url"):
        parse_base_url(text)


def test_the_allowed_hosts() -> None:
    assert ServiceConfig().trusted_hosts() == ["127.0.0.1", "localhost"]
    assert ServiceConfig(host="::1").trusted_hosts() == ["[::1]", "localhost"]
    assert ServiceConfig(host="localhost").trusted_hosts() == ["localhost", "127.0.0.1", "[::1]"]
    assert parse_base_url("HTTP://[2001:db8::1]:8080/") == "http://[2001:db8::1]:8080"
    config = ServiceConfig(
        host="0.0.0.0", base_url="https://Archive.Example.org", allowed_hosts=("*.example.net",)
    )
    assert config.trusted_hosts() == ["archive.example.org", "*.example.net"]
    with pytest.raises(ValueError, match="needs --base-url"):
        ServiceConfig(host="0.0.0.0")
    for name in ("", "evil.*", "*evil.example", "a/b"):
        with pytest.raises(ValueError, match="--allowed-host"):
            ServiceConfig(allowed_hosts=(name,))
