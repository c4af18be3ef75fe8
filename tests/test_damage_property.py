"""One flipped byte anywhere in a WARC file costs at most the record whose gzip member it is in.

The property, for a byte flipped at any position: (a) every record outside the damaged member is
still read, at its own offset, with its own content; (b) whenever the damaged member's record is
not read back as it was, a Damage names that member's offset (no silent loss); (c) no Damage is
named at an offset where no record starts. Checked for the reader (``scan_records``), the loader
(``WarcRecords``, and ``reindex`` of a data directory) and fixity (``check_file``, ``verify``).
The archive is small and written like a crawl's: a page, its request, a metadata record, a
gzip-encoded page stored at level 0 (its own gzip header then sits inside the record's member,
where a reader resyncing at any ``\\x1f\\x8b\\x08`` would wrongly land) and a revisit.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import shutil
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scoarchive.core.profile import load_profile
from scoarchive.core.settings import DataDir
from scoarchive.upkeep.verify import FixityReport, check_file, verify
from scoarchive.warc import reader
from scoarchive.warc.reader import Damage, scan_records
from scoarchive.warc.records import PROFILE_IDENTICAL, HttpExchange, PriorCapture, sha1_digest
from scoarchive.warc.writer import WarcWriter
from scoarchive.warehouse import connect
from scoarchive.warehouse.loading import reindex
from scoarchive.warehouse.records import WarcRecords

PAGE = "http://eng.sectsco.org/20240704/1460010.html"
GZIPPED = "http://eng.sectsco.org/20240705/1460011.html"
FLIPS_PER_MEMBER = 24  # besides every byte of each member's gzip header and trailer


def exchange(url: str, body: bytes, head_extra: str = "") -> HttpExchange:
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n{head_extra}\r\n"
    ).encode()
    return HttpExchange(
        url=url,
        date=datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC),
        request_head=f"GET / HTTP/1.1\r\nHost: {url.split('/')[2]}\r\n\r\n".encode(),
        response_head=head,
        body=io.BytesIO(body),
        body_length=len(body),
        payload_digest=sha1_digest(hashlib.sha1(body)),
        block_digest=sha1_digest(hashlib.sha1(head + body)),
        status=200,
        ip_address="127.0.0.1",
    )


def write_archive(directory: Path) -> Path:
    rng = random.Random(3)
    words = [rng.choice(["SCO", "summit", "Astana", "cooperation", "security"]) for _ in range(300)]
    html = f"<html><body><h1>News</h1><p>{' '.join(words)}</p></body></html>".encode()
    info = {"software": "scoarchive-test", "isPartOf": "run-1"}
    with WarcWriter(directory, "scoarchive-damage", info) as writer:
        page = writer.write_response(exchange(PAGE, html))
        writer.write_outlinks(PAGE, page, ["https://twitter.com/share"])
        body = gzip.compress(html.replace(b"News", b"More news"), mtime=0)
        writer.write_response(exchange(GZIPPED, body, "Content-Encoding: gzip\r\n"), level=0)
        prior = PriorCapture(page.record_id, PAGE, page.date, sha1_digest(hashlib.sha1(html)))
        writer.write_revisit(exchange(PAGE, html), PROFILE_IDENTICAL, prior)
    [path] = writer.closed_files
    return path


def member_bounds(data: bytes) -> list[tuple[int, int]]:
    """Where each gzip member starts and ends, found by zlib alone."""
    bounds, start = [], 0
    while start < len(data):
        inflater = zlib.decompressobj(31)
        inflater.decompress(data[start:])
        end = len(data) - len(inflater.unused_data)
        bounds.append((start, end))
        start = end
    return bounds


def flips(data: bytes, seed: int) -> Iterator[tuple[int, bytes]]:
    """(offset of the member hit, the file with one byte changed): every byte of each member's
    gzip header and trailer, and random bytes of its deflate data."""
    rng = random.Random(seed)
    for start, end in member_bounds(data):
        positions = {*range(start, start + 10), *range(end - 8, end)}
        positions |= {rng.randrange(start + 10, end - 8) for _ in range(FLIPS_PER_MEMBER)}
        for position in sorted(positions):
            damaged = bytearray(data)
            damaged[position] ^= rng.randrange(1, 256)
            yield start, bytes(damaged)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_archive(tmp_path_factory.mktemp("small"))


def read_all(path: Path) -> tuple[dict[int, tuple[str, str, bytes]], list[int]]:
    """Every record read, with its content, by offset; and the offsets of every Damage."""
    found, damage = {}, []
    for item in scan_records(path):
        if isinstance(item, Damage):
            assert item.reason and "\n" not in item.reason
            damage.append(item.offset)
            continue
        offset, record = item
        http = record.http_headers.to_str() if record.http_headers else ""
        found[offset] = (record.rec_headers.to_str(), http, record.raw_stream.read())
    return found, damage


def check_property(original: dict[int, Any], found: dict[int, Any], damage: list[int], hit: int) -> bool:
    """(a), (b) and (c) for one flip at the member starting at ``hit``; whether it was damage."""
    assert {o: v for o, v in found.items() if o != hit} == {o: v for o, v in original.items() if o != hit}
    assert set(damage) <= {hit}
    if found.get(hit) != original.get(hit):
        assert damage == [hit]
    return bool(damage)


def test_a_flipped_byte_anywhere_costs_at_most_its_member(
    archive: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    original, damage = read_all(archive)
    assert not damage and sorted(original) == [start for start, _ in member_bounds(archive.read_bytes())]
    path = tmp_path / archive.name
    tried = detected = 0
    for hit, data in flips(archive.read_bytes(), seed=1):
        path.write_bytes(data)
        found, damage = read_all(path)
        tried += 1
        detected += check_property(original, found, damage, hit)
    assert tried > 100 and detected > tried // 2  # the flips did damage: the property is not empty
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # warcio prints zlib errors and carries on; nothing may print


def loader_read(path: Path) -> tuple[dict[int, dict[str, Any]], list[int]]:
    records = WarcRecords(path, load_profile("sco"))
    list(records.read())
    rows = {row["warc_offset"]: row for row in records.batch.captures}
    return rows, [skipped.warc_offset for skipped in records.batch.skipped if skipped.damaged]


def test_the_loader_keeps_every_row_but_the_damaged_record(
    archive: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    original, damage = loader_read(archive)
    assert not damage and len(original) == 3  # two responses and a revisit
    path = tmp_path / archive.name
    expected_damage = {}
    for hit, data in flips(archive.read_bytes(), seed=2):
        path.write_bytes(data)
        expected_damage[hit] = read_all(path)[1]
        rows, damage = loader_read(path)
        assert damage == expected_damage[hit]  # what the reader finds damaged, the loader names
        if hit == 0 and damage:  # the warcinfo record is lost: rows lose only their run's ID
            rows = {o: {**row, "crawl_run_id": "run-1"} for o, row in rows.items()}
        check_property(original, rows, damage, hit)
    assert capfd.readouterr().out == ""


def fixity_read(path: Path) -> tuple[dict[int, Any], list[int]]:
    report = FixityReport()
    good = check_file(path, report)
    return good, [problem.offset for problem in report.problems]


def test_fixity_names_the_damaged_member_and_checks_every_other(
    archive: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    original, problems = fixity_read(archive)
    assert not problems and len(original) == len(member_bounds(archive.read_bytes()))
    path = tmp_path / archive.name
    for hit, data in flips(archive.read_bytes(), seed=3):
        path.write_bytes(data)
        good, problems = fixity_read(path)
        check_property(original, good, sorted(set(problems)), hit)
    assert capfd.readouterr().out == ""


def member_of(path: Path, url: str, kind: str = "response") -> tuple[int, int]:
    bounds = dict(member_bounds(path.read_bytes()))
    for offset, record in (item for item in scan_records(path) if not isinstance(item, Damage)):
        if record.rec_type == kind and record.rec_headers.get_header("WARC-Target-URI") == url:
            return offset, bounds[offset]
    raise AssertionError(f"no {kind} of {url}")


@pytest.mark.parametrize(
    ("url", "where"),
    [
        (GZIPPED, 40),  # inside the stored WARC header, before the payload's own gzip header
        (GZIPPED, -12),  # the stored block's last bytes, after the payload's gzip stream
        (PAGE, 200),  # the deflated page
    ],
)
def test_reindex_and_verify_name_the_damaged_record_only(
    archive: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], url: str, where: int
) -> None:
    data_dir = tmp_path / "data"
    DataDir(data_dir).create()
    (data_dir / "warcs").mkdir()
    path = data_dir / "warcs" / archive.name
    shutil.copy2(archive, path)
    reindex(data_dir)
    con = connect(data_dir)
    try:
        before = con.execute("SELECT warc_offset, record_id FROM captures ORDER BY 1").fetchall()
    finally:
        con.close()
    start, end = member_of(path, url)
    data = bytearray(path.read_bytes())
    data[start + where if where > 0 else end + where] ^= 0x55
    path.write_bytes(bytes(data))
    report = reindex(data_dir)
    assert [(s.warc_file, s.warc_offset) for s in report.damaged] == [(path.name, start)]
    con = connect(data_dir)
    try:
        after = con.execute("SELECT warc_offset, record_id FROM captures ORDER BY 1").fetchall()
        skipped = con.execute("SELECT warc_offset FROM skipped_records WHERE damaged").fetchall()
    finally:
        con.close()
    assert after == [row for row in before if row[0] != start] and skipped == [(start,)]
    fixity = verify(data_dir)
    assert {problem.offset for problem in fixity.problems} == {start}
    assert fixity.records_checked == len(member_bounds(archive.read_bytes())) - 1
    out, err = capfd.readouterr()
    assert out == "" and "Error -3" not in err


def test_large_members_read_the_same(archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A member over the in-memory limit goes through a temporary file, with the same records,
    and damage in it is found the same way; so do members read in several pieces, decompressed
    in several parts, across several buffers (as the large ones of a crawl are)."""
    original, _ = read_all(archive)
    for name, size in [("SPOOL_IN_MEMORY", 256), ("READ_CHUNK", 700), ("FEED_CHUNK", 90), ("OUT_CHUNK", 60)]:
        monkeypatch.setattr(reader, name, size)
    assert read_all(archive) == (original, [])
    path = tmp_path / archive.name
    for hit, data in flips(archive.read_bytes(), seed=4):
        path.write_bytes(data)
        check_property(original, *read_all(path), hit)


def test_a_record_cut_short_inside_a_whole_member_is_named(archive: Path, tmp_path: Path) -> None:
    """A member that is whole (its CRC holds) but ends inside the record's block, as a writer
    cut off mid-record would leave it: the record is read and named as cut short, not trusted."""
    data = archive.read_bytes()
    start, end = member_of(archive, PAGE)
    record = zlib.decompress(data[start:end], 31)
    shorter = gzip.compress(record[: len(record) - 100], mtime=0)
    path = tmp_path / archive.name
    path.write_bytes(data[:start] + shorter + data[end:])
    moved = len(shorter) - (end - start)
    expected = [o if o <= start else o + moved for o in read_all(archive)[0]]
    found, damage = read_all(path)
    assert sorted(found) == expected and damage == [start]
    [cut] = [item for item in scan_records(path) if isinstance(item, Damage)]
    assert cut.reason == "record cut short: 96 bytes of its block missing"  # and its 4 blank bytes
    rows, damaged = loader_read(path)
    assert damaged == [start] and start not in rows and len(rows) == 2
    report = FixityReport()
    good = check_file(path, report)
    assert {p.offset for p in report.problems} == {start}
    assert report.problems[0].problem.startswith("block cut short: ")
    assert sorted(good) == [o for o in expected if o != start]
