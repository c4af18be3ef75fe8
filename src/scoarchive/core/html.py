"""Parsing HTML pages of any nesting depth into one kind of tree, for everything that reads them.

libxml2's HTML parser (lxml) stops building the tree at a nesting depth of 256: whatever is
deeper is lost, links and text alike. Nesting that deep is meaningless for a page's content
but common enough in generated pages, and a hostile page can nest a million elements. So a
page goes through libxml2 as usual, and only when libxml2 reports that it hit its depth limit
does a linear flattening pass (the standard library's tokenizer) rewrite the markup so that
elements deeper than ``MAX_DEPTH`` become siblings at that depth: every element, attribute and
character of text is kept, in document order, and the result parses within the limit. (A
conforming HTML5 tree builder such as lexbor has no depth limit but takes quadratic time in
the depth: 32 s for 100,000 nested elements, here.)

Link discovery, article extraction and the replay for browsers all parse through
:func:`parse_html`, so they see the same tree.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser as Tokenizer

import lxml.html
from lxml import etree

# Far enough below libxml2's 256 that the elements libxml2 adds (html, body) never reach it.
MAX_DEPTH = 128


# Elements that never have content, so never deepen the tree.
VOID_ELEMENTS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
        "param", "source", "track", "wbr",
    }
)  # fmt: skip


# End tags are matched against this many of the most recently opened elements past the limit;
# a deeper match is taken as a stray end tag. Bounds the pass's work per tag.
END_TAG_SEARCH = 16


# Characters XML (so lxml) cannot hold in a tree; libxml2 drops them from bytes too.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse_html(
    data: str | bytes, *, encoding: str | None = None, comments: bool = False
) -> lxml.html.HtmlElement:
    """The document (an ``<html>`` element) of a page, however deeply its elements nest.

    ``data`` is text, or bytes in ``encoding`` (None: as libxml2 detects it from the page's
    ``<meta charset>``, else UTF-8/Latin-1). Never raises for bad markup: an empty or
    unparseable page is an empty document.
    """
    if isinstance(data, str):
        data, encoding = _INVALID_XML.sub("", data).encode("utf-8"), "utf-8"
    parser = _parser(encoding, comments)
    document = _document(data, parser)
    if not _too_deep(parser):
        return document
    text = data.decode(encoding or document.getroottree().docinfo.encoding or "utf-8", errors="replace")
    flat = flatten(_INVALID_XML.sub("", text)).encode("utf-8")
    return _document(flat, _parser("utf-8", comments))


def _parser(encoding: str | None, comments: bool) -> lxml.html.HTMLParser:
    """A parser per call: its error log tells whether this parse hit the depth limit."""
    return lxml.html.HTMLParser(
        encoding=encoding,
        remove_comments=not comments,
        remove_pis=True,
        collect_ids=False,
        default_doctype=False,
        no_network=True,
    )


def _document(data: bytes, parser: lxml.html.HTMLParser) -> lxml.html.HtmlElement:
    try:
        if data.strip():
            return lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        pass
    return lxml.html.document_fromstring(b"<html></html>", parser=parser)


def _too_deep(parser: lxml.html.HTMLParser) -> bool:
    return any(error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for error in parser.error_log)


def flatten(html: str, max_depth: int = MAX_DEPTH) -> str:
    """The markup with elements nested deeper than ``max_depth`` made siblings at that depth.

    Past the limit each start tag first closes the element opened before it there, so the
    elements follow one another, each holding its own text up to the next tag; end tags of
    elements that were closed early are dropped. Linear in the size of the page.
    """
    flattener = _Flattener(max_depth)
    flattener.feed(html)
    flattener.close()
    return "".join(flattener.out)


class _Flattener(Tokenizer):
    """Re-emits the page's markup as written, changing only the tags past the depth limit."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(convert_charrefs=False)
        self.max_depth = max_depth
        self.out: list[str] = []
        self.stack: list[str] = []  # open elements up to the limit (as this pass counts them)
        self.beyond: list[str] = []  # elements opened past the limit, still open in the source
        self.leaf: str | None = None  # the element past the limit left open in the output

    def _close_leaf(self) -> None:
        if self.leaf is not None:
            self.out.append(f"</{self.leaf}>")
            self.leaf = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or f"<{tag}>"
        if len(self.stack) < self.max_depth and not self.beyond:
            self.out.append(raw)
            if tag not in VOID_ELEMENTS:
                self.stack.append(tag)
            return
        if tag in VOID_ELEMENTS:
            self.out.append(raw)
            return
        self._close_leaf()
        self.out.append(raw)
        self.beyond.append(tag)
        self.leaf = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if self.beyond:
            recent = self.beyond[-END_TAG_SEARCH:]
            if tag in recent:
                del self.beyond[len(self.beyond) - 1 - recent[::-1].index(tag) :]
                if self.leaf == tag:
                    self._close_leaf()
                return
            if tag not in self.stack:
                return  # a stray end tag
            self._close_leaf()
            self.beyond.clear()
        if tag in self.stack:
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")
