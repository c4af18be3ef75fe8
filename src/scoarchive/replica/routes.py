"""Routing: which page (or fault) answers a request for a host and path.

One request reads the site's current version once, so a concurrent ``mutate()`` never tears it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from scoarchive.replica import faults
from scoarchive.replica.exchange import Page, RequestCounter, Response, finish, plain, redirect
from scoarchive.replica.faults import FAULT_HOST, FAULT_IDS, FAULT_PATHS, FAULT_PATHS_BY_ID, REDIRECTS
from scoarchive.replica.history import SiteHistory
from scoarchive.replica.model import HOSTS, HTML_TYPE, LANGUAGE
from scoarchive.replica.pages import Pages

# Every address form of an article or document page: plain, slug-ID, Russian section (and the
# old /news/ form, which is dead: the ID is found, the path does not match, 404).
_ARTICLE_RE = re.compile(r"(?:/[A-Za-z_]+)?/(\d{8})/(?:[^/]*-)?(\d+)(?:/[^/]+)?\.html")
_PHOTO_RE = re.compile(r"/images/photos/(\d+)_(\d+)\.jpg")
_PDF_RE = re.compile(r"/images/[0-9a-f]{4}/[0-9a-f]{2}/[0-9a-f]{2}/(\d+)\.pdf")
_CALENDAR_RE = re.compile(r"/calendar/(\d{4})/(\d{2})/")


class Router:
    """Answers requests from the site's history and pages."""

    def __init__(self, history: SiteHistory, pages: Pages) -> None:
        self.history = history
        self.pages = pages
        self.config = history.config

    def response(
        self,
        host: str,
        path_qs: str,
        headers: Mapping[str, str],
        counter: RequestCounter,
    ) -> Response:
        """Answer one GET/HEAD (the server drops the body for HEAD)."""
        state = self.history.state
        pages = self.pages
        host = host.partition(":")[0].lower().rstrip(".")  # eng.sectsco.org. is the same host
        path, _, query = path_qs.partition("#")[0].partition("?")
        req = {k.lower(): v for k, v in headers.items()}
        if host not in HOSTS:
            return plain(404, "<!DOCTYPE html><p>Unknown host</p>\n")
        with_faults = self.config.faults and host == FAULT_HOST
        page: Page | None = None
        delay = 0.0
        if match := _ARTICLE_RE.fullmatch(path):
            article_id = int(match[2])
            if with_faults and article_id in FAULT_IDS and path == FAULT_PATHS_BY_ID[article_id]:
                bomb = pages.cache.cached(
                    ("bomb", self.config.bomb_bytes), lambda: faults.bomb_page(self.config.bomb_bytes)
                )
                fault = faults.fault_response(article_id, host, path, req, counter, bomb)
                if fault is not None:
                    return fault
                delay = self.config.slow_seconds if article_id == faults.SLOW_ID else 0.0
            art = state.articles.get(article_id)
            doc = self.history.doc_index.get((host, article_id))
            if art is not None and art.host == host and art.path == path:
                page = pages.article(art)
            elif art is not None and art.host == host and art.plain_path == path:
                return redirect(301, art.path)  # the plain address of a slug-form article
            elif doc is not None and doc.url == f"http://{host}{path}":
                page = pages.document(doc)
        elif path == "/":
            page = pages.home(state, host)
        elif path in ("/news/", "/documents/"):
            page = pages.listing(state, host, path, query)
        elif match := _PHOTO_RE.fullmatch(path):
            art = state.articles.get(int(match[1]))
            if art is not None and art.host == host and path in art.photo_paths():
                page = pages.photo(art, path)
        elif match := _PDF_RE.fullmatch(path):
            doc = self.history.doc_index.get((host, int(match[1])))
            if doc is not None and doc.pdf_url == f"http://{host}{path}":
                page = pages.pdf(doc)
        elif match := _CALENDAR_RE.fullmatch(path):
            year, month = int(match[1]), int(match[2])
            if year >= 1 and 1 <= month <= 12:
                page = pages.calendar(state, host, year, month)
        elif path == "/robots.txt":
            page = pages.robots()
        elif path == "/css/main.css":
            page = pages.stylesheet()
        elif path == "/images/logo.png":
            page = pages.logo()
        elif path.startswith("/search/"):
            page = pages.search(host, query)
        elif path == "/private/admin.html":
            page = pages.private(host)
        elif with_faults and path == FAULT_PATHS["large_file"]:
            size = self.config.large_file_bytes
            page = pages.cache.cached(("large", size), lambda: faults.large_file_page(size))
        elif with_faults and path in REDIRECTS:
            return redirect(*REDIRECTS[path])
        if page is None:
            body = pages.not_found(host).body
            return Response(
                404, (("Content-Type", HTML_TYPE[LANGUAGE[host]]), ("Content-Length", str(len(body)))), body
            )
        return finish(page, req, delay)
