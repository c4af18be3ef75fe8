"""Damage is never silent: a load or reindex reads on past it, names it, and exits 1.

The archive is a copy of the session's crawl; the damage is done to it as disks and operators
do it: one flipped byte in the middle of a WARC file, a file deleted, a file truncated to nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import httpx
import pytest
from conftest import ArchiveHistory, run_cli

from scoarchive.service import background_server, create_app
from scoarchive.warc.reader import iter_records, read_response
from scoarchive.warehouse import connect


@pytest.fixture
def copy(archive: ArchiveHistory, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(archive.data_dir, data, ignore=shutil.ignore_patterns("resolve", "*.lock"))
    loaded = run_cli("load", "--data", str(data))
    assert loaded.returncode == 0, loaded.stderr
    return data


def captures(data: Path) -> dict[str, int]:
    """Capture rows per WARC file in the published warehouse."""
    con = connect(data)
    try:
        return dict(con.execute("SELECT warc_file, count(*) FROM captures GROUP BY 1").fetchall())
    finally:
        con.close()


def response_members(path: Path) -> list[tuple[int, int]]:
    """Where each response or revisit record's gzip member starts and ends (the next record's
    start, whatever its type: a request or metadata record may follow)."""
    records = [(offset, record.rec_type) for offset, record in iter_records(path)]
    ends = [offset for offset, _ in records[1:]] + [path.stat().st_size]
    return [
        (offset, end)
        for (offset, kind), end in zip(records, ends, strict=True)
        if kind in ("response", "revisit")
    ]


def reindex(data: Path, *extra: str) -> tuple[int, dict]:
    completed = run_cli("reindex", "--data", str(data), "--json", *extra)
    assert "Traceback" not in completed.stderr, completed.stderr
    printed = [line for line in completed.stderr.splitlines() if line.startswith("Error -")]
    assert not printed, printed  # zlib's errors, as warcio prints them
    lines = [line for line in completed.stderr.splitlines() if line.startswith("Error: ")]
    report = json.loads(completed.stdout) if completed.stdout.strip() else {}
    return completed.returncode, {**report, "error": lines[0] if lines else None}


def test_a_flipped_byte_costs_one_record_and_is_named(copy: Path) -> None:
    before = captures(copy)
    path = max((copy / "warcs").glob("*.warc.gz"), key=lambda p: p.stat().st_size)
    members = response_members(path)
    start, end = members[len(members) // 2]
    data = bytearray(path.read_bytes())
    data[(start + end) // 2] ^= 0xFF  # inside one record's member
    path.write_bytes(bytes(data))
    code, report = reindex(copy)
    assert code == 1 and "damaged record(s)" in report["error"]
    damaged = [s for s in report["skipped"] if s["damaged"]]
    assert [s["warc_offset"] for s in damaged] == [start]
    after = captures(copy)
    assert after[path.name] >= before[path.name] - 1  # every intact record after it is still there
    assert {name: n for name, n in after.items() if name != path.name} == {
        name: n for name, n in before.items() if name != path.name
    }


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_reindex_refuses_to_drop_a_vanished_file_unless_told(copy: Path, how: str) -> None:
    before = captures(copy)
    gone = sorted((copy / "warcs").glob("*.warc.gz"))[0]
    if how == "deleted":
        gone.unlink()
    else:
        gone.write_bytes(b"")
    code, report = reindex(copy)
    assert code == 1 and gone.name in report["error"] and "--forget-missing" in report["error"]
    assert captures(copy) == before  # nothing was rebuilt: every row is still there
    code, report = reindex(copy, "--forget-missing")
    assert code == 1 and report["missing_files"] == [gone.name]  # done, and the loss reported
    assert gone.name not in captures(copy)


def test_load_names_a_file_that_is_gone(copy: Path) -> None:
    gone = sorted((copy / "warcs").glob("*.warc.gz"))[-1]
    gone.unlink()
    completed = run_cli("load", "--data", str(copy), "--json")
    assert completed.returncode == 1, completed.stderr
    assert json.loads(completed.stdout)["missing_files"] == [gone.name]
    assert completed.stderr.startswith("Error: 1 damaged record(s) or missing file(s) found")


def test_damage_is_kept_in_the_warehouse_for_analysts(copy: Path) -> None:
    path = max((copy / "warcs").glob("*.warc.gz"), key=lambda p: p.stat().st_size)
    start, end = response_members(path)[3]
    data = bytearray(path.read_bytes())
    data[(start + end) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    reindex(copy)
    con = duckdb.connect(str(copy / "warehouse" / "scoarchive.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT warc_offset FROM skipped_records WHERE damaged").fetchall()
    finally:
        con.close()
    assert rows == [(start,)]


@pytest.mark.parametrize("mime", ["text/html", "image/jpeg"])
def test_replay_never_serves_a_damaged_body_as_the_archives(copy: Path, mime: str) -> None:
    """A flipped byte in a page (deflated) or in a photo (stored as sent, gzip level 0, where only
    the member's CRC, which a single-record read never reaches, would tell): replay answers that
    the record is damaged instead of serving bytes that are not the archive's."""
    con = connect(copy)
    try:
        warc_file, offset, url, moment = con.execute(
            "SELECT warc_file, warc_offset, url, strftime(capture_time, '%Y%m%d%H%M%S') FROM captures"
            " WHERE record_type = 'response' AND status = 200 AND mime = ? AND warc_length > 4000"
            " ORDER BY warc_file, warc_offset LIMIT 1",
            [mime],
        ).fetchone()
    finally:
        con.close()
    path = copy / "warcs" / warc_file
    body = read_response(copy / "warcs", warc_file, offset).read()
    data = bytearray(path.read_bytes())
    end = next(e for s, e in response_members(path) if s == offset)
    stored = mime == "image/jpeg"  # the photo's own bytes are in the file as they are
    where = data.index(body[2000:2064], offset, end) if stored else (offset + end) // 2
    data[where] ^= 0x01
    path.write_bytes(bytes(data))
    with background_server(create_app(copy)) as base:
        answer = httpx.get(f"{base}/web/{moment}id_/{url}", timeout=30)
    assert answer.status_code == 404 and answer.content != body
    assert "damaged" in answer.text or "unreadable" in answer.text
