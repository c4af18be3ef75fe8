"""Document pages: the SCO site's page for one official document, with its metadata and its PDF.

A document page shares the article address pattern (``/YYYYMMDD/ID.html``) but is not an
article: its headline is ``<h1 class="document-article-header__title">``, its facts are a table
of ``<tr><th>Field</th><td>Value</td></tr>`` rows, and the document itself is the PDF behind
``<a class="button button_small">``. Those three are read here; the PDF's own text comes from
:mod:`.pdf` when its capture is extracted, and the warehouse joins the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin

from lxml import etree
from trafilatura.utils import load_html

from scoarchive.core.dates import parse_date
from scoarchive.extract.article import url_date
from scoarchive.extract.encoding import decode_html
from scoarchive.extract.languages import LanguageLink, language_links, page_language
from scoarchive.extract.metadata import iso_date
from scoarchive.extract.text import NotExtractable, _clean, content_digest, count_words

# The class that tells a document page from an article page (ASCII in every charset the site uses).
MARKER = b"document-article-header__title"


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_TITLE = etree.XPath(f"//h1[{_has_class('document-article-header__title')}]")


_FIELDS = etree.XPath("//tr[th and td]")


_PDF_LINK = etree.XPath(f"//a[{_has_class('button')} and {_has_class('button_small')}]/@href")


_TIME = etree.XPath(
    f"(//*[{_has_class('document-article-header')}]//time[@datetime]"
    " | //article//time[@datetime] | //main//time[@datetime])/@datetime"
)


@dataclass(frozen=True)
class DocumentPage:
    """What a document page says about its document.

    ``fields`` is the metadata table in page order; ``published`` is the date the page gives
    (``<time datetime>``, else the first field that is a date), else the one in its address.
    """

    url: str
    title: str | None
    published: date | None
    date_source: str | None
    fields: tuple[tuple[str, str], ...]
    pdf_url: str | None
    language: str | None
    text: str
    word_count: int
    encoding: str
    content_sha256: str
    language_links: tuple[LanguageLink, ...]


def is_document_page(html: bytes) -> bool:
    """Cheap test on the bytes, before any parsing: does the page carry the document headline?"""
    return MARKER in html


def _text(element: etree._Element) -> str:
    return _clean(" ".join(element.text_content().split()))


def _date_of(fields: tuple[tuple[str, str], ...]) -> date | None:
    for _, value in fields:
        try:
            return parse_date(value)
        except ValueError:
            continue
    return None


def extract_document_page(html: bytes, url: str, *, content_type: str | None = None) -> DocumentPage:
    """Read one document page (bytes as served, Content-Encoding already removed).

    Raises NotExtractable when the page has no document headline or cannot be parsed.
    """
    text, encoding = decode_html(html, content_type)
    try:
        tree = load_html(text)
    except (ValueError, TypeError, etree.ParserError) as exc:
        raise NotExtractable(f"unparseable HTML: {exc}") from None
    if tree is None:
        raise NotExtractable("unparseable HTML")
    headings = _TITLE(tree)
    if not headings:
        raise NotExtractable("not a document page: no document-article-header__title")
    title = _text(headings[0]) or None
    fields: dict[str, str] = {}
    for row in _FIELDS(tree):
        name, value = _text(row.find(".//th")), _text(row.find(".//td"))
        if name and name not in fields:
            fields[name] = value
    table = tuple(fields.items())
    hrefs = [str(h).strip() for h in _PDF_LINK(tree) if str(h).strip()]
    href = next((h for h in hrefs if ".pdf" in h.lower()), hrefs[0] if hrefs else None)
    pdf_url = urljoin(url, href) if href else None
    published, source = None, None
    for value in _TIME(tree):
        if found := iso_date(str(value)):
            published, source = found, "time"
            break
    if published is None and (found := _date_of(table)):
        published, source = found, "fields"
    if published is None and (found := url_date(url)):
        published, source = found, "url"
    body = "\n".join(f"{name}: {value}" for name, value in table)
    return DocumentPage(
        url=url,
        title=title,
        published=published,
        date_source=source,
        fields=table,
        pdf_url=pdf_url,
        language=page_language(tree),
        text=body,
        word_count=count_words(body),
        encoding=encoding,
        content_sha256=content_digest(title, published, f"{body}\n{pdf_url or ''}"),
        language_links=language_links(tree, url),
    )
