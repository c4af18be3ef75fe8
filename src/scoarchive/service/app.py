"""The ASGI app: its routes, and what every response passes through.

Outermost, :class:`SecurityHeaders` puts ``nosniff``, a Referrer-Policy and a default CSP on
every answer (the replay's sandbox CSP and the pages' own policy are kept); inside it, Starlette's
TrustedHostMiddleware answers 400 to a Host header outside the configured names; then the
routes, each behind :func:`guard`. The handlers are coroutines: index lookups run on the event
loop, file reads and warehouse queries in the archive's threads (:mod:`scoarchive.service.archive`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scoarchive.core.profile import Profile
from scoarchive.resolve.resolver import Resolver
from scoarchive.service import api, memento, pages, replay
from scoarchive.service.archive import Archive
from scoarchive.service.config import ServiceConfig
from scoarchive.service.errors import guard

# For answers that are not pages: nothing in them may load, run or be framed.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


# Following a link out of an archived page must not tell the site what was read in the archive.
REFERRER_POLICY = "no-referrer"


class SecurityHeaders:
    """ASGI middleware: ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy`` on every
    response (after any archived ones, so ours are the ones that count), and :data:`DEFAULT_CSP`
    on those that set no policy of their own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers.append((b"content-security-policy", DEFAULT_CSP.encode()))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", REFERRER_POLICY.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


Handler = Callable[[Archive, Request], Awaitable[Response]]


def create_app(
    data_dir: Path | str,
    *,
    profile: str | Profile = "sco",
    resolver: Resolver | None = None,
    config: ServiceConfig | None = None,
) -> ASGIApp:
    """The ASGI app over one data directory (the resolver is shared by all requests)."""
    config = config or ServiceConfig()
    archive = Archive(data_dir, resolver or Resolver(data_dir, profile=profile), config)

    def route(path: str, handler: Handler, *, text: bool = False) -> Route:
        return Route(path, guard(partial(handler, archive), text=text))

    routes = [
        route("/", pages.home),
        route("/api/resolve", api.api_resolve),
        route("/api/captures", api.api_captures),
        route("/timegate/{url:path}", memento.timegate, text=True),
        route("/timemap/link/{url:path}", memento.timemap_link, text=True),
        route("/timemap/json/{url:path}", memento.timemap_json),
        route("/web/{rest:path}", replay.web),
        route("/article/{key:path}", pages.article),
    ]
    trusted = Middleware(TrustedHostMiddleware, allowed_hosts=config.trusted_hosts(), www_redirect=False)
    return SecurityHeaders(Starlette(routes=routes, middleware=[trusted]))
