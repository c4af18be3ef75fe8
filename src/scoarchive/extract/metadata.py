"""What a page says about itself: headline, dates, language, description, site, authors.

Read here rather than by trafilatura's metadata pass, which cost more than the whole text
extraction (bench/extract.py: 340 against 540 docs/s on the replica). The ``<meta>`` tags are
collected in one pass and looked up in Python: an XPath per field scanned the whole page each
time, a tenth of the extraction time on large pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lxml import etree
from lxml.html import HtmlElement

from scoarchive.extract.languages import page_language
from scoarchive.extract.text import _clean

_ISO_DATE = re.compile(r"((?:19|20)\d{2})-(\d{2})-(\d{2})")

# One scan for everything named here, in document order (which decides between a <title> and
# an og:title, as it always has).
_NAMING = etree.XPath("//meta[@content] | //title | //h1")

_TIME_DATES = etree.XPath("//*[@datetime][self::time or @itemprop='datePublished']/@datetime")

# (attribute, value) pairs naming each field among a page's <meta> tags.
_PUBLISHED = frozenset(
    {
        ("property", "article:published_time"),
        ("property", "og:published_time"),
        ("itemprop", "datePublished"),
        ("name", "pubdate"),
        ("name", "publishdate"),
        ("name", "DC.date.issued"),
        ("name", "dcterms.issued"),
    }
)
_TITLE = frozenset({("property", "og:title"), ("title", "")})
_HEADLINE = frozenset({("property", "og:title"), ("name", "twitter:title"), ("title", "")})
_DESCRIPTION = frozenset({("name", "description"), ("property", "og:description")})
_DESCRIPTIONS = _DESCRIPTION | {("name", "twitter:description")}
_SITENAME = frozenset({("property", "og:site_name")})
_AUTHORS = frozenset({("name", "author"), ("property", "article:author")})


@dataclass(frozen=True)
class PageMetadata:
    """The page's own statements; ``headlines`` and ``descriptions`` are every form it gives."""

    h1_title: str | None
    meta_title: str | None
    headlines: tuple[str, ...]
    description: str | None
    descriptions: tuple[str, ...]
    sitename: str | None
    authors: tuple[str, ...]
    language: str | None
    page_date: date | None
    date_source: str | None


class _Metas:
    """The page's ``<meta content>`` tags, in document order, by what names them."""

    def __init__(self, elements: list[HtmlElement]) -> None:
        self._tags: list[tuple[set[tuple[str, str]], str]] = []
        for element in elements:
            if element.tag == "meta":
                names = {(key, element.get(key, "")) for key in ("name", "property", "itemprop")}
                names.add(("http-equiv", element.get("http-equiv", "").lower()))
                self._tags.append((names, element.get("content", "")))
            elif element.tag == "title":
                self._tags.append(({("title", "")}, element.text or ""))

    def contents(self, wanted: frozenset[tuple[str, str]]) -> list[str]:
        return [content for names, content in self._tags if not wanted.isdisjoint(names)]


def calendar_date(match: re.Match[str] | None) -> date | None:
    """The date of a year, month, day match; None when there is none or it is impossible."""
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def iso_date(value: str) -> date | None:
    """The calendar date at the start of an ISO timestamp, as written (local to the page)."""
    return calendar_date(_ISO_DATE.search(value))


def _page_date(tree: HtmlElement, metas: _Metas) -> tuple[date | None, str | None]:
    for source, values in (("meta", metas.contents(_PUBLISHED)), ("time", _TIME_DATES(tree))):
        for value in values:
            found = iso_date(str(value))
            if found:
                return found, source
    return None, None


def _first(values: list[str]) -> str | None:
    return next((value for value in map(_clean, values) if value), None)


def read_metadata(tree: HtmlElement) -> PageMetadata:
    """The metadata of a parsed page."""
    named = _NAMING(tree)
    metas = _Metas(named)
    h1s = [h for h in named if h.tag == "h1"]
    in_article = next((h for h in h1s if any(a.tag in ("article", "main") for a in h.iterancestors())), None)
    page_date, date_source = _page_date(tree, metas)
    headlines = (*(h.text_content() for h in h1s), *metas.contents(_HEADLINE))
    return PageMetadata(
        h1_title=_clean(in_article.text_content()) if in_article is not None else None,
        meta_title=_first(metas.contents(_TITLE)),
        headlines=tuple(_clean(h) for h in headlines if h.strip()),
        description=_first(metas.contents(_DESCRIPTION)),
        descriptions=tuple(metas.contents(_DESCRIPTIONS)),
        sitename=_first(metas.contents(_SITENAME)),
        authors=tuple(dict.fromkeys(_clean(a) for a in metas.contents(_AUTHORS) if a.strip())),
        language=page_language(tree),
        page_date=page_date,
        date_source=date_source,
    )
