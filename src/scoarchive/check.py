"""The briefing check: before publication, prove every citation is preserved and says what is claimed.

For each citation of a briefing: resolve it in the archive (by the cited date), optionally
archive it now when it is missing (``capture_missing``: the same capture engine as a crawl, one
page and what it embeds, plus the article's current address for an old-site citation), optionally
ask the live site about it (``live``), then compare the footnote's date with the article's
publication date and look for every quoted passage in the archived text.

The JSON form of :class:`BriefingReport` is a contract for citation tools (README, "Briefing
check"); its keys do not change without a version bump.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date
from pathlib import Path
from typing import Any

from scoarchive import warehouse
from scoarchive.annotate import ArchivedLink, annotate
from scoarchive.briefing import Briefing, Citation, parse_briefing
from scoarchive.bundle import BundleCapture, BundleRecord, WarcLocation, write_wacz
from scoarchive.capture import CrawlConfig, CrawlSummary, crawl
from scoarchive.discover import extract_links
from scoarchive.httpmsg import BodyTooLarge, decode_body
from scoarchive.profile import Profile, load_profile
from scoarchive.quotes import check_date, check_quote
from scoarchive.resolve import Capture, Resolution, Resolver
from scoarchive.settings import DataDir
from scoarchive.urls import ConnectTo, InvalidURL
from scoarchive.warc import read_record
from scoarchive.watch import archived_pages, check_live

DEFAULT_SERVICE = "http://127.0.0.1:8080"
HTML_LIMIT = 16 * 2**20


@dataclass
class CitationReport:
    n: int | None
    url: str
    title: str | None
    resolved: bool
    archived_url: str | None = None
    capture_time: str | None = None
    match: str | None = None
    live: str | None = None
    date_check: dict[str, Any] = field(default_factory=dict)
    quotes: list[dict[str, Any]] = field(default_factory=list)
    captured_now: bool = False
    archived_title: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    record_id: str | None = None
    problem: str | None = None


@dataclass
class BriefingReport:
    briefing: str
    citations: list[CitationReport]
    capture: dict[str, Any] | None = None

    @property
    def all_preserved(self) -> bool:
        return bool(self.citations) and all(c.resolved for c in self.citations)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings."""
        return {
            "briefing": self.briefing,
            "all_preserved": self.all_preserved,
            "citations": [_json_ready(asdict(c)) for c in self.citations],
            "capture": self.capture,
        }


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class CheckOptions:
    data_dir: Path
    profile: Profile
    capture_missing: bool = False
    live: bool = False
    connect_to: Sequence[ConnectTo] = ()
    service_url: str = DEFAULT_SERVICE
    delay: float | None = None
    timeout: float = 30.0

    @classmethod
    def from_names(
        cls,
        data_dir: Path,
        profile: str = "sco",
        connect_to: Sequence[str] = (),
        **options: Any,
    ) -> CheckOptions:
        """Options as the CLI and the flow receive them: a profile name, ``--connect-to`` specs."""
        return cls(
            data_dir=data_dir,
            profile=load_profile(profile),
            connect_to=[ConnectTo.parse(spec) for spec in connect_to],
            **options,
        )


@dataclass
class Checked:
    """A checked briefing: the report, and what each cited URL resolved to (for annotations, bundles)."""

    briefing: Briefing
    report: BriefingReport
    found: dict[str, Resolution]


def check_briefing(path: Path, options: CheckOptions) -> Checked:
    """Check every citation of the briefing at ``path``; raises BriefingError on bad input."""
    briefing = parse_briefing(path)
    resolver = Resolver(options.data_dir, profile=options.profile)
    found = _resolve_all(resolver, briefing.citations)
    capture_summary = None
    captured_now: set[str] = set()
    missing = [c for c in briefing.citations if c.url not in found]
    if missing and options.capture_missing:
        capture_summary = _capture(missing, options)
        warehouse.load(options.data_dir)
        resolver = Resolver(options.data_dir, profile=options.profile)
        again = _resolve_all(resolver, missing)
        captured_now = set(again)
        found.update(again)
    live = _live_states(briefing.citations, found, options) if options.live else {}
    contents = _archived_contents(options.data_dir, found)
    reports = []
    for citation in briefing.citations:
        resolution = found.get(citation.url)
        report = CitationReport(citation.n, citation.url, citation.title, resolution is not None)
        report.live = live.get(citation.url)
        report.captured_now = citation.url in captured_now
        if resolution is None:
            report.problem = "not archived" + ("" if options.capture_missing else " (try --capture-missing)")
            report.date_check = asdict(check_date(citation.stated_date, None))
        else:
            _describe(report, citation, resolution, resolver, contents, options.service_url)
        reports.append(report)
    summary = capture_summary.to_dict() if capture_summary else None
    return Checked(briefing, BriefingReport(str(path), reports, summary), found)


def _resolve_all(resolver: Resolver, citations: Sequence[Citation]) -> dict[str, Resolution]:
    found: dict[str, Resolution] = {}
    for citation in citations:
        try:
            resolution = resolver.resolve(citation.url, citation.stated_date)
        except warehouse.WarehouseError:
            return {}  # nothing loaded yet: nothing is archived
        except InvalidURL:
            continue
        if resolution is not None and (resolution.capture.content.status or 0) < 400:
            found[citation.url] = resolution
    return found


def _capture(missing: Sequence[Citation], options: CheckOptions) -> CrawlSummary | None:
    """Archive the missing pages now: the cited address and, for an old one, the current one."""
    profile = options.profile
    seeds: list[str] = []
    for citation in missing:
        try:
            url = profile.canonicalize(citation.url)
        except InvalidURL:
            continue
        if profile.in_scope(url):
            seeds.append(url)
            current = profile.current_url(url)
            if current and current != url:
                seeds.append(current)
    if not seeds:
        return None
    config = CrawlConfig(
        profile=profile,
        data_dir=options.data_dir,
        seeds=list(dict.fromkeys(seeds)),
        connect_to=options.connect_to,
        follow_links=False,
        delay=options.delay,
        timeout=options.timeout,
    )
    return crawl(config)


def _live_states(
    citations: Sequence[Citation], found: dict[str, Resolution], options: CheckOptions
) -> dict[str, str]:
    """alive / changed / moved / gone ... of each cited address now, compared with its capture."""
    seen = dict(archived_pages(options.data_dir, options.profile, [r.capture.url for r in found.values()]))
    pages = []
    for citation in citations:
        resolution = found.get(citation.url)
        prior = seen.get(resolution.capture.url) if resolution else None
        pages.append((citation.url, prior))
    report = asyncio.run(
        check_live(pages, connect_to=options.connect_to, timeout=options.timeout, delay=options.delay or 0.0)
    )
    return {check.url: check.state.value for check in report.checks}


def _archived_contents(data_dir: Path, found: dict[str, Resolution]) -> dict[str, tuple[Any, ...]]:
    """record_id -> (title, published, text) of what extraction read from each archived record."""
    ids = sorted({resolution.capture.content.record_id for resolution in found.values()})
    if not ids:
        return {}
    con = warehouse.connect(data_dir)
    try:
        rows = con.execute(
            "SELECT record_id, title, published, text FROM extractions WHERE record_id IN (SELECT unnest(?))",
            [ids],
        ).fetchall()
    finally:
        con.close()
    return {row[0]: row[1:] for row in rows}


def _describe(
    report: CitationReport,
    citation: Citation,
    resolution: Resolution,
    resolver: Resolver,
    contents: dict[str, tuple[Any, ...]],
    service_url: str,
) -> None:
    capture = resolution.capture
    report.archived_url = f"{service_url.rstrip('/')}/web/{resolver.memento_timestamp(capture)}/{capture.url}"
    report.capture_time = capture.time.astimezone(UTC).isoformat().replace("+00:00", "Z")
    report.match = resolution.match
    report.warc_file, report.warc_offset = capture.content.warc_file, capture.content.warc_offset
    report.record_id = capture.content.record_id
    title, published, text = contents.get(capture.content.record_id, (capture.title, None, ""))
    report.archived_title = title
    report.date_check = asdict(check_date(citation.stated_date, published))
    report.quotes = [asdict(check_quote(quote, text or "")) for quote in citation.quotes]
    if not text and citation.quotes:
        report.problem = "no extracted text for the archived page; quotes could not be checked"


# -- outputs ----------------------------------------------------------------------------------------


def annotate_briefing(path: Path, out: Path, report: BriefingReport, found: dict[str, Resolution]) -> int:
    """Write the briefing with Robust Links (archived address and date) on every resolved citation."""
    links = {
        c.url: ArchivedLink(c.archived_url, found[c.url].capture.time)
        for c in report.citations
        if c.resolved and c.archived_url
    }
    return annotate(path, out, links)


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


def render_markdown(report: BriefingReport) -> str:
    lines = [f"# Citation check: {report.briefing}", ""]
    verdict = "every citation is preserved" if report.all_preserved else "NOT every citation is preserved"
    lines += [f"**{verdict}** ({sum(c.resolved for c in report.citations)}/{len(report.citations)})", ""]
    lines += ["| n | cited | archived copy | match | date | quotes | live |", "|---|---|---|---|---|---|---|"]
    for c in report.citations:
        archived = f"[{c.capture_time}]({c.archived_url})" if c.resolved else "**missing**"
        lines.append(
            f"| {c.n or ''} | {c.url} | {archived} | {c.match or ''} | {_date_text(c)} | {_quotes_text(c)} |"
            f" {c.live or ''} |"
        )
    for c in report.citations:
        for quote in c.quotes:
            if quote["verdict"] == "not_found":
                lines += [
                    "",
                    f"[{c.n}] quote not found: “{quote['text'][:200]}”",
                    f"closest ({quote['similarity']:.2f}): “{quote['closest'][:200]}”",
                ]
    return "\n".join(lines) + "\n"


def render_html(report: BriefingReport) -> str:
    rows = []
    for c in report.citations:
        archived = (
            f'<a href="{html.escape(c.archived_url or "")}">{html.escape(c.capture_time or "")}</a>'
            if c.resolved
            else "<strong>missing</strong>"
        )
        cells = [str(c.n or ""), html.escape(c.url), archived, c.match or "", _date_text(c), _quotes_text(c)]
        cells.append(c.live or "")
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    verdict = "every citation is preserved" if report.all_preserved else "NOT every citation is preserved"
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Citation check</title></head><body>'
        f"<h1>Citation check: {html.escape(report.briefing)}</h1><p><strong>{verdict}</strong></p>"
        "<table><tr><th>n</th><th>cited</th><th>archived copy</th><th>match</th><th>date</th>"
        "<th>quotes</th><th>live</th></tr>" + "".join(rows) + "</table></body></html>\n"
    )


def _date_text(c: CitationReport) -> str:
    check = c.date_check
    verdict = check.get("verdict", "none")
    if verdict == "off":
        return f"off by {abs(check['days_off'])} day(s)"
    return str(verdict)


def _quotes_text(c: CitationReport) -> str:
    if not c.quotes:
        return ""
    found = sum(q["verdict"] != "not_found" for q in c.quotes)
    return f"{found}/{len(c.quotes)} found"
