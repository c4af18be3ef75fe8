"""A raw-socket HTTP server that answers each path with exactly the bytes a test gives it.

What no well-behaved server library can be made to send: broken status lines, headers without
a colon, lying lengths, broken chunking, replies cut off or never sent. It also records every
connection it accepts, so a test can show that a fetch never reached it.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

Reply = bytes | Callable[[socket.socket], None]


@dataclass
class Seen:
    """What the server saw: one entry per connection, the request lines sent on it."""

    connections: int = 0
    requests: list[str] = field(default_factory=list)


class HostileServer:
    """Serves ``replies[path]`` raw, then closes the connection; 404 for anything else.

    ``keep_alive``: answers every request on a connection until the client closes it.
    ``tls``: speaks TLS with this context (its certificate) on every connection.
    """

    def __init__(
        self, replies: dict[str, Reply], *, keep_alive: bool = False, tls: ssl.SSLContext | None = None
    ) -> None:
        self.replies = replies
        self.keep_alive = keep_alive
        self.tls = tls
        self.seen = Seen()
        self._lock = threading.Lock()
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            with self._lock:
                self.seen.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except OSError:  # ssl.SSLError among them: the client refused the certificate
                conn.close()
                return
        with conn:
            pending = b""
            while True:
                try:
                    while b"\r\n\r\n" not in pending:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        pending += chunk
                except OSError:
                    return
                request, _, pending = pending.partition(b"\r\n\r\n")
                line = request.split(b"\r\n", 1)[0].decode("latin-1")
                with self._lock:
                    self.seen.requests.append(line)
                path = line.split(" ")[1] if line.count(" ") >= 2 else "/"
                reply = self.replies.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                try:
                    if callable(reply):
                        reply(conn)
                    else:
                        conn.sendall(reply)
                except OSError:
                    return
                if not self.keep_alive:
                    return
