"""The versions of a page in other languages that the page itself links, and the page's language.

A page names its translations with ``<link rel="alternate" hreflang="ru" href="...">`` in its
head or with ``hreflang`` on an anchor. Only what the page states is read: nothing is inferred
from a shared date, title or photo, because each SCO language site gives the same event its own
ID. Whether a linked address is an *article* (and so a translation, not a home page) is the
site profile's question, answered by the warehouse when it loads the links.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement

_ALTERNATES = etree.XPath(
    "//link[@hreflang][@href][contains(concat(' ', normalize-space("
    "translate(@rel, 'ALTERNATE', 'alternate')), ' '), ' alternate ')]"
    " | //a[@hreflang][@href]"
)


_BASE = etree.XPath("//base/@href")


_HTML_LANG = etree.XPath(
    "/html/@lang | /html/@xml:lang", namespaces={"xml": "http://www.w3.org/XML/1998/namespace"}
)


_META_LANG = etree.XPath(
    "//meta[translate(@http-equiv, 'CONTENTLAG', 'contentlag')='content-language']/@content"
)


@dataclass(frozen=True)
class LanguageLink:
    """A link a page makes to its version in another language: ``hreflang`` and absolute URL."""

    language: str
    url: str


def page_language(tree: HtmlElement) -> str | None:
    """ISO 639-1 code from ``<html lang>`` or a Content-Language meta tag (``ru-RU`` -> ``ru``)."""
    for value in (*_HTML_LANG(tree), *_META_LANG(tree)):
        primary = str(value).strip().split(",")[0].replace("_", "-").split("-")[0].lower()
        if len(primary) == 2 and primary.isalpha():
            return primary
    return None


def language_links(tree: HtmlElement, page_url: str) -> tuple[LanguageLink, ...]:
    """Every ``hreflang`` link of a parsed page, absolute, in document order, without repeats.

    The page's own address is kept (hreflang sets usually list it): the caller, who knows the
    page's identity, drops it.
    """
    base = next(iter(_BASE(tree)), None)
    base_url = urljoin(page_url, str(base).strip()) if base else page_url
    found: dict[tuple[str, str], None] = {}
    for element in _ALTERNATES(tree):
        language = str(element.get("hreflang", "")).strip().lower()
        href = str(element.get("href", "")).strip()
        if not language or not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        try:
            found[(language, urljoin(base_url, href))] = None
        except ValueError:
            continue
    return tuple(LanguageLink(language, url) for language, url in found)
