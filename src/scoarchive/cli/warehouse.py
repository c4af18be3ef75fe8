from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.table import Table

from scoarchive import warehouse
from scoarchive.cli.citations import update_index_after_load
from scoarchive.cli.common import DataOption, JsonOption, data_dir, fail, out, user_errors
from scoarchive.warehouse.cdxj import export_cdxj


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    cdxj = "cdxj"


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def print_rows(
    columns: Sequence[str], rows: Sequence[tuple[Any, ...]], fmt: OutputFormat, title: str = ""
) -> None:
    """Rows as a rich table, CSV or JSON (one object per row) on stdout."""
    if fmt is OutputFormat.json:
        records = [{name: _cell(value) for name, value in zip(columns, row, strict=True)} for row in rows]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is OutputFormat.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(v) for v in row] for row in rows])
        return
    table = Table(title=title or None)
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*("" if value is None else str(_cell(value)) for value in row))
    out.print(table)
    out.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}", highlight=False)


def _report(report: warehouse.LoadReport, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
        return
    table = Table(title="warehouse load", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    for label, value in (
        ("WARC files loaded", len(report.files_loaded)),
        ("captures added", report.captures_added),
        ("articles added", report.articles_added),
        ("article versions added", report.versions_added),
        ("documents added", report.documents_added),
        ("records skipped", len(report.skipped)),
        ("snapshot", report.snapshot.name if report.snapshot else "unchanged"),
        ("seconds", f"{report.seconds:.1f}"),
    ):
        table.add_row(label, str(value))
    out.print(table)
    if report.skipped:
        skipped = Table(title="skipped records")
        for name in ("file", "offset", "URL", "reason"):
            skipped.add_column(name, overflow="fold")
        for s in report.skipped:
            skipped.add_row(s.warc_file, str(s.warc_offset), s.url or "", s.reason)
        out.print(skipped)


WorkersOption = Annotated[int, typer.Option(min=1, max=64, help="Extraction processes.")]


def load_command(data: DataOption = None, workers: WorkersOption = 1, as_json: JsonOption = False) -> None:
    """Load new closed WARC files into the warehouse and publish a new snapshot."""
    _report(_loading(warehouse.load, "load", data, workers), as_json)


def reindex_command(data: DataOption = None, workers: WorkersOption = 1, as_json: JsonOption = False) -> None:
    """Rebuild the warehouse from the WARC files alone (readers keep the old snapshot meanwhile)."""
    _report(_loading(warehouse.reindex, "reindex", data, workers), as_json)


def _loading(
    run: Callable[..., warehouse.LoadReport], verb: str, data: Path | None, workers: int
) -> warehouse.LoadReport:
    """``load`` or ``reindex`` with their failures as one-line errors."""
    with user_errors():
        root = data_dir(data)
        try:
            report = run(root, workers=workers)
        except warehouse.WarehouseError as exc:
            fail(str(exc), code=1)
        except (duckdb.Error, OSError) as exc:
            fail(f"{verb} failed: {exc}", code=1)
    update_index_after_load(root)
    return report


def _read_statements() -> Iterator[str]:
    """Statements from stdin (a prompt on a terminal): lines are gathered until one ends in ``;``."""
    interactive = sys.stdin.isatty()
    lines: list[str] = []
    while True:
        if interactive:
            try:
                line = input("...> " if lines else "sql> ")
            except EOFError:
                break
        else:
            line = sys.stdin.readline()
            if not line:
                break
        lines.append(line.rstrip("\n"))
        if line.rstrip().endswith(";"):
            yield "\n".join(lines)
            lines = []
    if "\n".join(lines).strip():
        yield "\n".join(lines)


def sql_command(
    query: Annotated[
        str | None, typer.Argument(help="SQL to run; omit for a prompt (end statements with ;).")
    ] = None,
    data: DataOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
) -> None:
    """Query the warehouse with SQL (read-only), e.g. scoarchive sql "SELECT * FROM crawl_runs"."""
    with user_errors():
        try:
            con = warehouse.connect(data_dir(data))
        except warehouse.WarehouseError as exc:
            fail(str(exc), code=1)
    try:
        statements = [query] if query is not None else _read_statements()
        for statement in statements:
            if not statement.strip().rstrip(";").strip():
                continue
            try:
                cursor = con.execute(statement)
                columns = [d[0] for d in cursor.description or []]
                rows = cursor.fetchall() if columns else []
            except duckdb.Error as exc:
                message = str(exc).splitlines()[0]
                if query is not None:
                    fail(message)
                out.print(f"Error: {message}", markup=False, highlight=False)
                continue
            if columns:
                print_rows(columns, rows, fmt)
    finally:
        con.close()


def search_command(
    words: Annotated[list[str], typer.Argument(help="Words that must all appear (any language).")],
    data: DataOption = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Most results to show.")] = 20,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
) -> None:
    """Full-text search (BM25) over the latest version of every article."""
    with user_errors():
        try:
            hits = warehouse.search(data_dir(data), words, limit)
        except warehouse.WarehouseError as exc:
            fail(str(exc), code=1)
        except duckdb.Error as exc:
            fail(f"search failed: {str(exc).splitlines()[0]}", code=1)
    columns = ["score", "published", "language", "title", "url"]
    rows = [(round(h.score, 3), h.published, h.language, h.title, h.url) for h in hits]
    print_rows(columns, rows, fmt, title=f"search: {' '.join(words)}")


def export_command(
    target: Annotated[
        list[str],
        typer.Argument(
            help="[FORMAT] DIR: the format (parquet, csv or cdxj) may come first, as in `export cdxj DIR`."
        ),
    ],
    data: DataOption = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="File format.")] = ExportFormat.parquet,
) -> None:
    """Export the archive for other tools.

    parquet or csv: one file per analyst relation (captures, articles, versions, runs ...).
    cdxj: a sorted CDXJ index of every capture, so pywb or any CDXJ tool replays the WARC files.

        scoarchive export --format parquet ./export
        scoarchive export cdxj ./collection/indexes
    """
    if len(target) == 2:
        try:
            fmt = ExportFormat(target[0])
        except ValueError:
            fail(f"unknown export format {target[0]!r} (parquet, csv or cdxj)")
    elif len(target) != 1:
        fail("export takes [FORMAT] DIR")
    directory = Path(target[-1])
    with user_errors():
        try:
            if fmt is ExportFormat.cdxj:
                written = [export_cdxj(data_dir(data), directory)]
            else:
                written = warehouse.export(data_dir(data), directory, fmt.value)
        except warehouse.WarehouseError as exc:
            fail(str(exc), code=1)
        except duckdb.Error as exc:
            fail(f"export failed: {str(exc).splitlines()[0]}", code=1)
        except OSError as exc:
            fail(f"cannot write to {directory}: {exc.strerror or exc}", code=1)
    for path in written:
        out.print(str(path), highlight=False)
