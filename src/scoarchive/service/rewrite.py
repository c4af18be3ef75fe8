"""Archived HTML and CSS rewritten for a browser: every link pointed back into the archive.

Rewriting is what lets a reader click through an archived site without leaving the archive (as
pywb's ``rewrite`` package does for its replay). Pages are parsed in one place,
:func:`parse_html`, so the parser can be swapped for one without libxml2's nesting limit.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.html

from scoarchive.core.html import parse_html
from scoarchive.extract.encoding import decode_html

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.IGNORECASE)


_DOCTYPE = re.compile(r"\s*<!doctype[^>]*>", re.IGNORECASE)


# C0 controls other than whitespace: invisible in a browser, refused by lxml when text is moved
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def archive_link(link: str, prefix: str) -> str:
    """An absolute http(s) ``link`` inside the archive under ``prefix``; anything else unchanged."""
    stripped = link.strip()
    if stripped.lower().startswith(("http://", "https://")):
        return prefix + stripped
    return link


def absolute(base: str, link: str) -> str:
    """``link`` resolved against ``base``; unchanged if malformed (archived pages are anything)."""
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def rewrite_css(text: str, base: str, prefix: str) -> str:
    """url(...) and @import targets pointed into the archive."""

    def replace(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            link = archive_link(absolute(base, match.group(2)), prefix)
            return f"url({match.group(1)}{link}{match.group(1)})"
        link = archive_link(absolute(base, match.group(4)), prefix)
        return f"@import {match.group(3)}{link}{match.group(3)}"

    return _CSS_URL.sub(replace, text)


def rewrite_html(
    body: bytes, content_type: str | None, page_url: str, timestamp: str, banner: str | None
) -> bytes:
    """The page with every link into the archive at ``timestamp`` and the banner on top, as UTF-8.

    lxml's link rewriting covers href, src, action, style ``url()``, ``<base>`` and meta refresh;
    ``srcset`` and frames are done here.
    """
    text, _ = decode_html(body, content_type)
    doc = parse_html(_CONTROLS.sub("", text), comments=True)  # as deep as the page nests
    prefix = f"/web/{timestamp}/"
    base_element = doc.find(".//base[@href]")
    base = absolute(page_url, base_element.get("href", "")) if base_element is not None else page_url
    for element in list(doc.iter("base")):
        element.drop_tree()
    doc.make_links_absolute(base, resolve_base_href=False, handle_failures="ignore")
    doc.rewrite_links(lambda link: archive_link(link, prefix))
    for element in doc.iter("iframe", "frame"):
        src = element.get("src")
        if src and src.startswith(prefix):
            element.set("src", f"/web/{timestamp}if_/" + src[len(prefix) :])
    for element in doc.iter("img", "source"):
        srcset = element.get("srcset")
        if srcset:
            candidates = []
            for candidate in srcset.split(","):
                url, _, descriptor = candidate.strip().partition(" ")
                link = archive_link(absolute(base, url), prefix)
                candidates.append(f"{link} {descriptor}".strip())
            element.set("srcset", ", ".join(candidates))
    for meta in doc.iter("meta"):
        equiv = (meta.get("http-equiv") or "").lower()
        if meta.get("charset") is not None:
            meta.set("charset", "utf-8")
        elif equiv == "content-type":
            meta.set("content", "text/html; charset=utf-8")
    if banner:
        body_element = doc.find("body")
        if body_element is None:
            body_element = lxml.html.Element("body")
            doc.append(body_element)
        top = lxml.html.fragment_fromstring(banner)
        top.tail, body_element.text = body_element.text, None  # above the page's first words too
        body_element.insert(0, top)
    doctype = _DOCTYPE.match(text)  # the page's own, or none (libxml2 would invent HTML 4.0)
    serialised = bytes(lxml.html.tostring(doc, encoding="utf-8"))
    return (doctype.group(0).strip().encode("utf-8") + b"\n" if doctype else b"") + serialised
