"""The replica's public face: ``Site``, the deterministic model of the three SCO news sites.

Everything the server sends is decided here, so tests can compare a crawl against ground truth
(``articles()``, ``documents()``, ``expected_urls()``) and two ``Site`` objects built from the same
config produce byte-identical pages. The server only moves bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from scoarchive.replica.exchange import RequestCounter, Response
from scoarchive.replica.faults import FAULT_HOST, FAULT_PATHS, REDIRECTS
from scoarchive.replica.history import SiteHistory
from scoarchive.replica.model import (
    HOSTS,
    PAGE_SIZE,
    ArticleTruth,
    DocumentTruth,
    ReplicaConfig,
    SiteChange,
    listing_path,
)
from scoarchive.replica.pages import Pages
from scoarchive.replica.routes import Router


class Site:
    """The replica's content and behaviour; thread-safe, deterministic for a given config."""

    def __init__(self, config: ReplicaConfig | None = None) -> None:
        self.config = config or ReplicaConfig()
        self._counter = RequestCounter()
        self._history = SiteHistory(self.config)
        self._router = Router(self._history, Pages(self._history))

    # -- public ground truth ------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Number of ``mutate()`` calls so far; 0 is the site as first built."""
        return self._history.state.version

    def articles(self, host: str | None = None, kind: str | None = "news") -> list[ArticleTruth]:
        """Live article pages, hosts in ``HOSTS`` order, newest first; ``kind=None`` gives all."""
        state = self._history.state
        found = [
            a
            for a in state.articles.values()
            if (host is None or a.host == host) and (kind is None or a.kind == kind)
        ]
        found.sort(key=lambda a: (HOSTS.index(a.host), -a.day.toordinal(), -a.article_id))
        return [a.truth() for a in found]

    def documents(self, host: str | None = None) -> list[DocumentTruth]:
        """Listed documents (not the large-file fault), hosts in order, newest first."""
        return [d for d in self._history.documents if host is None or d.host == host]

    def expected_urls(self) -> set[str]:
        """Every URL a polite, correctly scoped crawler starting at the three home pages fetches.

        Canonical form (no tracking parameters, no fragment, no trailing dot on the host).
        Excludes robots-disallowed paths, the infinite calendar, social-media and partner hosts.
        """
        state = self._history.state
        urls: set[str] = set()
        for host in HOSTS:
            base = f"http://{host}"
            urls |= {f"{base}{p}" for p in ("/", "/robots.txt", "/css/main.css", "/images/logo.png")}
            for offset in range(0, max(len(state.news[host]), 1), PAGE_SIZE):
                urls.add(base + listing_path("/news/", offset))
            docs = self.documents(host)
            for offset in range(0, max(len(docs), 1), PAGE_SIZE):
                urls.add(base + listing_path("/documents/", offset))
            urls |= {d.url for d in docs} | {d.pdf_url for d in docs}
        for art in state.articles.values():
            urls.add(art.url)
            urls |= {
                f"http://{art.host}{art.plain_path}" for link in art.links if link.endswith(art.plain_path)
            }
            urls |= {f"http://{art.host}{p}" for p in art.photo_paths()}
        if self.config.faults:
            base = f"http://{FAULT_HOST}"
            urls |= {base + p for p in FAULT_PATHS.values()}
            urls |= {base + p for p in REDIRECTS}
        return urls

    # -- versions and HTTP --------------------------------------------------------------------

    def mutate(self) -> SiteChange:
        """Advance one version: 3 new stories per host, one English edit and one English delete.

        Edited and deleted articles are chosen among English news that are not anchors (so no
        related block ever changes) and not the fixed briefing articles.
        """
        return self._history.mutate()

    def response(
        self,
        host: str,
        path_qs: str,
        headers: Mapping[str, str],
        counter: RequestCounter | None = None,
    ) -> Response:
        """Answer one GET/HEAD (the server drops the body for HEAD).

        ``counter`` scopes the transient-503 fault; each ReplicaServer passes its own.
        """
        return self._router.response(host, path_qs, headers, counter or self._counter)


def _canonical(url: str) -> str:
    """A link of the site's own as a crawler files it: without the host's trailing dot."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rstrip(".")).geturl()
