"""One HTTP exchange at a time, recorded byte for byte, whatever the server sends.

The archive needs what HTTP client libraries abstract away: the header bytes with their
original casing, the body still content-encoded, the peer's IP address, and connections
dialled only where the egress policy (:mod:`scoarchive.capture.egress`: curl's
``--connect-to``, no private addresses) allows while the URL, Host header and TLS server name
stay the real ones. :mod:`scoarchive.capture.connections` speaks HTTP/1.1 for it (llhttp).

A server can send anything. Every way an exchange can go wrong ends as a :class:`FetchResult`
with an :class:`~scoarchive.capture.states.Outcome` and a one-line reason, never as an
exception: a malformed status line or header, a head over 100 KiB or with more than 100
fields, a bad Content-Length or chunk, an empty reply, a connection closed
early. When the head was good and the body went wrong, the bytes received are kept as an
exchange marked truncated (WARC-Truncated), as WARC allows.
"""

from __future__ import annotations

import hashlib
import ssl
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scoarchive.capture.connections import Broken, Connections, ExchangeError, HttpConnection, Response
from scoarchive.capture.egress import EgressPolicy, EgressRefused
from scoarchive.capture.states import TRANSIENT, Outcome
from scoarchive.core.urls import split_http_url
from scoarchive.warc.records import HttpExchange, sha1_digest

SPOOL_IN_MEMORY = 1 << 20


RETRY_AFTER_CAP = 120.0


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
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``tls`` holds the roots servers' certificates are checked against (default: certifi's)."""
        self.user_agent = user_agent
        self.policy = policy
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_duration = max_duration
        self.requests_sent = 0
        self._connections = Connections(policy, tls)

    async def aclose(self) -> None:
        self._connections.close()

    def _request_head(self, url: str, extra: Sequence[tuple[str, str]]) -> bytes:
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
        return head.encode("utf-8")

    async def fetch(self, url: str, extra_headers: Sequence[tuple[str, str]] = ()) -> FetchResult:
        """One GET; the body is spooled to disk past 1 MiB and cut at ``max_bytes``.

        A kept-alive connection that fails before any response (the server closed it
        meanwhile, or left garbage on it) is replaced by a new one and the attempt repeated at
        once, as browsers do; a new connection's failure is the result.
        """
        try:
            self.policy.check_url(url)
        except EgressRefused as exc:
            return FetchResult(url, failure=Outcome.REFUSED, error=f"refused: {exc}")
        scheme, host, port, _ = split_http_url(url)
        origin = (scheme, host.lower(), port)
        request_head = self._request_head(url, extra_headers)
        while True:
            connection = self._connections.acquire_idle(origin)
            reused = connection is not None
            self.requests_sent += 1
            try:
                if connection is None:
                    connection = await self._connections.connect(origin, self.timeout)
                return await self._fetch_on(connection, url, request_head)
            except EgressRefused as exc:
                self.requests_sent -= 1
                return FetchResult(url, failure=Outcome.REFUSED, error=f"refused: {exc}")
            except ExchangeError as exc:  # before the head was complete: no exchange to keep
                if reused and exc.kind in _STALE:
                    self.requests_sent -= 1
                    continue
                return _no_exchange(url, exc)
            finally:
                if connection is not None:
                    self._connections.release(origin, connection)

    async def _fetch_on(self, connection: HttpConnection, url: str, request_head: bytes) -> FetchResult:
        body = _Body(self.max_bytes, time.monotonic() + self.max_duration)
        started = datetime.now(UTC)
        try:
            response = await connection.exchange(request_head, body, self.timeout)
        except BaseException:
            body.file.close()
            raise
        failure = error = None
        if response.body_error is not None:
            body.truncated, failure, error = _cut_short(response.body_error, body.received)
        body.file.seek(0)
        exchange = HttpExchange(
            url=url,
            date=started,
            request_head=request_head,
            response_head=body.response_head,
            body=body.file,  # type: ignore[arg-type]  # a SpooledTemporaryFile is a binary file
            body_length=body.received,
            payload_digest=sha1_digest(body.payload),
            block_digest=sha1_digest(body.block),
            status=response.status,
            ip_address=connection.peer,
            truncated=body.truncated,
        )
        return FetchResult(url, exchange=exchange, headers=body.fields, failure=failure, error=error)


class _Body:
    """Where a body goes as it arrives: a spooled file and its digest, cut at a size or a time."""

    def __init__(self, max_bytes: int, deadline: float) -> None:
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - owned by the exchange
        self.payload = hashlib.sha1()
        self.block = hashlib.sha1()
        self.fields: list[tuple[str, str]] = []
        self.response_head = b""
        self.received = 0
        self.truncated: str | None = None
        self._max_bytes = max_bytes
        self._deadline = deadline

    def head(self, response: Response) -> None:
        self.fields = [(k.decode("iso-8859-1"), v.decode("iso-8859-1")) for k, v in response.fields]
        self.response_head = _response_head(response, self.fields)
        self.block.update(self.response_head)

    def take(self, chunk: bytes) -> bool:
        """Keep ``chunk``; False once the body is to be cut here."""
        if self.received + len(chunk) > self._max_bytes:
            chunk = chunk[: self._max_bytes - self.received]
            self.truncated = "length"
        elif time.monotonic() > self._deadline:
            self.truncated = "time"
        self.file.write(chunk)
        self.payload.update(chunk)
        self.block.update(chunk)
        self.received += len(chunk)
        return self.truncated is None


# A kept-alive connection the server closed or spoiled: worth one more try on a new one.
_STALE = frozenset({Broken.CLOSED, Broken.RESET, Broken.MALFORMED})


def _no_exchange(url: str, exc: ExchangeError) -> FetchResult:
    """The failure of an exchange that never got a complete response head, as one line."""
    if exc.kind is Broken.CLOSED:
        reason = "no response: the server closed the connection before a complete response head"
        return FetchResult(url, failure=Outcome.NO_RESPONSE, error=reason)
    if exc.kind is Broken.MALFORMED:
        return FetchResult(url, failure=Outcome.MALFORMED, error=f"malformed response: {exc.detail}")
    kind = exc.kind.value
    error = f"{kind}: {exc.detail}" if exc.detail else kind
    return FetchResult(url, failure=Outcome.NO_RESPONSE, error=error[:200])


def _cut_short(exc: ExchangeError, received: int) -> tuple[str, Outcome, str]:
    """WARC-Truncated value, outcome and reason for a body that went wrong after ``received`` bytes.

    A connection that ended or stalled may do better next time (``disconnect``, ``time``); a
    body that breaks HTTP's rules (a bad chunk) will not (``unspecified``, malformed).
    """
    if exc.kind is Broken.READ_TIMEOUT:
        return "time", Outcome.CUT_SHORT, f"cut short: read timeout after {received} bytes of body"
    if exc.kind is Broken.MALFORMED:
        return "unspecified", Outcome.MALFORMED, f"malformed body after {received} bytes: {exc.detail}"
    return "disconnect", Outcome.CUT_SHORT, f"cut short: connection closed after {received} bytes of body"


def _response_head(response: Response, fields: list[tuple[str, str]]) -> bytes:
    """Status line and headers as received.

    The body is stored with its chunked transfer-coding removed (the payload WARC digests
    are defined over), so a ``Transfer-Encoding`` header is kept under the name pywb uses,
    ``X-Archive-Orig-Transfer-Encoding``, to keep the record readable as HTTP.
    """
    reason = response.reason.decode("iso-8859-1")
    lines = [f"{response.version} {response.status} {reason}".rstrip()]
    for name, value in fields:
        if name.lower() == "transfer-encoding":
            name = "X-Archive-Orig-Transfer-Encoding"
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1")
