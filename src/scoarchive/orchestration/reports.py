"""Run reports: the Markdown and table artifacts the flows leave in the Prefect UI.

Pure functions from a run's results (crawl summary, load report, failure) to what an operator
reads; the flows create the artifacts. Its own module (split from :mod:`scoarchive.ops`) so
the wording of the reports can change without touching orchestration, and be tested without
Prefect.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from scoarchive.capture.config import CrawlSummary
from scoarchive.orchestration.retry import is_transient
from scoarchive.warehouse import LoadReport


def crawl_markdown(
    title: str, summary: CrawlSummary, load: LoadReport | None, seconds: float, warc_dir: Path
) -> str:
    """The account of one crawl an operator reads in the Prefect UI."""
    lines = [
        f"# {title}",
        "",
        f"Run `{summary.run_id}` ({summary.status}{', resumed' if summary.resumed else ''}),"
        f" {seconds:.1f} s.",
        "",
        "| | |",
        "| --- | ---: |",
        f"| pages fetched | {summary.fetched} |",
    ]
    if load is not None:
        lines += [
            f"| new articles | {load.articles_added} |",
            f"| new article versions | {load.versions_added} |",
            f"| new documents | {load.documents_added} |",
        ]
    lines += [
        f"| new or changed captures | {summary.new} |",
        f"| unchanged (revisits) | {summary.unchanged} |",
        f"| redirects | {summary.redirects} |",
        f"| failed | {len(summary.failed)} |",
        f"| blocked by robots.txt | {summary.blocked} |",
        f"| WARC bytes written | {summary.bytes_written:,} |",
        f"| duration (s) | {seconds:.1f} |",
    ]
    if load is None:
        lines += ["", "Not loaded into the warehouse by this run (the load deployment picks the files up)."]
    elif load.damage_found:
        lines += ["", f"**{load.damage_headline()}** (the skipped records table names them)"]
    if summary.failed:
        lines += ["", "## Failures", ""]
        lines += [f"- {url}: {reason}" for url, reason in summary.failed[:50]]
        if len(summary.failed) > 50:
            lines.append(f"- ... and {len(summary.failed) - 50} more (see the failures table)")
    if summary.warc_files:
        lines += ["", "## WARC files written", ""]
        lines += [f"- [{name}]({(warc_dir / name).resolve().as_uri()})" for name in summary.warc_files]
    return "\n".join(lines) + "\n"


def failure_rows(failures: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"url": url, "reason": reason} for url, reason in failures]


def artifact_key(*parts: str | None) -> str:
    """Prefect artifact keys allow lower-case letters, digits and dashes only."""
    text = "-".join(part for part in parts if part)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def load_markdown(report: LoadReport) -> str:
    lines = [
        "# Warehouse load",
        "",
        "| | |",
        "| --- | ---: |",
        f"| WARC files loaded | {len(report.files_loaded)} |",
        f"| captures added | {report.captures_added} |",
        f"| new articles | {report.articles_added} |",
        f"| new article versions | {report.versions_added} |",
        f"| new documents | {report.documents_added} |",
        f"| records skipped | {len(report.skipped)} |",
        f"| of them damaged WARC data | {len(report.damaged)} |",
        f"| WARC files missing or empty | {len(report.missing_files)} |",
        f"| snapshot | {report.snapshot.name if report.snapshot else 'unchanged'} |",
        f"| duration (s) | {report.seconds:.1f} |",
    ]
    if report.damage_found:
        lines += ["", f"**{report.damage_headline()}**"]
        lines += [f"- missing: `{name}`" for name in report.missing_files]
    return "\n".join(lines) + "\n"


def skipped_rows(report: LoadReport) -> list[dict[str, str]]:
    return [
        {
            "warc_file": s.warc_file,
            "offset": str(s.warc_offset),
            "url": s.url or "",
            "reason": ("DAMAGED: " if s.damaged else "") + s.reason,
        }
        for s in report.skipped
    ]


def failure_markdown(flow: str, exc: BaseException) -> str:
    """What an operator sees for a run that failed outright (after any retries)."""
    kind = "transient, retried" if is_transient(exc) else "not retried: fix the input or the setup"
    return f"# {flow} run failed\n\n{type(exc).__name__}: {exc}\n\n({kind})\n"
