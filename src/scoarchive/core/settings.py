"""Where the archive lives on disk, and the settings an operator may set in the environment.

Everything an archive holds lives in one data directory (``--data``, else ``SCOARCHIVE_HOME``,
else ``./scoarchive-data``), never in the source tree:

    scoarchive.toml      the marker: this is a data directory, of layout version N
    warcs/               WARC files, the source of truth (``*.warc.gz``; ``*.open`` while written)
    state/crawl.sqlite   crawl frontier and the last capture of each URL (derived, rebuildable)
    warehouse/           the DuckDB warehouse analysts query (derived, rebuildable)

A data directory knows it is one: ``crawl``, ``demo`` and ``init`` create it with its marker;
every other command refuses a path without one (:meth:`DataDir.require`), so a mistyped
``--data`` is an error, never an empty archive that answers "nothing archived". The marker's
layout version is what lets a later version migrate an older directory.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from scoarchive.core.urls import ConnectTo


class Settings(BaseSettings):
    """What an operator sets once in the environment instead of on every command."""

    model_config = SettingsConfigDict(env_prefix="SCOARCHIVE_")

    home: Path = Path("scoarchive-data")  # SCOARCHIVE_HOME: the data directory
    operator: str = "scoarchive operator"  # SCOARCHIVE_OPERATOR: named in every warcinfo record
    # SCOARCHIVE_CONNECT_TO: --connect-to rules (space-separated) every fetching command applies,
    # as for a mirror or staging copy of the site, or the replica
    connect_to: str = ""


def connect_to_rules(specs: Sequence[str] = ()) -> list[ConnectTo]:
    """The ``--connect-to`` rules in force: ``$SCOARCHIVE_CONNECT_TO``'s, then the command's own.

    ValueError (bad input) names a malformed rule.
    """
    return [ConnectTo.parse(spec) for spec in [*Settings().connect_to.split(), *specs]]


class DataDirError(OSError):
    """Not a data directory, or one that cannot be created or written: bad input, not retried."""


MARKER = "scoarchive.toml"
LAYOUT_VERSION = 1
# What a data directory made before the marker existed holds: adopted by `init`.
_UNMARKED_LAYOUT = ("warcs", "state", "warehouse")


class DataDir:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else Settings().home

    @property
    def warcs(self) -> Path:
        return self.root / "warcs"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def frontier(self) -> Path:
        return self.state / "crawl.sqlite"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def marker(self) -> Path:
        return self.root / MARKER

    def warc_files(self, pattern: str = "*.warc.gz") -> list[Path]:
        return sorted(self.warcs.glob(pattern))

    def layout(self) -> dict[str, object] | None:
        """The marker's fields, or None when the directory has no marker (or is no directory)."""
        if not self.root.is_dir():
            return None
        try:
            return tomllib.loads(self.marker.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise DataDirError(f"{self.marker} is unreadable: {exc}") from None

    def require(self) -> DataDir:
        """Refuse anything but an existing data directory of a layout this version reads."""
        if not self.root.is_dir():
            raise DataDirError(
                f"{self.root} does not exist: create an archive with `scoarchive init --data {self.root}`"
                " (or a crawl)"
            )
        layout = self.layout()
        if layout is None:
            adopt = " (it looks like one made before the marker: `init` adopts it)"
            adopt = adopt if self._unmarked() else ""
            raise DataDirError(
                f"{self.root} is not a scoarchive data directory (no {MARKER}){adopt}; create one with"
                f" `scoarchive init --data {self.root}`"
            )
        version = layout.get("layout")
        if not isinstance(version, int) or version > LAYOUT_VERSION:
            raise DataDirError(
                f"{self.root} has layout {version!r}, which this scoarchive (layout {LAYOUT_VERSION})"
                " cannot read: upgrade scoarchive"
            )
        return self

    def create(self, *, demo: bool = False) -> bool:
        """Make this a data directory (new, empty, or made before the marker); True if it was made now.

        An existing data directory is accepted as it is; a non-empty directory that is not one is
        refused, so that a typo never turns someone's files into an archive.
        """
        if self.layout() is not None:
            self.require()
            return False
        if self.root.exists() and not self.root.is_dir():
            raise DataDirError(f"{self.root} is a file, not a directory")
        if self.root.is_dir() and any(self.root.iterdir()) and not self._unmarked():
            raise DataDirError(
                f"{self.root} is not empty and not a scoarchive data directory:"
                " choose a new or empty directory"
            )
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            text = (
                "# A scoarchive data directory (WARC files are the truth: never delete warcs/).\n"
                f"layout = {LAYOUT_VERSION}\n"
                f'created = "{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"\n'
                f"demo = {'true' if demo else 'false'}\n"
            )
            temporary = self.root / f".{MARKER}.tmp"
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, self.marker)
        except OSError as exc:
            raise DataDirError(f"data directory {self.root} is not writable: {exc.strerror or exc}") from None
        return True

    @property
    def is_demo(self) -> bool:
        layout = self.layout()
        return bool(layout and layout.get("demo"))

    def _unmarked(self) -> bool:
        return (self.warcs.is_dir() or self.state.is_dir()) and all(
            child.name in _UNMARKED_LAYOUT or child.name.startswith(".") for child in self.root.iterdir()
        )

    def ensure_writable(self) -> None:
        """Make (or accept) the data directory and fail early, with the reason, if it cannot be
        written: rather than after an hour of crawling."""
        self.create()
        try:
            for directory in (self.warcs, self.state):
                directory.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=directory, prefix=".probe-"):
                    pass
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise DataDirError(f"data directory {self.root} is not writable: {reason}") from None
        if not os.access(self.root, os.W_OK):
            raise DataDirError(f"data directory {self.root} is not writable")
