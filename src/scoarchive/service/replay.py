from __future__ import annotations

import contextlib
import html
import io
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin

import duckdb
import lxml.html
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from scoarchive import warehouse
from scoarchive.core.dates import parse_datetime, parse_http_date, parse_timestamp
from scoarchive.core.httpmsg import HTML_TYPES, BodyTooLarge, decode_body, header_value, media_type
from scoarchive.core.profile import Profile
from scoarchive.core.settings import DataDir
from scoarchive.core.urls import InvalidURL
from scoarchive.extract.encoding import decode_html
from scoarchive.resolve.model import Capture, iso
from scoarchive.resolve.resolver import Resolver
from scoarchive.resolve.target import MAX_URL
from scoarchive.warc.reader import ArchivedResponse, read_response
from scoarchive.warehouse.lookups import article_versions

REPLAY_CSP = (
    "sandbox allow-forms allow-popups allow-popups-to-escape-sandbox "
    "allow-top-navigation-by-user-activation; script-src 'none'; object-src 'none'; "
    "default-src 'self' data: blob: 'unsafe-inline'"
)


PAGE_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'none'; object-src 'none'"


# Fields renamed X-Archive-Orig-* in raw replay: they describe the original connection, or
# would act on the archive's own origin.
RENAMED = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "trailers", "transfer-encoding", "upgrade", "content-length", "set-cookie", "set-cookie2",
        "strict-transport-security", "public-key-pins", "clear-site-data", "alt-svc",
    }
)  # fmt: skip


MAX_INLINE_BODY = 1 << 20  # larger bodies stream from the WARC file


MAX_REWRITE = 16 * 2**20  # decoded bytes a browser replay rewrites; beyond, a notice


MAX_STORED_REWRITE = 4 * MAX_REWRITE  # stored (still encoded) bytes read for rewriting


BANNERLESS = frozenset({"if_", "fw_", "mp_", "im_", "js_", "cs_", "oe_"})  # pywb's embed modifiers


_WEB_PATH = re.compile(r"(\d{1,20})([a-z]{2}_)?/(.*)", re.DOTALL)


_COLLAPSED_SCHEME = re.compile(r"^(https?):/+", re.IGNORECASE)


_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.IGNORECASE)


_DOCTYPE = re.compile(r"\s*<!doctype[^>]*>", re.IGNORECASE)


class BadRequest(ValueError):
    """Input the service refuses with a 4xx status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _archive_link(link: str, prefix: str) -> str:
    stripped = link.strip()
    if stripped.lower().startswith(("http://", "https://")):
        return prefix + stripped
    return link


def _absolute(base: str, link: str) -> str:
    """``link`` resolved against ``base``; unchanged if malformed (archived pages are anything)."""
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def rewrite_css(text: str, base: str, prefix: str) -> str:
    """url(...) and @import targets pointed into the archive."""

    def replace(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            link = _archive_link(_absolute(base, match.group(2)), prefix)
            return f"url({match.group(1)}{link}{match.group(1)})"
        link = _archive_link(_absolute(base, match.group(4)), prefix)
        return f"@import {match.group(3)}{link}{match.group(3)}"

    return _CSS_URL.sub(replace, text)


def rewrite_html(
    body: bytes, content_type: str | None, page_url: str, timestamp: str, banner: str | None
) -> bytes:
    """The page with every link into the archive at ``timestamp`` and the banner on top, as UTF-8.

    lxml's link rewriting covers href, src, action, style ``url()``, ``<base>`` and meta refresh;
    ``srcset`` and frames are done here.
    """
    text, _ = decode_html(body, content_type)
    parser = lxml.html.HTMLParser(encoding="utf-8")
    doc = lxml.html.document_fromstring(
        (text if text.strip() else "<html></html>").encode("utf-8", "replace"), parser=parser
    )
    prefix = f"/web/{timestamp}/"
    base_element = doc.find(".//base[@href]")
    base = _absolute(page_url, base_element.get("href", "")) if base_element is not None else page_url
    for element in list(doc.iter("base")):
        element.drop_tree()
    doc.make_links_absolute(base, resolve_base_href=False, handle_failures="ignore")
    doc.rewrite_links(lambda link: _archive_link(link, prefix))
    for element in doc.iter("iframe", "frame"):
        src = element.get("src")
        if src and src.startswith(prefix):
            element.set("src", f"/web/{timestamp}if_/" + src[len(prefix) :])
    for element in doc.iter("img", "source"):
        srcset = element.get("srcset")
        if srcset:
            candidates = []
            for candidate in srcset.split(","):
                url, _, descriptor = candidate.strip().partition(" ")
                link = _archive_link(_absolute(base, url), prefix)
                candidates.append(f"{link} {descriptor}".strip())
            element.set("srcset", ", ".join(candidates))
    for meta in doc.iter("meta"):
        equiv = (meta.get("http-equiv") or "").lower()
        if meta.get("charset") is not None:
            meta.set("charset", "utf-8")
        elif equiv == "content-type":
            meta.set("content", "text/html; charset=utf-8")
    if banner:
        body_element = doc.find("body")
        if body_element is None:
            body_element = lxml.html.Element("body")
            doc.append(body_element)
        top = lxml.html.fragment_fromstring(banner)
        top.tail, body_element.text = body_element.text, None  # above the page's first words too
        body_element.insert(0, top)
    doctype = _DOCTYPE.match(text)  # the page's own, or none (libxml2 would invent HTML 4.0)
    serialised = bytes(lxml.html.tostring(doc, encoding="utf-8"))
    return (doctype.group(0).strip().encode("utf-8") + b"\n" if doctype else b"") + serialised


def _banner(capture: Capture, raw_uri: str) -> str:
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


def _target_url(request: Request, prefix: str) -> str:
    """The URL after ``prefix`` in the request path, as sent (still percent-encoded), with its query."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    path = raw.decode("utf-8", "replace").removeprefix(request.scope.get("root_path", ""))
    url = path.removeprefix(prefix)
    query = request.scope.get("query_string", b"").decode("utf-8", "replace")
    return _repair_url(url + (f"?{query}" if query else ""))


def _repair_url(url: str) -> str:
    """Undo what clients and proxies do to a URL inside a path: full encoding, collapsed ``//``."""
    if len(url) > MAX_URL:
        raise BadRequest(f"URL longer than {MAX_URL} characters", 414)
    if re.match(r"https?%3a", url, re.IGNORECASE):
        url = unquote(url)
    return _COLLAPSED_SCHEME.sub(lambda m: m.group(1) + "://", url)


def _uri(url: str) -> str:
    """A URL safe in a header or link-format: non-ASCII and spaces percent-encoded, the rest kept."""
    return quote(url, safe="!#$%&'()*+,/:;=?@[]~")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=headers)


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


class ArchiveApp:
    """Request handlers bound to one resolver; :func:`create_app` wraps them in Starlette."""

    def __init__(self, data_dir: Path | str, resolver: Resolver) -> None:
        self.data = DataDir(data_dir)
        self.resolver = resolver

    # -- helpers ---------------------------------------------------------------------------

    def memento_path(self, capture: Capture, modifier: str = "") -> str:
        return f"/web/{self.resolver.memento_timestamp(capture)}{modifier}/{_uri(capture.url)}"

    def memento_links(self, base: str, capture: Capture) -> str:
        original = _uri(capture.url)
        return (
            f'<{original}>; rel="original", <{base}/timegate/{original}>; rel="timegate", '
            f'<{base}/timemap/link/{original}>; rel="timemap"; type="application/link-format"'
        )

    def _memento_link(self, base: str, capture: Capture, rel: str) -> str:
        return f'<{base}{self.memento_path(capture)}>; rel="{rel}"; datetime="{_http_date(capture.time)}"'

    # -- API -------------------------------------------------------------------------------

    def api_resolve(self, request: Request) -> Response:
        url = request.query_params.get("url")
        if not url:
            raise BadRequest("give the cited address as ?url=...")
        at_text = request.query_params.get("at")
        try:
            at = parse_datetime(at_text) if at_text else None
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        result = self.resolver.resolve(_repair_url(url), at)
        if result is None:
            return _json({"error": f"nothing archived for {url}", "url": url}, 404)
        base = str(request.base_url).rstrip("/")
        data = result.to_dict()
        capture = result.capture
        stamp = self.resolver.memento_timestamp(capture)
        data["memento"] = f"{base}/web/{stamp}/{capture.url}"
        data["raw"] = f"{base}/web/{stamp}id_/{capture.url}"
        data["timemap"] = f"{base}/timemap/link/{result.capture.url}"
        if result.capture.article_key:
            data["article"] = f"{base}/article/{result.capture.article_key}"
        return _json(data)

    def api_captures(self, request: Request) -> Response:
        url = request.query_params.get("url")
        if not url:
            raise BadRequest("give an address as ?url=...")
        base = str(request.base_url).rstrip("/")
        captures = self.resolver.captures(_repair_url(url))
        listed = [{**c.to_dict(), "memento": base + self.memento_path(c)} for c in captures]
        return _json({"url": url, "captures": listed})

    # -- Memento ---------------------------------------------------------------------------

    def timegate(self, request: Request) -> Response:
        url = _target_url(request, "/timegate/")
        accept = request.headers.get("accept-datetime")
        try:
            at = parse_http_date(accept) if accept else None
        except ValueError:
            return Response(
                f"Accept-Datetime must be an RFC 1123 date, got {accept!r}\n",
                400,
                headers={"Vary": "accept-datetime"},
                media_type="text/plain",
            )
        base = str(request.base_url).rstrip("/")
        original = _uri(self.resolver.target(url).url)
        links = [
            f'<{original}>; rel="original"',
            f'<{base}/timemap/link/{original}>; rel="timemap"; type="application/link-format"',
        ]
        result = self.resolver.resolve(url, at)
        if result is None:
            return Response(
                f"nothing archived for {url}\n",
                404,
                headers={"Vary": "accept-datetime", "Link": ", ".join(links)},
                media_type="text/plain",
            )
        chosen = result.capture
        captures = self.resolver.captures(chosen.url)
        position = next((i for i, c in enumerate(captures) if c.record_id == chosen.record_id), 0)
        related: dict[str, tuple[Capture, list[str]]] = {}
        for rel, capture in (
            ("first", captures[0]),
            ("prev", captures[position - 1] if position > 0 else None),
            ("memento", chosen),
            ("next", captures[position + 1] if position + 1 < len(captures) else None),
            ("last", captures[-1]),
        ):
            if capture is not None:
                related.setdefault(capture.record_id, (capture, []))[1].append(rel)
        for capture, rels in related.values():
            names = [rel for rel in rels if rel != "memento"]
            links.append(self._memento_link(base, capture, " ".join([*names, "memento"])))
        return Response(
            status_code=302,
            headers={
                "Location": base + self.memento_path(chosen),
                "Vary": "accept-datetime",
                "Link": ", ".join(links),
            },
        )

    def _timemap_data(self, request: Request, prefix: str) -> tuple[str, str, list[Capture]]:
        url = _target_url(request, prefix)
        captures = self.resolver.captures(url)
        if not captures:
            raise BadRequest(f"nothing archived for {url}", 404)
        return str(request.base_url).rstrip("/"), _uri(self.resolver.target(url).url), captures

    def timemap_link(self, request: Request) -> Response:
        base, original, captures = self._timemap_data(request, "/timemap/link/")
        lines = [
            f'<{original}>; rel="original"',
            f'<{base}/timegate/{original}>; rel="timegate"',
            f'<{base}/timemap/link/{original}>; rel="self"; type="application/link-format"; '
            f'from="{_http_date(captures[0].time)}"; until="{_http_date(captures[-1].time)}"',
            f'<{base}/timemap/json/{original}>; rel="alternate"; type="application/json"',
        ]
        last = len(captures) - 1
        for position, capture in enumerate(captures):
            rel = " ".join(
                [*(["first"] if position == 0 else []), *(["last"] if position == last else []), "memento"]
            )
            lines.append(self._memento_link(base, capture, rel))
        return Response(",\n".join(lines) + "\n", media_type="application/link-format")

    def timemap_json(self, request: Request) -> Response:
        base, original, captures = self._timemap_data(request, "/timemap/json/")
        mementos = [
            {
                "datetime": iso(c.time.replace(microsecond=0)),
                "uri": base + self.memento_path(c),
                "status": c.content.status,
                "record_type": c.record_type,
                "url": c.url,
            }
            for c in captures
        ]
        return _json(
            {
                "original_uri": original,
                "timegate_uri": f"{base}/timegate/{original}",
                "timemap_uri": {
                    "link_format": f"{base}/timemap/link/{original}",
                    "json_format": f"{base}/timemap/json/{original}",
                },
                "mementos": {"first": mementos[0], "last": mementos[-1], "list": mementos},
            }
        )

    # -- replay ----------------------------------------------------------------------------

    def web(self, request: Request) -> Response:
        match = _WEB_PATH.fullmatch(_target_url(request, "/web/"))
        if match is None:
            raise BadRequest("expected /web/{timestamp}/{url} or /web/{timestamp}id_/{url}")
        timestamp, modifier, url = match.group(1), match.group(2) or "", match.group(3)
        if modifier not in BANNERLESS | {"", "id_"}:
            raise BadRequest(f"unknown replay modifier {modifier!r}")
        try:
            moment = parse_timestamp(timestamp)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        self.resolver.target(url)  # InvalidURL before any lookup
        capture = self.resolver.at_timestamp(url, timestamp)
        if capture is None:
            result = self.resolver.resolve(url, moment)
            if result is None:
                raise BadRequest(f"nothing archived for {url}", 404)
            location = self.memento_path(result.capture, modifier)
            return RedirectResponse(
                location,
                302,
                headers={"Link": self.memento_links(str(request.base_url).rstrip("/"), result.capture)},
            )
        try:
            archived = read_response(self.data.warcs, capture.content.warc_file, capture.content.warc_offset)
        except LookupError as exc:
            raise BadRequest(f"the archived record is unavailable: {exc}", 404) from None
        base = str(request.base_url).rstrip("/")
        ours = [
            ("Memento-Datetime", _http_date(capture.time)),
            ("Link", self.memento_links(base, capture)),
            ("Content-Security-Policy", REPLAY_CSP),
            ("X-Content-Type-Options", "nosniff"),
        ]
        if modifier == "id_":
            return self._raw(archived, ours)
        return self._browser(archived, capture, timestamp, ours, banner=modifier == "")

    def _raw(self, archived: ArchivedResponse, ours: list[tuple[str, str]]) -> Response:
        headers = [
            (f"X-Archive-Orig-{name}" if name.lower() in RENAMED else name, value)
            for name, value in archived.headers
        ]
        headers += [("Content-Length", str(archived.body_length)), *ours]
        response: Response
        if archived.body_length <= MAX_INLINE_BODY:
            response = Response(archived.read(), archived.status)
        else:
            response = StreamingResponse(archived.chunks(), archived.status)
        response.raw_headers = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
        return response

    def _browser(
        self,
        archived: ArchivedResponse,
        capture: Capture,
        timestamp: str,
        ours: list[tuple[str, str]],
        banner: bool,
    ) -> Response:
        headers = dict(ours)
        location = header_value(archived.headers, "Location")
        if 300 <= archived.status < 400 and location:
            archived.close()
            headers["Location"] = _uri(_archive_link(_absolute(capture.url, location), f"/web/{timestamp}/"))
            return Response(b"", archived.status, headers=headers)
        content_type = header_value(archived.headers, "Content-Type")
        kind = media_type(content_type)
        encoding = header_value(archived.headers, "Content-Encoding")
        if kind not in HTML_TYPES and kind != "text/css":
            headers.update({"Content-Type": content_type or "application/octet-stream"})
            if encoding:
                headers["Content-Encoding"] = encoding
            if archived.body_length > MAX_INLINE_BODY:
                headers["Content-Length"] = str(archived.body_length)
                return StreamingResponse(archived.chunks(), archived.status, headers=headers)
            return Response(archived.read(), archived.status, headers=headers)
        raw_uri = self.memento_path(capture, "id_")
        try:
            if archived.body_length > MAX_STORED_REWRITE:
                archived.close()
                raise BodyTooLarge(MAX_STORED_REWRITE, b"")
            body = decode_body(io.BytesIO(archived.read()), encoding, MAX_REWRITE)
        except (BodyTooLarge, ValueError):
            link = html.escape(raw_uri)
            notice = (
                f'<p>This capture is too large or damaged to show here; <a href="{link}">as captured</a>.</p>'
            )
            page = (_banner(capture, raw_uri) if banner else "") + notice
            return HTMLResponse(page, archived.status, headers=headers)
        prefix = f"/web/{timestamp}/"
        if kind == "text/css":
            text, _ = decode_html(body, content_type)
            headers["Content-Type"] = "text/css; charset=utf-8"
            return Response(rewrite_css(text, capture.url, prefix).encode(), archived.status, headers=headers)
        top = _banner(capture, raw_uri) if banner else None
        headers["Content-Type"] = "text/html; charset=utf-8"
        return Response(
            rewrite_html(body, content_type, capture.url, timestamp, top), archived.status, headers=headers
        )

    # -- pages -----------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        query = (request.query_params.get("q") or "").strip()
        if not query:
            return _page("scoarchive", _SEARCH_FORM.format(q=""))
        form = _SEARCH_FORM.format(q=html.escape(query))
        if _looks_like_url(query):
            try:
                captures = self.resolver.captures(query)
            except InvalidURL as exc:
                return _page("scoarchive", form + f"<p>{html.escape(str(exc))}</p>", 400)
            if not captures:
                return _page("scoarchive", form + f"<p>Nothing archived for {html.escape(query)}.</p>", 404)
            rows = "".join(
                f'<tr><td><a href="{html.escape(self.memento_path(c))}">{c.time:%Y-%m-%d %H:%M:%S}</a></td>'
                f"<td>{c.content.status or ''}</td><td>{html.escape(c.record_type)}</td>"
                f"<td>{html.escape(c.url)}</td><td>{html.escape(c.title or '')}</td>"
                f'<td><a href="{html.escape(self.memento_path(c, "id_"))}">raw</a></td></tr>'
                for c in captures
            )
            table = (
                f"<h2>{len(captures)} capture(s)</h2><table><tr><th>captured (UTC)</th><th>status</th>"
                f"<th>record</th><th>URL</th><th>title</th><th></th></tr>{rows}</table>"
            )
            return _page("scoarchive", form + table)
        try:
            hits = warehouse.search(self.data.root, query, limit=50)
        except ValueError as exc:
            return _page("scoarchive", form + f"<p>{html.escape(str(exc))}</p>", 400)
        items = "".join(
            f'<li><a href="/article/{html.escape(hit.article_key)}">{html.escape(hit.title or hit.url)}</a> '
            f"<small>{hit.published or ''} · {html.escape(hit.language or '')} · "
            f"{html.escape(hit.url)}</small></li>"
            for hit in hits
        )
        return _page("scoarchive", form + f"<h2>{len(hits)} article(s)</h2><ol>{items}</ol>")

    def article(self, request: Request) -> Response:
        key = request.path_params["key"]
        try:
            versions = article_versions(self.data.root, key)
        except duckdb.Error as exc:
            raise warehouse.WarehouseError(f"warehouse unavailable: {exc}") from None
        if not versions:
            return _page("not archived", f"<p>No article {html.escape(key)} in the archive.</p>", 404)
        chosen_text = request.query_params.get("version") or str(len(versions))
        if not chosen_text.isdigit() or not 1 <= int(chosen_text) <= len(versions):
            return _page("bad version", f"<p>Versions are 1 to {len(versions)}.</p>", 400)
        number = int(chosen_text)
        (url, title, published, language, text, first_seen, last_seen, record_id, warc_file, warc_offset,
         sha256, digest) = versions[number - 1]  # fmt: skip
        stamp = first_seen.strftime("%Y%m%d%H%M%S")
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
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
            f"<dt>Published</dt><dd>{published or 'unknown'} ({html.escape(language or '?')})</dd>"
            f"<dt>Captured</dt><dd>{first_seen:%Y-%m-%d %H:%M:%S} UTC, seen unchanged until "
            f"{last_seen:%Y-%m-%d %H:%M:%S} UTC</dd>"
            f"<dt>WARC record</dt><dd><code>{html.escape(record_id)}</code> in "
            f"<code>{html.escape(warc_file)}</code> at offset {warc_offset}</dd>"
            f"<dt>Payload digest</dt><dd><code>{html.escape(digest or '')}</code></dd>"
            f"<dt>Text digest (SHA-256)</dt><dd><code>{html.escape(sha256)}</code></dd>"
            f'<dt>Archived page</dt><dd><a href="/web/{stamp}/{html.escape(url)}">as a browser saw it</a> · '
            f'<a href="/web/{stamp}id_/{html.escape(url)}">as captured</a></dd>'
            "</dl>"
        )
        body = (
            f"<article><h1>{html.escape(title or url)}</h1>{paragraphs}</article>"
            f"<h2>Provenance</h2>{provenance}<h2>Versions</h2><ol>{listing}</ol>"
        )
        return _page(title or key, body)


_SEARCH_FORM = (
    '<form action="/" method="get"><input name="q" value="{q}" size="60" '
    'placeholder="an archived address, or words to search for"> <button>Search</button></form>'
)


_STYLE = (
    "body{font:16px/1.5 sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
    "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}"
    "dt{font-weight:bold}code{word-break:break-all}"
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<style>{_STYLE}</style></head><body><p><a href="/">scoarchive</a></p>{body}</body></html>'
    )
    return HTMLResponse(document, status, headers={"Content-Security-Policy": PAGE_CSP})


def _looks_like_url(text: str) -> bool:
    return " " not in text and ("://" in text or "/" in text or text.count(".") >= 2)


def _guard(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Bad input and a missing warehouse become 4xx/503 answers, not tracebacks.

    A plain function: Starlette runs it in its thread pool (replay reads files, pages query DuckDB).
    """

    def guarded(request: Request) -> Response:
        try:
            return handler(request)
        except BadRequest as exc:
            return _json({"error": str(exc)}, exc.status)
        except InvalidURL as exc:
            return _json({"error": str(exc)}, 400)
        except warehouse.WarehouseError as exc:
            return _json({"error": str(exc)}, 503)

    return guarded


def _inline(handler: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
    """Run on the event loop: index lookups take tens of microseconds, less than a thread hop."""
    guarded = _guard(handler)

    async def endpoint(request: Request) -> Response:
        return guarded(request)

    return endpoint


def create_app(
    data_dir: Path | str, *, profile: str | Profile = "sco", resolver: Resolver | None = None
) -> Starlette:
    """The ASGI app over one data directory (the resolver is shared by all requests)."""
    handlers = ArchiveApp(data_dir, resolver or Resolver(data_dir, profile=profile))
    routes = [
        Route("/", _guard(handlers.home)),
        Route("/api/resolve", _inline(handlers.api_resolve)),
        Route("/api/captures", _inline(handlers.api_captures)),
        Route("/timegate/{url:path}", _inline(handlers.timegate)),
        Route("/timemap/link/{url:path}", _inline(handlers.timemap_link)),
        Route("/timemap/json/{url:path}", _inline(handlers.timemap_json)),
        Route("/web/{rest:path}", _guard(handlers.web)),
        Route("/article/{key:path}", _guard(handlers.article)),
    ]
    return Starlette(routes=routes)


@contextlib.contextmanager
def background_server(app: Starlette, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yields the base URL (port 0: any free port)."""
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", server_header=False, date_header=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="scoarchive-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the service did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(10)
