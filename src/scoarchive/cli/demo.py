"""``scoarchive demo`` and ``scoarchive sim``: the replica of the SCO sites, and the pipeline run on it."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scoarchive.cli.common import err, fail, on_interrupt, out, user_errors
from scoarchive.cli.crawl import print_summary


def sim_command(
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


def demo_command(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="Demo data directory: new, empty, or an earlier demo's (re-crawled; nothing is deleted).",
        ),
    ] = Path("scoarchive-demo"),
) -> None:
    """Start the replica, crawl it through the real pipeline, and show what was archived."""
    from scoarchive.orchestration.demo import prepare, run_demo

    with user_errors():
        prepare(data)
    err.print(f"Serving the SCO replica on loopback and crawling it into {data}/ ...")
    columns = (TextColumn("crawling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    again = f"demo interrupted: run it again (it re-crawls into {data}/, deleting nothing)"
    with on_interrupt(lambda: again), Progress(*columns, console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("crawl", total=None)
        result = run_demo(
            data,
            progress=lambda state: bar.update(task, completed=state.done, total=state.done + state.remaining),
        )
    print_summary(result.summary, fault=result.fault)
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
    if report.skipped:
        skipped = Table(title="records the warehouse did not use")
        for column in ("URL", "reason"):
            skipped.add_column(column, overflow="fold")
        for record in report.skipped:
            fault = result.fault(record.url or "")
            skipped.add_row(record.url or "", record.reason + (f" (replica fault: {fault})" if fault else ""))
        out.print(skipped)
    out.print(
        "The replica serves deliberate faults (a 500, a gzip bomb, a broken PDF ...) so the demo shows"
        " how each is handled; failures and skipped records marked 'replica fault' are those."
    )
    where = shlex.quote(str(data))
    out.print(
        "Next:\n"
        f"  scoarchive sql --data {where} "
        '"SELECT title, published FROM articles_latest ORDER BY published DESC LIMIT 5"\n'
        f"  scoarchive search --data {where} multilateralism\n"
        f"  scoarchive serve --data {where}",
        soft_wrap=True,
    )
