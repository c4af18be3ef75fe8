"""How the service presents itself, decided by its operator and never by what a request says.

A Host header is the client's claim: building absolute links from it lets anyone who can send
``Host: evil.example`` put their address in a TimeGate's ``Location`` (cache poisoning) or
reach a loopback service through a name they control (DNS rebinding). So the public base URL
is configured (default: the bound address), and requests naming any other host are refused.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

WILDCARDS = frozenset({"", "0.0.0.0", "::"})


DEFAULT_CACHE_BYTES = 64 * 2**20


DEFAULT_THREADS = 8


def host_literal(host: str) -> str:
    """``host`` as it appears in a URL or a Host header: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def base_url_for(host: str, port: int) -> str:
    """The base URL of a service bound to ``host``:``port``."""
    return f"http://{host_literal(host)}:{port}"


def parse_base_url(text: str) -> str:
    """``scheme://host[:port]`` from an operator's ``--base-url``; ValueError says what is wrong.

    No path: replayed pages link root-relative (``/web/...``), as Wayback addresses do.
    """
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"--base-url {text!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--base-url {text!r} must be http:// or https:// and name a host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"--base-url {text!r} must be scheme://host[:port], without path, query or user")
    host = host_literal(parts.hostname)
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServiceConfig:
    """The operator's settings of one service.

    ``host`` is the address listened on; ``base_url`` the address clients reach the service at
    (behind a proxy, its public one), used in every absolute link and ``Location``; None means
    the address each connection arrived at, as the socket reports it (never the Host header).
    ``allowed_hosts`` are further names clients may send in ``Host``. ``cache_bytes`` bounds the
    cache of archived records and rendered pages of each worker process; ``threads`` the WARC
    reads in flight at once in each, and apart from them the warehouse queries.
    """

    host: str = "127.0.0.1"
    base_url: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    cache_bytes: int = DEFAULT_CACHE_BYTES
    threads: int = DEFAULT_THREADS

    def __post_init__(self) -> None:
        if self.base_url is not None:
            object.__setattr__(self, "base_url", parse_base_url(self.base_url))
        elif self.host in WILDCARDS:
            shown = self.host or "''"
            raise ValueError(
                f"listening on every address (--host {shown}) needs --base-url, "
                "the address clients reach the service at"
            )
        for name in self.allowed_hosts:
            wildcard = name.startswith("*")
            if not name or "/" in name or "*" in name[1:] or (wildcard and not name.startswith("*.")):
                raise ValueError(
                    f"--allowed-host {name!r} must be a host name, or *.domain for its subdomains"
                )
        if self.cache_bytes < 0 or self.threads < 1:
            raise ValueError("the cache size must be 0 or more, and threads at least 1")

    def trusted_hosts(self) -> list[str]:
        """The names a request's Host header may carry (any port): the bound host (and, on
        loopback, ``localhost`` and its addresses), the base URL's host, and ``allowed_hosts``."""
        names = []
        if self.host not in WILDCARDS:
            names.append(host_literal(self.host))
            if self.host == "localhost":
                names += ["127.0.0.1", "[::1]"]
            elif _is_loopback(self.host):
                names.append("localhost")
        if self.base_url is not None:
            hostname = urlsplit(self.base_url).hostname
            assert hostname is not None  # checked by parse_base_url
            names.append(host_literal(hostname))
        names.extend(self.allowed_hosts)
        return list(dict.fromkeys(name.lower() for name in names))
