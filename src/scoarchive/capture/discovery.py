"""Discovery: the links of a captured page, and what the profile says to do with each.

Links are of two kinds. Navigation (``<a href>``) is followed only where the profile's rules
say so; page requisites (images, stylesheets, scripts) are captured because a page needs
them to render, but only on the profile's hosts. Everything else, share links to social
networks, partner sites, is recorded as an outlink and never requested.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import etree

from scoarchive.core.html import parse_html
from scoarchive.core.profile import Action, Profile
from scoarchive.core.urls import InvalidURL

_NAVIGATION = etree.XPath("//a/@href | //area/@href")


_REQUISITES = etree.XPath(
    "//img/@src | //script/@src | //link[contains(translate(@rel, 'STYLEICON', 'styleicon'),"
    " 'stylesheet') or contains(translate(@rel, 'STYLEICON', 'styleicon'), 'icon')]/@href"
    " | //source/@src | //video/@poster"
)


_BASE = etree.XPath("//base/@href")


_SKIPPED_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "#")


@dataclass(frozen=True)
class Link:
    url: str
    requisite: bool


@dataclass
class Discovered:
    """A page's links sorted by what the crawler does with them."""

    to_capture: dict[str, Action] = field(default_factory=dict)
    outlinks: list[str] = field(default_factory=list)


def extract_links(html: bytes, page_url: str) -> list[Link]:
    """Absolute links of an HTML page in document order (duplicates kept; cheap to drop later).

    Any nesting depth: :func:`scoarchive.core.html.parse_html` keeps what libxml2 alone would drop.
    """
    root = parse_html(html)
    base = next(iter(_BASE(root)), None)
    base_url = urljoin(page_url, str(base).strip()) if base else page_url
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    links: list[Link] = []
    for requisite, hrefs in ((False, _NAVIGATION(root)), (True, _REQUISITES(root))):
        for href in hrefs:
            href = str(href).strip()
            if not href or href.lower().startswith(_SKIPPED_SCHEMES):
                continue
            if href.startswith("/") and not href.startswith("//") and ".." not in href:
                links.append(Link(origin + href, requisite))  # most links: urljoin's result, cheaply
                continue
            try:
                links.append(Link(urljoin(base_url, href), requisite))
            except ValueError:
                continue
    return links


def classify(links: Iterable[Link], profile: Profile) -> Discovered:
    """Canonicalise links and decide, per the profile, which to capture."""
    result = Discovered()
    outlinks: dict[str, None] = {}
    for link in links:
        try:
            url = profile.canonicalize(link.url)
        except InvalidURL:
            continue
        if not profile.in_scope(url):
            outlinks[url] = None
            continue
        action = profile.action_for(url)
        if action in (Action.FOLLOW, Action.CAPTURE) or (link.requisite and action is Action.REQUISITE):
            result.to_capture.setdefault(url, action)
    result.outlinks = list(outlinks)
    return result
