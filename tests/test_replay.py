"""The HTTP service: resolution API, Memento (checked with memento-client), replay and its safety.

The service runs under uvicorn in a background thread on a free loopback port, over the
session archive loaded once (``test_resolve.loaded_archive``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.client
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
import requests
from conftest import ArchiveHistory
from memento_client import MementoClient
from test_resolve import ALIBABA, ANNIVERSARY, REDIRECT_CHAIN, loaded_archive

from scoarchive.core.httpmsg import parse_headers
from scoarchive.resolve.model import Capture
from scoarchive.resolve.resolver import Resolver
from scoarchive.service import background_server, create_app
from scoarchive.service.replay import RENAMED
from scoarchive.service.rewrite import rewrite_html
from scoarchive.warc.reader import read_record


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


def raw_get(
    base: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, header list and body exactly as sent: no decompression, no path normalisation."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    own_host = any(name.lower() == "host" for name in (headers or {}))
    try:
        connection.putrequest(method, path, skip_host=own_host, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


# -- API -------------------------------------------------------------------------------------------


def test_api_resolve(base: str) -> None:
    cited = "http://eng.sectsco.org/news/20210615/765514.html"
    answer = httpx.get(f"{base}/api/resolve", params={"url": cited, "at": "16. Juni 2021"})
    assert answer.status_code == 200
    data = answer.json()
    assert data["match"] == "alias" and data["capture"]["url"] == ANNIVERSARY
    assert data["capture"]["title"] == "SCO celebrates its 20th anniversary"
    assert data["distance_seconds"] > 0 and data["at"] == "2021-06-16T12:00:00Z"
    assert data["memento"].startswith(f"{base}/web/") and data["memento"].endswith(ANNIVERSARY)
    assert httpx.get(data["memento"]).status_code == 200
    missing = httpx.get(f"{base}/api/resolve", params={"url": "http://eng.sectsco.org/20990101/1.html"})
    assert missing.status_code == 404 and "nothing archived" in missing.json()["error"]
    for params in ({}, {"url": "not a url"}, {"url": ANNIVERSARY, "at": "someday"}):
        assert httpx.get(f"{base}/api/resolve", params=params).status_code == 400


def test_api_captures_of_an_article(archive: ArchiveHistory, base: str) -> None:
    edited = archive.change.edited
    data = httpx.get(f"{base}/api/captures", params={"url": edited.replace("/2", "/news/2", 1)}).json()
    assert [c["record_type"] for c in data["captures"]].count("response") == 2  # the two versions
    assert all(c["url"] == edited and c["memento"].startswith(base) for c in data["captures"])
    assert httpx.get(f"{base}/api/captures", params={"url": "http://example.com/"}).json()["captures"] == []


# -- Memento ---------------------------------------------------------------------------------------


def test_memento_client_finds_each_version_through_the_timegate(
    archive: ArchiveHistory, base: str, resolver: Resolver
) -> None:
    edited = archive.change.edited
    old, new = [c for c in resolver.captures(edited) if c.record_type == "response"]
    client = MementoClient(timegate_uri=f"{base}/timegate/", check_native_timegate=False)
    for accept, expected in ((old.time - timedelta(days=400), old), (new.time + timedelta(days=400), new)):
        # offline: the client would otherwise ask the live origin for the URI-R's headers
        info = client.get_memento_info(
            edited, naive_utc(accept), req_uri_response=requests.head(f"{base}/timegate/{edited}")
        )
        closest = info["mementos"]["closest"]
        assert closest["datetime"] == naive_utc(expected.time).replace(microsecond=0)
        uri = closest["uri"][0]
        assert uri == base + f"/web/{resolver.memento_timestamp(expected)}/{edited}"
        status, _, body = raw_get(base, uri.replace(base, "").replace("/http", "id_/http", 1))
        assert status == 200 and sha1(body) == expected.payload_digest
        assert info["mementos"]["first"]["datetime"] == naive_utc(old.time).replace(microsecond=0)
        assert info["mementos"]["last"]["datetime"] == naive_utc(new.time).replace(microsecond=0)


def test_timegate_protocol(base: str, resolver: Resolver) -> None:
    cited = "http://eng.sectsco.org/news/20210615/765514.html"
    answer = httpx.get(
        f"{base}/timegate/{cited}", headers={"Accept-Datetime": "Wed, 16 Jun 2021 10:00:00 GMT"}
    )
    assert answer.status_code == 302
    assert answer.headers["vary"].lower() == "accept-datetime"
    assert "memento-datetime" not in answer.headers
    links = MementoClient.parse_link_header(answer.headers["link"])
    assert links[cited]["rel"] == ["original"]
    assert any("timemap" in link["rel"] for link in links.values())
    first = resolver.captures(ANNIVERSARY)[0]
    assert answer.headers["location"] == f"{base}/web/{resolver.memento_timestamp(first)}/{ANNIVERSARY}"
    latest = httpx.get(f"{base}/timegate/{ANNIVERSARY}")  # no Accept-Datetime: the latest
    assert latest.headers["location"].startswith(f"{base}/web/{resolver.captures(ANNIVERSARY)[-1].timestamp}")
    malformed = httpx.get(f"{base}/timegate/{ANNIVERSARY}", headers={"Accept-Datetime": "16.06.2021"})
    assert malformed.status_code == 400
    assert httpx.get(f"{base}/timegate/http://eng.sectsco.org/20990101/1.html").status_code == 404


def test_memento_headers(base: str, resolver: Resolver) -> None:
    capture = resolver.captures(ANNIVERSARY)[0]
    for modifier in ("", "id_"):
        answer = httpx.head(f"{base}/web/{resolver.memento_timestamp(capture)}{modifier}/{ANNIVERSARY}")
        assert answer.status_code == 200
        assert answer.headers["memento-datetime"] == capture.time.strftime("%a, %d %b %Y %H:%M:%S GMT")
        links = MementoClient.parse_link_header(answer.headers["link"])
        rels = {rel for link in links.values() for rel in link["rel"]}
        assert {"original", "timegate", "timemap"} <= rels
        assert links[ANNIVERSARY]["rel"] == ["original"]


def test_timemaps(archive: ArchiveHistory, base: str, resolver: Resolver) -> None:
    edited = archive.change.edited
    captures = resolver.captures(edited)
    answer = httpx.get(f"{base}/timemap/link/{edited}")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/link-format"
    links = MementoClient.parse_link_header(answer.text)
    assert links[edited]["rel"] == ["original"]
    assert links[f"{base}/timegate/{edited}"]["rel"] == ["timegate"]
    own = links[f"{base}/timemap/link/{edited}"]
    assert (
        own["rel"] == ["self"] and own["type"] == ["application/link-format"] and own["from"] and own["until"]
    )
    mementos = {uri: link for uri, link in links.items() if "memento" in link["rel"]}
    assert len(mementos) == len(captures) >= 2
    assert all(link["datetime"] for link in mementos.values())
    assert sum("first" in link["rel"] for link in mementos.values()) == 1
    for uri in mementos:
        assert httpx.head(uri).headers["memento-datetime"] in mementos[uri]["datetime"]
    data = httpx.get(f"{base}/timemap/json/{edited}").json()
    assert [m["uri"] for m in data["mementos"]["list"]] == list(mementos)
    assert data["mementos"]["first"] == data["mementos"]["list"][0]


def test_a_missing_timemap_is_a_link_format_404(base: str) -> None:
    never = "http://eng.sectsco.org/20990101/1.html"
    answer = httpx.get(f"{base}/timemap/link/{never}")
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/link-format"
    links = MementoClient.parse_link_header(answer.text)
    assert links[never]["rel"] == ["original"] and links[f"{base}/timegate/{never}"]["rel"] == ["timegate"]
    assert not any("memento" in link["rel"] for link in links.values())
    malformed = httpx.get(f"{base}/timemap/link/http://[::1")
    assert malformed.status_code == 400 and malformed.headers["content-type"].startswith("text/plain")
    assert httpx.get(f"{base}/timemap/json/{never}").status_code == 404


# -- replay ----------------------------------------------------------------------------------------


def stored_response(data_dir: Path, capture: Capture) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and payload of the record a capture replays, read from the WARC file."""
    record = read_record(data_dir / "warcs" / capture.content.warc_file, capture.content.warc_offset)
    assert record.rec_headers.get_header("WARC-Record-ID") == capture.content.record_id
    head = record.http_headers.to_bytes()
    return int(record.http_headers.get_statuscode()), parse_headers(head), record.raw_stream.read()


@pytest.mark.parametrize(
    "url",
    [
        ANNIVERSARY,
        REDIRECT_CHAIN,
        "http://eng.sectsco.org/images/photos/765514_1.jpg",
        "http://rus.sectsco.org/",
        "http://eng.sectsco.org/images/docs/large.pdf",  # streamed from the WARC file
        "http://eng.sectsco.org/20230107/900007.html",  # a gzip bomb, as stored
    ],
)
def test_raw_replay_is_the_archived_response(data_dir: Path, base: str, resolver: Resolver, url: str) -> None:
    for capture in resolver.captures(url):
        status, headers, body = raw_get(base, f"/web/{resolver.memento_timestamp(capture)}id_/{url}")
        stored_status, stored_headers, payload = stored_response(data_dir, capture)
        assert status == stored_status
        assert body == payload and sha1(body) == capture.payload_digest  # revisits: the original's
        sent = [(name.lower(), value) for name, value in headers]
        for name, value in stored_headers:
            renamed = f"x-archive-orig-{name.lower()}" if name.lower() in RENAMED else name.lower()
            assert (renamed, value) in sent
        assert ("content-length", str(len(payload))) in sent
        assert any(name == "content-security-policy" and "sandbox" in value for name, value in sent)


def test_browser_replay_banner_links_and_sandbox(base: str, resolver: Resolver) -> None:
    capture = resolver.captures(ANNIVERSARY)[0]
    stamp = resolver.memento_timestamp(capture)
    answer = httpx.get(f"{base}/web/{stamp}/{ANNIVERSARY}")
    assert answer.status_code == 200
    page = answer.text
    assert 'id="scoarchive-banner"' in page and ANNIVERSARY in page
    assert capture.time.strftime("%Y-%m-%d %H:%M:%S UTC") in page
    assert f"/?q={quote(ANNIVERSARY, safe='')}" in page  # other versions
    assert f'href="/web/{stamp}/http://eng.sectsco.org/news/"' in page
    assert f'src="/web/{stamp}/http://eng.sectsco.org/images/photos/765514_1.jpg"' in page
    assert 'src="http' not in page and 'href="http://eng.sectsco.org/news/' not in page
    policy = answer.headers["content-security-policy"]
    assert policy.startswith("sandbox") and "script-src 'none'" in policy
    assert "allow-scripts" not in policy and "allow-same-origin" not in policy
    # captured a moment after the page: the page's timestamp redirects to the image's own
    image = httpx.get(
        f"{base}/web/{stamp}/http://eng.sectsco.org/images/photos/765514_1.jpg", follow_redirects=True
    )
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert "sandbox" in image.headers["content-security-policy"] and image.content.startswith(b"\xff\xd8")


def test_rewriting_keeps_hostile_pages_inert() -> None:
    page = (
        b'<html><head><meta charset="windows-1251"><base href="http://evil.example/">'
        b'<meta http-equiv="refresh" content="0; url=http://evil.example/go"></head>'
        b"<body><a href='page.html'>\xcf\xf0\xe8\xe2\xe5\xf2</a><img srcset='a.png 1x, /b.png 2x'>"
        b'<iframe src="frame.html"></iframe><div style="background:url(bg.png)"></div></body></html>'
    )
    out = rewrite_html(page, "text/html", "http://eng.sectsco.org/x.html", "20210615000000", None).decode()
    assert '<a href="/web/20210615000000/http://evil.example/page.html">Привет</a>' in out
    assert (
        "/web/20210615000000/http://evil.example/a.png 1x, /web/20210615000000/http://evil.example/b.png 2x"
        in out
    )
    assert 'src="/web/20210615000000if_/http://evil.example/frame.html"' in out
    assert "url(/web/20210615000000/http://evil.example/bg.png)" in out
    assert "url=/web/20210615000000/http://evil.example/go" in out
    assert 'charset="utf-8"' in out
    for broken in (
        b"",
        b"   ",
        b'<a href="http://[::1">x</a><img srcset="http://[::1 1x"><base href="http://[::2">',
        b"<html><body>before\x01the\x0bfirst<p>tag</p></body></html>",  # controls lxml refuses
        b"\x00\x1f\x8b\x08 not a page",
    ):
        assert b'<div id="b">' in rewrite_html(
            broken, None, "http://eng.sectsco.org/", "2021", '<div id="b"></div>'
        )


def test_a_gzip_bomb_is_not_inflated_for_browsers(base: str, resolver: Resolver) -> None:
    bomb = "http://eng.sectsco.org/20230107/900007.html"
    capture = next(c for c in resolver.captures(bomb) if c.record_type == "response")
    answer = httpx.get(f"{base}/web/{resolver.memento_timestamp(capture)}/{bomb}")
    assert answer.status_code == 200 and "too large or damaged" in answer.text
    assert len(answer.content) < 10_000 and 'id="scoarchive-banner"' in answer.text


def test_redirects_replay_inside_the_archive(base: str, resolver: Resolver) -> None:
    capture = resolver.captures(REDIRECT_CHAIN)[0]
    stamp = resolver.memento_timestamp(capture)
    status, headers, _ = raw_get(base, f"/web/{stamp}/{REDIRECT_CHAIN}")
    location = dict(headers)["location"]
    assert status == 301 and location == f"{base}/web/{stamp}/http://eng.sectsco.org/redirect/1"
    final = httpx.get(f"{base}/web/{stamp}/{REDIRECT_CHAIN}", follow_redirects=True)
    assert final.status_code == 200 and urlsplit(str(final.url)).path.endswith(ALIBABA)
    assert final.history[0].status_code == 301


def test_inexact_timestamps_and_old_addresses_redirect_to_the_memento(base: str, resolver: Resolver) -> None:
    first = resolver.captures(ANNIVERSARY)[0]
    for path in ("/web/2021/http://eng.sectsco.org/news/20210615/765514.html", f"/web/2021id_/{ANNIVERSARY}"):
        status, headers, _ = raw_get(base, path)
        modifier = "id_" if "id_" in path else ""
        assert status == 302
        assert (
            dict(headers)["location"]
            == f"{base}/web/{resolver.memento_timestamp(first)}{modifier}/{ANNIVERSARY}"
        )


@pytest.mark.parametrize(
    "path",
    [
        "/web/20210101000000id_/../../../../etc/passwd",
        "/web/20210101000000id_/%2e%2e/%2e%2e/etc/passwd",
        "/web/20210101000000id_/file:///etc/passwd",
        "/web/..%2f..%2fetc%2fpasswd",
        "/web/../../etc/passwd",
        "/article/../../etc/passwd",
        "/article/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/web/2021/http://eng.sectsco.org/" + "a" * 5000,
        "/web/2021/http://eng.sectsco.org/?" + "a=b&" * 3000,
        "/web/" + "9" * 30 + "/http://eng.sectsco.org/",
        "/web/20211399000000/http://eng.sectsco.org/",
        "/web/99999999999999id_/http://eng.sectsco.org/",
        "/web/2021zz_/http://eng.sectsco.org/",
        "/web/2021/http://[::1",
        "/web/2021/http://",
        "/web/2021/not%20a%20url",
        "/web/2021/http://eng.sectsco.org/%00%0d%0aSet-Cookie:%20x=y",
        "/web/",
        "/web/2021",
        "/timegate/not%20a%20url",
        "/timegate/http%3A%2F%2Feng.sectsco.org%2F%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8",
        "/web/2021/http%3A%2F%2Feng.sectsco.org%2F%D0%BD%3E%22",
        "/api/resolve?url=http%3A%2F%2Feng.sectsco.org%2F%D0%BD",
        "/timegate/http://[::1",
        "/timemap/link/",
        "/timemap/json/ftp://eng.sectsco.org/",
        "/api/resolve",
        "/api/resolve?url=http://eng.sectsco.org/&at=whenever",
        "/api/captures?url=%00",
        "/article/eng.sectsco.org/765514?version=99",
        "/article/eng.sectsco.org/765514?version=-1",
        "/article/nothing",
        "/nothing",
    ],
)
def test_bad_requests_are_4xx(base: str, path: str) -> None:
    status, _, body = raw_get(base, path)
    assert 400 <= status < 500, (status, body[:200])


def test_oversized_request_lines_are_refused(base: str) -> None:
    status, _, _ = raw_get(base, "/web/2021/http://eng.sectsco.org/" + "a" * 70_000)
    assert 400 <= status < 500


# -- pages -----------------------------------------------------------------------------------------


def test_article_reader_view(archive: ArchiveHistory, base: str, resolver: Resolver) -> None:
    edited = archive.change.edited
    old, new = [c for c in resolver.captures(edited) if c.record_type == "response"]
    key = old.article_key
    assert key is not None
    page = httpx.get(f"{base}/article/{key}")
    assert page.status_code == 200
    assert "version 1" in page.text and "version 2" in page.text
    assert html.escape(new.record_id) in page.text and new.payload_digest in page.text  # the latest
    assert old.title is not None and old.title in page.text
    first = httpx.get(f"{base}/article/{key}?version=1")
    assert html.escape(old.record_id) in first.text and old.payload_digest in first.text
    assert f"/web/{old.timestamp}/{edited}" in first.text


def test_home_page_searches_by_words_and_by_url(base: str) -> None:
    assert "<form" in httpx.get(base + "/").text
    words = httpx.get(base + "/", params={"q": "anniversary"})
    assert words.status_code == 200 and 'href="/article/eng.sectsco.org/765514"' in words.text
    by_url = httpx.get(base + "/", params={"q": "http://eng.sectsco.org/news/20210615/765514.html"})
    assert by_url.status_code == 200 and "3 capture(s)" in by_url.text
    assert f"/{ANNIVERSARY}" in by_url.text
    assert httpx.get(base + "/", params={"q": "http://eng.sectsco.org/nothing.html"}).status_code == 404
