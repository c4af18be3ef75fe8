"""The egress policy: what any fetch of the project may connect to.

Every request the project makes (a crawl, ``check --capture-missing``, ``check --live``, the
watch) goes through one :class:`~scoarchive.capture.transport.Fetcher`, and the fetcher asks
this policy twice. Before anything else: is the URL on one of the profile's hosts, on its
scheme's default port? (A briefing is untrusted input; a redirect is the server's choice.)
Then, when it dials: which address? An operator's ``--connect-to`` rule names it, and is
trusted (it is how the tests and the demo reach the replica on 127.0.0.1). Otherwise the host
name is resolved once, here, and only a globally routable address is dialled: the very address
that was checked, so a DNS answer that changes between the check and the connection (DNS
rebinding) cannot lead the fetcher to loopback, a private network, a link-local address such
as the cloud metadata service 169.254.169.254, multicast or a reserved range.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

import anyio

from scoarchive.core.profile import Profile
from scoarchive.core.urls import ConnectTo, InvalidURL

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class EgressRefused(Exception):
    """A fetch the policy does not allow; its message is the one-line reason."""


async def resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host``, in its order of preference."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise EgressRefused(f"cannot resolve {host}: {exc.strerror or exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def forbidden(address: str) -> str | None:
    """Why an address must not be dialled (``loopback``, ``private``...), or None if it is public."""
    try:
        ip: Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return forbidden(str(embedded))
    for kind in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if ip.is_global else "not globally routable"


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class EgressPolicy:
    """The profile's hosts and ports, and the operator's ``--connect-to`` mappings."""

    profile: Profile
    connect_to: Sequence[ConnectTo] = ()

    def check_url(self, url: str) -> None:
        """Raise EgressRefused unless ``url`` is on one of the profile's hosts and ports."""
        try:
            inside = self.profile.in_scope(url)
        except InvalidURL:
            inside = False
        if not inside:
            raise EgressRefused(f"outside the profile {self.profile.name!r}: {url}")

    async def addresses(self, host: str, port: int) -> list[tuple[str, int]]:
        """Where to connect for ``host:port``: the mapped address, else its public addresses."""
        for rule in self.connect_to:
            if rule.matches(host, port):
                return [(rule.address, rule.address_port)]
        found = await resolve(host, port)
        allowed = [address for address in found if forbidden(address) is None]
        if not allowed:
            refused = ", ".join(f"{address} ({forbidden(address)})" for address in found) or "nothing"
            raise EgressRefused(f"{host} resolves to {refused}: not dialled (map it with --connect-to)")
        return [(address, port) for address in allowed]
