"""Citation resolution: a cited URL, and perhaps a date, to the archived capture that answers it.

A footnote holds an address the live site may have dropped (``/news/20210615/765514.html``
became ``/20210615/765514.html``) and the day it was cited. :meth:`Resolver.resolve` finds the
capture that says what the page said, as close to that day as the archive allows:

1. the URL is canonicalised (scheme, ``www.``, default port, trailing slash, tracking
   parameters, fragment) to its SURT key; captures with that key match *exactly* (same URL
   string) or *canonically*;
2. else captures of the same article (the profile's identity rule: host + numeric ID, so
   old-site and Russian slug addresses find it) match as an *alias*;
3. else a captured redirect of the URL is followed, hop by hop through the archive
   (*redirect*).

Among candidates the capture nearest to ``at`` wins (the latest when there is no date); a 2xx
capture is preferred to a redirect or an error, and an error capture is returned only when it
is all the archive holds. A revisit record stands for the record it refers to: its time is the
revisit's, its content (status, WARC file and offset) the referred record's.

The index
---------
The warehouse's published DuckDB snapshot is the single source of captures (it is itself
derived from the WARC files). DuckDB answers a point query in 0.5 ms (p99 2 ms on a million
captures), too slow for several lookups per resolution at 1,000 resolutions/s; SQLite answers
the same query in 15-25 us. So the resolver keeps a derived SQLite file per snapshot,
``DATA/warehouse/resolve/<snapshot>-<size>-<mtime>-v<N>.sqlite``, built on first use from
:func:`capture_rows` and rebuilt when the warehouse publishes a new snapshot (checked with one
``stat`` of the snapshot pointer per lookup). Deleting the directory is always safe.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import duckdb

from scoarchive.dates import DAY_TIME, parse_timestamp
from scoarchive.profile import Profile, load_profile
from scoarchive.settings import DataDir, Settings
from scoarchive.urls import InvalidURL, canonicalize, surt_key
from scoarchive.warehouse import POINTER, WarehouseError, current_snapshot

INDEX_VERSION = 1
MAX_URL = 4096  # longer than any real citation; refusing early bounds the work per request
MAX_HOPS = 10
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
FETCH_BATCH = 50_000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Preference among captures of one URL: content first, then a redirect to follow, then the rest.
GRADE_OK, GRADE_REDIRECT, GRADE_OTHER = 0, 1, 2

_SCHEMA = """
CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE captures (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL,     -- SURT of the canonical URL
    article_key TEXT,              -- host/ID of an article address
    ts          INTEGER NOT NULL,  -- capture time, microseconds since 1970 UTC
    grade       INTEGER NOT NULL,  -- 0: 2xx content, 1: redirect with a Location, 2: anything else
    url TEXT NOT NULL, status INTEGER, mime TEXT, record_type TEXT NOT NULL, record_id TEXT NOT NULL,
    file INTEGER NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL,
    digest TEXT, location TEXT, title TEXT,
    -- revisits: the record holding the content (NULL for full captures)
    c_record_id TEXT, c_file INTEGER, c_offset INTEGER, c_length INTEGER, c_status INTEGER, c_mime TEXT
);
"""
_INDEXES = """
CREATE INDEX by_key ON captures (key, grade, ts);
CREATE INDEX by_article ON captures (article_key, grade, ts) WHERE article_key IS NOT NULL;
"""
# Column order shared by _CAPTURES_SQL (which has the SURT and file names where these have the
# lookup key and file ids) and the index.
_COLUMNS = (
    "key, url, article_key, ts, status, mime, record_type, record_id, file, offset, length, digest, "
    "location, title, c_record_id, c_file, c_offset, c_length, c_status, c_mime"
)
# Every capture the warehouse holds, with the record a revisit refers to and the page title.
# Revisits whose referred record is not in the warehouse cannot be replayed and are left out.
_CAPTURES_SQL = """
SELECT c.surt, c.url, c.article_key, epoch_us(c.capture_time), c.status, c.mime, c.record_type,
       c.record_id, c.warc_file, c.warc_offset, c.warc_length, c.payload_digest,
       coalesce(c.location, o.location), e.title,
       o.record_id, o.warc_file, o.warc_offset, o.warc_length, o.status, o.mime
FROM captures AS c
-- an equality only, so DuckDB hash-joins (a constant term makes it a nested loop)
LEFT JOIN captures AS o ON o.record_id = CASE WHEN c.record_type = 'revisit' THEN c.refers_to END
LEFT JOIN extractions AS e ON e.record_id = coalesce(o.record_id, c.record_id)
WHERE c.record_type <> 'revisit' OR o.record_id IS NOT NULL
"""


@dataclass(frozen=True)
class StoredRecord:
    """The WARC record holding a capture's HTTP response: enough to replay it with one seek."""

    record_id: str
    warc_file: str
    warc_offset: int
    warc_length: int
    status: int | None
    mime: str | None


@dataclass(frozen=True)
class Capture:
    """One capture (response or revisit record) of one URL at one moment."""

    key: str
    url: str
    time: datetime
    status: int | None  # as recorded: 304 for a not-modified revisit
    mime: str | None
    record_type: str
    record_id: str
    warc_file: str
    warc_offset: int
    warc_length: int
    payload_digest: str | None
    location: str | None
    article_key: str | None
    title: str | None
    content: StoredRecord  # the record replayed for this capture (the referred one for a revisit)

    @property
    def timestamp(self) -> str:
        """The 14-digit Wayback timestamp (UTC, to the second)."""
        return self.time.strftime("%Y%m%d%H%M%S")

    @property
    def grade(self) -> int:
        return _grade(self.content.status, self.location)

    def redirect_target(self) -> str | None:
        """The absolute URL a redirect capture points to."""
        return urljoin(self.url, self.location) if self.grade == GRADE_REDIRECT and self.location else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "time": iso(self.time),
            "timestamp": self.timestamp,
            "status": self.status,
            "mime": self.mime,
            "record_type": self.record_type,
            "record_id": self.record_id,
            "warc_file": self.warc_file,
            "warc_offset": self.warc_offset,
            "warc_length": self.warc_length,
            "payload_digest": self.payload_digest,
            "location": self.location,
            "article_key": self.article_key,
            "title": self.title,
            "content": vars(self.content).copy(),
        }


@dataclass(frozen=True)
class Resolution:
    """The answer to "what did this URL say at that time": a capture, and how it was found."""

    url: str  # as asked
    at: datetime | None
    match: str  # exact | canonical | alias | redirect
    capture: Capture  # the capture answering; after redirects, the last hop's
    via: tuple[Capture, ...] = ()  # redirect captures followed, in order

    @property
    def distance(self) -> timedelta | None:
        """Capture time minus the asked time (negative: captured before)."""
        return None if self.at is None else self.capture.time - self.at

    def to_dict(self) -> dict[str, Any]:
        distance = self.distance
        return {
            "url": self.url,
            "at": iso(self.at) if self.at else None,
            "match": self.match,
            "distance_seconds": distance.total_seconds() if distance is not None else None,
            "capture": self.capture.to_dict(),
            "via": [hop.to_dict() for hop in self.via],
        }


@dataclass(frozen=True)
class Target:
    """A URL as the archive looks it up."""

    url: str  # as given
    canonical: str
    key: str  # SURT key of the canonical URL
    article_key: str | None


def _grade(status: int | None, location: str | None) -> int:
    if status is not None and 200 <= status < 300:
        return GRADE_OK
    if status is not None and 300 <= status < 400 and location:
        return GRADE_REDIRECT
    return GRADE_OTHER


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with a Z, microseconds only when there are any."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def as_moment(at: datetime | date | None) -> datetime | None:
    """An aware UTC datetime; a naive one is UTC, a bare date is its noon (see dates.DAY_TIME)."""
    if at is None or isinstance(at, datetime):
        if at is not None and at.tzinfo is None:
            return at.replace(tzinfo=UTC)
        return at.astimezone(UTC) if at is not None else None
    return datetime.combine(at, DAY_TIME)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def canonical_url(url: str, profile: Profile) -> str:
    """The profile's canonical form, ``www.`` dropped (the SCO hosts never differ by it)."""
    text = url.strip()
    if len(text) > MAX_URL:
        raise InvalidURL(f"URL longer than {MAX_URL} characters")
    if _CONTROL.search(text):
        raise InvalidURL(f"URL contains control characters: {text[:80]!r}")
    if "://" not in text:
        text = "http://" + text.removeprefix("//")  # citations often drop the scheme
    try:
        canonical = canonicalize(text, profile.tracking_params)
    except InvalidURL:
        raise InvalidURL(f"not a usable http(s) URL: {url.strip()[:200]!r}") from None
    parts = urlsplit(canonical)
    if parts.netloc.startswith("www."):
        canonical = urlunsplit(parts._replace(netloc=parts.netloc[4:]))
    return canonical


def target(url: str, profile: Profile) -> Target:
    """Parse a cited URL into the keys the index is searched by; InvalidURL if unusable."""
    canonical = canonical_url(url, profile)
    try:
        key = surt_key(canonical)
    except ValueError as exc:
        raise InvalidURL(f"malformed URL {url[:200]!r}: {exc}") from None
    return Target(url.strip(), canonical, key, profile.article_key(canonical))


def _index_key(surt: str | None, url: str, profile: Profile) -> str | None:
    """The capture's lookup key, computed as for a cited URL when the warehouse's SURT may differ.

    The warehouse's SURT is of the URL as captured; queries (tracking parameters) and
    non-ASCII paths are canonicalised first, exactly as :func:`target` does for the citation.
    """
    if surt and url.isascii() and "?" not in url and " " not in url:
        return surt
    try:
        return surt_key(canonical_url(url, profile))
    except (InvalidURL, ValueError):
        return None


def capture_rows(snapshot: Path) -> Iterator[tuple[Any, ...]]:
    """Every capture row of a published warehouse snapshot (see ``_CAPTURES_SQL`` for columns).

    The one place the resolver reads captures from: anything else that can yield these
    columns (a CDXJ file, the WARC files) could feed the index instead.
    """
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        cursor = con.execute(_CAPTURES_SQL)
        while batch := cursor.fetchmany(FETCH_BATCH):
            yield from batch
    finally:
        con.close()


def build_index(snapshot: Path, path: Path, profile: Profile) -> None:
    """Write the SQLite index for ``snapshot`` to ``path`` (atomically: temporary file, rename)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    db = sqlite3.connect(temporary)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(_SCHEMA)
        files: dict[str, int] = {}

        def file_id(name: str | None) -> int | None:
            if name is None:
                return None
            if name not in files:
                files[name] = len(files) + 1
            return files[name]

        def rows() -> Iterator[tuple[Any, ...]]:
            for row in capture_rows(snapshot):
                key = _index_key(row[0], row[1], profile)
                if key is None:
                    continue
                served = row[18] if row[6] == "revisit" else row[4]
                values = list(row)
                values[0], values[8], values[15] = key, file_id(row[8]), file_id(row[15])
                yield (*values, _grade(served, row[12]))

        db.executemany(f"INSERT INTO captures ({_COLUMNS}, grade) VALUES ({', '.join('?' * 21)})", rows())
        db.executemany("INSERT INTO files (id, name) VALUES (?, ?)", [(i, n) for n, i in files.items()])
        db.executescript(_INDEXES)
        db.execute("INSERT INTO meta VALUES ('snapshot', ?), ('version', ?)", (snapshot.name, INDEX_VERSION))
        db.commit()
    finally:
        db.close()
    os.replace(temporary, path)


class _Index:
    """One built index file, opened once per thread (SQLite connections are per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        with contextlib.closing(self._open()) as db:
            self.files = dict(db.execute("SELECT id, name FROM files").fetchall())

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(f"file:{quote(str(self.path))}?mode=ro", uri=True, check_same_thread=False)
        db.execute("PRAGMA query_only = ON")
        return db

    @property
    def db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._open()
        return db

    def capture(self, row: Sequence[Any]) -> Capture:
        """A Capture from a row in ``_COLUMNS`` order."""
        name = self.files[row[8]]
        if row[14] is None:
            content = StoredRecord(row[7], name, row[9], row[10], row[4], row[5])
        else:
            content = StoredRecord(row[14], self.files[row[15]], row[16], row[17], row[18], row[19])
        return Capture(
            key=row[0], url=row[1], article_key=row[2], time=EPOCH + row[3] * MICROSECOND, status=row[4],
            mime=row[5], record_type=row[6], record_id=row[7], warc_file=name, warc_offset=row[9],
            warc_length=row[10], payload_digest=row[11], location=row[12], title=row[13], content=content,
        )  # fmt: skip

    def nearest(self, where: str, args: tuple[Any, ...], grade: int, at: int | None) -> Capture | None:
        """The capture matching ``where`` with this grade nearest to ``at`` (latest if None)."""
        base = f"SELECT {_COLUMNS} FROM captures WHERE {where} AND grade = ?"
        if at is None:
            rows = self.db.execute(f"{base} ORDER BY ts DESC LIMIT 1", (*args, grade)).fetchall()
        else:
            rows = self.db.execute(
                f"SELECT * FROM ({base} AND ts <= ? ORDER BY ts DESC LIMIT 1) "
                f"UNION ALL SELECT * FROM ({base} AND ts > ? ORDER BY ts LIMIT 1)",
                (*args, grade, at, *args, grade, at),
            ).fetchall()
            # the earlier one wins a tie: the page as it stood by then
            rows.sort(key=lambda row: (abs(row[3] - at), row[3]))
        return self.capture(rows[0]) if rows else None

    def all(self, where: str, args: tuple[Any, ...], limit: int) -> list[Capture]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM captures WHERE {where} ORDER BY ts LIMIT ?", (*args, limit)
        ).fetchall()
        return [self.capture(row) for row in rows]

    def count_between(self, key: str, start: int, end: int) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM captures WHERE key = ? AND grade IN (0, 1, 2) AND ts >= ? AND ts < ?",
            (key, start, end),
        ).fetchone()
        return int(row[0])


@dataclass
class _Snapshot:
    signature: tuple[int, int, int] | None = None
    index: _Index | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Resolver:
    """Resolves cited URLs against one data directory's archive; safe to share between threads."""

    def __init__(
        self, data_dir: Path | str, *, profile: str | Profile = "sco", index_dir: Path | None = None
    ) -> None:
        self.data = DataDir(data_dir)
        self.profile = load_profile(profile) if isinstance(profile, str) else profile
        self.index_dir = index_dir if index_dir is not None else self.data.warehouse / "resolve"
        self._pointer = str(self.data.warehouse / POINTER)  # stat-ed on every lookup: kept as a str
        self._state = _Snapshot()

    # -- the index ---------------------------------------------------------------------------

    def index(self) -> _Index:
        """The index of the current snapshot, built or switched when the warehouse publishes."""
        state = self._state
        try:
            pointer = os.stat(self._pointer)
        except FileNotFoundError:
            raise WarehouseError(f"no warehouse in {self.data.root}: run `scoarchive load` first") from None
        signature = (pointer.st_ino, pointer.st_mtime_ns, pointer.st_size)
        if signature == state.signature and state.index is not None:
            return state.index
        with state.lock:
            if signature != state.signature or state.index is None:
                state.index = _Index(self._ensure_built())
                state.signature = signature
            return state.index

    def _ensure_built(self) -> Path:
        for _ in range(3):  # the snapshot named may be retired by a load while we read it
            snapshot = current_snapshot(self.data.root)
            if snapshot is None:
                raise WarehouseError(f"no warehouse in {self.data.root}: run `scoarchive load` first")
            try:
                stat = snapshot.stat()
                name = f"{snapshot.stem}-{stat.st_size}-{stat.st_mtime_ns}-v{INDEX_VERSION}.sqlite"
                path = self.index_dir / name
                if not path.exists():
                    self._build_locked(snapshot, path)
                return path
            except (FileNotFoundError, duckdb.IOException):
                continue
        raise WarehouseError(f"the warehouse in {self.data.root} keeps changing; try again")

    def _build_locked(self, snapshot: Path, path: Path) -> None:
        """Build under a lock, so processes sharing the data directory build each index once."""
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            lock = open(self.index_dir / ".build.lock", "a+b")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise WarehouseError(
                f"cannot write the resolver index in {self.index_dir}: {exc.strerror or exc} "
                "(give Resolver an index_dir that is writable)"
            ) from None
        with lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                if not path.exists():
                    build_index(snapshot, path, self.profile)
                    for old in self.index_dir.glob("*.sqlite"):
                        if old != path:
                            old.unlink(missing_ok=True)  # open readers keep their file
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    # -- lookups -----------------------------------------------------------------------------

    def target(self, url: str) -> Target:
        return target(url, self.profile)

    def resolve(self, url: str, at: datetime | date | None = None) -> Resolution | None:
        """The capture that best answers ``url`` at ``at`` (latest if None); None if none is archived.

        Raises InvalidURL (a ValueError) for a URL the archive cannot hold, WarehouseError when no
        warehouse has been published.
        """
        query = self.target(url)
        return self._resolve(query, as_moment(at), {query.key})

    def _resolve(self, query: Target, at: datetime | None, seen: set[str]) -> Resolution | None:
        index = self.index()
        when = _micros(at) if at is not None else None
        by_key = ("key = ?", (query.key,))
        by_article = ("article_key = ? AND key <> ?", (query.article_key, query.key))
        tiers = [by_key, by_article] if query.article_key else [by_key]

        def found(capture: Capture, tier: tuple[str, tuple[Any, ...]]) -> Resolution:
            match = "alias" if tier is by_article else "exact" if capture.url == query.url else "canonical"
            return Resolution(query.url, at, match, capture)

        for tier in tiers:
            if hit := index.nearest(*tier, GRADE_OK, when):
                return found(hit, tier)
        redirect = next((hit for tier in tiers if (hit := index.nearest(*tier, GRADE_REDIRECT, when))), None)
        if redirect is not None and (followed := self._follow(redirect, at, seen)) is not None:
            return Resolution(query.url, at, "redirect", followed.capture, (redirect, *followed.via))
        for tier in tiers:
            hits = [
                hit for grade in (GRADE_REDIRECT, GRADE_OTHER) if (hit := index.nearest(*tier, grade, when))
            ]
            if hits:
                return found(min(hits, key=lambda hit: _distance(hit, when)), tier)
        return None

    def _follow(self, redirect: Capture, at: datetime | None, seen: set[str]) -> Resolution | None:
        """Follow a captured redirect through the archive to content, or None (loop, not archived)."""
        location = redirect.redirect_target()
        if location is None or len(seen) > MAX_HOPS:
            return None
        try:
            hop = self.target(location)
        except InvalidURL:
            return None
        if hop.key in seen:
            return None
        seen.add(hop.key)
        result = self._resolve(hop, at, seen)
        return result if result is not None and result.capture.grade == GRADE_OK else None

    def captures(self, url: str, limit: int = 10_000) -> list[Capture]:
        """Every capture of the URL and of the same article, oldest first."""
        query = self.target(url)
        index = self.index()
        if query.article_key:
            return index.all("key = ? OR article_key = ?", (query.key, query.article_key), limit)
        return index.all("key = ?", (query.key,), limit)

    def at_timestamp(self, url: str, timestamp: str) -> Capture | None:
        """The capture a memento URI names: same SURT key, the timestamp's second (or microsecond).

        None when no capture, or more than one, falls in that second: the caller redirects to
        the nearest capture's own URI.
        """
        if len(timestamp) not in (14, 20):
            return None
        query = self.target(url)
        start = _micros(parse_timestamp(timestamp))
        end = start + (1 if len(timestamp) == 20 else 1_000_000)
        hits = self.index().all(
            "key = ? AND grade IN (0, 1, 2) AND ts >= ? AND ts < ?", (query.key, start, end), 2
        )
        return hits[0] if len(hits) == 1 else None

    def memento_timestamp(self, capture: Capture) -> str:
        """The timestamp of the capture's memento URI: 14 digits, or 20 (with microseconds) when
        another capture of the same URL falls in the same second, so every capture has its own URI."""
        second = _micros(capture.time.replace(microsecond=0))
        if self.index().count_between(capture.key, second, second + 1_000_000) > 1:
            return capture.time.strftime("%Y%m%d%H%M%S%f")
        return capture.timestamp


def _distance(capture: Capture, at: int | None) -> tuple[int, int]:
    """Sort key: nearest to ``at`` first, the earlier on a tie; the latest first when ``at`` is None."""
    ts = _micros(capture.time)
    return (-ts, 0) if at is None else (abs(ts - at), ts)


_RESOLVERS: dict[Path, Resolver] = {}
_RESOLVERS_LOCK = threading.Lock()


def resolve(
    url: str, at: datetime | date | None = None, data_dir: Path | str | None = None
) -> Resolution | None:
    """:meth:`Resolver.resolve` on ``data_dir`` (default ``$SCOARCHIVE_HOME``), reusing one resolver."""
    root = Path(data_dir) if data_dir is not None else Settings().home
    key = root.resolve()
    with _RESOLVERS_LOCK:
        resolver = _RESOLVERS.get(key)
        if resolver is None:
            resolver = _RESOLVERS[key] = Resolver(root)
    return resolver.resolve(url, at)
