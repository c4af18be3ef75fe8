"""Crawl state: what a run has queued and done, and what earlier runs captured.

Kept in its own SQLite file, apart from the analysts' warehouse, so that a crawl never holds
the warehouse and a killed crawl can resume. Results are committed in groups (every
``GROUP_SIZE`` results or ``GROUP_SECONDS``), which is what lets SQLite keep up with hundreds
of pages a second; a crash loses at most the last group, and nothing of value with it,
because the WARC files are the truth: a resumed run replays every record it finds in its
files that the frontier had not committed (:meth:`Frontier.mark` is idempotent).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scoarchive.capture.states import Outcome, QueueState, RunState

GROUP_SIZE = 64


GROUP_SECONDS = 0.25


SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    run_key TEXT NOT NULL,
    profile TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,          -- RunState: running | stopped | finished
    summary TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_key ON runs (run_key, status);
CREATE TABLE IF NOT EXISTS queue (
    run_id TEXT NOT NULL,
    url TEXT NOT NULL,
    action TEXT NOT NULL,          -- follow | capture | requisite
    hops INTEGER NOT NULL DEFAULT 0,   -- redirects that led here
    via TEXT,
    state TEXT NOT NULL DEFAULT 'queued',  -- QueueState: queued | done | failed | blocked
    status INTEGER,
    outcome TEXT,                  -- Outcome: new | unchanged | redirect | ... | no response ...
    warc_file TEXT,
    warc_offset INTEGER,
    reason TEXT,                   -- a failure's one-line reason
    PRIMARY KEY (run_id, url)
);
CREATE INDEX IF NOT EXISTS queue_by_state ON queue (run_id, state);
CREATE TABLE IF NOT EXISTS seen (
    url TEXT PRIMARY KEY,
    record_id TEXT NOT NULL,
    date TEXT NOT NULL,
    payload_digest TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    content_type TEXT,
    content_encoding TEXT,
    warc_file TEXT NOT NULL,
    warc_offset INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class QueueItem:
    url: str
    action: str
    hops: int = 0
    via: str | None = None


@dataclass(frozen=True)
class Seen:
    """The latest full 200 capture of a URL: what conditional requests and revisits need."""

    url: str
    record_id: str
    date: str
    payload_digest: str
    etag: str | None
    last_modified: str | None
    content_type: str | None
    content_encoding: str | None
    warc_file: str
    warc_offset: int

    def conditional_headers(self) -> list[tuple[str, str]]:
        """If-None-Match / If-Modified-Since: what lets an unchanged page come back as a 304."""
        headers = []
        if self.etag:
            headers.append(("If-None-Match", self.etag))
        if self.last_modified:
            headers.append(("If-Modified-Since", self.last_modified))
        return headers


@dataclass(frozen=True)
class Run:
    run_id: str
    run_key: str
    resumed: bool


class Frontier:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(queue)")}
        if "reason" not in columns:  # a frontier from before outcomes and reasons were apart
            self._db.execute("ALTER TABLE queue ADD COLUMN reason TEXT")
        self._group_size = 0
        self._group_started = 0.0

    def close(self) -> None:
        self.commit()
        self._db.close()

    def commit(self) -> None:
        """Make the current group of results durable."""
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._group_size = 0

    @contextmanager
    def _grouped(self) -> Iterator[sqlite3.Connection]:
        """Run statements inside the current group, committing it when it is full or old."""
        if not self._db.in_transaction:
            self._db.execute("BEGIN IMMEDIATE")
            self._group_started = time.monotonic()
        yield self._db
        self._group_size += 1
        if self._group_size >= GROUP_SIZE or time.monotonic() - self._group_started >= GROUP_SECONDS:
            self.commit()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Statements committed at once (run bookkeeping, seeds), ending any open group first."""
        self.commit()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- runs ----------------------------------------------------------------------------

    def start_run(self, run_key: str, profile: str) -> Run:
        """Resume the unfinished run with this key, or start a new one."""
        row = self._db.execute(
            "SELECT run_id FROM runs WHERE run_key = ? AND status != ? ORDER BY started DESC LIMIT 1",
            (run_key, RunState.FINISHED),
        ).fetchone()
        if row:
            self._db.execute("UPDATE runs SET status = ? WHERE run_id = ?", (RunState.RUNNING, row[0]))
            return Run(row[0], run_key, resumed=True)
        now = datetime.now(UTC)
        run_id = now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
        self._db.execute(
            "INSERT INTO runs (run_id, run_key, profile, started, status) VALUES (?, ?, ?, ?, ?)",
            (run_id, run_key, profile, now.isoformat(), RunState.RUNNING),
        )
        return Run(run_id, run_key, resumed=False)

    def end_run(self, run_id: str, status: RunState, summary: dict[str, object]) -> None:
        self.commit()
        self._db.execute(
            "UPDATE runs SET status = ?, finished = ?, summary = ? WHERE run_id = ?",
            (status, datetime.now(UTC).isoformat(), json.dumps(summary), run_id),
        )

    # -- queue ---------------------------------------------------------------------------

    def enqueue(self, run_id: str, items: Iterable[QueueItem]) -> list[QueueItem]:
        """Add URLs not yet in this run's queue; return the ones that were new."""
        added = []
        with self.transaction() as db:
            for item in items:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO queue (run_id, url, action, hops, via) VALUES (?, ?, ?, ?, ?)",
                    (run_id, item.url, item.action, item.hops, item.via),
                )
                if cursor.rowcount:
                    added.append(item)
        return added

    def urls(self, run_id: str) -> set[str]:
        """Every URL this run has queued, whatever its state."""
        return {row[0] for row in self._db.execute("SELECT url FROM queue WHERE run_id = ?", (run_id,))}

    def queued(self, run_id: str) -> list[QueueItem]:
        rows = self._db.execute(
            "SELECT url, action, hops, via FROM queue WHERE run_id = ? AND state = ? ORDER BY rowid",
            (run_id, QueueState.QUEUED),
        )
        return [QueueItem(*row) for row in rows]

    def state_of(self, run_id: str, url: str) -> QueueState | None:
        row = self._db.execute(
            "SELECT state FROM queue WHERE run_id = ? AND url = ?", (run_id, url)
        ).fetchone()
        return QueueState(row[0]) if row else None

    def action_of(self, run_id: str, url: str) -> str | None:
        row = self._db.execute(
            "SELECT action FROM queue WHERE run_id = ? AND url = ?", (run_id, url)
        ).fetchone()
        return row[0] if row else None

    def mark(
        self,
        run_id: str,
        url: str,
        *,
        state: QueueState,
        outcome: Outcome,
        reason: str | None = None,
        status: int | None = None,
        warc_file: str | None = None,
        warc_offset: int | None = None,
        seen: Seen | None = None,
        new_items: Iterable[QueueItem] = (),
    ) -> list[QueueItem]:
        """Record a URL's result, its successor URLs and its capture, in the current group."""
        added = []
        with self._grouped() as db:
            db.execute(
                "UPDATE queue SET state = ?, outcome = ?, reason = ?, status = ?, warc_file = ?,"
                " warc_offset = ? WHERE run_id = ? AND url = ?",
                (state, outcome, reason, status, warc_file, warc_offset, run_id, url),
            )
            for item in new_items:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO queue (run_id, url, action, hops, via) VALUES (?, ?, ?, ?, ?)",
                    (run_id, item.url, item.action, item.hops, item.via),
                )
                if cursor.rowcount:
                    added.append(item)
            if seen is not None:
                db.execute(
                    "INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        seen.url,
                        seen.record_id,
                        seen.date,
                        seen.payload_digest,
                        seen.etag,
                        seen.last_modified,
                        seen.content_type,
                        seen.content_encoding,
                        seen.warc_file,
                        seen.warc_offset,
                    ),
                )
        return added

    def seen(self, url: str) -> Seen | None:
        row = self._db.execute("SELECT * FROM seen WHERE url = ?", (url,)).fetchone()
        return Seen(*row) if row else None

    def counts(self, run_id: str) -> dict[QueueState, int]:
        rows = self._db.execute(
            "SELECT state, count(*) FROM queue WHERE run_id = ? GROUP BY state", (run_id,)
        )
        return {QueueState(state): count for state, count in rows}

    def fetched(self, run_id: str) -> int:
        """URLs that got an HTTP response in this run, whatever its status."""
        row = self._db.execute(
            "SELECT count(*) FROM queue WHERE run_id = ? AND status IS NOT NULL", (run_id,)
        )
        return int(row.fetchone()[0])

    def failures(self, run_id: str) -> list[tuple[str, str]]:
        """(URL, one-line reason) of every URL of the run that failed (not those robots.txt blocks)."""
        rows = self._db.execute(
            # a frontier from before reasons had their own column kept them in outcome
            "SELECT url, coalesce(reason, outcome) FROM queue WHERE run_id = ? AND state = ? ORDER BY url",
            (run_id, QueueState.FAILED),
        )
        return [(url, reason or "") for url, reason in rows]

    def outcomes(self, run_id: str) -> dict[Outcome, int]:
        """How many URLs of the run ended done with each outcome."""
        rows = self._db.execute(
            "SELECT outcome, count(*) FROM queue WHERE run_id = ? AND state = ? GROUP BY outcome",
            (run_id, QueueState.DONE),
        )
        return {Outcome(outcome): count for outcome, count in rows}


# -- reading a frontier that a crawl may be writing ------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    """A crawl run as the frontier recorded it; ``summary`` is the run's CrawlSummary as a dict."""

    run_id: str
    profile: str
    status: str
    started: str
    finished: str | None
    summary: dict[str, object]


@contextmanager
def _reading(path: Path) -> Iterator[sqlite3.Connection | None]:
    """A read-only connection (None when there is no frontier yet): never blocks a running crawl."""
    if not path.exists():
        yield None
        return
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield db
    finally:
        db.close()


def referenced_warc_files(path: Path) -> set[str]:
    """Every WARC file the frontier says holds a record of some run."""
    with _reading(path) as db:
        if db is None:
            return set()
        rows = db.execute(
            "SELECT warc_file FROM queue WHERE warc_file IS NOT NULL UNION SELECT warc_file FROM seen"
        ).fetchall()
    return {row[0] for row in rows}


def latest_captures(path: Path) -> dict[str, Seen]:
    """The latest full 200 capture of every URL any run captured, by URL."""
    with _reading(path) as db:
        if db is None:
            return {}
        return {row[0]: Seen(*row) for row in db.execute("SELECT * FROM seen ORDER BY url")}


def recent_runs(path: Path, limit: int) -> list[RunRecord]:
    """The latest crawl runs, newest first."""
    with _reading(path) as db:
        if db is None:
            return []
        rows = db.execute(
            "SELECT run_id, profile, status, started, finished, summary FROM runs"
            " ORDER BY started DESC LIMIT ?",
            (limit,),
        ).fetchall()
    return [
        RunRecord(run_id, profile, status, started, finished, json.loads(summary) if summary else {})
        for run_id, profile, status, started, finished, summary in rows
    ]
