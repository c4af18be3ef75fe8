"""The resolver's index follows the warehouse: appended to by loads, rebuilt after a reindex.

An index brought up to date load by load must answer exactly as one built at once from the
last snapshot (compared on the replica archive and on random archives); a reindex must lead
to a rebuilt index; readers in other threads and processes must see one state or the other
while an update is written; a process killed mid-update must leave a usable index.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from conftest import ArchiveHistory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from scoarchive.cli.main import app
from scoarchive.core.profile import load_profile
from scoarchive.core.settings import DataDir
from scoarchive.core.urls import surt_key
from scoarchive.resolve import Change, Match, Resolver
from scoarchive.resolve.model import micros
from scoarchive.warehouse import load, reindex
from scoarchive.warehouse.schema import migrate
from scoarchive.warehouse.snapshots import publish

PROFILE = load_profile("sco")
DAY = datetime(2024, 3, 1, tzinfo=UTC)


def warehouse_urls(data_dir: Path) -> list[str]:
    con = duckdb.connect(str(data_dir / "warehouse" / "scoarchive.duckdb"), read_only=True)
    try:
        return [url for (url,) in con.execute("SELECT DISTINCT url FROM captures ORDER BY url").fetchall()]
    finally:
        con.close()


def answers(resolver: Resolver, urls: list[str], moments: list[datetime | None]) -> dict[str, object]:
    """Everything a client can ask, as JSON: resolutions at each moment, and capture lists."""
    found: dict[str, object] = {}
    for url in urls:
        found[f"captures {url}"] = [c.to_dict() for c in resolver.captures(url)]
        for at in moments:
            result = resolver.resolve(url, at)
            found[f"{url} @ {at}"] = result.to_dict() if result else None
    return found


def index_file(resolver: Resolver) -> Path:
    return resolver.index().path


# -- the replica archive -------------------------------------------------------------------------


def test_loads_appended_one_by_one_answer_as_a_fresh_index(archive: ArchiveHistory, tmp_path: Path) -> None:
    files = sorted((archive.data_dir / "warcs").glob("*.warc.gz"))
    assert len(files) == 3  # first crawl, unchanged re-crawl (revisits), crawl after an edit
    (tmp_path / "warcs").mkdir()
    resolver = Resolver(tmp_path)
    # the re-crawl first: its revisits arrive before the records they refer to
    shutil.copy2(files[1], tmp_path / "warcs")
    load(tmp_path)
    first = index_file(resolver)
    for path in (files[0], files[2]):
        shutil.copy2(path, tmp_path / "warcs")
        load(tmp_path)
        assert index_file(resolver) == first  # appended to, never rebuilt
    urls = warehouse_urls(tmp_path)
    times = sorted({c.time for url in urls for c in resolver.captures(url)})
    moments: list[datetime | None] = [None, times[0] - timedelta(days=1), *times[:: max(1, len(times) // 8)]]
    fresh = Resolver(tmp_path, index_dir=tmp_path / "fresh-index")
    assert answers(resolver, urls, moments) == answers(fresh, urls, moments)
    # and the revisits loaded before their records stand for them now
    anniversary = resolver.captures("http://eng.sectsco.org/20210615/765514.html")
    assert [c.record_type for c in anniversary] == ["response", "revisit", "revisit"]
    assert anniversary[1].content.record_id == anniversary[0].record_id


def test_a_reindex_rebuilds_the_index(archive: ArchiveHistory, tmp_path: Path) -> None:
    (tmp_path / "warcs").mkdir()
    for path in sorted((archive.data_dir / "warcs").glob("*.warc.gz")):
        shutil.copy2(path, tmp_path / "warcs")
    load(tmp_path)
    resolver = Resolver(tmp_path)
    before = index_file(resolver)
    urls = warehouse_urls(tmp_path)
    expected = answers(resolver, urls, [None])
    reindex(tmp_path)
    assert index_file(resolver) != before  # a new warehouse generation: a new index file
    assert answers(resolver, urls, [None]) == expected  # the same WARC files: the same answers


# -- random archives -----------------------------------------------------------------------------

URLS = [
    "http://eng.sectsco.org/20240301/800001.html",
    "http://eng.sectsco.org/news/20240301/800001.html",  # the old site's address of the same article
    "http://eng.sectsco.org/20240302/800002.html",
    "http://eng.sectsco.org/about/",
    "http://eng.sectsco.org/search?q=x&utm_source=y",  # keyed after canonicalisation
]


@dataclass
class Row:
    """A capture of the synthetic warehouse (what the loader writes, reduced to what resolves)."""

    n: int
    url: str
    hours: int
    status: int
    revisit_of: int | None = None  # another row's n (which may be in a later load, or nowhere)
    location: str | None = None

    @property
    def record_id(self) -> str:
        return f"<urn:uuid:{self.n}>"

    @property
    def time(self) -> datetime:
        """Distinct for every row: which of two captures of one microsecond wins is not defined."""
        return DAY + timedelta(hours=self.hours, seconds=self.n)


class SyntheticWarehouse:
    """A data directory whose warehouse is written directly, one WARC file per call of :meth:`load`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.work = root / "warehouse" / "work.duckdb"
        self.work.parent.mkdir(parents=True, exist_ok=True)
        self.files = 0

    def load(self, rows: list[Row]) -> None:
        self.files += 1
        name = f"synthetic-{self.files:03d}.warc.gz"
        con = duckdb.connect(str(self.work))
        try:
            migrate(con)
            for offset, row in enumerate(rows):
                revisit = row.revisit_of is not None
                con.execute(
                    "INSERT INTO captures (record_id, url, surt, capture_time, status, mime, payload_digest, "
                    "record_type, warc_file, warc_offset, warc_length, refers_to, article_key, location) "
                    "VALUES (?, ?, ?, ?, ?, 'text/html', 'sha1:X', ?, ?, ?, 100, ?, ?, ?)",
                    [row.record_id, row.url, surt_key(row.url), row.time.replace(tzinfo=None),
                     304 if revisit else row.status, "revisit" if revisit else "response", name, offset * 100,
                     f"<urn:uuid:{row.revisit_of}>" if revisit else None, PROFILE.article_key(row.url),
                     row.location],
                )  # fmt: skip
                if not revisit and row.status == 200:
                    con.execute(
                        "INSERT INTO extractions (record_id, kind, item_key, url, capture_time, warc_file, "
                        "warc_offset, title, text, content_sha256) "
                        "SELECT record_id, 'article', url, url, capture_time, warc_file, warc_offset, "
                        "?, '', '' FROM captures WHERE record_id = ?",
                        [f"title {row.n}", row.record_id],
                    )
            con.execute("INSERT INTO loaded_files VALUES (?, 0, NULL, ?, 0)", [name, len(rows)])
        finally:
            con.close()
        publish(self.work, self.work.parent)

    def reindex(self, rows_by_file: list[list[Row]]) -> None:
        """Start a new warehouse (a new generation) from these files, as `reindex` does."""
        self.work.unlink()
        self.files = 0
        for rows in rows_by_file:
            self.load(rows)


def row_strategy(n: int) -> st.SearchStrategy[Row]:
    return st.builds(
        Row,
        n=st.just(n),
        url=st.sampled_from(URLS),
        hours=st.integers(0, 60),
        status=st.sampled_from([200, 200, 301, 404]),
        revisit_of=st.one_of(st.none(), st.integers(0, 40)),
        location=st.sampled_from([None, URLS[2], "/about/"]),
    )


@st.composite
def loads(draw: st.DrawFn) -> list[list[Row]]:
    rows = [draw(row_strategy(n)) for n in range(draw(st.integers(1, 40)))]
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), max_size=3)))
    return [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=loads())
def test_random_loads_appended_answer_as_a_fresh_index(batches: list[list[Row]], tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("random")
    warehouse = SyntheticWarehouse(root)
    resolver = Resolver(root)
    moments: list[datetime | None] = [None, *(DAY + timedelta(hours=h, minutes=30) for h in range(-1, 62, 7))]
    for batch in batches:
        warehouse.load(batch)
        answers(resolver, URLS, [None])  # caught up after every load
    fresh = Resolver(root, index_dir=root / "fresh-index")
    assert answers(resolver, URLS, moments) == answers(fresh, URLS, moments)


def test_a_reindex_that_changes_rows_is_not_appended_to(tmp_path: Path) -> None:
    warehouse = SyntheticWarehouse(tmp_path)
    page = URLS[0]
    warehouse.load([Row(0, page, 0, 404)])
    resolver = Resolver(tmp_path)
    first = resolver.resolve(page)
    assert first is not None and first.capture.status == 404
    # the same file, read again by a loader that now reads it differently: every row may change
    warehouse.reindex([[Row(0, page, 0, 200)]])
    again = resolver.resolve(page)
    assert again is not None and again.capture.status == 200


def test_a_file_gone_from_the_warehouse_leads_to_a_rebuild(tmp_path: Path) -> None:
    warehouse = SyntheticWarehouse(tmp_path)
    warehouse.load([Row(0, URLS[0], 0, 200)])
    warehouse.load([Row(1, URLS[2], 1, 200)])
    resolver = Resolver(tmp_path)
    assert resolver.resolve(URLS[2]) is not None
    con = duckdb.connect(str(warehouse.work))
    con.execute("DELETE FROM captures WHERE warc_file = 'synthetic-002.warc.gz'")
    con.execute("DELETE FROM loaded_files WHERE warc_file = 'synthetic-002.warc.gz'")
    con.close()
    publish(warehouse.work, warehouse.work.parent)
    assert resolver.resolve(URLS[2]) is None
    assert resolver.resolve(URLS[0]) is not None


# -- readers while the index is written --------------------------------------------------------


def redirect_load(number: int) -> list[Row]:
    """Load k: the page redirects to /moved/k, captured in the same load (at a later hour)."""
    target = f"http://eng.sectsco.org/moved/{number}"
    return [
        Row(2 * number, URLS[3], 2 * number, 301, location=target),
        Row(2 * number + 1, target, 2 * number + 1, 200),
    ]


def test_a_reader_finding_another_process_updating_answers_from_the_state_before(tmp_path: Path) -> None:
    warehouse = SyntheticWarehouse(tmp_path)
    warehouse.load(redirect_load(1))
    reader = Resolver(tmp_path)
    assert reader.resolve(URLS[3]).capture.url.endswith("/moved/1")  # type: ignore[union-attr]
    warehouse.load(redirect_load(2))
    with open(reader.index_dir / ".build.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # as another process bringing the index up to date
        stale = reader.resolve(URLS[3])  # neither blocks nor sees half of load 2
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    assert stale is not None and stale.capture.url.endswith("/moved/1")
    fresh = reader.resolve(URLS[3])
    assert fresh is not None and fresh.match == Match.REDIRECT and fresh.capture.url.endswith("/moved/2")


READER = """
import json, sys
from scoarchive.resolve import Resolver
resolver = Resolver(sys.argv[1])
print("ready", flush=True)
for _ in range(int(sys.argv[2])):
    result = resolver.resolve(sys.argv[3])
    print(json.dumps([result.match, [hop.url for hop in result.via], result.capture.url]), flush=True)
"""


def test_readers_in_threads_and_processes_see_one_state_or_the_other(tmp_path: Path) -> None:
    warehouse = SyntheticWarehouse(tmp_path)
    warehouse.load(redirect_load(1))
    Resolver(tmp_path).index()
    seen: list[tuple[str, list[str], str]] = []
    stop = threading.Event()

    def read() -> None:
        resolver = Resolver(tmp_path)  # its own connections and lock, as another process has
        while not stop.is_set():
            result = resolver.resolve(URLS[3])
            assert result is not None
            seen.append((result.match, [hop.url for hop in result.via], result.capture.url))

    threads = [threading.Thread(target=read) for _ in range(3)]
    process = subprocess.Popen(
        [sys.executable, "-c", READER, str(tmp_path), "400", URLS[3]], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    for thread in threads:
        thread.start()
    writer = Resolver(tmp_path)
    for number in range(2, 7):
        warehouse.load(redirect_load(number))
        writer.index()
    stop.set()
    for thread in threads:
        thread.join()
    out = process.stdout.read()  # not communicate(): it would skip what readline() buffered
    process.wait(timeout=120)
    seen += [tuple(json.loads(line)) for line in out.splitlines()]  # type: ignore[misc]
    assert process.returncode == 0 and len(seen) > 400
    for match, via, url in seen:  # each answer is one load's, whole: its redirect and its target
        number = int(url.rsplit("/", 1)[1])
        assert (match, via) == ("redirect", [URLS[3]]) and 1 <= number <= 6, (match, via, url)
    last = Resolver(tmp_path).resolve(URLS[3])
    assert last is not None and last.capture.url.endswith("/moved/6")


# -- crashes -------------------------------------------------------------------------------------

CRASHING_APPEND = """
import os, sys
from pathlib import Path
from scoarchive.core.profile import load_profile
from scoarchive.resolve import writing
from scoarchive.warehouse import current_snapshot
from scoarchive.warehouse.lookups import SnapshotReader

index, root = Path(sys.argv[1]), Path(sys.argv[2])
with SnapshotReader().open(current_snapshot(root)) as view:
    state = view.state()
    db = writing.writer(index)
    held = {row["name"] for row in writing.rows(db, "SELECT name FROM files")}
    db.execute("BEGIN IMMEDIATE")

    def dying():
        for n, row in enumerate(view.capture_rows(state.files - held)):
            if n == 2:
                os._exit(9)  # killed with the transaction half written
            yield row

    writing.append(db, dying(), state.files - held, load_profile("sco"), {"snapshot": "never"})
"""


def test_a_process_killed_mid_append_leaves_a_usable_index(tmp_path: Path) -> None:
    warehouse = SyntheticWarehouse(tmp_path)
    warehouse.load(redirect_load(1))
    resolver = Resolver(tmp_path)
    path = index_file(resolver)
    warehouse.load([*redirect_load(2), *(Row(10 + n, URLS[0], 10 + n, 200) for n in range(5))])
    killed = subprocess.run([sys.executable, "-c", CRASHING_APPEND, str(path), str(tmp_path)], check=False)
    assert killed.returncode == 9
    other = Resolver(tmp_path)
    result = other.resolve(URLS[3])  # the append that died left nothing behind, and is redone
    assert result is not None and result.capture.url.endswith("/moved/2")
    assert len(other.captures(URLS[0])) == 5 and index_file(other) == path


def test_a_rebuild_that_died_is_cleaned_up_and_the_index_still_answers(tmp_path: Path) -> None:
    warehouse = SyntheticWarehouse(tmp_path)
    warehouse.load(redirect_load(1))
    resolver = Resolver(tmp_path)
    before = index_file(resolver)
    stale = before.with_name(f".{before.name.split('-')[0]}-2.sqlite.tmp")
    stale.write_bytes(b"half a rebuild")  # what a rebuild killed before its rename leaves
    legacy = before.with_name("scoarchive-3-1234-5678-v1.sqlite")  # an index of INDEX_VERSION 1
    legacy.write_bytes(b"")
    assert resolver.resolve(URLS[3]) is not None  # the pointer still names a complete file
    warehouse.reindex([redirect_load(1), redirect_load(2)])
    result = resolver.resolve(URLS[3])
    assert result is not None and result.capture.url.endswith("/moved/2")
    assert not stale.exists() and not legacy.exists()
    assert index_file(resolver) != before


def test_a_damaged_index_file_is_rebuilt(tmp_path: Path) -> None:
    warehouse = SyntheticWarehouse(tmp_path)
    warehouse.load(redirect_load(1))
    path = index_file(Resolver(tmp_path))
    path.write_bytes(b"not a database" * 100)
    result = Resolver(tmp_path).resolve(URLS[3])
    assert result is not None and result.capture.url.endswith("/moved/1")


def test_capture_times_are_exact_to_the_microsecond(tmp_path: Path) -> None:
    warehouse = SyntheticWarehouse(tmp_path)
    warehouse.load([Row(0, URLS[0], 0, 200)])
    capture = Resolver(tmp_path).captures(URLS[0])[0]
    assert micros(capture.time) == micros(DAY)


# -- loads bring the index up to date ---------------------------------------------------------


def test_the_load_command_brings_the_index_up_to_date(archive: ArchiveHistory, tmp_path: Path) -> None:
    files = sorted((archive.data_dir / "warcs").glob("*.warc.gz"))
    DataDir(tmp_path).create()
    (tmp_path / "warcs").mkdir()
    shutil.copy2(files[0], tmp_path / "warcs")
    first = CliRunner().invoke(app, ["load", "--data", str(tmp_path), "--json"])
    assert first.exit_code == 0 and "resolver index: rebuilt" in first.stderr
    shutil.copy2(files[1], tmp_path / "warcs")
    second = CliRunner().invoke(app, ["load", "--data", str(tmp_path), "--json"])
    assert second.exit_code == 0 and "resolver index: appended" in second.stderr
    assert json.loads(second.stdout)["files_loaded"] == [files[1].name]  # the load's JSON as it was
    assert Resolver(tmp_path).update().change == Change.NONE  # nothing left for a lookup to do
    reindexed = CliRunner().invoke(app, ["reindex", "--data", str(tmp_path)])
    assert reindexed.exit_code == 0 and "resolver index: rebuilt" in reindexed.stderr
    assert Resolver(tmp_path).update().change == Change.NONE


def test_a_load_whose_index_cannot_be_written_still_succeeds(archive: ArchiveHistory, tmp_path: Path) -> None:
    DataDir(tmp_path).create()
    (tmp_path / "warcs").mkdir()
    shutil.copy2(sorted((archive.data_dir / "warcs").glob("*.warc.gz"))[0], tmp_path / "warcs")
    (tmp_path / "warehouse").mkdir()
    (tmp_path / "warehouse" / "resolve").write_text("not a directory")
    result = CliRunner().invoke(app, ["load", "--data", str(tmp_path), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["files_loaded"]
    assert "resolver index not updated" in result.stderr and "Traceback" not in result.output
