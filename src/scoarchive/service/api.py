"""The resolution API for citation tools: ``/api/resolve`` (what ``scoarchive resolve --json``
prints, with the archive's addresses) and ``/api/captures``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from scoarchive.core.dates import parse_datetime
from scoarchive.service.addresses import repair_url
from scoarchive.service.archive import Archive
from scoarchive.service.errors import BadRequest


async def api_resolve(archive: Archive, request: Request) -> Response:
    url = request.query_params.get("url")
    if not url:
        raise BadRequest("give the cited address as ?url=...")
    at_text = request.query_params.get("at")
    try:
        at = parse_datetime(at_text) if at_text else None
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    result = archive.resolver.resolve(repair_url(url), at)
    if result is None:
        return JSONResponse({"error": f"nothing archived for {url}", "url": url}, 404)
    base = archive.base(request)
    data = result.to_dict()
    capture = result.capture
    stamp = archive.resolver.memento_timestamp(capture)
    data["memento"] = f"{base}/web/{stamp}/{capture.url}"
    data["raw"] = f"{base}/web/{stamp}id_/{capture.url}"
    data["timemap"] = f"{base}/timemap/link/{capture.url}"
    if capture.article_key:
        data["article"] = f"{base}/article/{capture.article_key}"
    return JSONResponse(data)


async def api_captures(archive: Archive, request: Request) -> Response:
    url = request.query_params.get("url")
    if not url:
        raise BadRequest("give an address as ?url=...")
    base = archive.base(request)
    captures = archive.resolver.captures(repair_url(url))
    listed = [{**c.to_dict(), "memento": base + archive.memento_path(c)} for c in captures]
    return JSONResponse({"url": url, "captures": listed})
