"""Memento (RFC 7089): the TimeGate, the TimeMaps, and the Link headers of mementos.

Pattern 2.3 of the RFC: the TimeGate is its own resource (``/timegate/URL``) answering 302 to
the memento nearest ``Accept-Datetime``. Every absolute address is built on the configured base
URL (:meth:`Archive.base`), never on the request's Host header.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from scoarchive.core.dates import parse_http_date
from scoarchive.resolve.model import Capture, iso
from scoarchive.service.addresses import target_url, uri
from scoarchive.service.archive import Archive
from scoarchive.service.errors import BadRequest

LINK_FORMAT = "application/link-format"


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def memento_links(base: str, capture: Capture) -> str:
    """The Link header of a memento: its original, TimeGate and TimeMap."""
    original = uri(capture.url)
    return (
        f'<{original}>; rel="original", <{base}/timegate/{original}>; rel="timegate", '
        f'<{base}/timemap/link/{original}>; rel="timemap"; type="{LINK_FORMAT}"'
    )


def _memento_link(archive: Archive, base: str, capture: Capture, rel: str) -> str:
    path = archive.memento_path(capture)
    return f'<{base}{path}>; rel="{rel}"; datetime="{http_date(capture.time)}"'


async def timegate(archive: Archive, request: Request) -> Response:
    url = target_url(request, "/timegate/")
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
    resolver = archive.resolver
    base = archive.base(request)
    original = uri(resolver.target(url).url)
    links = [
        f'<{original}>; rel="original"',
        f'<{base}/timemap/link/{original}>; rel="timemap"; type="{LINK_FORMAT}"',
    ]
    result = resolver.resolve(url, at)
    if result is None:
        return Response(
            f"nothing archived for {url}\n",
            404,
            headers={"Vary": "accept-datetime", "Link": ", ".join(links)},
            media_type="text/plain",
        )
    chosen = result.capture
    captures = resolver.captures(chosen.url)
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
        links.append(_memento_link(archive, base, capture, " ".join([*names, "memento"])))
    return Response(
        status_code=302,
        headers={
            "Location": base + archive.memento_path(chosen),
            "Vary": "accept-datetime",
            "Link": ", ".join(links),
        },
    )


async def timemap_link(archive: Archive, request: Request) -> Response:
    """The link-format TimeMap; a URL never archived gets a link-format 404 naming its TimeGate."""
    url = target_url(request, "/timemap/link/")
    captures = archive.resolver.captures(url)
    base = archive.base(request)
    original = uri(archive.resolver.target(url).url)
    lines = [f'<{original}>; rel="original"', f'<{base}/timegate/{original}>; rel="timegate"']
    if not captures:
        return Response(",\n".join(lines) + "\n", 404, media_type=LINK_FORMAT)
    lines += [
        f'<{base}/timemap/link/{original}>; rel="self"; type="{LINK_FORMAT}"; '
        f'from="{http_date(captures[0].time)}"; until="{http_date(captures[-1].time)}"',
        f'<{base}/timemap/json/{original}>; rel="alternate"; type="application/json"',
    ]
    last = len(captures) - 1
    for position, capture in enumerate(captures):
        rel = " ".join(
            [*(["first"] if position == 0 else []), *(["last"] if position == last else []), "memento"]
        )
        lines.append(_memento_link(archive, base, capture, rel))
    return Response(",\n".join(lines) + "\n", media_type=LINK_FORMAT)


async def timemap_json(archive: Archive, request: Request) -> Response:
    url = target_url(request, "/timemap/json/")
    captures = archive.resolver.captures(url)
    if not captures:
        raise BadRequest(f"nothing archived for {url}", 404)
    base = archive.base(request)
    original = uri(archive.resolver.target(url).url)
    mementos = [
        {
            "datetime": iso(c.time.replace(microsecond=0)),
            "uri": base + archive.memento_path(c),
            "status": c.content.status,
            "record_type": c.record_type,
            "url": c.url,
        }
        for c in captures
    ]
    return JSONResponse(
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
