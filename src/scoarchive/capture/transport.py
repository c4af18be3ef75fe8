"""One HTTP exchange at a time, recorded byte for byte, whatever the server sends.

Built on httpcore (httpx's transport layer) rather than httpx itself because the archive
needs what httpx abstracts away: the header bytes with their original casing, the body
still content-encoded, the peer's IP address, and a network backend that applies the egress
policy (:mod:`scoarchive.capture.egress`: curl's ``--connect-to``, no private addresses) while
the URL, Host header and TLS server name stay the real ones.

A server can send anything. Every way an exchange can go wrong ends as a :class:`FetchResult`
with an :class:`~scoarchive.capture.states.Outcome` and a one-line reason, never as an
exception: a malformed status line or header, a head over ``MAX_HEAD_BYTES`` or with more than
``MAX_HEADER_FIELDS`` fields, a bad Content-Length or chunk, an empty reply, a connection closed
early. When the head was good and the body went wrong, the bytes received are kept as an
exchange marked truncated (WARC-Truncated), as WARC allows.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpcore

from scoarchive.capture.connections import Connections
from scoarchive.capture.egress import EgressPolicy, EgressRefused
from scoarchive.capture.states import TRANSIENT, Outcome
from scoarchive.core.urls import split_http_url
from scoarchive.warc.records import HttpExchange, sha1_digest

SPOOL_IN_MEMORY = 1 << 20


RETRY_AFTER_CAP = 120.0


# httpcore's bound on a response head (h11's max_incomplete_event_size): a longer head is refused.
MAX_HEAD_BYTES = 100 * 1024


# As Python's http.client: more header fields than this is not a response worth parsing.
MAX_HEADER_FIELDS = 100


@dataclass
class FetchResult:
    """An exchange, or why there is none; a body cut short has both (exchange and failure)."""

    url: str
    exchange: HttpExchange | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    failure: Outcome | None = None
    error: str | None = None  # the failure's one-line reason

    @property
    def status(self) -> int | None:
        return self.exchange.status if self.exchange else None

    @property
    def transient(self) -> bool:
        """Whether the failure may not happen again: worth a retry after a pause."""
        return self.failure in TRANSIENT

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
    Every URL is checked against the egress policy first: a refused one costs no connection.
    """

    def __init__(
        self,
        user_agent: str,
        policy: EgressPolicy,
        *,
        timeout: float = 30.0,
        max_bytes: int = 100 * 2**20,
        max_duration: float = 600.0,
    ) -> None:
        self.user_agent = user_agent
        self.policy = policy
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_duration = max_duration
        self.requests_sent = 0
        self._connections = Connections(policy)

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

        A kept-alive connection that fails before any response byte (the server closed it
        meanwhile, or left garbage on it) is replaced by a new one and the attempt repeated at
        once, as browsers do; a new connection's failure is the result.
        """
        try:
            self.policy.check_url(url)
        except EgressRefused as exc:
            return FetchResult(url, failure=Outcome.REFUSED, error=f"refused: {exc}")
        scheme, host, port, _ = split_http_url(url)
        origin = (scheme, host.lower(), port)
        while True:
            connection, reused = await self._connections.acquire(origin)
            try:
                return await self._fetch_on(connection, url, extra_headers, reused)
            except _StaleConnection:
                continue
            finally:
                await self._connections.release(origin, connection)

    async def _fetch_on(
        self,
        connection: httpcore.AsyncHTTPConnection,
        url: str,
        extra_headers: Sequence[tuple[str, str]],
        reused: bool,
    ) -> FetchResult:
        _, headers, request_head = self._request_head(url, extra_headers)
        started = datetime.now(UTC)
        deadline = time.monotonic() + self.max_duration
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - owned by the exchange
        timeouts = {"connect": self.timeout, "read": self.timeout, "write": self.timeout, "pool": None}
        self.requests_sent += 1
        try:
            async with connection.stream(
                "GET",
                url,
                headers=[(k.encode(), v.encode()) for k, v in headers],
                extensions={"timeout": timeouts},
            ) as response:
                if len(response.headers) > MAX_HEADER_FIELDS:
                    body.close()
                    reason = f"{len(response.headers)} header fields (at most {MAX_HEADER_FIELDS})"
                    return FetchResult(url, failure=Outcome.MALFORMED, error=f"malformed response: {reason}")
                fields = [(k.decode("iso-8859-1"), v.decode("iso-8859-1")) for k, v in response.headers]
                response_head = _response_head(response, fields)
                ip_address = _peer_ip(response)
                payload = hashlib.sha1()
                block = hashlib.sha1(response_head)
                received = 0
                truncated = failure = error = None
                try:
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
                except _BODY_ERRORS as exc:
                    truncated, failure, error = _cut_short(exc, received)
        except _BODY_ERRORS as exc:  # before the head was complete: no exchange to keep
            body.close()
            if reused and isinstance(exc, _STALE_ERRORS):
                self.requests_sent -= 1
                raise _StaleConnection from exc
            return _no_exchange(url, exc)
        except EgressRefused as exc:
            body.close()
            self.requests_sent -= 1
            return FetchResult(url, failure=Outcome.REFUSED, error=f"refused: {exc}")
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
        return FetchResult(url, exchange=exchange, headers=fields, failure=failure, error=error)


class _StaleConnection(Exception):
    """A reused connection failed before any response: the server had closed or spoiled it."""


# Everything httpcore raises for what the network or the server did (ProtocolError covers h11's
# complaints: status line, header, length, chunk; NetworkError covers resets; OSError, a socket).
_BODY_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.ConnectionNotAvailable,
    OSError,
)


_STALE_ERRORS = (
    httpcore.RemoteProtocolError,
    httpcore.ReadError,
    httpcore.WriteError,
    httpcore.ConnectionNotAvailable,
)


def _one_line(exc: BaseException) -> str:
    """The error's text on one line, bounded, with h11's ``bytearray(b'...')`` shown as ``b'...'``."""
    return _BYTEARRAY.sub(r"\1", " ".join(str(exc).split()))[:160]


_BYTEARRAY = re.compile(r"bytearray\((b(['\"]).*?\2)\)")


def _no_exchange(url: str, exc: Exception) -> FetchResult:
    """The failure of an exchange that never got a complete response head, as one line."""
    detail = _one_line(exc)
    if isinstance(exc, httpcore.RemoteProtocolError):
        if detail.startswith("Server disconnected"):
            reason = "no response: the server closed the connection before a complete response head"
            return FetchResult(url, failure=Outcome.NO_RESPONSE, error=reason)
        if "Receive buffer too long" in detail:
            detail = f"response head over {MAX_HEAD_BYTES // 1024} KiB"
        return FetchResult(url, failure=Outcome.MALFORMED, error=f"malformed response: {detail}")
    if isinstance(exc, httpcore.ProtocolError):
        return FetchResult(url, failure=Outcome.MALFORMED, error=f"malformed response: {detail}")
    kind = {
        httpcore.ConnectTimeout: "connect timeout",
        httpcore.ReadTimeout: "read timeout",
        httpcore.WriteTimeout: "write timeout",
        httpcore.ConnectError: "connection failed",
        httpcore.ReadError: "connection broken",
        httpcore.WriteError: "connection broken",
    }.get(type(exc), type(exc).__name__)
    return FetchResult(url, failure=Outcome.NO_RESPONSE, error=f"{kind}: {detail}" if detail else kind)


def _cut_short(exc: Exception, received: int) -> tuple[str, Outcome, str]:
    """WARC-Truncated value, outcome and reason for a body that went wrong after ``received`` bytes.

    A connection that ended or stalled may do better next time (``disconnect``, ``time``); a
    body that breaks HTTP's rules (a bad chunk) will not (``unspecified``, malformed).
    """
    detail = _one_line(exc)
    if isinstance(exc, httpcore.TimeoutException):
        return "time", Outcome.CUT_SHORT, f"cut short: read timeout after {received} bytes of body"
    if isinstance(exc, httpcore.RemoteProtocolError) and not detail.startswith("peer closed"):
        return "unspecified", Outcome.MALFORMED, f"malformed body after {received} bytes: {detail}"
    return "disconnect", Outcome.CUT_SHORT, f"cut short: connection closed after {received} bytes of body"


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
