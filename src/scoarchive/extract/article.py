"""Article pages: the text and metadata of one captured page, as the warehouse stores them.

trafilatura chooses the main text; what is taken out around its choice (link teasers, the
repeated headline, the standfirst, captions) is :mod:`.boilerplate`'s, what the page says of
itself is :mod:`.metadata`'s, and the versions it links in other languages :mod:`.languages`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import Document, Extractor
from trafilatura.xml import xmltotxt

from scoarchive.core.html import parse_html
from scoarchive.extract.boilerplate import (
    normal,
    page_characters,
    prune_labelled,
    strip_boilerplate,
    strip_headline,
    title_variants,
)
from scoarchive.extract.encoding import decode_html
from scoarchive.extract.languages import LanguageLink, language_links
from scoarchive.extract.metadata import calendar_date, read_metadata
from scoarchive.extract.text import NotExtractable, _clean, content_digest, count_words

# /20210615/765514.html, slug-ID /20220805/-Words-908439.html, Russian /political/20230831/953905/
_URL_DATE = re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/(?:[^/]*-)?\d+(?:\.html|/)")


# Containers whose class names an article body (article__body, StoryBodyCompanionColumn).
_BODY_CONTAINERS = etree.XPath(
    "//*[self::div or self::section or self::article][contains(@class, 'body') or contains(@class, 'Body')]"
)


# Letters of paragraph text each chunk of a split body holds (a caption or an ad slot holds less).
MIN_CHUNK_PROSE = 200


# A few NUL bytes in a large page are a damaged capture that browsers show anyway (they drop
# them); more than this share of the characters means binary content served as HTML.
MAX_NUL_SHARE = 0.001


# trafilatura's defaults without comments and without its metadata pass (see metadata.py), keeping
# formatting (for the markdown) and links (to tell link teasers, see boilerplate.py); "txt" so
# that it does not render text we render after taking boilerplate out. Built once: its config
# parsing is measurable per page. No URL: it would only resolve the links we drop (a tenth of
# the extraction time).
_OPTIONS = Extractor(output_format="txt", comments=False, with_metadata=False, formatting=True, links=True)


# The same in trafilatura's fast mode, which skips comparing its choice with readability's and
# jusText's. On long pages that comparison costs half the time and, on the evaluation sets of
# bench/extract.py, loses as often as it wins; on short or odd pages it rescues what the fast
# mode misses. So pages whose body has fewer characters than FAST_FROM (most SCO pages) go
# straight to the full pass, and so do pages whose fast extraction has fewer than FULL_BELOW.
_FAST_OPTIONS = Extractor(
    output_format="txt", comments=False, with_metadata=False, formatting=True, links=True, fast=True
)
FAST_FROM = 3000
FULL_BELOW = 1000


@dataclass(frozen=True)
class Article:
    """What one captured article page says, as the warehouse stores it.

    ``published`` is the date the page gives, else the one in its address; ``page_date`` and
    ``url_date`` keep both sources so disagreements stay visible (``date_agrees``).
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


def url_date(url: str) -> date | None:
    """The ``YYYYMMDD`` of an SCO article address (``/20210615/765514.html``), if valid."""
    return calendar_date(_URL_DATE.search(url))


def _join_split_body(tree: HtmlElement) -> None:
    """Gather an article body that the page splits into several containers of the same class.

    trafilatura takes the first container whose class names an article body; pages that
    chunk the story (between ads, or for lazy loading) repeat that container, and all but the
    first chunk were lost. Containers count when each holds paragraphs of real length.
    """
    groups: dict[tuple[str, str], list[HtmlElement]] = {}
    for element in _BODY_CONTAINERS(tree):
        groups.setdefault((element.tag, element.get("class", "")), []).append(element)
    for chunks in groups.values():
        outer = [c for c in chunks if not any(a in chunks for a in c.iterancestors())]
        if len(outer) > 1 and all(_prose_letters(c) >= MIN_CHUNK_PROSE for c in outer):
            for chunk in outer[1:]:
                outer[0].extend(list(chunk))
                chunk.drop_tree()


def _prose_letters(element: HtmlElement) -> int:
    return sum(len("".join(p.text_content().split())) for p in element.iter("p"))


def extract(html: bytes, url: str, *, content_type: str | None = None) -> Article:
    """Extract one article page (bytes as served, Content-Encoding already removed).

    Raises NotExtractable for pages that are binary, malformed, or have no main text.
    """
    text, encoding = decode_html(html, content_type)
    if nuls := text.count("\x00"):
        if nuls > MAX_NUL_SHARE * len(text):
            raise NotExtractable("NUL byte in HTML: binary or corrupt content")
        text = text.replace("\x00", "")
    tree = parse_html(text)  # any nesting depth (libxml2 alone stops at 256)
    meta = read_metadata(tree)
    links = language_links(tree, url)
    prune_labelled(tree)
    _join_split_body(tree)
    document = None
    if page_characters(tree) >= FAST_FROM:
        document = trafilatura.bare_extraction(tree, options=_FAST_OPTIONS)
    if not isinstance(document, Document) or len(document.raw_text or "") < FULL_BELOW:
        document = trafilatura.bare_extraction(tree, options=_OPTIONS)
    if not isinstance(document, Document) or document.body is None:
        raise NotExtractable("no main text found")
    title = meta.h1_title or meta.meta_title
    from_url = url_date(url)
    page_date, date_source = meta.page_date, meta.date_source
    published = page_date or from_url
    if page_date is None and from_url is not None:
        date_source = "url"
    descriptions = frozenset(normal(d) for d in meta.descriptions)
    strip_boilerplate(document.body, descriptions)
    etree.strip_tags(document.body, "ref")
    markdown = _clean(xmltotxt(document.body, True))
    strip_headline(document.body, title_variants(meta.headlines))
    body_text = _clean(xmltotxt(document.body, False))
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
        authors=meta.authors,
        language=meta.language,
        description=meta.description,
        sitename=meta.sitename,
        text=body_text,
        markdown=markdown,
        word_count=count_words(body_text),
        encoding=encoding,
        content_sha256=content_digest(title, published, body_text),
        language_links=links,
    )
