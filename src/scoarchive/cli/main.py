"""The ``scoarchive`` command line: one Typer app, its commands registered from their modules.

Every command takes ``--data DIR`` (default: ``$SCOARCHIVE_HOME``, else ``./scoarchive-data``).
The modules beside this one each hold one group of commands as plain functions; this module is
the only one that knows them all, so no command module imports another's app (no cycle).
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from scoarchive import __version__
from scoarchive.cli import check, citations, crawl, demo, operations, warehouse
from scoarchive.cli.common import out

app = typer.Typer(
    help="Preserve the SCO's news pages as WARC, query them with SQL, resolve citations to archived copies.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)


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


COMMANDS = (
    ("init", operations.init_command),
    ("crawl", crawl.crawl_command),
    ("load", warehouse.load_command),
    ("reindex", warehouse.reindex_command),
    ("sql", warehouse.sql_command),
    ("queries", warehouse.queries_command),
    ("search", warehouse.search_command),
    ("export", warehouse.export_command),
    ("resolve", citations.resolve_command),
    ("serve", citations.serve_command),
    ("check", check.check_command),
    ("status", operations.status_command),
    ("schedule", operations.schedule_command),
    ("verify", operations.verify_command),
    ("watch", operations.watch_command),
    ("demo", demo.demo_command),
    ("sim", demo.sim_command),
)
# `sql "-- Question: ...\nSELECT ..."` (a query file's text) is SQL, not an unknown option.
SETTINGS = {"sql": {"ignore_unknown_options": True}}
for name, command in COMMANDS:
    app.command(name, context_settings=SETTINGS.get(name))(command)


def run() -> None:
    """The ``scoarchive`` entry point (a Ctrl-C exits 130: each long command says what it saved)."""
    app()
