"""What every command shares: the consoles, ``--data``, one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from scoarchive.capture.config import CrawlError
from scoarchive.core.profile import ProfileError
from scoarchive.core.settings import DataDirError, Settings

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


JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
