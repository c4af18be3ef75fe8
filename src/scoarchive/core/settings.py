"""Where the archive lives on disk, and the settings an operator may set in the environment.

Everything an archive holds lives in one data directory (``--data``, else ``SCOARCHIVE_HOME``,
else ``./scoarchive-data``), never in the source tree:

    warcs/               WARC files, the source of truth (``*.warc.gz``; ``*.open`` while written)
    state/crawl.sqlite   crawl frontier and the last capture of each URL (derived, rebuildable)
    warehouse/           the DuckDB warehouse analysts query (derived, rebuildable)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCOARCHIVE_")

    home: Path = Path("scoarchive-data")
    operator: str = "scoarchive operator"


class DataDirError(OSError):
    """The data directory cannot be created or written."""


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

    def warc_files(self, pattern: str = "*.warc.gz") -> list[Path]:
        return sorted(self.warcs.glob(pattern))

    def ensure_writable(self) -> None:
        """Fail early, with the reason, rather than after an hour of crawling."""
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
