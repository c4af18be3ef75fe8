"""Loopback HTTP/1.1 server for the SCO replica: one port, three hosts chosen by ``Host``.

Standard library only. The server adds nothing to what ``Site.response`` decides except transport
concerns: keep-alive, HEAD, the slow-page delay, ``Date``, and statistics a test can assert on
(robots violations, per-host concurrency).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import NamedTuple
from urllib.parse import urlsplit

from scoarchive.replica.exchange import RequestCounter
from scoarchive.replica.model import DISALLOWED_PREFIXES, HOSTS, ReplicaConfig
from scoarchive.replica.site import Site


class RequestRecord(NamedTuple):
    """One answered request; ``conditional`` is true if it carried If-None-Match/-Modified-Since."""

    host: str
    method: str
    path_qs: str
    status: int
    conditional: bool
    received: float = 0.0  # time.monotonic() when the request arrived (politeness checks)


class ReplicaStats:
    """Thread-safe request log of one server, for politeness and robots assertions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything, e.g. between the first crawl and a re-crawl."""
        with self._lock:
            self._requests: list[RequestRecord] = []
            self._in_flight: dict[str, int] = {}
            self._max_in_flight: dict[str, int] = {}
            self._violations: list[RequestRecord] = []

    @contextmanager
    def in_flight(self, host: str) -> Iterator[None]:
        """Count a request as in flight for ``host`` while the block runs."""
        with self._lock:
            now = self._in_flight[host] = self._in_flight.get(host, 0) + 1
            self._max_in_flight[host] = max(self._max_in_flight.get(host, 0), now)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[host] -= 1

    def record(self, entry: RequestRecord) -> None:
        """Log a finished request; paths robots.txt disallows also count as violations."""
        with self._lock:
            self._requests.append(entry)
            if entry.path_qs.startswith(DISALLOWED_PREFIXES):
                self._violations.append(entry)

    @property
    def requests(self) -> list[RequestRecord]:
        """Copy of the log in arrival order (what was fetched, how, and with which answer)."""
        with self._lock:
            return list(self._requests)

    @property
    def total(self) -> int:
        """Number of requests answered since start or the last ``reset()``."""
        with self._lock:
            return len(self._requests)

    @property
    def robots_violations(self) -> list[RequestRecord]:
        """Requests for paths robots.txt disallows; a polite crawler leaves this empty."""
        with self._lock:
            return list(self._violations)

    @property
    def max_in_flight(self) -> dict[str, int]:
        """Highest number of simultaneous requests seen per host (politeness check)."""
        with self._lock:
            return dict(self._max_in_flight)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries Content-Length
    server_version = "sectsco-replica/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are dropped after a minute
    server: _Server

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: per-request stderr lines would drown test output and slow the server."""

    def _answer(self, head: bool) -> None:
        target = self.path
        host = self.headers.get("Host", "")
        if target.startswith(("http://", "https://")):  # absolute-form, as sent to a proxy
            parts = urlsplit(target)
            host = parts.netloc
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = host.partition(":")[0].lower()
        received = time.monotonic()
        replica = self.server.replica
        with replica.stats.in_flight(host):
            response = replica.site.response(host, target, dict(self.headers.items()), replica.counter)
            if response.delay:
                time.sleep(response.delay)
            lines = [f"HTTP/1.1 {response.status} {self.responses.get(response.status, ('',))[0]}"]
            lines += [f"{name}: {value}" for name, value in response.headers]
            lines += [f"Date: {formatdate(usegmt=True)}", f"Server: {self.server_version}", "", ""]
            head_bytes = "\r\n".join(lines).encode("latin-1")
            # Logged before sending, so a client that has its answer always finds it in the stats.
            conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
            record = RequestRecord(host, self.command, target, response.status, conditional, received)
            replica.stats.record(record)
            try:
                if head or response.status == 304:
                    self.wfile.write(head_bytes)
                elif response.stream is None:
                    self.wfile.write(head_bytes + response.body)  # one send: no Nagle stall
                else:
                    self.wfile.write(head_bytes)
                    for chunk in response.stream():
                        self.wfile.write(chunk)
            except OSError:  # the client went away mid-response (e.g. a size limit hit)
                self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    replica: ReplicaServer

    def get_request(self) -> tuple[socket.socket, object]:
        """Disable Nagle: without it http.server stalls ~40 ms per response on delayed ACKs."""
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.replica.track(sock, add=True)
        return sock, address

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        if isinstance(request, socket.socket):
            self.replica.track(request, add=False)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """Client disconnects are normal for a crawler test target; stay quiet about them."""


class _Server6(_Server):
    address_family = socket.AF_INET6


class ReplicaServer:
    """The replica served from a background thread; use as a context manager.

    ``connect_to_args()`` gives curl-style ``--connect-to`` mappings so crawlers keep the real
    ``http://eng.sectsco.org/`` URLs (and Host header) while connecting to loopback.
    """

    def __init__(self, site: Site | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site or Site()
        self.host = host
        self.port = port
        self.address = ""
        self.stats = ReplicaStats()
        self.counter = RequestCounter()  # transient-503 attempts are counted per server
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()

    def start(self) -> ReplicaServer:
        """Bind and serve in a daemon thread; sets ``port`` (when 0 was asked) and ``address``."""
        server_class = _Server6 if ":" in self.host else _Server
        server = server_class((self.host, self.port), _Handler)
        server.replica = self
        self._server = server
        self.port = server.server_address[1]
        self.address = f"http://{self._netloc_host}:{self.port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="replica", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting and cut open keep-alive connections so no client talks to a stale site."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._sockets_lock:
            for sock in self._sockets:
                with suppress(OSError):  # already closed by the peer
                    sock.shutdown(socket.SHUT_RDWR)
            self._sockets.clear()
        if self._thread is not None:
            self._thread.join()
        self._server = None

    def track(self, sock: socket.socket, add: bool) -> None:
        """Remember accepted connections so ``stop()`` can close idle keep-alive ones."""
        with self._sockets_lock:
            if add:
                self._sockets.add(sock)
            else:
                self._sockets.discard(sock)

    def connect_to_args(self) -> list[str]:
        """``HOST:80:127.0.0.1:PORT`` for each site host (curl ``--connect-to`` semantics)."""
        return [f"{h}:80:{self._netloc_host}:{self.port}" for h in HOSTS]

    @property
    def _netloc_host(self) -> str:
        """The bind address as it appears in URLs and --connect-to (IPv6 in brackets)."""
        return f"[{self.host}]" if ":" in self.host else self.host

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(host: str, port: int, config: ReplicaConfig) -> None:
    """Serve the replica until interrupted (``scoarchive sim``); prints where to point a crawler."""
    server = ReplicaServer(Site(config), host, port).start()
    print(f"SCO replica serving {', '.join(HOSTS)} at {server.address}", flush=True)
    for arg in server.connect_to_args():
        print(f"  --connect-to {arg}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
