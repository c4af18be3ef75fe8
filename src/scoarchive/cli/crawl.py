"""``scoarchive crawl``: a crawl with a progress bar, then the load, then the summary."""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scoarchive import warehouse
from scoarchive.capture.config import CrawlBusy, CrawlProgress, CrawlSummary, crawl_default, crawl_help
from scoarchive.capture.crawler import Crawler
from scoarchive.cli.common import (
    DataOption,
    data_path,
    err,
    fail,
    on_interrupt,
    out,
    update_index_after_load,
    user_errors,
)
from scoarchive.core.settings import DataDir
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
        typer.Option(metavar="URL", help=crawl_help("seeds") + " (repeatable)"),
    ] = None,
    data: DataOption = None,
    connect_to: Annotated[
        list[str] | None,
        typer.Option(metavar="HOST:PORT:ADDR:ADDRPORT", help=crawl_help("connect_to") + " (repeatable)"),
    ] = None,
    max_pages: Annotated[int | None, typer.Option(min=1, help=crawl_help("max_pages"))] = crawl_default(
        "max_pages"
    ),
    concurrency: Annotated[int, typer.Option(min=1, max=256, help=crawl_help("concurrency"))] = crawl_default(
        "concurrency"
    ),
    host_concurrency: Annotated[
        int | None, typer.Option(min=1, help=crawl_help("host_concurrency"))
    ] = crawl_default("host_concurrency"),
    delay: Annotated[float | None, typer.Option(min=0, help=crawl_help("delay"))] = crawl_default("delay"),
    timeout: Annotated[float, typer.Option(min=0.1, help=crawl_help("timeout"))] = crawl_default("timeout"),
    max_bytes: Annotated[int, typer.Option(min=1, help=crawl_help("max_bytes"))] = crawl_default("max_bytes"),
    retries: Annotated[int, typer.Option(min=0, max=10, help=crawl_help("retries"))] = crawl_default(
        "retries"
    ),
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
            data_path(data),
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
    done: list[CrawlProgress] = []
    with on_interrupt(lambda: _crawl_interrupted(crawler, done, config.data_dir)):
        try:
            summary = run_crawl(crawler, show_progress=not as_json, seen=done.append)
        except CrawlBusy as exc:
            fail(str(exc), code=1)
    where = shlex.quote(str(config.data_dir))
    with on_interrupt(lambda: f"load interrupted: the crawl finished; run `scoarchive load --data {where}`"):
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
    unreached = summary.nothing_reached()
    if unreached is not None:
        fail(f"could not reach {unreached}", code=1)


def load_warehouse(data: Path, workers: int) -> LoadReport | None:
    """Load after a crawl; a busy warehouse is not the crawl's failure (the WARCs are kept)."""
    try:
        report = warehouse.load(data, workers=workers)
    except warehouse.WarehouseBusy as exc:
        err.print(f"warehouse busy ({exc}); run `scoarchive load` later", markup=False)
        return None
    update_index_after_load(data)
    return report


def _crawl_interrupted(crawler: Crawler, done: list[CrawlProgress], data: Path) -> str:
    """What an interrupted crawl saved: every record written is in a closed WARC file."""
    run_id = getattr(crawler, "run_id", None)
    files = DataDir(data).warc_files(f"scoarchive-{run_id}-*.warc.gz") if run_id else []
    pages = done[-1].done if done else 0
    where = shlex.quote(str(data))
    return (
        f"crawl interrupted: {pages} page(s) saved in {len(files)} closed WARC file(s); "
        f"the same command resumes; run `scoarchive load --data {where}` to index them"
    )


def run_crawl(
    crawler: Crawler, show_progress: bool, seen: Callable[[CrawlProgress], None] | None = None
) -> CrawlSummary:
    """The crawl with a progress bar on stderr (the queue grows as pages are discovered);
    ``seen`` gets every progress report too."""
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
            if seen is not None:
                seen(state)

        return asyncio.run(crawler.run(update))


def print_summary(summary: CrawlSummary, fault: Callable[[str], str | None] | None = None) -> None:
    """The run summary; ``fault`` names what a failure is when it is expected (the demo's replica)."""
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
            expected = fault(url) if fault is not None else None
            failures.add_row(url, reason + (f" (replica fault: {expected})" if expected else ""))
        out.print(failures)
