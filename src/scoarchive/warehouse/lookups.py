"""What the rest of scoarchive asks the warehouse: the only SQL against its tables outside it.

Analysts write their own SQL (:mod:`.queries`); the resolver, the service, the briefing check,
fixity and status ask these questions instead, each a function with typed rows, so that a change
of schema is a change in this package alone. Everything here reads a published snapshot,
read-only, so it never waits for a load or sees half of one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import duckdb

from scoarchive.warehouse.errors import WarehouseError
from scoarchive.warehouse.schema import GENERATION
from scoarchive.warehouse.snapshots import connect, current_snapshot

FETCH_BATCH = 50_000


class CaptureRow(NamedTuple):
    """One capture as its WARC record has it: what an index outside the warehouse copies.

    Nothing in it comes from another record, so the rows of a WARC file are the same whichever
    load brought the file in: a revisit names the record it refers to and leaves joining it to
    the reader.
    """

    surt: str | None
    url: str
    article_key: str | None
    time_us: int  # capture time, microseconds since 1970 UTC
    status: int | None
    mime: str | None
    record_type: str
    record_id: str
    warc_file: str
    warc_offset: int
    warc_length: int
    payload_digest: str | None
    location: str | None
    refers_to: str | None  # revisits: WARC-Refers-To, the record holding the content
    title: str | None  # what extraction read from this record (pages and PDFs)


class SnapshotState(NamedTuple):
    """Which warehouse a snapshot is a state of, and which WARC files it holds."""

    generation: str | None  # changes only when the warehouse is rebuilt from scratch (schema.GENERATION)
    files: frozenset[str]  # loaded_files: a file's captures arrive with it, in one transaction


# The captures of some loaded files, with their extraction's title. Both tables are filtered by
# file before the join (an extraction is of a record of the same file), so that reading a
# thousand new captures out of millions scans only the row groups that hold them.
_CAPTURES_SQL = """
SELECT c.surt, c.url, c.article_key, epoch_us(c.capture_time) AS time_us, c.status, c.mime,
       c.record_type, c.record_id, c.warc_file, c.warc_offset, c.warc_length, c.payload_digest,
       c.location, CASE WHEN c.record_type = 'revisit' THEN c.refers_to END AS refers_to, e.title
FROM snapshot.captures AS c
LEFT JOIN (SELECT record_id, title FROM snapshot.extractions WHERE warc_file {files}) AS e USING (record_id)
WHERE c.warc_file {files}
"""
_ALL_FILES = "IN (SELECT warc_file FROM snapshot.loaded_files)"
_SOME_FILES = "= ANY($files)"


class SnapshotView:
    """A published snapshot, attached read-only for the length of a ``with`` block."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def state(self) -> SnapshotState:
        row = self._con.execute(
            "SELECT value FROM snapshot.warehouse_state WHERE key = ?", [GENERATION]
        ).fetchone()
        files = self._con.execute("SELECT warc_file FROM snapshot.loaded_files").fetchall()
        return SnapshotState(row[0] if row else None, frozenset(name for (name,) in files))

    def capture_rows(self, files: Collection[str] | None = None) -> Iterator[CaptureRow]:
        """The captures of these loaded files (of every loaded file if None), streamed in batches."""
        if files is not None and not files:
            return
        if files is None:
            cursor = self._con.execute(_CAPTURES_SQL.format(files=_ALL_FILES))
        else:
            cursor = self._con.execute(_CAPTURES_SQL.format(files=_SOME_FILES), {"files": sorted(files)})
        names = tuple(column[0] for column in cursor.description or ())
        if names != CaptureRow._fields:  # rows are built by name: the query and the type must agree
            raise WarehouseError(f"capture query returns {names}, not {CaptureRow._fields}")
        while batch := cursor.fetchmany(FETCH_BATCH):
            yield from map(CaptureRow._make, batch)


class SnapshotReader:
    """Reads published snapshots through one long-lived in-memory DuckDB, attaching each in turn.

    Starting a DuckDB instance (its thread pool, its buffer manager) costs 15-50 ms, more than
    reading a thousand new captures out of a snapshot of a million; attaching a file to an
    instance already running costs 2-3 ms. So a reader that follows snapshot after snapshot
    keeps one instance and attaches each snapshot read-only while it reads it. One snapshot at
    a time: :meth:`open` serialises its callers.
    """

    def __init__(self) -> None:
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def open(self, snapshot: Path) -> Iterator[SnapshotView]:
        """The snapshot, attached; FileNotFoundError if a load retired it meanwhile."""
        with self._lock:
            if self._con is None:
                self._con = duckdb.connect(":memory:")
            literal = str(snapshot).replace("'", "''")
            try:
                self._con.execute(f"ATTACH '{literal}' AS snapshot (READ_ONLY)")
            except duckdb.IOException:
                if not snapshot.exists():
                    raise FileNotFoundError(snapshot) from None
                raise
            try:
                yield SnapshotView(self._con)
            finally:
                self._con.execute("DETACH snapshot")


class ArticleVersion(NamedTuple):
    """One distinct version of an article, with the record it was read from."""

    url: str
    title: str | None
    published: date | None
    language: str | None
    text: str
    first_seen: datetime
    last_seen: datetime
    record_id: str
    warc_file: str
    warc_offset: int
    content_sha256: str
    payload_digest: str | None


def article_versions(data_dir: Path | str, article_key: str) -> list[ArticleVersion]:
    """Every version of one article (``host/ID``), oldest first."""
    con = connect(data_dir)
    try:
        rows = con.execute(
            """
            SELECT a.url, a.title, a.published, a.language, a.text, a.first_seen, a.last_seen,
                   a.record_id, a.warc_file, a.warc_offset, a.content_sha256, c.payload_digest
            FROM articles AS a LEFT JOIN captures AS c USING (record_id)
            WHERE a.article_key = ?
            ORDER BY a.first_seen, a.content_sha256
            """,
            [article_key],
        ).fetchall()
    finally:
        con.close()
    return [ArticleVersion(*row) for row in rows]


class Extracted(NamedTuple):
    """What extraction read from one record: the claims a briefing is checked against."""

    title: str | None
    published: date | None
    text: str


def extracted(data_dir: Path | str, record_ids: Sequence[str]) -> dict[str, Extracted]:
    """record_id -> what extraction read from that record, for those that are pages or PDFs."""
    if not record_ids:
        return {}
    con = connect(data_dir)
    try:
        rows = con.execute(
            "SELECT record_id, title, published, text FROM extractions WHERE record_id IN (SELECT unnest(?))",
            [sorted(set(record_ids))],
        ).fetchall()
    finally:
        con.close()
    return {row[0]: Extracted(*row[1:]) for row in rows}


def referenced_files(data_dir: Path | str) -> set[str] | None:
    """The WARC files the warehouse knows (loaded, or holding a capture); None without a warehouse."""
    if current_snapshot(data_dir) is None:
        return None
    con = connect(data_dir)
    try:
        rows = con.execute(
            "SELECT warc_file FROM loaded_files UNION SELECT DISTINCT warc_file FROM captures"
        ).fetchall()
    finally:
        con.close()
    return {row[0] for row in rows}


class CaptureLocation(NamedTuple):
    record_id: str
    warc_offset: int
    payload_digest: str | None
    url: str


def capture_locations(data_dir: Path | str, warc_files: Sequence[str]) -> dict[str, list[CaptureLocation]]:
    """Where the warehouse says each capture of these files is, by file, in offset order.

    Empty lists for files it holds nothing of; raises WarehouseError without a warehouse.
    """
    if current_snapshot(data_dir) is None:
        raise WarehouseError(f"no warehouse in {data_dir}")
    by_file: dict[str, list[CaptureLocation]] = {name: [] for name in warc_files}
    if not warc_files:
        return by_file
    con = connect(data_dir)
    try:
        rows = con.execute(
            "SELECT warc_file, record_id, warc_offset, payload_digest, url FROM captures "
            "WHERE list_contains($names, warc_file) ORDER BY warc_file, warc_offset",
            {"names": list(warc_files)},
        ).fetchall()
    finally:
        con.close()
    for warc_file, record_id, offset, digest, url in rows:
        by_file[warc_file].append(CaptureLocation(record_id, int(offset), digest, url))
    return by_file


class LanguageSummary(NamedTuple):
    language: str | None
    articles: int
    newest: date | None
    newest_title: str | None


def articles_by_language(data_dir: Path | str) -> list[LanguageSummary]:
    """How many articles each language has, and the newest one's date and title."""
    con = connect(data_dir)
    try:
        rows = con.execute(
            "SELECT language, count(*), max(published), arg_max(title, published)"
            " FROM articles_latest GROUP BY language ORDER BY language"
        ).fetchall()
    finally:
        con.close()
    return [LanguageSummary(*row) for row in rows]


def loaded_file_count(data_dir: Path | str) -> int:
    """How many WARC files the current snapshot has loaded."""
    con = connect(data_dir)
    try:
        row = con.execute("SELECT count(*) FROM loaded_files").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


class HostNewest(NamedTuple):
    """How fresh the archive of one host is: its newest capture and its newest article."""

    host: str
    capture_time: datetime | None  # UTC, the newest capture answered below 400
    capture_url: str | None
    article_title: str | None
    article_published: date | None  # the newest publication date of an archived article
    article_url: str | None


def newest_per_host(data_dir: Path | str) -> list[HostNewest]:
    """Per host, the newest successful capture and the most recently published archived article."""
    con = connect(data_dir)
    try:
        rows = con.execute(
            """
            WITH caps AS (
                SELECT lower(regexp_extract(url, '^[A-Za-z]+://([^/:?#]+)', 1)) AS host, url, capture_time
                FROM captures
                WHERE status < 400 AND record_type IN ('response', 'revisit', 'resource')
                QUALIFY row_number() OVER (PARTITION BY host ORDER BY capture_time DESC, record_id) = 1
            ), arts AS (
                SELECT split_part(article_key, '/', 1) AS host, title, published, url
                FROM articles_latest
                WHERE published IS NOT NULL
                QUALIFY row_number() OVER (PARTITION BY host ORDER BY published DESC, article_key DESC) = 1
            )
            SELECT host, c.capture_time, c.url, a.title, a.published, a.url
            FROM caps AS c FULL JOIN arts AS a USING (host)
            WHERE host <> ''
            ORDER BY host
            """
        ).fetchall()
    finally:
        con.close()
    return [HostNewest(*row) for row in rows]


class Translation(NamedTuple):
    """An article's version in another language, as its pages (or the translation's) link it.

    ``text`` and the record fields are the translation's latest archived version; they are None
    when the translation is linked but not archived.
    """

    article_key: str
    language: str | None
    url: str
    title: str | None
    published: date | None
    text: str | None
    record_id: str | None
    warc_file: str | None
    warc_offset: int | None


def linked_translations(data_dir: Path | str, key: str) -> list[Translation]:
    """The versions in other languages linked to an archived article, with their texts.

    ``key`` is an article key (``eng.sectsco.org/765514``) or the WARC-Record-ID of any capture
    of the article (a redirect to it or a revisit of it included). Only links the pages state
    (``hreflang``) count, in either direction (relation ``article_translations``); an article
    whose pages link only the other sites' home pages has none. For the briefing check: a quote
    in Russian of an English article can be looked for in its Russian version.
    """
    return linked_translations_of(data_dir, [key]).get(key, [])


def linked_translations_of(data_dir: Path | str, keys: Sequence[str]) -> dict[str, list[Translation]]:
    """:func:`linked_translations` of many keys in one query (a briefing's citations), by key;
    a key without translations is absent."""
    if not keys:
        return {}
    con = connect(data_dir)
    try:
        rows = con.execute(
            """
            WITH asked AS (SELECT DISTINCT unnest($keys::VARCHAR[]) AS asked),
            resolved AS (
                SELECT asked, coalesce(
                    (SELECT any_value(article_key) FROM captures
                     WHERE record_id = asked AND article_key IS NOT NULL), asked) AS article_key
                FROM asked
            )
            SELECT asked, translation_key, language, url, title, published, text, record_id,
                   warc_file, warc_offset
            FROM resolved JOIN article_translations USING (article_key)
            ORDER BY asked, language, translation_key
            """,
            {"keys": list(keys)},
        ).fetchall()
    finally:
        con.close()
    found: dict[str, list[Translation]] = {}
    for asked, *fields in rows:
        found.setdefault(asked, []).append(Translation(*fields))
    return found
