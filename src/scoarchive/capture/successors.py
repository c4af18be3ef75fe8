"""What follows from a response: the redirect's target, or the links of an HTML page.

The same rules whether the response was just fetched, is a revisit (its page is the earlier
capture's) or is replayed from a WARC record when a crawl resumes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import urljoin

from scoarchive.capture.discovery import classify, extract_links
from scoarchive.capture.frontier import QueueItem
from scoarchive.core.httpmsg import HTML_TYPES, BodyTooLarge, decode_body, header_value, media_type
from scoarchive.core.profile import Action, Profile
from scoarchive.core.urls import InvalidURL

log = logging.getLogger(__name__)


REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})  # not 304: that is a revisit


@dataclass
class Found:
    """URLs to queue, off-scope links to record, and why the page could not be read, if so."""

    items: list[QueueItem] = field(default_factory=list)
    outlinks: list[str] = field(default_factory=list)
    problem: str | None = None


class Successors:
    """Finds the successors of a URL's response, per the profile and the crawl's options."""

    def __init__(self, profile: Profile, *, follow_links: bool, max_redirects: int, html_limit: int) -> None:
        self.profile = profile
        self.follow_links = follow_links
        self.max_redirects = max_redirects
        self.html_limit = html_limit

    def of(
        self,
        item: QueueItem,
        status: int,
        headers: list[tuple[str, str]],
        content_type: str | None,
        content_encoding: str | None,
        open_body: Callable[[], BinaryIO],
    ) -> Found:
        """Successors of ``item``'s response; the body is read only for an HTML page to follow.

        ``content_type`` and ``content_encoding`` are those of the body ``open_body`` gives:
        for a revisit, the earlier capture's.
        """
        if status in REDIRECT_STATUS:
            location = header_value(headers, "location")
            return self._redirect(item, location) if location else Found()
        if item.action != Action.FOLLOW.value or media_type(content_type) not in HTML_TYPES:
            return Found()
        body = open_body()
        body.seek(0)
        try:
            html = decode_body(body, content_encoding, self.html_limit)
        except BodyTooLarge as exc:
            log.warning(
                "%s decodes to over %d bytes; links from the first part only", item.url, self.html_limit
            )
            html = exc.partial
        except ValueError as exc:
            return Found(problem=f"cannot decode the page: {exc}")
        discovered = classify(extract_links(html, item.url), self.profile)
        items = [
            QueueItem(url, action.value, 0, item.url)
            for url, action in discovered.to_capture.items()
            if self.follow_links or action is Action.REQUISITE
        ]
        return Found(items, discovered.outlinks)

    def _redirect(self, item: QueueItem, location: str) -> Found:
        try:
            target = self.profile.canonicalize(urljoin(item.url, location))
        except (InvalidURL, ValueError):
            return Found()
        if not self.profile.in_scope(target) or item.hops + 1 > self.max_redirects:
            return Found(outlinks=[target])
        action = self.profile.action_for(target)
        chosen = action.value if action is not Action.IGNORE else item.action
        return Found([QueueItem(target, chosen, item.hops + 1, item.url)])
