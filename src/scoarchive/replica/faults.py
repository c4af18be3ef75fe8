"""The faults a real crawl meets, on the English host when ``ReplicaConfig.faults`` is on.

A 503 with Retry-After that clears after two tries, a permanent 500, a slow page, a redirect
chain, a redirect loop, a redirect off the site, a gzip bomb and a file too large to keep. Each
fault page is linked from the English home page and news listing ("Service notices").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from scoarchive.replica.assets import gzip_bomb, large_file_digest
from scoarchive.replica.exchange import Page, RequestCounter, Response, finish, plain, redirect

PARTNER_URL = "http://partner.example.org/landing.html"
FAULT_HOST = "eng.sectsco.org"
FAULT_PATHS = {
    "transient_503": "/20230101/900001.html",
    "permanent_500": "/20230102/900002.html",
    "slow": "/20230103/900003.html",
    "redirect_chain": "/20230104/900004.html",
    "redirect_loop": "/20230105/900005.html",
    "offsite_redirect": "/20230106/900006.html",
    "gzip_bomb": "/20230107/900007.html",
    "large_file": "/images/docs/large.pdf",
}
FAULT_PATHS_BY_ID = {
    int(p.rsplit("/", 1)[1].removesuffix(".html")): p for p in FAULT_PATHS.values() if p.endswith(".html")
}
REDIRECT_TARGET = "/20210607/765371.html"
REDIRECTS = {  # path -> (status, location); the first three form the in-scope chain
    "/redirect/1": (302, "/redirect/2"),
    "/redirect/2": (301, REDIRECT_TARGET),
    "/loop/a": (302, "/loop/b"),
    "/loop/b": (302, "/loop/a"),
}
FAULT_REDIRECTS = {
    900004: (301, "/redirect/1"),
    900005: (302, "/loop/a"),
    900006: (302, PARTNER_URL),
}
TRANSIENT_FAILURES = 2
FAULT_IDS = tuple(range(900001, 900008))
# The fault pages that answer 200 in the end are articles too (kind "fault").
SERVED_FAULT_IDS = (900001, 900003)
SLOW_ID = 900003


def fault_response(
    article_id: int,
    host: str,
    path: str,
    req: Mapping[str, str],
    counter: RequestCounter,
    bomb: Page,
) -> Response | None:
    """The fault's own answer, or None when the page should be served normally."""
    if article_id == 900001:
        if counter.hit(f"{host}{path}") <= TRANSIENT_FAILURES:
            return plain(
                503, "<!DOCTYPE html><p>Service temporarily unavailable</p>\n", (("Retry-After", "1"),)
            )
        return None
    if article_id == 900002:
        return plain(500, "<!DOCTYPE html><p>Internal server error</p>\n")
    if article_id in FAULT_REDIRECTS:
        return redirect(*FAULT_REDIRECTS[article_id])
    if article_id == 900007:
        return finish(bomb, req, 0.0)
    return None


def large_file_page(size: int) -> Page:
    """The oversized "PDF": streamed on request, its ETag computed once by streaming it."""
    return Page(
        b"",
        "application/pdf",
        datetime(2021, 6, 15, 12, tzinfo=UTC),
        stream_size=size,
        etag=large_file_digest(size)[:24],
    )


def bomb_page(size: int) -> Page:
    """A small gzip body that inflates to ``size`` bytes, served as stored (Content-Encoding: gzip)."""
    return Page(
        gzip_bomb(size),
        "text/html; charset=utf-8",
        datetime(2023, 1, 7, 12, tzinfo=UTC),
        content_encoding="gzip",
    )
