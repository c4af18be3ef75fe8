"""``scoarchive check``: the briefing check on the command line.

Exit status: 0 when every citation resolves to a preserved copy, 1 when any does not, 2 on
bad input (an empty, binary or unknown file, no citations, an unparsable URL).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scoarchive import warehouse
from scoarchive.briefing.annotate import annotate_briefing
from scoarchive.briefing.bundle import bundle_briefing
from scoarchive.briefing.check import DEFAULT_SERVICE, BriefingReport, CheckOptions, check_briefing
from scoarchive.briefing.model import BriefingError
from scoarchive.briefing.report import render_html, render_markdown
from scoarchive.cli.common import (
    DataOption,
    archive_path,
    err,
    fail,
    http_url,
    on_interrupt,
    out,
    output_file,
    user_errors,
)
from scoarchive.warc.wacz import BundleError


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


def check_command(
    briefing: Annotated[Path, typer.Argument(help="Briefing: .txt, .md, .html, .docx, .odt or .pdf.")],
    data: DataOption = None,
    capture_missing: Annotated[
        bool, typer.Option("--capture-missing", help="Archive citations that are not archived yet, now.")
    ] = False,
    live: Annotated[bool, typer.Option("--live", help="Also ask the live site about each citation.")] = False,
    connect_to: Annotated[
        list[str] | None, typer.Option(metavar="HOST:PORT:ADDR:ADDRPORT", help="As for crawl (repeatable).")
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="Report format.")] = ReportFormat.table,
    annotate: Annotated[
        Path | None, typer.Option("--annotate", help="Write the briefing with Robust Links here.")
    ] = None,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", help="Write a WACZ evidence bundle of the cited pages here.")
    ] = None,
    service: Annotated[
        str, typer.Option(help="Replay service the archived addresses point to (`scoarchive serve`).")
    ] = DEFAULT_SERVICE,
    profile: Annotated[str, typer.Option(help="Site profile.")] = "sco",
    delay: Annotated[
        float | None, typer.Option(min=0, help="Seconds between requests to a host when capturing.")
    ] = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Network timeout, seconds.")] = 30.0,
) -> None:
    """Check that every citation of a briefing is preserved, and that its dates and quotes match.

    scoarchive check briefing.docx --capture-missing --annotate briefing.archived.docx --bundle evidence.wacz
    """
    with user_errors():
        if annotate is not None:
            output_file(annotate, what="--annotate", not_same_as=briefing)
        if bundle is not None:
            output_file(bundle, what="--bundle", not_same_as=briefing)
        options = CheckOptions.from_names(
            archive_path(data),
            profile,
            connect_to or [],
            capture_missing=capture_missing,
            live=live,
            service_url=http_url(service, what="--service"),
            delay=delay,
            timeout=timeout,
        )
    interrupted = "check interrupted: no report or file was written; run it again"
    if capture_missing:
        interrupted += " (pages captured so far are kept in WARC files)"
    with user_errors(), on_interrupt(lambda: interrupted):
        try:
            checked = check_briefing(briefing, options)
        except BriefingError as exc:
            fail(str(exc))
        except warehouse.WarehouseBusy as exc:
            fail(f"warehouse busy: {exc}", code=1)
    report = checked.report
    if fmt is ReportFormat.json:
        out.print_json(json.dumps(report.to_dict(), ensure_ascii=False))
    elif fmt is ReportFormat.markdown:
        print(render_markdown(report), end="")
    elif fmt is ReportFormat.html:
        print(render_html(report), end="")
    else:
        print_table(report)
    if annotate is not None:
        try:
            count = annotate_briefing(briefing, annotate, report, checked.found)
        except (OSError, ValueError) as exc:
            fail(f"cannot annotate: {exc}", code=1)
        err.print(f"annotated {count} link(s) in {annotate}", markup=False)
    if bundle is not None:
        try:
            written = bundle_briefing(bundle, checked.briefing, checked.found, options.data_dir)
        except (BundleError, OSError) as exc:
            fail(f"cannot write the bundle: {exc}", code=1)
        err.print(f"evidence bundle: {written}", markup=False)
    if not report.all_preserved:
        raise typer.Exit(1)


def print_table(report: BriefingReport) -> None:
    table = Table(title=f"citations in {report.briefing}", show_lines=True)
    for column in ("n", "cited", "archived copy", "match", "date", "quotes", "live"):
        table.add_column(column, overflow="fold")
    for c in report.citations:
        archived = f"{c.capture_time}\n{c.archived_url}" if c.resolved else "[bold red]missing[/]"
        date = c.date_check.get("verdict", "none")
        if date == "off":
            date = f"off by {abs(c.date_check['days_off'])} day(s)"
        quotes = "\n".join(
            f"{q['verdict']}" + (f" (closest {q['similarity']:.2f})" if q["verdict"] == "not_found" else "")
            for q in c.quotes
        )
        table.add_row(str(c.n or ""), c.url, archived, c.match or "", date, quotes, c.live or "")
    out.print(table)
    preserved = sum(c.resolved for c in report.citations)
    verdict = "every citation is preserved" if report.all_preserved else "NOT every citation is preserved"
    out.print(f"{verdict}: {preserved}/{len(report.citations)}")
    for c in report.citations:
        for q in c.quotes:
            if q["verdict"] == "not_found":
                out.print(f"[{c.n}] quote not found: “{q['text'][:160]}”", markup=False)
                out.print(f"     closest: “{q['closest'][:160]}”", markup=False)
