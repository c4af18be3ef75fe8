"""Warehouse commands: ``load``, ``reindex``, ``sql``, ``queries``, ``search``, ``export``.

Analysts' commands read the published snapshot read-only, so they never block or see a
half-finished ``load``.
"""

from __future__ import annotations

import csv
import json
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.table import Table

from scoarchive import warehouse
from scoarchive.cli.common import (
    DataOption,
    JsonOption,
    archive_path,
    fail,
    on_interrupt,
    out,
    output_directory,
    update_index_after_load,
    user_errors,
)
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
    """A DuckDB value as JSON and CSV can hold it (an INTERVAL in seconds; UUIDs, maps as text)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_cell(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _cell(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # Decimal, UUID and anything else DuckDB adds


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
    """The load's account; exit 1 when it found damaged WARC data or files gone (a fixity finding)."""
    _show(report, as_json)
    if report.damage_found:
        fail(report.damage_headline(), 1)


def _show(report: warehouse.LoadReport, as_json: bool) -> None:
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
        ("damaged records", len(report.damaged)),
        ("missing files", len(report.missing_files)),
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
            skipped.add_row(
                s.warc_file, str(s.warc_offset), s.url or "", ("DAMAGED: " if s.damaged else "") + s.reason
            )
        out.print(skipped)
    if report.missing_files:
        missing = Table(title="WARC files the warehouse held that are gone or empty")
        missing.add_column("file", overflow="fold")
        for name in report.missing_files:
            missing.add_row(name)
        out.print(missing)


WorkersOption = Annotated[int, typer.Option(min=1, max=64, help="Extraction processes.")]


def load_command(data: DataOption = None, workers: WorkersOption = 1, as_json: JsonOption = False) -> None:
    """Load new closed WARC files into the warehouse and publish a new snapshot."""
    _report(_loading(warehouse.load, "load", data, workers), as_json)


def reindex_command(
    data: DataOption = None,
    workers: WorkersOption = 1,
    forget_missing: Annotated[
        bool,
        typer.Option(
            "--forget-missing",
            help="Rebuild even when WARC files the warehouse holds are gone (their rows go).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Rebuild the warehouse from the WARC files alone (readers keep the old snapshot meanwhile).

    Refused (exit 1) when a WARC file the warehouse holds is gone or empty, unless --forget-missing.
    """
    run = partial(warehouse.reindex, forget_missing=forget_missing)
    _report(_loading(run, "reindex", data, workers), as_json)


def _loading(
    run: Callable[..., warehouse.LoadReport], verb: str, data: Path | None, workers: int
) -> warehouse.LoadReport:
    """``load`` or ``reindex`` with their failures as one-line errors."""
    with user_errors():
        root = archive_path(data)
    where = shlex.quote(str(root))
    after = {
        "load": f"the files loaded so far are kept; `scoarchive load --data {where}` goes on",
        "reindex": f"run `scoarchive reindex --data {where}` again to rebuild from the WARC files",
    }[verb]
    message = f"{verb} interrupted: nothing new was published (readers keep the current snapshot); {after}"
    with user_errors(), on_interrupt(lambda: message):
        try:
            report = run(root, workers=workers)
        except warehouse.WarehouseError as exc:
            fail(str(exc), code=1)
        except (duckdb.Error, OSError) as exc:
            fail(f"{verb} failed: {exc}", code=1)
    with on_interrupt(lambda: f"{verb} done; the resolver's index is brought up to date by the next lookup"):
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
        str | None,
        typer.Argument(
            metavar="[SQL]",
            help="SQL to run (it may start with a -- comment); omit it for --file, --query or a prompt.",
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", "-f", metavar="PATH", help="Run the SQL in this file ('-' for standard input)."
        ),
    ] = None,
    example: Annotated[
        str | None,
        typer.Option("--query", metavar="NAME", help="Run a packaged analyst query (`scoarchive queries`)."),
    ] = None,
    data: DataOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
) -> None:
    """Query the warehouse with SQL (read-only), e.g. scoarchive sql "SELECT * FROM crawl_runs".

    A file or argument may hold several statements; each result is printed. Without SQL, a file
    or a query name, statements are read from standard input (a prompt on a terminal).
    """
    with user_errors():
        given = [name for name, value in (("SQL", query), ("--file", file), ("--query", example)) if value]
        if len(given) > 1:
            fail(f"give one of SQL, --file or --query, not {' and '.join(given)}")
        text = _sql_text(query, file, example)
        root = archive_path(data)
        try:
            con = warehouse.connect(root)
        except warehouse.WarehouseError as exc:
            fail(str(exc), code=1)
    try:
        if text is None:
            _run_prompt(con, fmt)
            return
        try:
            statements = con.extract_statements(text)
        except duckdb.Error as exc:
            fail(str(exc).splitlines()[0])
        if not statements:
            fail("no SQL statement to run")
        for statement in statements:
            try:
                cursor = con.execute(statement)
                columns = [d[0] for d in cursor.description or []]
                rows = cursor.fetchall() if columns else []
            except duckdb.Error as exc:
                fail(str(exc).splitlines()[0])
            if columns:
                print_rows(columns, rows, fmt)
    finally:
        con.close()


def _sql_text(query: str | None, file: Path | None, example: str | None) -> str | None:
    """The SQL a command line gives, or None for the statement-by-statement prompt."""
    if query is not None:
        return query
    if example is not None:
        queries = warehouse.example_queries()
        if example not in queries:
            raise ValueError(f"no packaged query {example!r} (known: {', '.join(queries)})")
        return queries[example]
    if file is None:
        return None
    if str(file) == "-":
        return sys.stdin.read()
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None


def _run_prompt(con: duckdb.DuckDBPyConnection, fmt: OutputFormat) -> None:
    """Statements from standard input, each run as it ends in ``;``; an error ends only that one."""
    for statement in _read_statements():
        if not statement.strip().rstrip(";").strip():
            continue
        try:
            cursor = con.execute(statement)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall() if columns else []
        except duckdb.Error as exc:
            out.print(f"Error: {str(exc).splitlines()[0]}", markup=False, highlight=False)
            continue
        if columns:
            print_rows(columns, rows, fmt)


def queries_command(
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
) -> None:
    """The analyst queries shipped with scoarchive: run one with `scoarchive sql --query NAME`."""
    rows = [(name, _question(sql)) for name, sql in warehouse.example_queries().items()]
    print_rows(["name", "question"], rows, fmt, title="packaged queries (scoarchive sql --query NAME)")


def _question(sql: str) -> str:
    """The ``-- Question:`` line every packaged query starts with."""
    for line in sql.splitlines():
        if line.startswith("-- Question:"):
            return line.removeprefix("-- Question:").strip()
    return ""


def search_command(
    words: Annotated[list[str], typer.Argument(help="Words that must all appear (any language).")],
    data: DataOption = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Most results to show.")] = 20,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
) -> None:
    """Full-text search (BM25) over the latest version of every article."""
    with user_errors():
        try:
            hits = warehouse.search(archive_path(data), words, limit)
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
    with user_errors():
        root = archive_path(data)
        directory = output_directory(Path(target[-1]), what="export directory")
        try:
            if fmt is ExportFormat.cdxj:
                written = [export_cdxj(root, directory)]
            else:
                written = warehouse.export(root, directory, fmt.value)
        except warehouse.WarehouseError as exc:
            fail(str(exc), code=1)
        except duckdb.Error as exc:
            fail(f"export failed: {str(exc).splitlines()[0]}", code=1)
        except OSError as exc:
            fail(f"cannot write to {directory}: {exc.strerror or exc}", code=1)
    for path in written:
        out.print(str(path), highlight=False)
