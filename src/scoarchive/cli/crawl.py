"""``scoarchive crawl``: a crawl with a progress bar, then the load, then the summary."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scoarchive import warehouse
from scoarchive.capture.config import CrawlBusy, CrawlProgress, CrawlSummary
from scoarchive.capture.crawler import Crawler
from scoarchive.cli.citations import update_index_after_load
from scoarchive.cli.common import DataOption, data_dir, err, fail, out, user_errors
from scoarchive.orchestration.options import crawl_config
from scoarchive.warehouse import LoadReport


def crawl_command(
    profile: Annotated[
        str, typer.Option(metavar="NAME", help="Site profile name or path to a profile TOML.")
    ] = "sco",
    language: Annotated[
        str | None,
        typer.Option(metavar="CODE", help="Only the profile's hosts of this language (en, ru, zh)."),
    ] = None,
    seed: Annotated[
        list[str] | None,
        typer.Option(metavar="URL", help="Start URL (repeatable); replaces the profile's start URLs."),
    ] = None,
    data: DataOption = None,
    connect_to: Annotated[
        list[str] | None,
        typer.Option(
            metavar="HOST:PORT:ADDR:ADDRPORT",
            help="As in curl: dial ADDR:ADDRPORT for HOST:PORT; URL and Host header stay (repeatable).",
        ),
    ] = None,
    max_pages: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many pages (resume later).")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Requests in flight in total.")] = 8,
    host_concurrency: Annotated[
        int | None, typer.Option(min=1, help="Requests in flight per host [default: from the profile].")
    ] = None,
    delay: Annotated[
        float | None, typer.Option(min=0, help="Seconds between requests to one host [default: profile].")
    ] = None,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for a connection or a read.")
    ] = 30.0,
    max_bytes: Annotated[
        int, typer.Option(min=1, help="Cut a resource after this many bytes (WARC-Truncated).")
    ] = 100 * 2**20,
    retries: Annotated[int, typer.Option(min=0, max=10, help="Retries for network errors and 5xx.")] = 3,
    load: Annotated[
        bool, typer.Option(help="Extract and load what was captured into the warehouse afterwards.")
    ] = True,
    workers: Annotated[int, typer.Option(min=1, help="Extraction processes for the load.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Crawl a site into WARC files; run again to resume an interrupted crawl.

    Example, against the local replica (`scoarchive sim` prints its --connect-to):

        scoarchive crawl --seed http://eng.sectsco.org/ --connect-to eng.sectsco.org:80:127.0.0.1:8000
    """
    with user_errors():
        config = crawl_config(
            profile,
            data_dir(data),
            language=language,
            seeds=seed or [],
            connect_to=connect_to or [],
            max_pages=max_pages,
            concurrency=concurrency,
            host_concurrency=host_concurrency,
            delay=delay,
            timeout=timeout,
            max_bytes=max_bytes,
            retries=retries,
        )
        crawler = Crawler(config)
    try:
        summary = run_crawl(crawler, show_progress=not as_json)
    except CrawlBusy as exc:
        fail(str(exc), code=1)
    loaded = load_warehouse(config.data_dir, workers) if load and summary.warc_files else None
    if as_json:
        out.print_json(json.dumps({**summary.to_dict(), "load": loaded.to_dict() if loaded else None}))
    else:
        print_summary(summary)
        if loaded is not None:
            out.print(
                f"warehouse: {loaded.captures_added} captures, {loaded.articles_added} new articles,"
                f" {loaded.versions_added} new versions, {len(loaded.skipped)} records skipped"
            )
    if summary.fetched == 0 and summary.unreachable_hosts:
        host, reason = next(iter(summary.unreachable_hosts.items()))
        fail(f"could not reach {host}: {reason}", code=1)


def load_warehouse(data: Path, workers: int) -> LoadReport | None:
    """Load after a crawl; a busy warehouse is not the crawl's failure (the WARCs are kept)."""
    try:
        report = warehouse.load(data, workers=workers)
    except warehouse.WarehouseBusy as exc:
        err.print(f"warehouse busy ({exc}); run `scoarchive load` later", markup=False)
        return None
    update_index_after_load(data)
    return report


def run_crawl(crawler: Crawler, show_progress: bool) -> CrawlSummary:
    """The crawl with a progress bar on stderr (the queue grows as pages are discovered)."""
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed, {task.fields[mb]:.1f} MB"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, disable=not (show_progress and err.is_terminal)) as bar:
        task = bar.add_task("crawling", total=None, failed=0, mb=0.0)

        def update(state: CrawlProgress) -> None:
            bar.update(
                task,
                completed=state.done,
                total=state.done + state.remaining,
                failed=state.failed,
                mb=state.bytes_written / 1e6,
            )

        return asyncio.run(crawler.run(update))


def print_summary(summary: CrawlSummary) -> None:
    title = f"crawl {summary.run_id} ({summary.status}{', resumed' if summary.resumed else ''})"
    table = Table(title=title, show_header=False)
    table.add_column("what", style="bold")
    table.add_column("count", justify="right")
    for label, value in (
        ("pages fetched", summary.fetched),
        ("new or changed", summary.new),
        ("unchanged (revisits)", summary.unchanged),
        ("redirects", summary.redirects),
        ("truncated", summary.truncated),
        ("failed", len(summary.failed)),
        ("blocked by robots.txt", summary.blocked),
        ("off-scope links recorded", summary.outlinks),
        ("HTTP requests", summary.requests),
        ("WARC bytes written", f"{summary.bytes_written:,}"),
        ("seconds", f"{summary.seconds:.1f}"),
    ):
        table.add_row(label, str(value))
    out.print(table)
    if summary.failed:
        failures = Table(title="failures")
        failures.add_column("URL", overflow="fold")
        failures.add_column("reason")
        for url, reason in summary.failed:
            failures.add_row(url, reason)
        out.print(failures)
