from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import Document, Extractor
from trafilatura.xml import xmltotxt

from scoarchive.core.html import parse_html
from scoarchive.extract.encoding import decode_html
from scoarchive.extract.languages import LanguageLink, language_links, page_language
from scoarchive.extract.text import NotExtractable, _clean, content_digest, count_words

# Class or id tokens of blocks that are never article text on a news page.
BOILERPLATE_TOKENS = frozenset(
    {"share", "sharing", "social", "related", "breadcrumb", "breadcrumbs", "calendar", "search"}
)


# Figures carry captions and credits; a <time> outside running text is a date stamp.
_PRUNE = etree.XPath("//figure | //figcaption | //time[not(ancestor::p)]")


_LABELLED = etree.XPath("//body//*[@class or @id]")


# /20210615/765514.html, slug-ID /20220805/-Words-908439.html, Russian /political/20230831/953905/
_URL_DATE = re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/(?:[^/]*-)?\d+(?:\.html|/)")


_ISO_DATE = re.compile(r"((?:19|20)\d{2})-(\d{2})-(\d{2})")


_META_DATES = etree.XPath(
    "//meta[@property='article:published_time' or @property='og:published_time'"
    " or @itemprop='datePublished' or @name='pubdate' or @name='publishdate'"
    " or @name='DC.date.issued' or @name='dcterms.issued']/@content"
)


_TIME_DATES = etree.XPath(
    "(//article//time[@datetime] | //*[@itemprop='datePublished'][@datetime]"
    " | //main//time[@datetime] | //time[@datetime])/@datetime"
)


_ARTICLE_H1 = etree.XPath("(//article//h1 | //main//h1)[1]")


# Metadata is read here rather than by trafilatura's metadata pass, which cost more than the
# whole text extraction (bench/extract.py: 340 against 540 docs/s on the replica).
_META_TITLE = etree.XPath("//meta[@property='og:title']/@content | //title/text()")


_META_DESCRIPTION = etree.XPath(
    "//meta[@name='description']/@content | //meta[@property='og:description']/@content"
)


_META_SITENAME = etree.XPath("//meta[@property='og:site_name']/@content")


_META_AUTHORS = etree.XPath("//meta[@name='author']/@content | //meta[@property='article:author']/@content")


# trafilatura's defaults without comments and without its metadata pass (see above); built once
# (its config parsing is measurable per page) and copied per call to set the URL.
_OPTIONS = Extractor(output_format="python", comments=False, with_metadata=False, formatting=True)


@dataclass(frozen=True)
class Article:
    """What one captured article page says, as the warehouse stores it.

    ``published`` is the date the page gives, else the one in its address; ``page_date`` and
    ``url_date`` keep both sources so disagreements stay visible (``date_agrees``).
    ``language_links`` are the page's own ``hreflang`` links (its versions in other languages).
    """

    url: str
    title: str | None
    published: date | None
    page_date: date | None
    url_date: date | None
    date_agrees: bool | None
    date_source: str | None
    authors: tuple[str, ...]
    language: str | None
    description: str | None
    sitename: str | None
    text: str
    markdown: str
    word_count: int
    encoding: str
    content_sha256: str
    language_links: tuple[LanguageLink, ...] = ()


def iso_date(value: str | None) -> date | None:
    """The calendar date at the start of an ISO timestamp, as written (local to the page)."""
    if not value:
        return None
    return _calendar_date(_ISO_DATE.search(value))


def url_date(url: str) -> date | None:
    """The ``YYYYMMDD`` of an SCO article address (``/20210615/765514.html``), if valid."""
    return _calendar_date(_URL_DATE.search(url))


def _calendar_date(match: re.Match[str] | None) -> date | None:
    """The date of a year, month, day match; None when there is none or it is impossible."""
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _page_date(tree: HtmlElement) -> tuple[date | None, str | None]:
    for source, values in (("meta", _META_DATES(tree)), ("time", _TIME_DATES(tree))):
        for value in values:
            found = iso_date(str(value))
            if found:
                return found, source
    return None, None


def _strip_title(text: str, title: str | None) -> str:
    """Drop the headline trafilatura repeats as the first line of the body."""
    if title:
        first, _, rest = text.partition("\n")
        if first.strip().lstrip("#").strip() == title:
            return rest.lstrip("\n")
    return text


def _prune_boilerplate(tree: HtmlElement) -> None:
    """Remove captions, date stamps and blocks whose class or id names them as boilerplate."""
    doomed = list(_PRUNE(tree))
    for element in _LABELLED(tree):
        tokens = f"{element.get('class', '')} {element.get('id', '')}".lower().split()
        if BOILERPLATE_TOKENS.intersection(tokens):
            doomed.append(element)
    for element in doomed:
        element.drop_tree()


def _first(tree: HtmlElement, xpath: etree.XPath) -> str | None:
    values = [_clean(str(value)) for value in xpath(tree)]
    return next((value for value in values if value), None)


def extract(html: bytes, url: str, *, content_type: str | None = None) -> Article:
    """Extract one article page (bytes as served, Content-Encoding already removed).

    Raises NotExtractable for pages that are binary, malformed, or have no main text.
    """
    text, encoding = decode_html(html, content_type)
    if "\x00" in text:
        raise NotExtractable("NUL byte in HTML: binary or corrupt content")
    tree = parse_html(text)  # any nesting depth (libxml2 alone stops at 256)
    language = page_language(tree)
    links = language_links(tree, url)
    page_date, date_source = _page_date(tree)
    heading = _ARTICLE_H1(tree)
    h1_title = _clean(heading[0].text_content()) if heading else None
    meta_title, description, sitename = (
        _first(tree, xpath) for xpath in (_META_TITLE, _META_DESCRIPTION, _META_SITENAME)
    )
    authors = tuple(dict.fromkeys(_clean(str(a)) for a in _META_AUTHORS(tree) if str(a).strip()))
    _prune_boilerplate(tree)
    options = copy.copy(_OPTIONS)
    options.url = options.source = url
    document = trafilatura.bare_extraction(tree, options=options)
    if not isinstance(document, Document) or document.body is None:
        raise NotExtractable("no main text found")
    title = h1_title or meta_title
    from_url = url_date(url)
    published = page_date or from_url
    if page_date is None and from_url is not None:
        date_source = "url"
    body_text = _strip_title(_clean(xmltotxt(document.body, False)), title)
    markdown = _clean(document.text or "")
    if not body_text:
        raise NotExtractable("no main text found")
    return Article(
        url=url,
        title=title,
        published=published,
        page_date=page_date,
        url_date=from_url,
        date_agrees=None if page_date is None or from_url is None else page_date == from_url,
        date_source=date_source,
        authors=authors,
        language=language,
        description=description,
        sitename=sitename,
        text=body_text,
        markdown=markdown,
        word_count=count_words(body_text),
        encoding=encoding,
        content_sha256=content_digest(title, published, body_text),
        language_links=links,
    )
