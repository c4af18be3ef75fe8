"""The briefing check: every citation resolved to its archived copy, its date and quotes checked.

The quotes of a citation are checked against the text extracted from its archived copy and
against the archived texts of the translations its page links (``hreflang``), so a quote
translated from the Russian original is found in it rather than reported in another language.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date
from pathlib import Path
from typing import Any

from scoarchive import warehouse
from scoarchive.briefing.compare import SourceText, Translation, check_date, check_quote
from scoarchive.briefing.model import Briefing, Citation
from scoarchive.briefing.reader import parse_briefing
from scoarchive.capture.config import CrawlConfig, CrawlSummary
from scoarchive.capture.crawler import crawl
from scoarchive.capture.frontier import latest_captures
from scoarchive.capture.live import check_live
from scoarchive.core.profile import Profile, load_profile
from scoarchive.core.settings import DataDir, connect_to_rules
from scoarchive.core.urls import ConnectTo, InvalidURL
from scoarchive.resolve.model import Resolution
from scoarchive.resolve.resolver import Resolver
from scoarchive.warehouse.lookups import Extracted, extracted, linked_translations_of

DEFAULT_SERVICE = "http://127.0.0.1:8080"


HTML_LIMIT = 16 * 2**20


# record ids of archived copies -> the texts of each one's linked translations
TranslationTexts = Callable[[Sequence[str]], Mapping[str, Sequence[SourceText]]]


# How missing pages are archived and then loaded: the library's crawl and load unless the caller
# runs them within limits shared with other runs (the Prefect flow: host slots, warehouse slot).
Capture = Callable[[CrawlConfig], CrawlSummary]
Load = Callable[[Path], object]


@dataclass
class CitationReport:
    """What the check found for one citation; its fields are the JSON report's (a contract for
    citation tools: fields are added, never renamed or removed). ``quotes`` and ``terms`` hold
    :class:`~scoarchive.briefing.compare.QuoteResult` fields, ``date_check`` a ``DateCheck``'s."""

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
    terms: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BriefingReport:
    """The check of one briefing: a report per citation, and the capture run if one was made."""

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
    """How to check: where the archive is, and whether to capture what is missing or ask the
    live site (both reach the network, within the profile's hosts)."""

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
            connect_to=connect_to_rules(connect_to),
            **options,
        )


@dataclass
class Checked:
    """A checked briefing: the report, and what each cited URL resolved to (for annotations, bundles)."""

    briefing: Briefing
    report: BriefingReport
    found: dict[str, Resolution]


def check_briefing(
    path: Path,
    options: CheckOptions,
    *,
    translations: TranslationTexts | None = None,
    capture: Capture = crawl,
    load: Load = warehouse.load,
) -> Checked:
    """Check every citation of the briefing at ``path``; raises BriefingError on bad input.

    ``translations`` gives the texts of the archived copies' linked translations (by default
    the warehouse's: :func:`archived_translations`);
    ``capture`` and ``load`` archive and load the missing pages (with ``capture_missing``).
    """
    briefing = parse_briefing(path)
    resolver = Resolver(options.data_dir, profile=options.profile)
    found = _resolve_all(resolver, briefing.citations)
    capture_summary = None
    captured_now: set[str] = set()
    missing = [c for c in briefing.citations if c.url not in found]
    if missing and options.capture_missing:
        capture_summary = _capture(missing, options, capture)
        load(options.data_dir)
        resolver = Resolver(options.data_dir, profile=options.profile)
        again = _resolve_all(resolver, missing)
        captured_now = set(again)
        found.update(again)
    live = _live_states(briefing.citations, found, options) if options.live else {}
    record_ids = [r.capture.content.record_id for r in found.values()]
    contents = extracted(options.data_dir, record_ids)
    texts = translations or archived_translations(options.data_dir)
    translated = texts(record_ids) if record_ids else {}
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
            _check_quotes(report, citation, contents.get(report.record_id or ""), translated)
        reports.append(report)
    summary = capture_summary.to_dict() if capture_summary else None
    return Checked(briefing, BriefingReport(str(path), reports, summary), found)


def archived_translations(data_dir: Path) -> TranslationTexts:
    """The warehouse's texts of the translations each archived copy links, by its record id;
    a translation that is linked but not archived has no text to compare and is left out."""

    def texts(record_ids: Sequence[str]) -> dict[str, list[SourceText]]:
        linked = linked_translations_of(data_dir, record_ids)
        return {
            record_id: [Translation(t.url, t.language, t.text) for t in found if t.text is not None]
            for record_id, found in linked.items()
        }

    return texts


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


def _capture(missing: Sequence[Citation], options: CheckOptions, capture: Capture) -> CrawlSummary | None:
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
    return capture(config)


def _live_states(
    citations: Sequence[Citation], found: dict[str, Resolution], options: CheckOptions
) -> dict[str, str]:
    """alive / changed / moved / gone ... of each cited address now, compared with its capture."""
    seen = latest_captures(DataDir(options.data_dir).frontier)
    pages = []
    for citation in citations:
        resolution = found.get(citation.url)
        prior = seen.get(options.profile.canonicalize(resolution.capture.url)) if resolution else None
        pages.append((citation.url, prior))
    report = asyncio.run(
        check_live(
            pages,
            options.profile,
            connect_to=options.connect_to,
            timeout=options.timeout,
            delay=options.delay or 0.0,
        )
    )
    return {check.url: check.verdict for check in report.checks}


def _describe(
    report: CitationReport,
    citation: Citation,
    resolution: Resolution,
    resolver: Resolver,
    contents: dict[str, Extracted],
    service_url: str,
) -> None:
    capture = resolution.capture
    report.archived_url = f"{service_url.rstrip('/')}/web/{resolver.memento_timestamp(capture)}/{capture.url}"
    report.capture_time = capture.time.astimezone(UTC).isoformat().replace("+00:00", "Z")
    report.match = resolution.match
    report.warc_file, report.warc_offset = capture.content.warc_file, capture.content.warc_offset
    report.record_id = capture.content.record_id
    title, published, _ = contents.get(capture.content.record_id, Extracted(capture.title, None, ""))
    report.archived_title = title
    report.date_check = asdict(check_date(citation.stated_date, published))


def _check_quotes(
    report: CitationReport,
    citation: Citation,
    content: Extracted | None,
    translated: Mapping[str, Sequence[SourceText]],
) -> None:
    """Quotes and terms against the archived text and the translations linked to it."""
    text = content.text if content else ""
    others = translated.get(report.record_id or "", ())
    report.quotes = [asdict(check_quote(quote, text or "", translations=others)) for quote in citation.quotes]
    report.terms = [asdict(check_quote(term, text or "", translations=others)) for term in citation.terms]
    if not text and (citation.quotes or citation.terms):
        report.problem = "no extracted text for the archived page; quotes could not be checked"
