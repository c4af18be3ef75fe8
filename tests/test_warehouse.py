"""The warehouse: loading crawls of the replica, versions, reindex, snapshots, bad records, CLI.

Crawls come from the session-wide ``archive`` fixture (conftest.py: a first crawl, an unchanged
re-crawl, and a crawl after ``site.mutate()``); each test loads copies of its WARC files into a
data directory of its own, run by run, as a scheduled ``scoarchive load`` would.
"""

from __future__ import annotations

import base64
import fcntl
import gzip
import hashlib
import io
import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from scoarchive.cli import warehouse as cli_warehouse  # noqa: F401 - registers the warehouse commands on the app
from scoarchive.cli.main import app
from scoarchive.core.profile import load_profile
from scoarchive.core.settings import DataDir
from scoarchive.replica import Site
from scoarchive.warc.records import HttpExchange
from scoarchive.warc.writer import WarcWriter
from scoarchive.warehouse import (
    WarehouseBusy,
    connect,
    current_snapshot,
    example_queries,
    load,
    published_path,
    reindex,
    search,
)
from scoarchive.warehouse.schema import migrations

# -- fixtures ----------------------------------------------------------------------------------


def run_files(archive) -> list[list[Path]]:
    """The WARC files of the archive's three crawl runs, in crawl order."""
    warcs = archive.data_dir / "warcs"
    runs = [archive.first, archive.unchanged, archive.changed]
    return [[warcs / name for name in run.warc_files] for run in runs]


def add_files(data_dir: Path, files: list[Path]) -> None:
    DataDir(data_dir).create()
    (data_dir / "warcs").mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy2(path, data_dir / "warcs" / path.name)


@pytest.fixture(scope="module")
def incremental(archive, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """A warehouse built by one load after each crawl run."""
    data_dir = tmp_path_factory.mktemp("incremental")
    reports = []
    for files in run_files(archive):
        add_files(data_dir, files)
        reports.append(load(data_dir))
    return data_dir, reports


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@pytest.fixture
def analyst(incremental: tuple[Path, list]) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(incremental[0])
    yield con
    con.close()


# -- contents ----------------------------------------------------------------------------------


def test_latest_versions_hold_every_served_news_article(archive, analyst: duckdb.DuckDBPyConnection) -> None:
    site: Site = archive.site
    latest = {
        key: (url, title, published, language, text)
        for key, url, title, published, language, text in rows(
            analyst, "SELECT article_key, url, title, published, language, text FROM articles_latest"
        )
    }
    truths = site.articles()  # the site as it is now, after the mutation
    assert {t.language for t in truths} == {"en", "ru", "zh"}
    for truth in truths:
        key = f"{truth.host}/{truth.article_id}"
        assert key in latest, truth.url
        url, title, published, language, text = latest[key]
        assert (url, title, published, language) == (truth.url, truth.title, truth.published, truth.language)
        for paragraph in truth.paragraphs:
            assert paragraph in text, (key, paragraph)
        story = (truth.title, *truth.paragraphs)
        for junk in truth.boilerplate:
            if not any(junk in part for part in story):
                assert junk not in text, (key, junk)


def test_an_edit_makes_a_second_version_and_a_deletion_keeps_history(
    archive,
    analyst: duckdb.DuckDBPyConnection,
) -> None:
    edited = archive.site.articles(host="eng.sectsco.org")
    edited_truth = next(t for t in edited if t.url == archive.change.edited)
    key = f"eng.sectsco.org/{edited_truth.article_id}"
    versions = rows(
        analyst,
        "SELECT version, previous_sha256, content_sha256, paragraphs_added, paragraphs_removed, title_changed"
        " "
        f"FROM article_versions WHERE article_key = '{key}' ORDER BY version",
    )
    assert len(versions) == 2
    (v1, prev1, sha1, *_), (v2, prev2, sha2, added, removed, title_changed) = versions
    assert (v1, prev1, v2, prev2) == (1, None, 2, sha1) and sha1 != sha2
    assert (added, removed, title_changed) == (1, 1, False)  # one paragraph was rewritten
    latest_text = rows(analyst, f"SELECT text FROM articles_latest WHERE article_key = '{key}'")[0][0]
    assert edited_truth.paragraphs[1] in latest_text
    # every other article has exactly one version: unchanged pages were revisits, not new rows
    assert rows(analyst, "SELECT count(*) FROM article_versions WHERE version > 1") == [(1,)]
    deleted_key = load_profile("sco").article_key(archive.change.deleted)  # any address form
    assert rows(analyst, f"SELECT count(*) FROM articles WHERE article_key = '{deleted_key}'") == [(1,)]
    assert rows(analyst, f"SELECT count(*) FROM articles_latest WHERE article_key = '{deleted_key}'") == [
        (1,)
    ]


def test_no_duplicates_and_loading_again_adds_nothing(incremental: tuple[Path, list]) -> None:
    data_dir, reports = incremental
    first, unchanged, changed = reports
    assert first.captures_added > 0 and first.articles_added > 0 and first.documents_added > 0
    assert unchanged.articles_added == 0 and unchanged.versions_added == 0
    assert changed.articles_added == 9 and changed.versions_added == 10  # 3 stories x 3 sites + 1 edit
    before = current_snapshot(data_dir)
    again = load(data_dir)
    assert (again.files_loaded, again.captures_added, again.snapshot) == ([], 0, None)
    assert current_snapshot(data_dir) == before
    con = connect(data_dir)
    try:
        assert rows(con, "SELECT count(*) = count(DISTINCT record_id) FROM captures") == [(True,)]
        assert rows(con, "SELECT count(*) = count(DISTINCT (article_key, content_sha256)) FROM articles") == [
            (True,)
        ]
        assert rows(con, "SELECT count(*) = count(DISTINCT article_key) FROM articles_latest") == [(True,)]
        runs = rows(con, "SELECT captures, revisits, new_articles, changed_articles FROM crawl_runs")
        assert len(runs) == 3 and runs[0][2] > 0 and runs[1][1] > 0 and runs[2][3] == 1
        applied = rows(con, "SELECT list(version ORDER BY version) FROM schema_migrations")
        assert applied == [([version for version, _, _ in migrations()],)]  # every one, each once
    finally:
        con.close()


def test_reindex_reproduces_the_incremental_warehouse(incremental: tuple[Path, list], tmp_path: Path) -> None:
    data_dir, _ = incremental
    add_files(tmp_path, sorted((data_dir / "warcs").glob("*.warc.gz")))
    report = reindex(tmp_path, workers=2)
    assert report.snapshot is not None
    # the replica's faults: the gzip bomb page and the oversized file that only looks like a PDF
    assert {s.url.rsplit("/", 1)[1] for s in report.skipped} == {"900007.html", "large.pdf"}
    old, new = connect(data_dir), connect(tmp_path)
    try:
        for table, order in (
            ("captures", "record_id"),
            ("articles", "article_key, first_seen, content_sha256"),
            ("extractions", "record_id"),
            ("documents", "url, content_sha256, document_key"),
            ("document_pages", "record_id"),
            ("language_links", "record_id, language, url"),
            ("skipped_records", "warc_file, warc_offset"),
            ("loaded_files", "warc_file"),
        ):
            sql = f"SELECT * FROM {table} ORDER BY {order}"
            assert rows(old, sql) == rows(new, sql), table
    finally:
        old.close()
        new.close()
    # deleting the warehouse altogether and reindexing in place gives the same rows again
    shutil.rmtree(tmp_path / "warehouse")
    reindex(tmp_path)
    again = connect(tmp_path)
    reference = connect(data_dir)
    try:
        sql = "SELECT * FROM articles ORDER BY article_key, first_seen, content_sha256"
        assert rows(again, sql) == rows(reference, sql)
    finally:
        again.close()
        reference.close()


# -- readers and writers -----------------------------------------------------------------------

STATE_SQL = (
    "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM loaded_files),"
    " (SELECT count(*) FROM articles), (SELECT sum(records) FROM loaded_files),"
    " (SELECT max(capture_time) FROM captures)"
)


def test_a_load_never_fails_on_or_shows_half_a_state_to_open_readers(archive, tmp_path: Path) -> None:
    runs = run_files(archive)
    add_files(tmp_path, runs[0])
    load(tmp_path)
    held = connect(tmp_path)  # an analyst's session left open across the load
    old_state = held.execute(STATE_SQL).fetchone()
    seen: list[tuple] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            con = duckdb.connect(str(published_path(tmp_path)), read_only=True)
            try:
                seen.append(con.execute(STATE_SQL).fetchone())
            finally:
                con.close()

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        add_files(tmp_path, runs[1] + runs[2])
        report = load(tmp_path)
    finally:
        stop.set()
        poller.join()
    assert report.files_loaded and report.snapshot is not None
    assert held.execute(STATE_SQL).fetchone() == old_state  # the open session still reads its snapshot
    held.close()
    fresh = connect(tmp_path)
    new_state = fresh.execute(STATE_SQL).fetchone()
    fresh.close()
    assert new_state != old_state
    assert seen and set(seen) <= {old_state, new_state}
    snapshots = sorted(p.name for p in (tmp_path / "warehouse" / "snapshots").iterdir())
    assert snapshots == ["scoarchive-1.duckdb", "scoarchive-2.duckdb"]
    assert (tmp_path / "warehouse" / "current").read_text().strip() == "scoarchive-2.duckdb"


def test_a_second_concurrent_load_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "warehouse" / ".load.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        with pytest.raises(WarehouseBusy):
            load(tmp_path)


# -- bad records -------------------------------------------------------------------------------


def _exchange(
    url: str, body: bytes, content_type: str = "text/html; charset=utf-8", **extra: object
) -> HttpExchange:
    encoding = extra.pop("encoding", None)
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
    head += f"Content-Encoding: {encoding}\r\n" if encoding else ""
    head += f"Content-Length: {len(body)}\r\n\r\n"
    digest = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
    return HttpExchange(
        url=url,
        date=datetime.now(UTC),
        request_head=b"GET / HTTP/1.1\r\nHost: eng.sectsco.org\r\n\r\n",
        response_head=head.encode(),
        body=io.BytesIO(body),
        body_length=len(body),
        payload_digest=digest,
        block_digest=digest,
        status=200,
        **extra,  # type: ignore[arg-type]
    )


def _write_bad_file(directory: Path, prefix: str, good_html: bytes) -> list:
    """A WARC file with one good article among records the loader must skip."""
    base = "http://eng.sectsco.org/2021061"
    bomb = gzip.compress(b"<html><body>" + b" " * (17 * 2**20), compresslevel=1)
    writer = WarcWriter(directory, prefix, {"isPartOf": f"run-{prefix}"})
    with writer:
        refs = [
            writer.write_response(_exchange(f"{base}5/765514.html", good_html)),
            writer.write_response(_exchange(f"{base}1/1.html", good_html[:500], truncated="length")),
            writer.write_response(_exchange(f"{base}2/2.html", bomb, encoding="gzip")),
            writer.write_response(_exchange(f"{base}3/3.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)),
            writer.write_response(_exchange(f"{base}4/4.html", b"<html><body><p>a\x00b</p></body></html>")),
            writer.write_response(_exchange(f"{base}6/6.html", b"not gzip at all", encoding="gzip")),
            writer.write_response(_exchange(f"{base}7/7.html", good_html)),
        ]
    return refs


def test_malformed_truncated_and_binary_records_are_skipped_with_a_reason(tmp_path: Path) -> None:
    site = Site()
    truth = next(t for t in site.articles(host="eng.sectsco.org") if t.article_id == 765514)
    good = site.response("eng.sectsco.org", "/20210615/765514.html", {}).body
    warcs = tmp_path / "warcs"
    _write_bad_file(warcs, "plain", good)
    cut_refs = _write_bad_file(warcs, "cut", good)
    damaged_refs = _write_bad_file(warcs, "damaged", good)
    cut, damaged = (sorted(warcs.glob(f"{p}-*.warc.gz"))[0] for p in ("cut", "damaged"))
    with open(cut, "r+b") as handle:  # a file whose last record was cut off mid-write
        handle.truncate(cut_refs[-1].offset + cut_refs[-1].length // 2)
    data = bytearray(damaged.read_bytes())  # garbage inside the first record's gzip member
    first = damaged_refs[0]
    data[first.offset + 40 : first.offset + 140] = b"\xff" * 100
    damaged.write_bytes(bytes(data))

    report = load(tmp_path)
    assert len(report.files_loaded) == 3 and report.snapshot is not None
    reasons = {
        (path, s.url.rsplit("/", 1)[-1] if s.url else None, s.reason.split(":")[0])
        for s in report.skipped
        for path in [s.warc_file.split("-")[0]]
    }
    for prefix in ("plain", "cut", "damaged"):
        assert (prefix, "1.html", "truncated record (WARC-Truncated") in reasons
        assert (prefix, "2.html", "body decodes to over 16777216 bytes (gzip bomb?)") in reasons
        assert (prefix, "3.html", "NUL byte in HTML") in reasons
        assert (prefix, "4.html", "NUL byte in HTML") in reasons
        assert (prefix, "6.html", "undecodable body") in reasons
    assert any(  # its last gzip member ends with the file: zlib finds it unfinished
        s.warc_file.startswith("cut") and s.damaged and s.reason.endswith("cut short by the end of the file")
        for s in report.skipped
    )
    assert any(p == "damaged" and r == "damaged WARC data" for p, _, r in reasons)
    con = connect(tmp_path)
    try:
        extracted = rows(con, "SELECT split_part(warc_file, '-', 1), item_key FROM extractions ORDER BY 1, 2")
        assert extracted == [
            ("cut", "eng.sectsco.org/765514"),  # its last record (article 7) was cut off
            ("damaged", "eng.sectsco.org/7"),  # read on after the damaged first member
            ("plain", "eng.sectsco.org/7"),
            ("plain", "eng.sectsco.org/765514"),
        ]
        # the same text in several files is one version of each article, seen several times
        versions = rows(con, "SELECT article_key, title, times_seen FROM articles ORDER BY 1")
        assert versions == [
            ("eng.sectsco.org/7", truth.title, 2),
            ("eng.sectsco.org/765514", truth.title, 2),
        ]
        skipped = rows(con, "SELECT count(*) FROM skipped_records")[0][0]
        assert skipped == len(report.skipped)
    finally:
        con.close()


# -- analyst interface -------------------------------------------------------------------------


def test_example_queries_run(incremental: tuple[Path, list]) -> None:
    queries = example_queries()
    assert len(queries) >= 5
    con = connect(incremental[0])
    try:
        for name, sql in queries.items():
            first_line = sql.lstrip().splitlines()[0]
            assert first_line.startswith("-- Question:"), name
            cursor = con.execute(sql)
            assert cursor.description, name
            result = cursor.fetchall()
            if name not in ("date_disagreements",):
                assert result, name
    finally:
        con.close()


def test_full_text_search_in_three_languages(incremental: tuple[Path, list]) -> None:
    data_dir, _ = incremental
    hits = search(data_dir, "Alibaba videoconference")
    assert hits[0].article_key == "eng.sectsco.org/765371" and hits[0].language == "en"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert search(data_dir, ["Секретариат"], limit=5)[0].language == "ru"
    assert all(h.language == "zh" for h in search(data_dir, "上合组织秘书长", limit=5))
    assert search(data_dir, "zzzqqqxxx") == []


def test_cli_sql_search_and_export(incremental: tuple[Path, list], tmp_path: Path) -> None:
    data = str(incremental[0])
    runner = CliRunner()
    result = runner.invoke(
        app, ["sql", "SELECT count(*) AS n FROM articles_latest", "--data", data, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["n"] > 80
    result = runner.invoke(
        app,
        [
            "sql",
            "SELECT language, count(*) FROM articles GROUP BY 1 ORDER BY 1",
            "--data",
            data,
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0 and result.stdout.splitlines()[1].startswith("en,")
    result = runner.invoke(app, ["sql", "SELECT * FROM crawl_runs", "--data", data])
    assert result.exit_code == 0 and "3 rows" in result.stdout
    result = runner.invoke(app, ["sql", "SELEC nonsense", "--data", data])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("Error:")
    result = runner.invoke(
        app,
        ["sql", "--data", data, "--format", "csv"],
        input="SELECT 1 AS a,\n 2 AS b;\nSELECT bad;\nSELECT 3 AS c;\n",
    )
    assert result.exit_code == 0 and "a,b\n1,2" in result.stdout and "c\n3" in result.stdout
    assert "Error:" in result.stdout
    result = runner.invoke(app, ["search", "Alibaba", "--data", data, "--format", "json"])
    assert result.exit_code == 0 and "765371" in json.loads(result.stdout)[0]["url"]
    result = runner.invoke(app, ["export", str(tmp_path / "out"), "--data", data, "--format", "parquet"])
    assert result.exit_code == 0, result.output
    exported = duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'out' / 'articles.parquet'}'").fetchone()
    assert exported is not None and exported[0] > 80
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"captures.parquet", "article_versions.parquet"}
    result = runner.invoke(app, ["sql", "SELECT 1", "--data", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "scoarchive init" in result.stderr  # not a data directory
    DataDir(tmp_path / "empty").create()
    result = runner.invoke(app, ["sql", "SELECT 1", "--data", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "scoarchive load" in result.stderr  # a data directory, nothing loaded
    result = runner.invoke(app, ["load", "--data", str(tmp_path / "empty"), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["files_loaded"] == []
