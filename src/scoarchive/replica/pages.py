"""The replica's pages: HTML rendered from one site version, in each host's language and charset.

Every HTML page shares one frame (:meth:`Pages.shell`: head, menu, language switcher, footer).
Pages that depend only on content that never changes are cached across versions; listings and
the home page are cached per version, with a Last-Modified the version history decides.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, time
from urllib.parse import parse_qs, quote

from scoarchive.replica import assets
from scoarchive.replica.exchange import Page, PageCache
from scoarchive.replica.faults import FAULT_HOST, FAULT_PATHS
from scoarchive.replica.history import News, SiteHistory
from scoarchive.replica.model import (
    CHARSET,
    EPOCH,
    HOME_ITEMS,
    HOSTS,
    HTML_TYPE,
    LANGUAGE,
    MOSCOW,
    NAV_DATES,
    NAV_PAGES,
    PAGE_SIZE,
    RELATED_QUERY,
    SOCIAL,
    TRACKING_QUERY,
    Article,
    DocumentTruth,
    State,
    listing_path,
)
from scoarchive.replica.prose import month_label
from scoarchive.replica.vocabulary import LABELS


class Pages:
    """Renders (and caches) every page of the site from its history."""

    def __init__(self, history: SiteHistory) -> None:
        self.history = history
        self.config = history.config
        self.cache = PageCache()

    def html_page(self, host: str, body: str, last_modified: datetime) -> Page:
        lang = LANGUAGE[host]
        data = body.encode(CHARSET[lang], "xmlcharrefreplace")
        return Page(data, HTML_TYPE[lang], last_modified, compressible=True)

    def shell(self, host: str, title: str, main: str, head: str = "") -> str:
        """The page frame shared by every HTML page: head, menu, language switcher, footer."""
        lang = LANGUAGE[host]
        labels = LABELS[lang]
        nav_paths = ["/", "/news/", "/documents/"] + [
            f"/{d:%Y%m%d}/{i}.html" for i, d in zip(NAV_PAGES[host], NAV_DATES, strict=True)
        ]
        menu = "".join(
            f'<li><a href="{p}">{_t(label)}</a></li>' for p, label in zip(nav_paths, labels.nav, strict=True)
        )
        switch = " ".join(
            f'<a href="http://{h}/" hreflang="{LANGUAGE[h]}">{_t(LABELS[LANGUAGE[h]].language_name)}</a>'
            for h in HOSTS
            if h != host
        )
        copyright_, address, staff = labels.footer
        return (
            f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="{CHARSET[lang]}">\n'
            f"<title>{_t(title)} - {_t(labels.title_suffix)}</title>\n"
            '<link rel="stylesheet" href="/css/main.css">\n'
            f'<meta property="og:title" content="{_a(title)}">\n'
            f'<meta property="og:site_name" content="{_a(labels.site_name)}">\n{head}</head>\n<body>\n'
            '<header class="site-header">\n'
            f'<a class="logo" href="/"><img src="/images/logo.png" alt="" width="16" height="16"></a>\n'
            f'<nav class="menu"><ul>{menu}</ul></nav>\n<nav class="languages">{switch}</nav>\n'
            f"</header>\n<main>\n{main}</main>\n"
            f'<footer class="site-footer">\n<p>{_t(copyright_)}</p>\n<p>{_t(address)}</p>\n'
            f'<p><a href="/private/admin.html">{_t(staff)}</a></p>\n</footer>\n</body>\n</html>\n'
        )

    # -- articles -------------------------------------------------------------------------------

    def article(self, art: Article) -> Page:
        return self.cache.cached(("article", art.article_id, art.modified), lambda: self._render_article(art))

    def _render_article(self, art: Article) -> Page:
        labels = LABELS[art.lang]
        parts = [f"<article>\n<h1>{_t(art.title)}</h1>\n{_time(art.day)}\n"]
        photos = art.photo_paths()
        for n, paragraph in enumerate(art.paragraphs):
            parts.append(f"<p>{_t(paragraph)}</p>\n")
            if n < len(photos):  # photos sit after the first and second paragraphs
                parts.append(
                    f'<figure><img src="{photos[n]}" alt="">'
                    f"<figcaption>{_t(art.captions[n])}</figcaption></figure>\n"
                )
        parts.append("</article>\n")
        if art.kind != "page":
            share_target = quote(art.url, safe="")
            share = " ".join(f'<a href="{base}{share_target}">{name}</a>' for name, base in SOCIAL)
            related = "".join(
                f'<li><a href="{p}{"?" + _a(RELATED_QUERY) if n == 1 else ""}">{_t(t)}</a></li>'
                for n, (p, t) in enumerate(art.related)
            )
            parts.append(
                f'<div class="share">{_t(labels.share)} {share}</div>\n'
                f'<aside class="related"><h2>{_t(labels.related)}</h2><ul>{related}</ul></aside>\n'
                f'<p class="search"><a href="/search/?q={quote(art.search_word)}">'
                f"{_t(labels.search.format(q=art.search_word))}</a></p>\n"
                f'<p class="calendar"><a href="/calendar/{art.day:%Y/%m}/">'
                f"{_t(month_label(art.lang, art.day.year, art.day.month))}</a></p>\n"
            )
        head = ""
        if self.config.translation_links and art.translations:
            head = "".join(
                f'<link rel="alternate" hreflang="{lang}" href="{_a(url)}">\n'
                for lang, url in ((art.lang, art.url), *art.translations)
            )
        page = self.shell(art.host, art.title, "".join(parts), head)
        return self.html_page(art.host, page, art.modified)

    def photo(self, art: Article, path: str) -> Page:
        def build() -> Page:
            data = assets.jpeg_bytes(path.rsplit("/", 1)[1].removesuffix(".jpg"))
            return Page(data, "image/jpeg", datetime.combine(art.day, time(7), UTC))

        return self.cache.cached(("photo", path), build)

    # -- listings -------------------------------------------------------------------------------

    def _items(self, state: State, host: str, ids: tuple[int, ...], dupes: bool) -> str:
        """A news list; with ``dupes`` some items are also linked with tracking params/fragment."""
        comments = LABELS[LANGUAGE[host]].comments
        lines = []
        for n, article_id in enumerate(ids):
            art = state.articles[article_id]
            extra = ""
            if dupes and n % 5 == 0:
                extra = (
                    f' <a href="{art.path}?{_a(TRACKING_QUERY)}">Twitter</a>'
                    f' <a href="{art.path}#comments">{_t(comments)}</a>'
                )
            lines.append(
                f'<li>{_time(art.day)} <a href="{art.path}">{_t(art.title)}</a>{extra}'
                f'<p class="teaser">{_t(art.teaser)}</p></li>\n'
            )
        return "".join(lines)

    def _notices(self, host: str) -> str:
        """Links to the fault pages (English host, faults on): the crawler must meet them."""
        labels = LABELS[LANGUAGE[host]]
        links = "".join(
            f'<li><a href="{p}">{_t(labels.notices)} #{n}</a></li>'
            for n, p in enumerate(FAULT_PATHS.values(), 1)
            if p.endswith(".html")
        )
        return f'<aside class="notices"><h2>{_t(labels.notices)}</h2><ul>{links}</ul></aside>\n'

    def home(self, state: State, host: str) -> Page:
        page = state.pages.get(("home", host))
        if page is None:
            labels = LABELS[LANGUAGE[host]]
            ids = state.news[host][:HOME_ITEMS]
            newest = state.articles[ids[0]].day if ids else date(2024, 12, 1)
            main = (
                f'<section class="latest"><h1>{_t(labels.latest)}</h1>\n<ul>\n'
                f"{self._items(state, host, ids, False)}</ul>\n"
                f'<p><a href="/news/">{_t(labels.all_news)}</a> '
                f'<a href="/documents/">{_t(labels.all_documents)}</a></p>\n'
                f'<p class="calendar"><a href="/calendar/{newest:%Y/%m}/">'
                f"{_t(month_label(LANGUAGE[host], newest.year, newest.month))}</a></p>\n</section>\n"
            )
            if highlights := self.history.highlights.get(host):
                links = "".join(
                    f'<li><a href="{_a(href)}">{_t(state.articles[i].title)}</a></li>'
                    for href, i in highlights
                )
                main += f'<aside class="archive"><h2>{_t(labels.archive)}</h2><ul>{links}</ul></aside>\n'
            if self.config.faults and host == FAULT_HOST:
                main += self._notices(host)
            modified = self.history.stable_since(state, lambda news: news[host][:HOME_ITEMS])
            page = state.pages[("home", host)] = self.html_page(
                host, self.shell(host, labels.site_name, main), modified
            )
        return page

    def listing(self, state: State, host: str, path: str, query: str) -> Page | None:
        """``/news/`` or ``/documents/``, 10 items a page via ``?offset=N``; bad offsets 404."""
        values = parse_qs(query).get("offset", ["0"])
        if not values[0].isdigit():
            return None
        offset = int(values[0])
        key = (path, host, offset)
        page = state.pages.get(key) or self.cache.get(key)
        if page is not None:
            return page
        labels = LABELS[LANGUAGE[host]]
        faults = self.config.faults and host == FAULT_HOST
        if path == "/news/":
            ids = state.news[host]
            total, heading = len(ids), labels.nav[1]
            items = self._items(state, host, ids[offset : offset + PAGE_SIZE], self.config.faults)
        else:
            docs = [d for d in self.history.documents if d.host == host]
            total, heading = len(docs), labels.nav[2]
            items = "".join(
                f'<li class="list-item-document">{_time(d.published)} <a class="list-item-document__link" '
                f'href="{d.url.removeprefix(f"http://{host}")}">{_t(d.title)}</a></li>\n'
                for d in docs[offset : offset + PAGE_SIZE]
            )
            if faults and offset == 0:
                size = self.config.large_file_bytes
                items += (
                    f'<li><a href="{FAULT_PATHS["large_file"]}">Collected SCO documents, '
                    f"2001–2021 (archive)</a> (PDF, {size / 2**20:.1f} MB)</li>\n"
                )
        if offset % PAGE_SIZE or (offset and offset >= total):
            return None
        pager = []
        if offset:
            pager.append(
                f'<a rel="prev" href="{_a(listing_path(path, offset - PAGE_SIZE))}">{_t(labels.prev)}</a>'
            )
        if offset + PAGE_SIZE < total:
            pager.append(
                f'<a rel="next" href="{_a(listing_path(path, offset + PAGE_SIZE))}">{_t(labels.next)}</a>'
            )
        main = (
            f'<h1>{_t(heading)}</h1>\n<ul class="listing">\n{items}</ul>\n'
            f'<nav class="pagination">{" ".join(pager)}</nav>\n'
        )
        if path == "/news/" and faults and offset == 0:
            main += self._notices(host)
        if path == "/news/":

            def window(news: News) -> object:
                return news[host][offset : offset + PAGE_SIZE], len(news[host]) > offset + PAGE_SIZE

            modified = self.history.stable_since(state, window)
            page = state.pages[key] = self.html_page(host, self.shell(host, heading, main), modified)
        else:
            modified = datetime.combine(
                max((d.published for d in self.history.documents), default=EPOCH.date()), time(12), UTC
            )
            page = self.cache.put(key, self.html_page(host, self.shell(host, heading, main), modified))
        return page

    def calendar(self, state: State, host: str, year: int, month: int) -> Page:
        """The infinite calendar trap: every month exists and links to its neighbours."""
        lang = LANGUAGE[host]
        dates = self.history.dates

        def in_month(news: News) -> tuple[int, ...]:
            return tuple(i for i in news[host] if (dates[i].year, dates[i].month) == (year, month))

        ids = in_month(state.news)
        pager = []
        prev_year, prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
        next_year, next_month = (year, month + 1) if month < 12 else (year + 1, 1)
        if prev_year >= 1:
            pager.append(
                f'<a rel="prev" href="/calendar/{prev_year:04d}/{prev_month:02d}/">'
                f"{_t(month_label(lang, prev_year, prev_month))}</a>"
            )
        if next_year <= 9999:
            pager.append(
                f'<a rel="next" href="/calendar/{next_year:04d}/{next_month:02d}/">'
                f"{_t(month_label(lang, next_year, next_month))}</a>"
            )
        title = month_label(lang, year, month)
        main = (
            f'<h1>{_t(title)}</h1>\n<ul class="listing">\n{self._items(state, host, ids, False)}</ul>\n'
            f'<nav class="pagination">{" ".join(pager)}</nav>\n'
        )
        modified = self.history.stable_since(state, in_month)
        return self.html_page(host, self.shell(host, title, main), modified)

    # -- documents ------------------------------------------------------------------------------

    def document(self, doc: DocumentTruth) -> Page:
        """A document's page, with the real site's markup: headline, metadata table, PDF button."""

        def build() -> Page:
            labels = LABELS[doc.language]
            rows = "".join(
                f"<tr><th>{_t(name)}</th><td>{_t(value)}</td></tr>\n" for name, value in doc.fields
            )
            pdf = doc.pdf_url.removeprefix(f"http://{doc.host}")
            main = (
                '<article class="document-article">\n<header class="document-article-header">\n'
                f'<h1 class="document-article-header__title">{_t(doc.title)}</h1>\n{_time(doc.published)}\n'
                f'</header>\n<table class="document-article__info">\n{rows}</table>\n'
                f'<p><a class="button button_small" href="{pdf}">{_t(labels.download)}</a></p>\n</article>\n'
            )
            modified = datetime.combine(doc.published, time(12), UTC)
            return self.html_page(doc.host, self.shell(doc.host, doc.title, main), modified)

        return self.cache.cached(("document", doc.host, doc.doc_id), build)

    def pdf(self, doc: DocumentTruth) -> Page:
        return self.cache.cached(("pdf", doc.doc_id), lambda: self._pdf(doc))

    def _pdf(self, doc: DocumentTruth) -> Page:
        title_en = self.history.doc_titles_en[doc.doc_id]
        lines = [
            title_en,
            f"Shanghai Cooperation Organisation, {doc.published:%d.%m.%Y}",
            f"Document {doc.doc_id}",
        ]
        data = assets.pdf_bytes(doc.title, lines)
        return Page(data, "application/pdf", datetime.combine(doc.published, time(12), UTC))

    # -- small pages and static files -----------------------------------------------------------

    def simple(self, host: str, title: str, text: str = "") -> Page:
        """Small pages: 404, the restricted area, search results (always empty)."""
        main = f"<h1>{_t(title)}</h1>\n" + (f"<p>{_t(text)}</p>\n" if text else "")
        return self.html_page(host, self.shell(host, title, main), EPOCH)

    def search(self, host: str, query: str) -> Page:
        """Robots-disallowed search: answers 200 so a crawler that ignores robots.txt is seen."""
        labels = LABELS[LANGUAGE[host]]
        word = parse_qs(query).get("q", [""])[0]
        return self.simple(host, labels.search.format(q=word), labels.no_results)

    def private(self, host: str) -> Page:
        return self.cache.cached(
            ("private", host), lambda: self.simple(host, LABELS[LANGUAGE[host]].restricted)
        )

    def not_found(self, host: str) -> Page:
        return self.cache.cached(("404", host), lambda: self.simple(host, LABELS[LANGUAGE[host]].not_found))

    def robots(self) -> Page:
        body = b"User-agent: *\nDisallow: /search/\nDisallow: /private/\n"
        return self.cache.cached(("robots",), lambda: Page(body, "text/plain; charset=utf-8", EPOCH))

    def stylesheet(self) -> Page:
        return self.cache.cached(("css",), lambda: Page(assets.CSS, "text/css", EPOCH, True))

    def logo(self) -> Page:
        return self.cache.cached(("logo",), lambda: Page(assets.png_bytes((11, 61, 145)), "image/png", EPOCH))


def _t(text: str) -> str:
    """Escape element text; quotes stay literal so page text equals the ground-truth strings."""
    return html.escape(text, quote=False)


def _a(text: str) -> str:
    return html.escape(text, quote=True)


def _time(day: date) -> str:
    stamp = datetime.combine(day, time(0), MOSCOW).isoformat()
    return f'<time datetime="{stamp}">{day:%d.%m.%Y}</time>'
