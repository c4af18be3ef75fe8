"""HTTP semantics of the replica: representations, validators, conditional GET, gzip, answers.

A :class:`Page` is one cached representation (identity bytes, ETag, Last-Modified, a lazily
gzipped copy); :func:`finish` turns it into the :class:`Response` one request gets, honouring
``If-None-Match``/``If-Modified-Since`` and ``Accept-Encoding`` as a real server does.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from scoarchive.replica.assets import large_file_chunks


@dataclass(frozen=True)
class Response:
    """An HTTP answer decided by the site; ``stream`` replaces ``body`` for the large file."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    stream: Callable[[], Iterator[bytes]] | None = None
    delay: float = 0.0


class RequestCounter:
    """Thread-safe per-key hit counter; the transient-503 fault counts requests with it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, int] = {}

    def hit(self, key: str) -> int:
        """Count one request for ``key`` and return how many there have been, this one included."""
        with self._lock:
            self._hits[key] = self._hits.get(key, 0) + 1
            return self._hits[key]


@dataclass
class Page:
    """One cached representation: identity bytes, validators and a lazily gzipped copy."""

    body: bytes
    content_type: str
    last_modified: datetime
    compressible: bool = False
    content_encoding: str | None = None
    stream_size: int | None = None
    etag: str = ""
    _gzipped: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.etag:
            self.etag = hashlib.sha256(self.body).hexdigest()[:24]

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, mtime=0)
        return self._gzipped


class PageCache:
    """Version-independent cache of pages that never change; a race only builds the same bytes twice."""

    def __init__(self) -> None:
        self._pages: dict[tuple[object, ...], Page] = {}

    def get(self, key: tuple[object, ...]) -> Page | None:
        return self._pages.get(key)

    def put(self, key: tuple[object, ...], page: Page) -> Page:
        self._pages[key] = page
        return page

    def cached(self, key: tuple[object, ...], build: Callable[[], Page]) -> Page:
        page = self._pages.get(key)
        if page is None:
            page = self._pages[key] = build()
        return page


def _accepts_gzip(value: str) -> bool:
    for part in value.split(","):
        name, _, params = part.partition(";")
        if name.strip().lower() in ("gzip", "x-gzip"):
            q = params.strip().removeprefix("q=").strip()
            return not q or _float(q) > 0
    return False


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def _not_modified(req: Mapping[str, str], page: Page) -> bool:
    """RFC 9110 13.2.2: If-None-Match wins; If-Modified-Since only counts without it."""
    inm = req.get("if-none-match")
    if inm is not None:
        tags = {tag.strip().removeprefix("W/") for tag in inm.split(",")}
        return bool(tags & {"*", f'"{page.etag}"', f'"{page.etag}-gzip"'})
    ims = req.get("if-modified-since")
    if not ims:
        return False
    try:
        since = parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return page.last_modified <= since


def plain(status: int, body: str, extra: tuple[tuple[str, str], ...] = ()) -> Response:
    """A small uncached HTML answer (errors, redirects)."""
    data = body.encode()
    headers = (
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(data))),
        *extra,
    )
    return Response(status, headers, data)


def redirect(status: int, location: str) -> Response:
    link = html.escape(location)
    return plain(
        status, f'<!DOCTYPE html><p>Moved: <a href="{link}">{link}</a></p>\n', (("Location", location),)
    )


def finish(page: Page, req: Mapping[str, str], delay: float) -> Response:
    """The answer to one request for ``page``: 304, or 200 with gzip when asked and allowed."""
    use_gzip = page.compressible and _accepts_gzip(req.get("accept-encoding", ""))
    etag = f'"{page.etag}-gzip"' if use_gzip else f'"{page.etag}"'
    headers = [("ETag", etag), ("Last-Modified", format_datetime(page.last_modified, usegmt=True))]
    if page.compressible:
        headers.append(("Vary", "Accept-Encoding"))
    if _not_modified(req, page):
        return Response(304, tuple(headers), delay=delay)
    body = page.gzipped() if use_gzip else page.body
    encoding = "gzip" if use_gzip else page.content_encoding
    if encoding:
        headers.append(("Content-Encoding", encoding))
    size = page.stream_size if page.stream_size is not None else len(body)
    headers += [("Content-Type", page.content_type), ("Content-Length", str(size))]
    stream = None
    if page.stream_size is not None:
        stream_size = page.stream_size
        stream = lambda: large_file_chunks(stream_size)  # noqa: E731
    return Response(200, tuple(headers), body, stream, delay)
