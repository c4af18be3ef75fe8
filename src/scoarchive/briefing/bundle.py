"""The evidence bundle of a checked briefing: the cited captures, with what they embed, as WACZ."""

from __future__ import annotations

from pathlib import Path

from scoarchive.briefing.check import HTML_LIMIT
from scoarchive.briefing.model import Briefing
from scoarchive.capture.discovery import extract_links
from scoarchive.core.httpmsg import BodyTooLarge, decode_body
from scoarchive.core.settings import DataDir
from scoarchive.core.urls import InvalidURL
from scoarchive.resolve.model import Capture, Resolution
from scoarchive.resolve.resolver import Resolver
from scoarchive.warc.reader import read_record
from scoarchive.warc.wacz import BundleCapture, BundleRecord, WarcLocation, write_wacz


def bundle_briefing(out: Path, briefing: Briefing, found: dict[str, Resolution], data_dir: Path) -> Path:
    """A WACZ with exactly the cited captures and the images and stylesheets they embed."""
    captures: dict[tuple[str, int], BundleCapture] = {}
    warcs = DataDir(data_dir).warcs
    resolver = Resolver(data_dir)
    for citation in briefing.citations:
        resolution = found.get(citation.url)
        if resolution is None:
            continue
        capture = resolution.capture
        also = tuple(_record(hop) for hop in resolution.via)  # the redirects that led to it
        also += tuple(_record(r) for r in _requisites(capture, resolver, warcs))
        main = _record(capture)
        captures.setdefault(
            (main.warc_file, main.warc_offset),
            BundleCapture(
                main.url,
                main.timestamp,
                main.warc_file,
                main.warc_offset,
                main.warc_length,
                refers_to=main.refers_to,
                title=citation.title,
                also=also,
            ),
        )
    title = briefing.title or Path(briefing.source or "briefing").stem
    return write_wacz(out, list(captures.values()), f"Evidence: {title}", warcs)


def _record(capture: Capture) -> BundleRecord:
    refers = None
    if capture.record_type == "revisit":
        content = capture.content
        refers = WarcLocation(content.warc_file, content.warc_offset, content.warc_length)
    where = (capture.warc_file, capture.warc_offset, capture.warc_length)
    return BundleRecord(capture.url, capture.time, *where, refers_to=refers)


def _requisites(capture: Capture, resolver: Resolver, warcs: Path) -> list[Capture]:
    """Captures of what the page embeds, each the one nearest the page's own capture."""
    if (capture.mime or "") not in ("text/html", "application/xhtml+xml"):
        return []
    content = capture.content
    record = read_record(warcs / content.warc_file, content.warc_offset)
    encoding = record.http_headers.get_header("Content-Encoding") if record.http_headers else None
    try:
        body = decode_body(record.raw_stream, encoding, HTML_LIMIT)
    except BodyTooLarge as exc:
        body = exc.partial
    except ValueError:
        return []
    found = []
    for link in extract_links(body, capture.url):
        if not link.requisite:
            continue
        try:
            resolution = resolver.resolve(link.url, capture.time)
        except InvalidURL:
            continue
        if resolution is not None and resolution.match in ("exact", "canonical"):
            found.append(resolution.capture)
    return found
