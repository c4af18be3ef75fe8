"""The ``scoarchive`` command line: thin wrappers over the library, one-line errors.

Every command takes ``--data DIR`` (default: ``$SCOARCHIVE_HOME``, else ``./scoarchive-data``).
Bad input exits 2 with one line on stderr; an operation that ran but failed exits 1.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scoarchive import __version__, ops, warehouse
from scoarchive.capture import CrawlBusy, Crawler, CrawlError, CrawlProgress, CrawlSummary
from scoarchive.profile import ProfileError
from scoarchive.settings import DataDirError, Settings
from scoarchive.warehouse import LoadReport

app = typer.Typer(
    help="Preserve the SCO's news pages as WARC, query them with SQL, resolve citations to archived copies.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Data directory [default: $SCOARCHIVE_HOME or ./scoarchive-data]."),
]


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr and a non-zero exit: what users of a CLI can act on."""
    err.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the library's input errors into one-line messages (exit 2)."""
    try:
        yield
    except (CrawlError, ProfileError, DataDirError, ValueError) as exc:
        fail(str(exc))


def data_dir(option: Path | None) -> Path:
    return option if option is not None else Settings().home


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    if version:
        out.print(f"scoarchive {__version__}")
        raise typer.Exit()


@app.command("crawl")
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
        config = ops.crawl_config(
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
        return warehouse.load(data, workers=workers)
    except warehouse.WarehouseBusy as exc:
        err.print(f"warehouse busy ({exc}); run `scoarchive load` later", markup=False)
        return None


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


@app.command()
def sim(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 to serve on.")] = 8000,
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
    articles: Annotated[int, typer.Option(min=1, help="Generated news articles per host.")] = 30,
    faults: Annotated[bool, typer.Option(help="Serve the fault pages (503s, traps, bombs...).")] = True,
    large_file_mb: Annotated[int, typer.Option(min=1, help="Size of the large PDF fault, in MiB.")] = 5,
) -> None:
    """Serve the replica of the SCO sites (English, Russian, Chinese) for tests and demos."""
    from scoarchive.replica import ReplicaConfig, serve

    if not host.startswith("127.") and host not in ("localhost", "::1"):
        fail("the replica serves on loopback only (127.0.0.0/8, ::1)")
    try:
        config = ReplicaConfig(
            articles_per_host=articles, faults=faults, large_file_bytes=large_file_mb * 2**20
        )
        serve(host, port, config)
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}", code=1)


@app.command()
def demo(
    data: Annotated[
        Path, typer.Option("--data", help="Fresh data directory for the demo (emptied first).")
    ] = Path("scoarchive-demo"),
) -> None:
    """Start the replica, crawl it through the real pipeline, and show what was archived."""
    from scoarchive.demo import run_demo

    err.print(f"Serving the SCO replica on loopback and crawling it into {data}/ ...")
    columns = (TextColumn("crawling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("crawl", total=None)
        result = run_demo(
            data,
            progress=lambda state: bar.update(task, completed=state.done, total=state.done + state.remaining),
        )
    print_summary(result.summary)
    report = result.load
    out.print(
        f"\nArchived into {data}/: {len(result.summary.warc_files)} WARC file(s) (warcs/), "
        f"and a warehouse of {report.captures_added} captures and {report.articles_added} article versions "
        "(warehouse/scoarchive.duckdb)."
    )
    table = Table(title="articles per site")
    for column in ("language", "articles", "newest", "example title"):
        table.add_column(column)
    for language, count, newest, title in result.articles_by_language:
        table.add_row(language or "?", str(count), str(newest), title or "")
    out.print(table)
    out.print(
        "Next:\n"
        f"  scoarchive sql --data {data} "
        '"SELECT title, published FROM articles_latest ORDER BY published DESC LIMIT 5"\n'
        f"  scoarchive search --data {data} multilateralism",
        soft_wrap=True,
    )


def run() -> None:
    """Entry point that never lets a traceback reach the user for input errors."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted; run the same command again to resume")
        sys.exit(130)


# Command groups that live in their own modules register themselves on `app`.
from scoarchive import cli_check, cli_ops, cli_resolve, cli_warehouse  # noqa: E402,F401
