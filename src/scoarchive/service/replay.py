"""Wayback-style replay: ``/web/TIMESTAMP[modifier]/URL``.

``id_`` answers the archived response as it was received (status, header fields, body);
without a modifier, or with one of pywb's embed modifiers, the response is made for a browser:
links pointed back into the archive, and a banner above pages (not above embeds). Every replayed
response carries a sandbox CSP, so archived scripts never run with the service's own origin.

Records are read in the archive's threads and kept in its cache (small bodies; larger ones
stream from the WARC file), and so are pages once rewritten: a closed WARC file never changes.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import zlib
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from scoarchive.core.dates import parse_timestamp
from scoarchive.core.httpmsg import HTML_TYPES, BodyTooLarge, decode_body, header_value, media_type
from scoarchive.extract.encoding import decode_html
from scoarchive.resolve.model import Capture, StoredRecord
from scoarchive.service.addresses import target_url, uri
from scoarchive.service.archive import Archive
from scoarchive.service.cache import Stored
from scoarchive.service.errors import BadRequest
from scoarchive.service.memento import http_date, memento_links
from scoarchive.service.pages import banner
from scoarchive.service.rewrite import absolute, archive_link, rewrite_css, rewrite_html
from scoarchive.warc.reader import ArchivedResponse, read_response

REPLAY_CSP = (
    "sandbox allow-forms allow-popups allow-popups-to-escape-sandbox "
    "allow-top-navigation-by-user-activation; script-src 'none'; object-src 'none'; "
    "default-src 'self' data: blob: 'unsafe-inline'"
)


# Fields renamed X-Archive-Orig-* in raw replay: they describe the original connection, or
# would act on the archive's own origin.
RENAMED = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "trailers", "transfer-encoding", "upgrade", "content-length", "set-cookie", "set-cookie2",
        "strict-transport-security", "public-key-pins", "clear-site-data", "alt-svc",
    }
)  # fmt: skip


MAX_INLINE_BODY = 1 << 20  # larger bodies stream from the WARC file (and are not cached)


MAX_REWRITE = 16 * 2**20  # decoded bytes a browser replay rewrites; beyond, a notice


MAX_STORED_REWRITE = 4 * MAX_REWRITE  # stored (still encoded) bytes read for rewriting


BANNERLESS = frozenset({"if_", "fw_", "mp_", "im_", "js_", "cs_", "oe_"})  # pywb's embed modifiers


_WEB_PATH = re.compile(r"(\d{1,20})([a-z]{2}_)?/(.*)", re.DOTALL)


Record = Stored | ArchivedResponse  # held whole, or open for streaming


async def web(archive: Archive, request: Request) -> Response:
    match = _WEB_PATH.fullmatch(target_url(request, "/web/"))
    if match is None:
        raise BadRequest("expected /web/{timestamp}/{url} or /web/{timestamp}id_/{url}")
    timestamp, modifier, url = match.group(1), match.group(2) or "", match.group(3)
    if modifier not in BANNERLESS | {"", "id_"}:
        raise BadRequest(f"unknown replay modifier {modifier!r}")
    try:
        moment = parse_timestamp(timestamp)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    resolver = archive.resolver
    resolver.target(url)  # InvalidURL before any lookup
    base = archive.base(request)
    capture = resolver.at_timestamp(url, timestamp)
    if capture is None:
        result = resolver.resolve(url, moment)
        if result is None:
            raise BadRequest(f"nothing archived for {url}", 404)
        location = base + archive.memento_path(result.capture, modifier)
        return RedirectResponse(location, 302, headers={"Link": memento_links(base, result.capture)})
    ours = [
        ("Memento-Datetime", http_date(capture.time)),
        ("Link", memento_links(base, capture)),
        ("Content-Security-Policy", REPLAY_CSP),
    ]
    if modifier == "id_":
        return _raw(archive, await _record(archive, capture.content), ours)
    return await _browser(archive, capture, timestamp, ours, base, with_banner=modifier == "")


async def _record(archive: Archive, content: StoredRecord) -> Record:
    key = ("record", content.warc_file, content.warc_offset)
    if (stored := archive.cache.get(key)) is not None:
        return stored
    try:
        record = await archive.run(_read, archive.data.warcs, content.warc_file, content.warc_offset)
    except LookupError as exc:
        raise BadRequest(f"the archived record is unavailable: {exc}", 404) from None
    if isinstance(record, Stored):
        archive.cache.put(key, record)
    return record


def _read(warcs: Path, warc_file: str, warc_offset: int) -> Record:
    archived = read_response(warcs, warc_file, warc_offset)
    if archived.body_length > MAX_INLINE_BODY:
        return archived
    try:
        return Stored(archived.status, archived.headers, archived.read())
    except (OSError, ValueError, EOFError, zlib.error) as exc:
        raise LookupError(f"record at {warc_file}@{warc_offset} unreadable: {exc}") from None


async def _stream(archive: Archive, archived: ArchivedResponse) -> AsyncIterator[bytes]:
    """The body of a large record, each piece read in the archive's threads."""
    chunks = archived.chunks()
    try:
        while (chunk := await archive.run(next, chunks, None)) is not None:
            yield chunk
    finally:
        archived.close()


def _raw(archive: Archive, record: Record, ours: list[tuple[str, str]]) -> Response:
    headers = [
        (f"X-Archive-Orig-{name}" if name.lower() in RENAMED else name, value)
        for name, value in record.headers
    ]
    response: Response
    if isinstance(record, Stored):
        headers += [("Content-Length", str(len(record.body))), *ours]
        response = Response(record.body, record.status)
    else:
        headers += [("Content-Length", str(record.body_length)), *ours]
        response = StreamingResponse(_stream(archive, record), record.status)
    response.raw_headers = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
    return response


async def _browser(
    archive: Archive,
    capture: Capture,
    timestamp: str,
    ours: list[tuple[str, str]],
    base: str,
    with_banner: bool,
) -> Response:
    raw_uri = archive.memento_path(capture, "id_")
    top = banner(capture, raw_uri) if with_banner else None
    content = capture.content
    key = (
        "page", content.warc_file, content.warc_offset, capture.url, timestamp,
        hashlib.blake2b((top or "").encode(), digest_size=16).hexdigest(),
    )  # fmt: skip
    if (page := archive.cache.get(key)) is not None:
        return Response(page.body, page.status, headers={**dict(ours), **dict(page.headers)})
    record = await _record(archive, content)
    headers = dict(ours)
    location = header_value(record.headers, "Location")
    if 300 <= record.status < 400 and location:
        if isinstance(record, ArchivedResponse):
            record.close()
        inside = archive_link(absolute(capture.url, location), f"/web/{timestamp}/")
        headers["Location"] = (base if inside.startswith("/web/") else "") + uri(inside)
        return Response(b"", record.status, headers=headers)
    content_type = header_value(record.headers, "Content-Type")
    kind = media_type(content_type)
    encoding = header_value(record.headers, "Content-Encoding")
    if kind not in HTML_TYPES and kind != "text/css":
        headers["Content-Type"] = content_type or "application/octet-stream"
        if encoding:
            headers["Content-Encoding"] = encoding
        if isinstance(record, Stored):
            return Response(record.body, record.status, headers=headers)
        headers["Content-Length"] = str(record.body_length)
        return StreamingResponse(_stream(archive, record), record.status, headers=headers)
    page = await archive.once(key, partial(archive.render, _render, record, capture, timestamp, top, raw_uri))
    if isinstance(record, ArchivedResponse):
        record.close()  # read by _render already, or not needed: another request made the page
    return Response(page.body, page.status, headers={**headers, **dict(page.headers)})


def _render(record: Record, capture: Capture, timestamp: str, top: str | None, raw_uri: str) -> Stored:
    """An HTML or CSS record rewritten for a browser, or a notice when it is too large or damaged."""
    content_type = header_value(record.headers, "Content-Type")
    encoding = header_value(record.headers, "Content-Encoding")
    try:
        if isinstance(record, Stored):
            stored = record.body
        elif record.body_length > MAX_STORED_REWRITE:
            record.close()
            raise BodyTooLarge(MAX_STORED_REWRITE, b"")
        else:
            stored = record.read()
        body = decode_body(io.BytesIO(stored), encoding, MAX_REWRITE)
    except (BodyTooLarge, ValueError, OSError, EOFError, zlib.error):
        link = html.escape(raw_uri)
        notice = (
            f'<p>This capture is too large or damaged to show here; <a href="{link}">as captured</a>.</p>'
        )
        page = ((top or "") + notice).encode()
        return Stored(record.status, [("Content-Type", "text/html; charset=utf-8")], page)
    if media_type(content_type) == "text/css":
        text, _ = decode_html(body, content_type)
        rewritten = rewrite_css(text, capture.url, f"/web/{timestamp}/").encode()
        return Stored(record.status, [("Content-Type", "text/css; charset=utf-8")], rewritten)
    page = rewrite_html(body, content_type, capture.url, timestamp, top)
    return Stored(record.status, [("Content-Type", "text/html; charset=utf-8")], page)
