"""How archived addresses arrive inside request paths and leave in headers.

Clients and proxies mangle a URL carried in a path (full percent-encoding, ``//`` collapsed to
``/``), and a header or link-format list must not carry raw non-ASCII or spaces.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from starlette.requests import Request

from scoarchive.resolve.target import MAX_URL
from scoarchive.service.errors import BadRequest

_COLLAPSED_SCHEME = re.compile(r"^(https?):/+", re.IGNORECASE)


def target_url(request: Request, prefix: str) -> str:
    """The URL after ``prefix`` in the request path, as sent (still percent-encoded), with its query."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    path = raw.decode("utf-8", "replace").removeprefix(request.scope.get("root_path", ""))
    url = path.removeprefix(prefix)
    query = request.scope.get("query_string", b"").decode("utf-8", "replace")
    return repair_url(url + (f"?{query}" if query else ""))


def repair_url(url: str) -> str:
    """Undo what clients and proxies do to a URL inside a path: full encoding, collapsed ``//``."""
    if len(url) > MAX_URL:
        raise BadRequest(f"URL longer than {MAX_URL} characters", 414)
    if re.match(r"https?%3a", url, re.IGNORECASE):
        url = unquote(url)
    return _COLLAPSED_SCHEME.sub(lambda m: m.group(1) + "://", url)


def uri(url: str) -> str:
    """A URL safe in a header or link-format: non-ASCII and spaces percent-encoded, the rest kept."""
    return quote(url, safe="!#$%&'()*+,/:;=?@[]~")
