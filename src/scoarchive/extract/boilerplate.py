"""What is not article text, told by what the page says of a block rather than by site.

Two passes around trafilatura, which chooses the main content:

* before it, the page loses its captions (``<figcaption>``: the Russian photo credits of the
  SCO's English pages), its date stamps (a ``<time>`` outside running text) and the blocks
  whose class or id names them as sharing, related news, breadcrumbs, calendars or search;
* after it, its choice loses the blocks that are still not article text: link teasers (a
  block whose letters are nearly all the text of links to other pages: related stories,
  "Read more: ...", newsletter and app promotions; links to a place in the page and links
  that spell out their address, citations, do not count), a standfirst (a heading among the
  first blocks that repeats the page's description), headings left with nothing after them,
  and, in the text but not in the markdown, the headline repeated above the body (the title
  is kept apart).

These rules take blocks out of trafilatura's output rather than its input where they can:
any change to its input can tip it into another, worse choice of main content.

Guards keep a rule from eating the article: a labelled block with much text outside its links
wraps prose (``class="entry share"``), captions holding a large share of the page's text are a
gallery's content, and when link teasers would take a large share of the extracted text the
page is made of links (a deals page) and they stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree
from lxml.html import HtmlElement

# Class or id tokens of blocks that are never article text on a news page.
BOILERPLATE_TOKENS = frozenset(
    {"share", "sharing", "social", "related", "breadcrumb", "breadcrumbs", "calendar", "search"}
)

# Captions together holding more than this share of the page's text are a gallery's content.
MAX_CAPTION_SHARE = 0.3

# A labelled block with more letters than this outside its links wraps prose: it is not
# boilerplate (share buttons, related links, search forms and calendars are nearly all links).
MAX_LABELLED_PROSE = 200

# A block is a link teaser when at least this share of its letters are link text...
TEASER_LINK_SHARE = 0.8

# ...unless teasers would take more than this share of the extracted text.
MAX_TEASER_SHARE = 0.4

# Leading blocks searched for a repeated headline or a standfirst.
HEAD_BLOCKS = 3

# trafilatura's output elements that make a line of text, and those a teaser can be.
_BLOCKS = ("p", "head", "item", "quote")
_TEASER_BLOCKS = ("p", "item", "quote")

_CAPTIONS = etree.XPath("//figcaption")

_STAMPS = etree.XPath("//time[not(ancestor::p)]")

_BODY = etree.XPath("/html/body")

_URL_TEXT = re.compile(r"\s*(?:https?://|www\.)", re.IGNORECASE)

_TITLE_PARTS = re.compile(r"\s+[|\-–—:·•»]+\s+")


def normal(text: str) -> str:
    """Whitespace collapsed: how a block's text is compared with the page's."""
    return " ".join(text.split())


def _letters(text: str) -> int:
    return len(text) - text.count(" ")


def _labelled(tree: HtmlElement) -> list[HtmlElement]:
    """Elements inside the body with a boilerplate token among their class or id tokens (a
    class "research" holds "search" but is no search box). A loop over elements: five times
    faster here than an XPath testing each token, which libxml2 evaluates per element."""
    found = []
    for body in _BODY(tree):
        for element in body.iterdescendants(etree.Element):
            label = f"{element.get('class', '')} {element.get('id', '')}".lower().split()
            if label and not BOILERPLATE_TOKENS.isdisjoint(label):
                found.append(element)
    return found


def page_characters(tree: HtmlElement) -> int:
    """Characters of the page's body text."""
    body = _BODY(tree)
    return len(body[0].text_content()) if body else 0


def _prose(element: HtmlElement) -> int:
    """Letters of an element's text outside its links."""
    linked = sum(_letters(normal(a.text_content())) for a in element.iter("a"))
    return _letters(normal(element.text_content())) - linked


def prune_labelled(tree: HtmlElement) -> None:
    """Remove the page's captions, date stamps and labelled boilerplate blocks before extraction."""
    captions = _CAPTIONS(tree)
    if captions and sum(len(c.text_content()) for c in captions) > MAX_CAPTION_SHARE * page_characters(tree):
        captions = []
    doomed = [*captions, *_STAMPS(tree)]
    doomed.extend(element for element in _labelled(tree) if _prose(element) <= MAX_LABELLED_PROSE)
    for element in doomed:
        element.drop_tree()


def title_variants(titles: Iterable[str]) -> frozenset[str]:
    """The headline as the page may repeat it: each title given, and each part of a
    ``Headline | Site`` title."""
    variants = set()
    for title in titles:
        variants.add(normal(title))
        variants.update(normal(part) for part in _TITLE_PARTS.split(title) if len(part) > 15)
    variants.discard("")
    return frozenset(variants)


def _outer_blocks(body: etree._Element) -> list[etree._Element]:
    """Blocks not inside another block, in document order."""
    return [b for b in body.iter(*_BLOCKS) if not any(a.tag in _BLOCKS for a in b.iterancestors())]


def _text(element: etree._Element) -> str:
    return normal("".join(element.itertext()))


def _link_letters(block: etree._Element) -> int:
    total = 0
    for ref in block.iter("ref"):
        target = ref.get("target") or ""
        text = "".join(ref.itertext())
        if target and "#" not in target and not _URL_TEXT.match(text):
            total += _letters(normal(text))
    return total


def _remove(element: etree._Element) -> None:
    """Take an element out of trafilatura's tree, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _teasers(blocks: list[etree._Element], extracted: int) -> list[etree._Element]:
    found = []
    for block in blocks:
        letters = _letters(_text(block))
        if block.tag in _TEASER_BLOCKS and letters and _link_letters(block) >= TEASER_LINK_SHARE * letters:
            found.append((block, letters))
    if sum(letters for _, letters in found) > MAX_TEASER_SHARE * extracted:
        return []
    return [block for block, _ in found]


def _standfirsts(blocks: list[etree._Element], descriptions: frozenset[str]) -> list[etree._Element]:
    return [b for b in blocks[:HEAD_BLOCKS] if b.tag == "head" and _text(b) in descriptions]


def strip_boilerplate(body: etree._Element, descriptions: frozenset[str]) -> None:
    """Remove link teasers, a standfirst and orphan headings from trafilatura's output tree."""
    blocks = _outer_blocks(body)
    extracted = sum(_letters(_text(block)) for block in blocks)
    doomed = {id(b): b for b in _teasers(blocks, extracted)}
    kept = [b for b in blocks if id(b) not in doomed]
    doomed.update((id(b), b) for b in _standfirsts(kept, descriptions))
    for block in doomed.values():
        _remove(block)
    for emptied in [e for e in body.iter("list") if not len(e) and not _text(e)]:
        _remove(emptied)
    while len(body) > 1 and body[-1].tag == "head" and any(b.tag != "head" for b in _outer_blocks(body)):
        _remove(body[-1])


def strip_headline(body: etree._Element, titles: frozenset[str]) -> None:
    """Remove the headline repeated above the body (the markdown keeps it as its heading)."""
    for block in _outer_blocks(body)[:HEAD_BLOCKS]:
        if _text(block) in titles:
            _remove(block)
