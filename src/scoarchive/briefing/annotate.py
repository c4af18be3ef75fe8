"""Robust Links: a briefing whose every cited link also names its archived copy.

A reader of a briefing a year later finds the cited SCO page moved or gone; the annotated
briefing carries, beside each cited URL, the address of the archived copy and the date it was
linked (the Robust Links convention: https://robustlinks.mementoweb.org/spec/):

- HTML: each cited ``<a href>`` gets ``data-originalurl``, ``data-versionurl`` and
  ``data-versiondate`` (YYYY-MM-DD); nothing else in the document changes;
- text and Markdown: `` [archived: ARCHIVED_URL, YYYY-MM-DD]`` after each cited URL (after a
  Markdown link or autolink as a whole, so the link still renders);
- DOCX: the same text after each cited hyperlink or written-out URL, in word/document.xml and
  Word's footnotes; every other part of the package is copied unchanged.

Annotating twice does not annotate twice, and :mod:`scoarchive.briefing` ignores the added
addresses, so an annotated briefing reads back with the same citations.
"""

from __future__ import annotations

import codecs
import io
import os
import posixpath
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import lxml.html
from lxml import etree

from scoarchive.briefing.check import BriefingReport
from scoarchive.briefing.citations import ARCHIVED_MARK
from scoarchive.briefing.model import BriefingError, Format, UrlSpan
from scoarchive.briefing.reader import decode_text, detect_format
from scoarchive.briefing.urls import url_spans
from scoarchive.core.urls import InvalidURL, canonicalize
from scoarchive.resolve.model import Resolution

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


_FOOTNOTES_REL = f"{_R}/footnotes"


_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


@dataclass(frozen=True)
class ArchivedLink:
    """The archived copy a cited URL resolves to, and the date the link was made."""

    archived_url: str
    version_date: datetime


class _Links:
    """Looks a cited URL up as written, else by its canonical form (case of host, default port)."""

    def __init__(self, links: Mapping[str, ArchivedLink]) -> None:
        self.links = links
        self.canonical = {key: link for url, link in links.items() if (key := _canonical(url))}

    def get(self, url: str) -> ArchivedLink | None:
        return self.links.get(url) or self.canonical.get(_canonical(url) or "")


def _canonical(url: str) -> str | None:
    try:
        return canonicalize(url)
    except InvalidURL:
        return None


def _note(link: ArchivedLink) -> str:
    return f" {ARCHIVED_MARK}{link.archived_url}, {link.version_date:%Y-%m-%d}]"


def annotate(briefing_path: Path, out: Path, links: Mapping[str, ArchivedLink]) -> int:
    """Write ``briefing_path`` to ``out`` (same format; text as UTF-8) with Robust Links for the
    cited URLs in ``links`` (keyed by the URL as cited); return how many links were annotated."""
    briefing_path, out = Path(briefing_path), Path(out)
    try:
        data = briefing_path.read_bytes()
    except OSError as exc:
        raise BriefingError(f"cannot read {briefing_path}: {exc.strerror or exc}") from None
    fmt = detect_format(briefing_path, data)
    if fmt in (Format.PDF, Format.ODT):
        raise BriefingError(
            f"{fmt.upper()} briefings are not annotated: annotate the DOCX, HTML, Markdown or text "
            "it was made from"
        )
    lookup = _Links(links)
    if fmt == "html":
        result, count = _annotate_html(data, lookup)
    elif fmt == "docx":
        result, count = _annotate_docx(data, lookup)
    else:
        text = decode_text(data, str(briefing_path))
        spans = _markdown_spans(text) if fmt == "md" else url_spans(text)
        annotated, count = _annotate_text(text, spans, lookup)
        result = annotated.encode("utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8")
    partial = out.with_name(f".{out.name}.part")
    partial.write_bytes(result)
    os.replace(partial, out)
    return count


def _annotate_text(text: str, spans: list[UrlSpan], lookup: _Links) -> tuple[str, int]:
    count = 0
    for span in reversed(spans):
        link = lookup.get(span.url)
        if link is None or text.startswith(f" {ARCHIVED_MARK}", span.end):
            continue
        text = text[: span.end] + _note(link) + text[span.end :]
        count += 1
    return text, count


_AUTOLINK = re.compile(r"<(https?://[^\s<>]+)>", re.IGNORECASE)


# a link reference definition, "[label]: URL": text after its URL would break it, so it is left
_REFERENCE = re.compile(r"^ {0,3}\[(?!\^)[^\]\n]+\]:[ \t]*<?https?://.*$", re.MULTILINE | re.IGNORECASE)


_INLINE_START = re.compile(r"\]\(\s*(<)?(?=https?://)", re.IGNORECASE)


_LINK_TITLE = re.compile(r"""\s*(?:"[^"]*"|'[^']*'|\([^)]*\))?\s*\)""")


def _inline_link(text: str, start: int) -> tuple[str, int] | None:
    """The URL of a Markdown inline link ``](URL "title")`` at ``start`` and where the link ends;
    parentheses inside the URL are kept when balanced, as CommonMark does."""
    match = _INLINE_START.match(text, start)
    if match is None:
        return None
    position, depth = match.end(), 0
    while position < len(text):
        char = text[position]
        if char.isspace() or (match.group(1) and char == ">") or (char == ")" and depth == 0):
            break
        depth += {"(": 1, ")": -1}.get(char, 0)
        position += 1
    url = text[match.end() : position]
    position += 1 if match.group(1) and text.startswith(">", position) else 0
    tail = _LINK_TITLE.match(text, position)
    return (url, tail.end()) if tail else None


def _label_start(text: str, close: int) -> int:
    """Where the ``[label]`` that ends at ``close`` opens (brackets nest), so an address written
    as the label (``[eng.sectsco.org/a.html](http://…)``) counts as part of the link."""
    depth = 0
    for position in range(close, -1, -1):
        depth += {"]": 1, "[": -1}.get(text[position], 0)
        if depth == 0:
            return position
    return close


def _markdown_spans(text: str) -> list[UrlSpan]:
    """Links of a Markdown text, each ending after its whole construct, so that a note after it
    leaves ``[text](url)`` and ``<url>`` intact; then written-out URLs outside any construct
    (reference definitions ``[label]: URL`` excepted, which a note would break)."""
    spans = []
    taken = []
    for position in (m.start() for m in re.finditer(r"\]\(", text)):
        if found := _inline_link(text, position):
            spans.append(UrlSpan(position, found[1], found[0]))
            taken.append((_label_start(text, position), found[1]))
    spans += [UrlSpan(m.start(), m.end(), m.group(1)) for m in _AUTOLINK.finditer(text)]
    taken += [(span.start, span.end) for span in spans]
    taken += [(m.start(), m.end()) for m in _REFERENCE.finditer(text)]
    spans += [s for s in url_spans(text) if not any(a <= s.start < b for a, b in taken)]
    return sorted(spans, key=lambda span: span.start)


def _set_robust_link(anchor: lxml.html.HtmlElement, lookup: _Links) -> bool:
    href = "".join(anchor.get("href", "").split())
    link = lookup.get(href) if href else None
    if link is None:
        return False
    anchor.set("data-originalurl", href)
    anchor.set("data-versionurl", link.archived_url)
    anchor.set("data-versiondate", f"{link.version_date:%Y-%m-%d}")
    return True


def _annotate_html(data: bytes, lookup: _Links) -> tuple[bytes, int]:
    """Set the Robust Links attributes with lxml; a fragment stays a fragment."""
    try:
        if re.search(rb"<html[\s>]", data[:4096], re.IGNORECASE):
            root = lxml.html.document_fromstring(data)
            count = sum(_set_robust_link(anchor, lookup) for anchor in root.iter("a"))
            tree = root.getroottree()
            encoding = tree.docinfo.encoding or "utf-8"
            return lxml.html.tostring(tree, encoding=encoding, doctype=tree.docinfo.doctype), count
        pieces = lxml.html.fragments_fromstring(data.decode("utf-8-sig"))
    except (etree.ParserError, ValueError) as exc:
        raise BriefingError(f"not readable as HTML: {exc}") from None
    count = 0
    text = []
    for piece in pieces:
        if isinstance(piece, str):
            text.append(piece)
            continue
        count += sum(_set_robust_link(anchor, lookup) for anchor in piece.iter("a"))
        text.append(lxml.html.tostring(piece, encoding="unicode"))
    return "".join(text).encode("utf-8"), count


def _w(name: str) -> str:
    return f"{{{_W}}}{name}"


def _rels_path(part: str) -> str:
    directory, name = posixpath.split(part)
    return posixpath.join(directory, "_rels", f"{name}.rels")


def _relationships(archive: zipfile.ZipFile, part: str) -> list[etree._Element]:
    try:
        return list(etree.fromstring(archive.read(_rels_path(part))).iter(f"{{{_PKG_RELS}}}Relationship"))
    except KeyError:
        return []


def _note_run(text: str) -> etree._Element:
    run = etree.Element(_w("r"))
    node = etree.SubElement(run, _w("t"))
    node.set(_XML_SPACE, "preserve")
    node.text = text
    return run


def _annotate_docx_part(root: etree._Element, targets: Mapping[str, str], lookup: _Links) -> int:
    count = 0
    for hyperlink in root.iter(_w("hyperlink")):
        link = lookup.get(targets.get(hyperlink.get(f"{{{_R}}}id", ""), ""))
        following = hyperlink.getnext()
        already = following is not None and "".join(following.itertext()).startswith(f" {ARCHIVED_MARK}")
        if link is not None and not already:
            hyperlink.addnext(_note_run(_note(link)))
            count += 1
    for paragraph in root.iter(_w("p")):
        nodes = list(paragraph.iter(_w("t")))
        text = "".join(node.text or "" for node in nodes)
        offsets = []
        position = 0
        for node in nodes:
            offsets.append(position)
            position += len(node.text or "")
        for span in reversed(url_spans(text)):
            link = lookup.get(span.url)
            if link is None or text.startswith(f" {ARCHIVED_MARK}", span.end):
                continue
            index = max(i for i, start in enumerate(offsets) if start < span.end)
            node = nodes[index]
            if any(ancestor.tag == _w("hyperlink") for ancestor in node.iterancestors()):
                continue  # annotated after the hyperlink above
            cut = span.end - offsets[index]
            node.text = (node.text or "")[:cut] + _note(link) + (node.text or "")[cut:]
            node.set(_XML_SPACE, "preserve")
            count += 1
    return count


def _annotate_docx(data: bytes, lookup: _Links) -> tuple[bytes, int]:
    """Rewrite word/document.xml and Word's footnotes; copy every other entry as it was."""
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise BriefingError(f"not a readable DOCX file: {exc}") from None
    with source:
        document = "word/document.xml"
        parts = [document] + [
            posixpath.normpath(posixpath.join("word", rel.get("Target", "")))
            for rel in _relationships(source, document)
            if rel.get("Type") == _FOOTNOTES_REL
        ]
        changed: dict[str, bytes] = {}
        count = 0
        for part in parts:
            targets = {
                rel.get("Id", ""): rel.get("Target", "")
                for rel in _relationships(source, part)
                if rel.get("TargetMode") == "External"
            }
            root = etree.fromstring(source.read(part))
            added = _annotate_docx_part(root, targets, lookup)
            if added:
                changed[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                count += added
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as target:
            for info in source.infolist():
                target.writestr(info, changed.get(info.filename) or source.read(info.filename))
    return buffer.getvalue(), count


def annotate_briefing(path: Path, out: Path, report: BriefingReport, found: dict[str, Resolution]) -> int:
    """Write the briefing with Robust Links (archived address and date) on every resolved citation."""
    links = {
        c.url: ArchivedLink(c.archived_url, found[c.url].capture.time)
        for c in report.citations
        if c.resolved and c.archived_url
    }
    return annotate(path, out, links)
