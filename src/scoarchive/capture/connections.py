"""Connections for the fetcher: a keep-alive pool, and the network backend that applies the
egress policy to every connection it opens."""

from __future__ import annotations

import socket
from collections import defaultdict
from collections.abc import Iterable

import anyio
import httpcore

from scoarchive.capture.egress import EgressPolicy, EgressRefused


class PolicyBackend(httpcore.AsyncNetworkBackend):
    """Dials only what the egress policy allows: a ``--connect-to`` address, or a public one.

    The host name is resolved once, by the policy, and the address it checked is the address
    dialled; the TLS server name (set by httpcore from the URL) stays the host's.
    """

    def __init__(self, policy: EgressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await self._policy.addresses(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took over {timeout} s") from None
        failure: Exception | None = None
        for address, address_port in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, address_port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )  # fmt: skip
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # addresses() returns at least one address or raises
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise EgressRefused("unix sockets are outside any profile")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


Origin = tuple[str, str, int]


class Connections:
    """Idle keep-alive connections, per origin, for the fetcher to reuse.

    httpcore's connection pool scans every connection, with a syscall each, on every request
    and release; at a few hundred pages a second that cost more CPU than all the crawler's own
    work. A crawler only ever needs "an idle connection to this origin, else a new one".
    """

    def __init__(self, policy: EgressPolicy) -> None:
        self._backend = PolicyBackend(policy)
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
