"""One HTTP exchange at a time, recorded byte for byte.

Built on httpcore (httpx's transport layer) rather than httpx itself because the archive
needs what httpx abstracts away: the header bytes with their original casing, the body
still content-encoded, the peer's IP address, and a network backend that implements
curl's ``--connect-to`` while the URL, Host header and TLS server name stay the real ones.
"""

from __future__ import annotations

import hashlib
import socket
import tempfile
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpcore

from scoarchive.core.urls import ConnectTo, split_http_url
from scoarchive.warc.records import HttpExchange, sha1_digest

SPOOL_IN_MEMORY = 1 << 20


RETRY_AFTER_CAP = 120.0


class ConnectToBackend(httpcore.AsyncNetworkBackend):
    """Dials the address a ``--connect-to`` rule names instead of the URL's host."""

    def __init__(self, rules: Sequence[ConnectTo]) -> None:
        self._rules = list(rules)
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        for rule in self._rules:
            if rule.matches(host, port):
                host, port = rule.address, rule.address_port
                break
        return await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


Origin = tuple[str, str, int]


class Connections:
    """Idle keep-alive connections, per origin, for the fetcher to reuse.

    httpcore's connection pool scans every connection, with a syscall each, on every request
    and release; at a few hundred pages a second that cost more CPU than all the crawler's own
    work. A crawler only ever needs "an idle connection to this origin, else a new one".
    """

    def __init__(self, connect_to: Sequence[ConnectTo]) -> None:
        self._backend = ConnectToBackend(connect_to)
        self._idle: dict[Origin, list[httpcore.AsyncHTTPConnection]] = defaultdict(list)

    async def acquire(self, origin: Origin) -> tuple[httpcore.AsyncHTTPConnection, bool]:
        """A connection to ``origin`` and whether it was reused (so may have gone stale)."""
        idle = self._idle[origin]
        while idle:
            connection = idle.pop()
            if connection.is_idle() and not connection.has_expired():
                return connection, True
            await connection.aclose()
        scheme, host, port = origin
        fresh = httpcore.AsyncHTTPConnection(
            httpcore.Origin(scheme.encode(), host.encode(), port),
            network_backend=self._backend,
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        )
        return fresh, False

    async def release(self, origin: Origin, connection: httpcore.AsyncHTTPConnection) -> None:
        if connection.is_idle():
            self._idle[origin].append(connection)
        else:
            await connection.aclose()

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                await connection.aclose()
        self._idle.clear()


@dataclass
class FetchResult:
    """An exchange, or why there is none (connection refused, timeout...)."""

    url: str
    exchange: HttpExchange | None = None
    error: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def status(self) -> int | None:
        return self.exchange.status if self.exchange else None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def retry_after(self) -> float | None:
        """Seconds the server asked us to wait (Retry-After as seconds or as an HTTP date)."""
        value = self.header("retry-after")
        if not value:
            return None
        try:
            return min(max(float(value), 0.0), RETRY_AFTER_CAP)
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), RETRY_AFTER_CAP)


class Fetcher:
    """GETs URLs and records each exchange exactly; never follows redirects by itself.

    Redirects are the crawler's business: each hop is checked against the scope and queued
    like any other URL, which is what detects loops and keeps off-scope targets unfetched.
    """

    def __init__(
        self,
        user_agent: str,
        *,
        timeout: float = 30.0,
        max_bytes: int = 100 * 2**20,
        max_duration: float = 600.0,
        connect_to: Sequence[ConnectTo] = (),
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_duration = max_duration
        self.requests_sent = 0
        self._connections = Connections(connect_to)

    async def aclose(self) -> None:
        await self._connections.aclose()

    def _request_head(
        self, url: str, extra: Sequence[tuple[str, str]]
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        scheme, host, port, target = split_http_url(url)
        host_header = host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"
        headers = [
            ("Host", host_header),
            ("User-Agent", self.user_agent),
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ("Accept-Encoding", "gzip, deflate"),
            ("Connection", "keep-alive"),
            *extra,
        ]
        head = f"GET {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        return target, headers, head.encode("utf-8")

    async def fetch(self, url: str, extra_headers: Sequence[tuple[str, str]] = ()) -> FetchResult:
        """One GET; the body is spooled to disk past 1 MiB and cut at ``max_bytes``.

        A kept-alive connection the server closed meanwhile fails before any response byte;
        that attempt is repeated at once on a new connection, as browsers do.
        """
        scheme, host, port, _ = split_http_url(url)
        origin = (scheme, host.lower(), port)
        while True:
            connection, reused = await self._connections.acquire(origin)
            try:
                return await self._fetch_on(connection, url, extra_headers)
            except _StaleConnection:
                if not reused:
                    raise AssertionError("a new connection cannot be stale") from None
            finally:
                await self._connections.release(origin, connection)

    async def _fetch_on(
        self, connection: httpcore.AsyncHTTPConnection, url: str, extra_headers: Sequence[tuple[str, str]]
    ) -> FetchResult:
        _, headers, request_head = self._request_head(url, extra_headers)
        started = datetime.now(UTC)
        deadline = time.monotonic() + self.max_duration
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - owned by the exchange
        timeouts = {"connect": self.timeout, "read": self.timeout, "write": self.timeout, "pool": None}
        self.requests_sent += 1
        response_started = False
        try:
            async with connection.stream(
                "GET",
                url,
                headers=[(k.encode(), v.encode()) for k, v in headers],
                extensions={"timeout": timeouts},
            ) as response:
                response_started = True
                fields = [(k.decode("iso-8859-1"), v.decode("iso-8859-1")) for k, v in response.headers]
                response_head = _response_head(response, fields)
                payload = hashlib.sha1()
                block = hashlib.sha1(response_head)
                received = 0
                truncated = None
                async for chunk in response.aiter_stream():
                    if received + len(chunk) > self.max_bytes:
                        chunk = chunk[: self.max_bytes - received]
                        truncated = "length"
                    elif time.monotonic() > deadline:
                        truncated = "time"
                    body.write(chunk)
                    payload.update(chunk)
                    block.update(chunk)
                    received += len(chunk)
                    if truncated:
                        break
                ip_address = _peer_ip(response)
        except (httpcore.ConnectionNotAvailable, httpcore.RemoteProtocolError, httpcore.ReadError) as exc:
            body.close()
            if not response_started and connection.is_closed():
                self.requests_sent -= 1
                raise _StaleConnection from exc
            return FetchResult(url, error=_describe(exc))
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
            body.close()
            return FetchResult(url, error=_describe(exc))
        body.seek(0)
        exchange = HttpExchange(
            url=url,
            date=started,
            request_head=request_head,
            response_head=response_head,
            body=body,  # type: ignore[arg-type]  # a SpooledTemporaryFile is a binary file
            body_length=received,
            payload_digest=sha1_digest(payload),
            block_digest=sha1_digest(block),
            status=response.status,
            ip_address=ip_address,
            truncated=truncated,
        )
        return FetchResult(url, exchange=exchange, headers=fields)


class _StaleConnection(Exception):
    """A reused connection had been closed by the server before our request."""


def _response_head(response: httpcore.Response, fields: list[tuple[str, str]]) -> bytes:
    """Status line and headers as received.

    The body is stored with its chunked transfer-coding removed (the payload WARC digests
    are defined over), so a ``Transfer-Encoding`` header is kept under the name pywb uses,
    ``X-Archive-Orig-Transfer-Encoding``, to keep the record readable as HTTP.
    """
    version = response.extensions.get("http_version", b"HTTP/1.1").decode("ascii")
    reason = response.extensions.get("reason_phrase", b"").decode("iso-8859-1")
    lines = [f"{version} {response.status} {reason}".rstrip()]
    for name, value in fields:
        if name.lower() == "transfer-encoding":
            name = "X-Archive-Orig-Transfer-Encoding"
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1")


_PEER_IPS: weakref.WeakKeyDictionary[object, str | None] = weakref.WeakKeyDictionary()


def _peer_ip(response: httpcore.Response) -> str | None:
    """The server's address, asked of each connection once (anyio's lookup is costly)."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    if stream not in _PEER_IPS:
        address = stream.get_extra_info("server_addr")
        _PEER_IPS[stream] = str(address[0]) if address else None
    return _PEER_IPS[stream]


def _describe(exc: Exception) -> str:
    kind = {
        httpcore.ConnectTimeout: "connect timeout",
        httpcore.ReadTimeout: "read timeout",
        httpcore.ConnectError: "connection failed",
    }.get(type(exc), type(exc).__name__)
    detail = str(exc).strip()
    return f"{kind}: {detail}" if detail else kind
