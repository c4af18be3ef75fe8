"""Article extraction: the title, date, language and main text of a captured page.

Built on trafilatura with its default (balanced) settings, which score best on news pages;
everything around it exists because archived SCO pages differ from what trafilatura expects:

* **Encodings.** Russian pages are windows-1251 and Chinese pages GB18030, declared only in
  ``<meta charset>``. Rather than leave it to trafilatura's charset detection (whose fast
  backend, faust-cchardet, is not installed), we decode the bytes ourselves, as browsers do:
  BOM, then the HTTP header charset, then a meta charset in the first 2 KB, then UTF-8, each
  taken only if the bytes decode cleanly under it (servers lie), and hand trafilatura a ``str``.
* **Dates.** The page's own date (publication meta tags, then the article's
  ``<time datetime>``) is cross-checked with the ``YYYYMMDD`` of SCO addresses,
  which htmldate does not read. Both are kept, with whether they agree, because a disagreement
  is a finding for analysts (re-dated or mis-filed articles), not something to hide.
* **Boilerplate.** Photo captions (Russian captions inside English articles), share bars,
  related-news lists and stand-alone date stamps are pruned before extraction, so they can
  never leak into the text that full-text search and content digests are computed from.

PDF documents go through :func:`extract_pdf` (pypdf): their metadata, page count and, where the
text layer allows, their text.
"""

from __future__ import annotations

import codecs
import copy
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import Document, Extractor
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

SNIFF_BYTES = 2048
# Class or id tokens of blocks that are never article text on a news page.
BOILERPLATE_TOKENS = frozenset(
    {"share", "sharing", "social", "related", "breadcrumb", "breadcrumbs", "calendar", "search"}
)
# Figures carry captions and credits; a <time> outside running text is a date stamp.
_PRUNE = etree.XPath("//figure | //figcaption | //time[not(ancestor::p)]")
_LABELLED = etree.XPath("//body//*[@class or @id]")

_BOM = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# WHATWG Encoding Standard: labels that browsers decode with a superset codec.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
}
_URL_DATE = re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/\d+(?:\.html|/)")
_ISO_DATE = re.compile(r"((?:19|20)\d{2})-(\d{2})-(\d{2})")
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORDS = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")

_HTML_LANG = etree.XPath(
    "/html/@lang | /html/@xml:lang", namespaces={"xml": "http://www.w3.org/XML/1998/namespace"}
)
_META_LANG = etree.XPath(
    "//meta[translate(@http-equiv, 'CONTENTLAG', 'contentlag')='content-language']/@content"
)
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


class NotExtractable(ValueError):
    """A page that yields no article: binary or malformed content, or no main text."""


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


@dataclass(frozen=True)
class PdfDocument:
    """A PDF's metadata and, where its text layer allows, its text."""

    url: str
    title: str | None
    authors: tuple[str, ...]
    created: date | None
    pages: int
    text: str
    word_count: int
    content_sha256: str


def content_digest(title: str | None, published: date | None, text: str) -> str:
    """SHA-256 of what makes a version: an edit to the title, date or text is a new version."""
    material = "\x1f".join((title or "", published.isoformat() if published else "", text))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def count_words(text: str) -> int:
    """Words, counting each CJK character as one (Chinese is written without spaces)."""
    return len(_WORDS.findall(text))


def _codec(label: str) -> str | None:
    """The Python codec for an encoding label, following the WHATWG superset mapping."""
    label = label.strip().lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def sniff_encoding(data: bytes, content_type: str | None = None) -> list[str]:
    """Candidate encodings, most authoritative first: BOM, HTTP header, meta charset, UTF-8."""
    candidates: list[str] = []
    for bom, name in _BOM:
        if data.startswith(bom):
            candidates.append(name)
    if content_type and (declared := _HEADER_CHARSET.search(content_type)):
        candidates.append(declared.group(1))
    if meta := _META_CHARSET.search(data[:SNIFF_BYTES]):
        candidates.append(meta.group(1).decode("ascii"))
    candidates.append("utf-8")
    codecs_found: list[str] = []
    for label in candidates:
        codec = _codec(label)
        if codec and codec not in codecs_found:
            codecs_found.append(codec)
    return codecs_found


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The page as text and the codec used: the first candidate that decodes cleanly.

    If none does, the most authoritative one is used with replacement characters, so one bad
    byte costs a character, not the page.
    """
    candidates = sniff_encoding(data, content_type)
    for name in candidates:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        return text.removeprefix("\ufeff"), name
    return data.decode(candidates[0], errors="replace").removeprefix("\ufeff"), candidates[0]


def _iso_date(value: str | None) -> date | None:
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


def _language(tree: HtmlElement) -> str | None:
    """ISO 639-1 code from ``<html lang>`` or a Content-Language meta tag (``ru-RU`` -> ``ru``)."""
    for value in (*_HTML_LANG(tree), *_META_LANG(tree)):
        primary = str(value).strip().split(",")[0].replace("_", "-").split("-")[0].lower()
        if len(primary) == 2 and primary.isalpha():
            return primary
    return None


def _page_date(tree: HtmlElement) -> tuple[date | None, str | None]:
    for source, values in (("meta", _META_DATES(tree)), ("time", _TIME_DATES(tree))):
        for value in values:
            found = _iso_date(str(value))
            if found:
                return found, source
    return None, None


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


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
    try:
        tree = load_html(text)
    except (ValueError, TypeError, etree.ParserError) as exc:
        raise NotExtractable(f"unparseable HTML: {exc}") from None
    if tree is None:
        raise NotExtractable("unparseable HTML")
    language = _language(tree)
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
    )


def extract_pdf(data: bytes, url: str, *, max_pages: int = 500) -> PdfDocument:
    """A PDF's Info metadata and text layer (first ``max_pages`` pages).

    Raises NotExtractable when pypdf cannot read the file (truncated, encrypted, not a PDF).
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise NotExtractable("encrypted PDF")
        info = reader.metadata
        pages = len(reader.pages)
        texts = [page.extract_text() or "" for page in reader.pages[:max_pages]]
    except NotExtractable:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError) as exc:
        raise NotExtractable(f"unreadable PDF: {exc}") from None
    title = _clean(str(info.title)) if info is not None and info.title else None
    author = str(info.author) if info is not None and info.author else ""
    created = None
    if info is not None:
        try:
            created = info.creation_date.date() if info.creation_date else None
        except (ValueError, TypeError):
            created = None
    text = _clean("\n".join(t.strip() for t in texts if t.strip()))
    return PdfDocument(
        url=url,
        title=title,
        authors=tuple(a.strip() for a in author.split(";") if a.strip()),
        created=created,
        pages=pages,
        text=text,
        word_count=count_words(text),
        content_sha256=content_digest(title, None, text),
    )
