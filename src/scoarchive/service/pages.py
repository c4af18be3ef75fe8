"""The service's own pages: search by address or words, the article reader view, and the banner
over replayed pages.

Warehouse queries (DuckDB) run in the archive's threads; a reader view is cached per warehouse
snapshot, since a snapshot never changes once published.
"""

from __future__ import annotations

import html
from urllib.parse import quote

import duckdb
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from scoarchive import warehouse
from scoarchive.core.urls import InvalidURL
from scoarchive.resolve.model import Capture
from scoarchive.service.archive import Archive
from scoarchive.service.cache import Stored
from scoarchive.warehouse.lookups import ArticleVersion, article_versions

# The pages run no script and load nothing from elsewhere; no site may frame them.
PAGE_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'none'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


_SEARCH_FORM = (
    '<form action="/" method="get"><input name="q" value="{q}" size="60" '
    'placeholder="an archived address, or words to search for"> <button>Search</button></form>'
)


_STYLE = (
    "body{font:16px/1.5 sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
    "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}"
    "dt{font-weight:bold}code{word-break:break-all}"
)


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """One of the service's pages: ``body`` under the title and the way home."""
    document = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<style>{_STYLE}</style></head><body><p><a href="/">scoarchive</a></p>{body}</body></html>'
    )
    return HTMLResponse(document, status, headers={"Content-Security-Policy": PAGE_CSP})


def banner(capture: Capture, raw_uri: str) -> str:
    """The bar above a replayed page: what it is, when it was captured, the ways elsewhere."""
    when = capture.time.strftime("%Y-%m-%d %H:%M:%S UTC")
    url = html.escape(capture.url)
    links = [f'<a href="/?q={quote(capture.url, safe="")}" style="color:#fff">other versions</a>']
    if capture.article_key:
        links.append(
            f'<a href="/article/{html.escape(capture.article_key)}" style="color:#fff">reader view</a>'
        )
    links.append(f'<a href="{html.escape(raw_uri)}" style="color:#fff">as captured</a>')
    return (
        '<div id="scoarchive-banner" style="all:initial;display:block;background:#0b3d91;color:#fff;'
        'font:14px/1.4 sans-serif;padding:6px 10px;border-bottom:2px solid #f0b400">'
        f'Archived copy of <a href="{url}" rel="noreferrer" style="color:#fff">{url}</a>, '
        f"captured {when}. " + " · ".join(links) + "</div>"
    )


def _looks_like_url(text: str) -> bool:
    return " " not in text and ("://" in text or "/" in text or text.count(".") >= 2)


async def home(archive: Archive, request: Request) -> Response:
    query = (request.query_params.get("q") or "").strip()
    if not query:
        return page("scoarchive", _SEARCH_FORM.format(q=""))
    form = _SEARCH_FORM.format(q=html.escape(query))
    if _looks_like_url(query):
        try:
            captures = archive.resolver.captures(query)
        except InvalidURL as exc:
            return page("scoarchive", form + f"<p>{html.escape(str(exc))}</p>", 400)
        if not captures:
            return page("scoarchive", form + f"<p>Nothing archived for {html.escape(query)}.</p>", 404)
        rows = "".join(
            f'<tr><td><a href="{html.escape(archive.memento_path(c))}">{c.time:%Y-%m-%d %H:%M:%S}</a></td>'
            f"<td>{c.content.status or ''}</td><td>{html.escape(c.record_type)}</td>"
            f"<td>{html.escape(c.url)}</td><td>{html.escape(c.title or '')}</td>"
            f'<td><a href="{html.escape(archive.memento_path(c, "id_"))}">raw</a></td></tr>'
            for c in captures
        )
        table = (
            f"<h2>{len(captures)} capture(s)</h2><table><tr><th>captured (UTC)</th><th>status</th>"
            f"<th>record</th><th>URL</th><th>title</th><th></th></tr>{rows}</table>"
        )
        return page("scoarchive", form + table)
    try:
        hits = await archive.query(warehouse.search, archive.data.root, query, 50)
    except ValueError as exc:
        return page("scoarchive", form + f"<p>{html.escape(str(exc))}</p>", 400)
    items = "".join(
        f'<li><a href="/article/{html.escape(hit.article_key)}">{html.escape(hit.title or hit.url)}</a> '
        f"<small>{hit.published or ''} · {html.escape(hit.language or '')} · "
        f"{html.escape(hit.url)}</small></li>"
        for hit in hits
    )
    return page("scoarchive", form + f"<h2>{len(hits)} article(s)</h2><ol>{items}</ol>")


async def article(archive: Archive, request: Request) -> Response:
    key = request.path_params["key"]
    chosen = request.query_params.get("version")

    async def make() -> Stored:
        try:
            versions = await archive.query(article_versions, archive.data.root, key)
        except duckdb.Error as exc:
            raise warehouse.WarehouseError(f"warehouse unavailable: {exc}") from None
        shown = _reader_view(key, versions, chosen)
        return Stored(shown.status_code, [], bytes(shown.body))

    stored = await archive.once(("article", archive.snapshot(), key, chosen or ""), make)
    return HTMLResponse(stored.body, stored.status, headers={"Content-Security-Policy": PAGE_CSP})


def _reader_view(key: str, versions: list[ArticleVersion], chosen_text: str | None) -> HTMLResponse:
    if not versions:
        return page("not archived", f"<p>No article {html.escape(key)} in the archive.</p>", 404)
    chosen_text = chosen_text or str(len(versions))
    if not chosen_text.isdigit() or not 1 <= int(chosen_text) <= len(versions):
        return page("bad version", f"<p>Versions are 1 to {len(versions)}.</p>", 400)
    number = int(chosen_text)
    shown = versions[number - 1]
    url, first_seen, last_seen = shown.url, shown.first_seen, shown.last_seen
    stamp = first_seen.strftime("%Y%m%d%H%M%S")
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in shown.text.split("\n") if p.strip())
    listing = "".join(
        f'<li><a href="?version={i}">version {i}</a>, first captured '
        f"{row.first_seen:%Y-%m-%d %H:%M:%S} UTC"
        f"{' (shown)' if i == number else ''} · "
        f'<a href="/web/{row.first_seen:%Y%m%d%H%M%S}/{html.escape(row.url)}">archived page</a></li>'
        for i, row in enumerate(versions, start=1)
    )
    provenance = (
        "<dl>"
        f"<dt>Address</dt><dd>{html.escape(url)}</dd>"
        f"<dt>Published</dt><dd>{shown.published or 'unknown'} ({html.escape(shown.language or '?')})</dd>"
        f"<dt>Captured</dt><dd>{first_seen:%Y-%m-%d %H:%M:%S} UTC, seen unchanged until "
        f"{last_seen:%Y-%m-%d %H:%M:%S} UTC</dd>"
        f"<dt>WARC record</dt><dd><code>{html.escape(shown.record_id)}</code> in "
        f"<code>{html.escape(shown.warc_file)}</code> at offset {shown.warc_offset}</dd>"
        f"<dt>Payload digest</dt><dd><code>{html.escape(shown.payload_digest or '')}</code></dd>"
        f"<dt>Text digest (SHA-256)</dt><dd><code>{html.escape(shown.content_sha256)}</code></dd>"
        f'<dt>Archived page</dt><dd><a href="/web/{stamp}/{html.escape(url)}">as a browser saw it</a> · '
        f'<a href="/web/{stamp}id_/{html.escape(url)}">as captured</a></dd>'
        "</dl>"
    )
    body = (
        f"<article><h1>{html.escape(shown.title or url)}</h1>{paragraphs}</article>"
        f"<h2>Provenance</h2>{provenance}<h2>Versions</h2><ol>{listing}</ol>"
    )
    return page(shown.title or key, body)
