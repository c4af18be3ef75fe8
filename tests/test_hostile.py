"""A fetcher that survives any server: each malformed response, sent by a raw socket, ends as a
recorded failure with a one-line reason (retried where a retry can help), never an exception;
the bytes of a body cut short stay in the WARC, marked WARC-Truncated."""

from __future__ import annotations

import gzip
import json
import socket
import time
from pathlib import Path

import pytest
from conftest import run_cli
from hostile import HostileServer
from warc_rules import violations

from scoarchive.capture.config import CrawlConfig, CrawlSummary
from scoarchive.capture.crawler import crawl
from scoarchive.core.profile import load_profile
from scoarchive.core.settings import DataDir
from scoarchive.core.urls import ConnectTo
from scoarchive.replica import HOSTS
from scoarchive.warc.reader import iter_records

PAGE = b"<html><body><p>hello</p></body></html>"
ROBOTS = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 23\r\n\r\nUser-agent: *\nAllow: /\n"
RETRIES = 2

# path: (raw reply, words of the reason, a retry may help, bytes of body the WARC keeps or None)
CASES: dict[str, tuple[bytes, str, bool, bytes | None]] = {
    "/bad-status-line": (b"HTTX/1.1 200 OK\r\n\r\n", "malformed response: illegal status line", False, None),
    "/no-status-code": (b"HTTP/1.1 OK\r\n\r\n", "malformed response", False, None),
    "/header-without-colon": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nNoColonHere\r\n\r\nok",
        "malformed response: illegal header line",
        False,
        None,
    ),
    "/one-mebibyte-header": (
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n",
        "response head over 100 KiB",
        False,
        None,
    ),
    "/too-many-headers": (
        b"HTTP/1.1 200 OK\r\n"
        + b"".join(b"X-%d: v\r\n" % n for n in range(1000))
        + b"Content-Length: 0\r\n\r\n",
        "1001 header fields (at most 100)",
        False,
        None,
    ),
    "/bad-content-length": (
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok",
        "malformed response: bad Content-Length",
        False,
        None,
    ),
    "/short-body": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<html><body>",
        "cut short: connection closed after 12 bytes of body",
        True,
        b"<html><body>",
    ),
    "/broken-chunk": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n\r\n",
        "malformed body after 5 bytes: illegal chunk header",
        False,
        b"hello",
    ),
    "/chunks-then-close": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "cut short: connection closed after 5 bytes of body",
        True,
        b"hello",
    ),
    "/bad-gzip": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: 9\r\n\r\nnot gzip!",
        "cannot decode the page: corrupt gzip body",
        False,
        b"not gzip!",
    ),
    "/empty-reply": (
        b"",
        "no response: the server closed the connection before a complete response head",
        True,
        None,
    ),
    "/closed-inside-head": (b"HTTP/1.1 200 OK\r\nContent-Ty", "before a complete response head", True, None),
}


# Answers that bend HTTP/1.1 without breaking it, which a crawler must take as they come:
# (raw reply, the payload the WARC keeps).
ACCEPTED: dict[str, tuple[bytes, bytes]] = {
    "/until-close": (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + PAGE, PAGE),
    "/http-1.0": (b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(PAGE), PAGE), PAGE),
    "/bare-lf": (
        b"HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: %d\n\n%s" % (len(PAGE), PAGE),
        PAGE,
    ),
    "/continue-first": (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(PAGE), PAGE),
        PAGE,
    ),
    "/chunked-and-length": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"hello",
    ),
    "/no-reason-phrase": (b"HTTP/1.1 200\r\nContent-Length: %d\r\n\r\n%s" % (len(PAGE), PAGE), PAGE),
}


def hostile_crawl(server: HostileServer, data_dir: Path, seeds: list[str], **options: object) -> CrawlSummary:
    config = CrawlConfig(
        profile=load_profile("sco"),
        data_dir=data_dir,
        seeds=seeds,
        connect_to=[ConnectTo.parse(f"::127.0.0.1:{server.port}")],
        delay=0.0,
        retries=RETRIES,
        backoff=0.01,
        timeout=5.0,
        **options,  # type: ignore[arg-type]
    )
    return crawl(config)


def stored(data_dir: Path, url: str) -> list[tuple[dict[str, str], bytes]]:
    """WARC fields and payload of every response record of ``url``; every file checked."""
    found = []
    for path in DataDir(data_dir).warc_files():
        assert violations(path) == [], path.name
        for _, record in iter_records(path):
            if record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI") == url:
                found.append((dict(record.rec_headers.headers), record.raw_stream.read()))
    return found


@pytest.mark.parametrize("path", sorted(CASES))
def test_a_malformed_response_is_a_recorded_failure(tmp_path: Path, path: str) -> None:
    reply, words, transient, kept = CASES[path]
    url = f"http://eng.sectsco.org{path}"
    with HostileServer({"/robots.txt": ROBOTS, path: reply}) as server:
        summary = hostile_crawl(server, tmp_path, [url], follow_links=False)
    [(failed_url, reason)] = summary.failed
    assert failed_url == url and words in reason, reason
    assert "\n" not in reason and len(reason) < 200 and "internal error" not in reason
    attempts = [line for line in server.seen.requests if line.startswith(f"GET {path} ")]
    assert len(attempts) == (RETRIES + 1 if transient else 1)
    records = stored(tmp_path, url)
    if kept is None:
        assert records == []  # no HTTP response to record
    else:
        [(fields, payload)] = records
        assert payload == kept  # what came, as it came
        if path != "/bad-gzip":
            assert fields["WARC-Truncated"] == ("unspecified" if path == "/broken-chunk" else "disconnect")


@pytest.mark.parametrize("path", sorted(ACCEPTED))
def test_an_unusual_but_readable_response_is_captured(tmp_path: Path, path: str) -> None:
    reply, payload = ACCEPTED[path]
    url = f"http://eng.sectsco.org{path}"
    with HostileServer({"/robots.txt": ROBOTS, path: reply}) as server:
        summary = hostile_crawl(server, tmp_path, [url], follow_links=False)
    assert summary.failed == [] and summary.new == 2  # the page and robots.txt
    [(fields, kept)] = stored(tmp_path, url)
    assert kept == payload and "WARC-Truncated" not in fields


def test_a_body_that_stalls_is_kept_cut_at_the_read_timeout(tmp_path: Path) -> None:
    def stall(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\nhello")
        time.sleep(1.5)

    url = "http://eng.sectsco.org/stall"
    with HostileServer({"/robots.txt": ROBOTS, "/stall": stall}) as server:
        config = CrawlConfig(
            profile=load_profile("sco"),
            data_dir=tmp_path,
            seeds=[url],
            connect_to=[ConnectTo.parse(f"::127.0.0.1:{server.port}")],
            delay=0.0,
            retries=0,
            timeout=0.3,
            follow_links=False,
        )
        summary = crawl(config)
    assert summary.failed == [(url, "cut short: read timeout after 5 bytes of body")]
    [(fields, kept)] = stored(tmp_path, url)
    assert kept == b"hello" and fields["WARC-Truncated"] == "time"


def test_the_crawl_carries_on_after_a_malformed_response(tmp_path: Path) -> None:
    """One hostile page among good ones: the good ones are captured, on the same connections."""
    good = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(PAGE), PAGE)
    replies = {"/robots.txt": ROBOTS, "/a": good, "/b": CASES["/bad-status-line"][0], "/c": good}
    with HostileServer(replies) as server:
        summary = hostile_crawl(
            server, tmp_path, [f"http://eng.sectsco.org{p}" for p in ("/a", "/b", "/c")], follow_links=False
        )
    assert summary.new == 3 and [url for url, _ in summary.failed] == [
        "http://eng.sectsco.org/b"
    ]  # +robots.txt


def broken_robots_run(tmp_path: Path, reply: bytes) -> tuple[int, str]:
    """``scoarchive crawl`` of the three hosts, every robots.txt answering ``reply``."""
    with HostileServer({"/robots.txt": reply}) as server:
        args = ["crawl", "--data", str(tmp_path), "--delay", "0", "--retries", "1", "--json", "--no-load"]
        for host in HOSTS:
            args += ["--seed", f"http://{host}/", "--connect-to", f"{host}:80:127.0.0.1:{server.port}"]
        completed = run_cli(*args)
        pages = [line for line in server.seen.requests if "robots.txt" not in line]
    assert "Traceback" not in completed.stderr and not pages
    return completed.returncode, completed.stderr


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (b"", "before a complete response head"),
        (b"garbage\r\n\r\n", "malformed response"),
        (b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", "robots.txt answered HTTP 503"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope",
            "robots.txt cannot be decoded",
        ),
    ],
)
def test_a_broken_robots_txt_on_every_host_is_exit_1_with_the_reason(
    tmp_path: Path, reply: bytes, words: str
) -> None:
    code, stderr = broken_robots_run(tmp_path, reply)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and lines[0].startswith("Error: could not reach"), stderr
    assert words in lines[0] and all(host in lines[0] for host in HOSTS)


def test_a_good_robots_txt_on_one_host_is_enough(tmp_path: Path) -> None:
    page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(PAGE), PAGE)

    def robots_for(host: str) -> bytes:
        return ROBOTS if host == HOSTS[0] else b""

    servers = {host: HostileServer({"/robots.txt": robots_for(host), "/": page}) for host in HOSTS}
    for server in servers.values():
        server.__enter__()
    try:
        args = ["crawl", "--data", str(tmp_path), "--delay", "0", "--retries", "0", "--json", "--no-load"]
        for host, server in servers.items():
            args += ["--seed", f"http://{host}/", "--connect-to", f"{host}:80:127.0.0.1:{server.port}"]
        completed = run_cli(*args)
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)
    summary = json.loads(completed.stdout)
    assert completed.returncode == 0, completed.stderr
    assert summary["reached_hosts"] == [HOSTS[0]] and set(summary["unreachable_hosts"]) == set(HOSTS[1:])


def test_gzip_page_is_stored_as_sent(tmp_path: Path) -> None:
    """The control case: a good gzip page is a capture, not a failure."""
    body = gzip.compress(PAGE)
    reply = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
        % (len(body))
    )
    with HostileServer({"/robots.txt": ROBOTS, "/gz": reply + body}) as server:
        summary = hostile_crawl(server, tmp_path, ["http://eng.sectsco.org/gz"], follow_links=False)
    assert summary.new == 2 and summary.failed == []  # the page and robots.txt
    [(_, payload)] = stored(tmp_path, "http://eng.sectsco.org/gz")
    assert payload == body


def test_a_run_resumes_past_a_damaged_record_in_its_own_files(tmp_path: Path) -> None:
    good = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
    seeds = [f"http://eng.sectsco.org/p{n}" for n in range(6)]
    with HostileServer({"/robots.txt": ROBOTS, **{f"/p{n}": good for n in range(6)}}) as server:
        stopped = hostile_crawl(server, tmp_path, seeds, follow_links=False, max_pages=4)
        [path] = DataDir(tmp_path).warc_files()
        offsets = [offset for offset, record in iter_records(path) if record.rec_type == "response"]
        data = bytearray(path.read_bytes())
        data[offsets[2] + 30] ^= 0xFF  # inside the third response's gzip member
        path.write_bytes(bytes(data))
        resumed = hostile_crawl(server, tmp_path, seeds, follow_links=False)
    assert stopped.status == "stopped" and resumed.resumed and resumed.status == "finished"
    assert resumed.failed == []
