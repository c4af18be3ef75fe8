"""What every command shares: the consoles, ``--data``, one-line errors."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn
from urllib.parse import urlsplit

import duckdb
import typer
from rich.console import Console

from scoarchive.capture.config import CrawlError
from scoarchive.core.profile import ProfileError
from scoarchive.core.settings import DataDir, DataDirError, Settings
from scoarchive.resolve import Change, update_index
from scoarchive.warehouse import WarehouseError

out = Console()
err = Console(stderr=True)


DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data", metavar="DIR", help="Data directory [default: $SCOARCHIVE_HOME or ./scoarchive-data]."
    ),
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


@contextmanager
def on_interrupt(saved: Callable[[], str]) -> Iterator[None]:
    """Ctrl-C: one line saying what was saved and how to go on, and exit 130.

    Typer turns KeyboardInterrupt into a silent exit 130; a script needs the status, a person the
    line. When the signal lands inside a DuckDB query, DuckDB raises its InterruptException, or a
    RuntimeError caused by the KeyboardInterrupt.
    """
    try:
        yield
    except (KeyboardInterrupt, duckdb.InterruptException, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and not isinstance(exc.__cause__, KeyboardInterrupt):
            raise
        err.print(saved(), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None


def data_path(option: Path | None) -> Path:
    """The data directory a command was given: ``--data``, else ``$SCOARCHIVE_HOME``, else the default."""
    return option if option is not None else Settings().home


def archive_path(option: Path | None) -> Path:
    """The data directory, which must exist and be one (DataDirError, exit 2, naming it otherwise)."""
    return DataDir(data_path(option)).require().root


def output_file(path: Path, *, what: str, not_same_as: Path | None = None) -> Path:
    """An output file a command will write at its end, checked before it does any work.

    Refused: an existing directory, a missing or unwritable parent directory, the input itself.
    """
    if path.is_dir():
        raise ValueError(f"{what} {path} is a directory: give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{what} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ValueError(f"{what} {path} is not writable")
    if not_same_as is not None and path.exists() and path.resolve() == not_same_as.resolve():
        raise ValueError(f"{what} {path} would overwrite the input")
    return path


def output_directory(path: Path, *, what: str) -> Path:
    """A directory a command will write into: an existing writable one, or one it can create."""
    if path.exists() and not path.is_dir():
        raise ValueError(f"{what} {path} is a file, not a directory")
    existing = next(parent for parent in (path, *path.parents) if parent.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{what} {path} cannot be created: {existing} is not writable")
    return path


def http_url(text: str, *, what: str) -> str:
    """An absolute http(s) URL with a host (a base URL the output will point to)."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http(s) URL such as http://127.0.0.1:8080, got {text!r}")
    return text


def update_index_after_load(data: Path) -> None:
    """After ``load``, ``reindex`` or ``crawl``: bring the resolver's index up to date, on stderr.

    So that no citation lookup waits for it (see :func:`scoarchive.resolve.update_index`). A
    failure here is not the load's: the first lookup updates the index itself.
    """
    try:
        update = update_index(data)
    except WarehouseError as exc:
        err.print(f"resolver index not updated ({exc}); the first lookup will update it", markup=False)
        return
    if update.change is not Change.NONE:
        err.print(
            f"resolver index: {update.change} {update.captures:,} captures in {update.seconds:.2f} s",
            markup=False,
        )


JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
