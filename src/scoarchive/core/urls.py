"""URL canonicalisation and SURT keys.

Two spellings of one address must land on one frontier entry and one index key, or the
crawler fetches duplicates and the resolver misses captures. Canonical form keeps what the
server can tell apart (path case, query order) and drops what it cannot (fragments,
tracking parameters, default ports, host case, a trailing dot on the host, and ``www.`` before
a host the caller names as one that never differs by it).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import surt as _surt

DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidURL(ValueError):
    """A URL the archive cannot use: not http(s), no host, or malformed."""


@lru_cache(maxsize=1 << 16)  # the crawler asks about the same nav links on every page
def split_http_url(url: str) -> tuple[str, str, int, str]:
    """Return (scheme, host, port, path_and_query) of an absolute http(s) URL, or raise InvalidURL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"malformed URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidURL(f"not an http(s) URL: {url!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host or any(c in host for c in " /\\@"):
        raise InvalidURL(f"URL has no valid host: {url!r}")
    path = parts.path or "/"
    return scheme, host, port or DEFAULT_PORTS[scheme], path + (f"?{parts.query}" if parts.query else "")


def canonical_host(host: str, hosts: Collection[str] = ()) -> str:
    """A host name as the archive files it: lower case, no trailing dot (``eng.sectsco.org.``
    is the same host in DNS), and without ``www.`` when the rest is one of ``hosts``."""
    name = host.lower().rstrip(".")
    if name.startswith("www.") and name[4:] in hosts:
        return name[4:]
    return name


def canonicalize(url: str, tracking_params: Iterable[str] = (), hosts: Collection[str] = ()) -> str:
    """The address the archive files a URL under.

    `tracking_params` are glob patterns (``utm_*``) of query parameters that never change
    what the server returns; `hosts` are hosts that ``www.`` never tells apart (a profile's).
    """
    return _canonicalize(url, tuple(tracking_params), tuple(hosts))


@lru_cache(maxsize=1 << 16)
def _canonicalize(url: str, tracking_params: tuple[str, ...], hosts: tuple[str, ...]) -> str:
    scheme, host, port, _ = split_http_url(url)
    parts = urlsplit(url.strip())
    name = canonical_host(host, hosts)
    name = f"[{name}]" if ":" in name else name  # an IPv6 literal keeps its brackets
    netloc = name if port == DEFAULT_PORTS[scheme] else f"{name}:{port}"
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query_items = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not any(fnmatch.fnmatchcase(key.lower(), pattern) for pattern in tracking_params)
    ]
    query = urlencode(query_items, doseq=True) if query_items else ""
    return urlunsplit((scheme, netloc, path, query, ""))


def surt_key(url: str) -> str:
    """The SURT key pywb and cdxj-indexer sort by (``org,sectsco,eng)/news/...``); InvalidURL if
    the surt library cannot read the URL (it cannot read IPv6 literals)."""
    try:
        return str(_surt.surt(url))
    except ValueError as exc:
        raise InvalidURL(f"no SURT for {url!r}: {exc}") from None


@dataclass(frozen=True)
class ConnectTo:
    """curl's ``--connect-to HOST:PORT:ADDR:ADDRPORT``: dial ADDR:ADDRPORT for HOST:PORT.

    The URL, Host header and WARC-Target-URI stay those of HOST, which is how tests, mirrors
    and staging crawl the real addresses on another server. An empty HOST or PORT matches any.
    """

    host: str
    port: int | None
    address: str
    address_port: int

    @classmethod
    def parse(cls, spec: str) -> ConnectTo:
        fields = spec.split(":")
        if len(fields) != 4 or not fields[2]:
            raise ValueError(f"--connect-to wants HOST:PORT:ADDR:ADDRPORT, got {spec!r}")
        host, port, address, address_port = fields
        try:
            source_port = int(port) if port else None
            target_port = int(address_port)
        except ValueError:
            raise ValueError(f"--connect-to ports must be numbers, got {spec!r}") from None
        if not (0 < target_port < 65536) or (source_port is not None and not 0 < source_port < 65536):
            raise ValueError(f"--connect-to ports must be 1-65535, got {spec!r}")
        return cls(host.lower(), source_port, address, target_port)

    def matches(self, host: str, port: int) -> bool:
        return (not self.host or self.host == host.lower()) and self.port in (None, port)
