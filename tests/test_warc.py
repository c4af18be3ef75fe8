"""The WARC writer on its own: record rules, digests, rotation, crash recovery."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tools import warcio_check
from warc_rules import violations

from scoarchive.capture.store import payload_level
from scoarchive.warc.reader import Damage, iter_records, read_payload, read_record, scan_records
from scoarchive.warc.records import (
    PROFILE_IDENTICAL,
    PROFILE_NOT_MODIFIED,
    HttpExchange,
    PriorCapture,
    sha1_digest,
)
from scoarchive.warc.recovery import recover_open_file
from scoarchive.warc.writer import WarcWriter


def exchange(url: str, body: bytes, head_extra: str = "", status: int = 200) -> HttpExchange:
    head = (
        f"HTTP/1.1 {status} OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n{head_extra}\r\n"
    ).encode()
    return HttpExchange(
        url=url,
        date=datetime(2026, 11, 29, 8, 0, 0, 123456, tzinfo=UTC),
        request_head=f"GET / HTTP/1.1\r\nHost: {url.split('/')[2]}\r\n\r\n".encode(),
        response_head=head,
        body=io.BytesIO(body),
        body_length=len(body),
        payload_digest=sha1_digest(hashlib.sha1(body)),
        block_digest=sha1_digest(hashlib.sha1(head + body)),
        status=status,
        ip_address="127.0.0.1",
    )


def writer(directory: Path, **kwargs: object) -> WarcWriter:
    return WarcWriter(directory, "test", {"software": "scoarchive-test", "isPartOf": "run-1"}, **kwargs)  # type: ignore[arg-type]


def test_records_conform_and_pass_warcio_check(tmp_path: Path) -> None:
    body = gzip.compress(b"<html><body>hello</body></html>", mtime=0)
    with writer(tmp_path) as w:
        ref = w.write_response(exchange("http://eng.sectsco.org/", body, "Content-Encoding: gzip\r\n"))
        prior = PriorCapture(
            ref.record_id, "http://eng.sectsco.org/", ref.date, sha1_digest(hashlib.sha1(body))
        )
        w.write_revisit(exchange("http://eng.sectsco.org/", b"", status=304), PROFILE_NOT_MODIFIED, prior)
        w.write_revisit(exchange("http://eng.sectsco.org/", body), PROFILE_IDENTICAL, prior)
        w.write_outlinks("http://eng.sectsco.org/", ref, ["https://twitter.com/share"])
    [path] = w.closed_files
    assert path.name.endswith(".warc.gz") and not list(tmp_path.glob("*.open"))
    assert violations(path) == []
    assert warcio_check(path).returncode == 0
    # the body is stored as received: still gzip, byte for byte
    assert read_payload(path, ref.offset, 10_000) == body


def test_revisit_names_the_record_it_repeats(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        ref = w.write_response(exchange("http://eng.sectsco.org/a", b"same"))
        prior = PriorCapture(ref.record_id, "http://eng.sectsco.org/a", ref.date, "sha1:X")
        w.write_revisit(exchange("http://eng.sectsco.org/a", b"same"), PROFILE_IDENTICAL, prior)
    revisits = [r for _, r in iter_records(w.closed_files[0]) if r.rec_type == "revisit"]
    assert len(revisits) == 1
    fields = revisits[0].rec_headers
    assert fields.get_header("WARC-Refers-To") == ref.record_id
    assert fields.get_header("WARC-Refers-To-Target-URI") == "http://eng.sectsco.org/a"
    assert fields.get_header("WARC-Refers-To-Date") == ref.date


def test_rotation_at_size_limit(tmp_path: Path) -> None:
    with writer(tmp_path, max_size=2_000, compress_level=0) as w:
        for n in range(5):
            w.write_response(exchange(f"http://eng.sectsco.org/{n}", b"x" * 1500))
    assert len(w.closed_files) == 5
    for path in w.closed_files:
        assert violations(path) == []


@settings(max_examples=25, deadline=None)
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_recovery_keeps_every_complete_record(tmp_path_factory: pytest.TempPathFactory, cut: float) -> None:
    """A crash can cut the file anywhere; every record written before the cut reads back."""
    directory = tmp_path_factory.mktemp("crash")
    w = writer(directory)
    ends = []
    for n in range(4):
        ref = w.write_response(exchange(f"http://eng.sectsco.org/{n}", bytes([n]) * 3000))
        ends.append(ref.offset + ref.length)
    open_path = Path(str(w.current_path) + ".open")
    size = open_path.stat().st_size
    keep = int(size * cut)
    with open(open_path, "r+b") as handle:
        handle.truncate(keep)
    recovered = recover_open_file(open_path)
    complete = [end for end in ends if end <= keep]
    if not recovered.exists():
        assert keep < ends[0] or not complete
        return
    urls = [
        r.rec_headers.get_header("WARC-Target-URI")
        for _, r in iter_records(recovered)
        if r.rec_type == "response"
    ]
    assert len(urls) == len(complete)
    assert violations(recovered) == []


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_read_record_closes_its_file(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        ref = w.write_response(exchange("http://eng.sectsco.org/", b"<html>page</html>"))
    [path] = w.closed_files
    before = open_files()
    records = [read_record(path, ref.offset) for _ in range(50)]
    assert open_files() == before
    assert all(r.raw_stream.read() == b"<html>page</html>" for r in records)  # still readable
    assert read_record(path, ref.offset).content_stream().read() == b"<html>page</html>"


def archive_of(directory: Path, count: int) -> tuple[Path, list[int]]:
    """A closed WARC file of ``count`` responses, and the offset of each record in it."""
    with writer(directory) as w:
        offsets = [
            w.write_response(exchange(f"http://eng.sectsco.org/{n}", bytes([n]) * 2000)).offset
            for n in range(count)
        ]
    return w.closed_files[0], offsets


def test_scan_records_reads_past_damage(tmp_path: Path) -> None:
    path, offsets = archive_of(tmp_path, 6)
    data = bytearray(path.read_bytes())
    middle = offsets[2] + 40  # inside the third response's gzip member
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    found = list(scan_records(path))
    damage = [item for item in found if isinstance(item, Damage)]
    responses = [
        offset
        for item in found
        if not isinstance(item, Damage)
        for offset, record in [item]
        if record.rec_type == "response"
    ]
    assert len(damage) == 1 and damage[0].offset == offsets[2] and "\n" not in damage[0].reason
    assert set(offsets) - set(responses) == {offsets[2]}  # every intact record after it is read


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=6),
    truncate=st.one_of(st.none(), st.floats(0, 1)),
    garbage=st.binary(max_size=200),
)
def test_scan_records_never_raises_on_a_damaged_file(
    tmp_path_factory: pytest.TempPathFactory,
    cuts: list[tuple[float, int]],
    truncate: float | None,
    garbage: bytes,
) -> None:
    """Flipped bytes, a cut, garbage appended: every item is a record or a Damage with its offset."""
    directory = tmp_path_factory.mktemp("damaged")
    path, _offsets = archive_of(directory, 4)
    data = bytearray(path.read_bytes())
    for where, value in cuts:
        data[min(int(where * len(data)), len(data) - 1)] = value
    if truncate is not None:
        del data[int(truncate * len(data)) :]
    data += garbage
    path.write_bytes(bytes(data))
    last = -1
    for item in scan_records(path):
        if isinstance(item, Damage):
            assert 0 <= item.offset <= len(data) and item.reason and "\n" not in item.reason
            assert item.offset >= last
            last = item.offset
        else:
            offset, record = item
            assert 0 <= offset < len(data) and offset >= last
            last = offset
            record.raw_stream.read()


def test_scan_records_of_random_bytes(tmp_path: Path) -> None:
    rng = random.Random(7)
    for n in range(20):
        path = tmp_path / f"noise-{n}.warc.gz"
        path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5000))))
        items = list(scan_records(path))
        assert all(isinstance(item, Damage) for item in items) and items


@pytest.mark.parametrize(
    ("headers", "level"),
    [
        ([("Content-Type", "image/jpeg")], 0),
        ([("Content-Type", "text/html"), ("Content-Encoding", "gzip")], 0),
        ([("Content-Type", "video/mp4")], 0),
        ([("Content-Type", "image/png")], 1),
        ([("Content-Type", "application/pdf")], 1),
        ([("Content-Type", "image/svg+xml")], None),
        ([("Content-Type", "text/html; charset=utf-8")], None),
        ([], None),
    ],
)
def test_a_payload_compressed_already_is_stored_not_deflated_again(
    tmp_path: Path, headers: list[tuple[str, str]], level: int | None
) -> None:
    """Level 0 records are valid gzip members of stored deflate blocks (block type 0)."""
    assert payload_level(headers) == level
    body = random.Random(7).randbytes(50_000)  # incompressible, as a JPEG's bytes are
    with writer(tmp_path) as w:
        ref = w.write_response(exchange("http://eng.sectsco.org/photo.jpg", body), level=level)
    [path] = w.closed_files
    assert violations(path) == [] and read_payload(path, ref.offset, 1 << 20) == body
    first_block = path.read_bytes()[ref.offset + 10]  # after the 10 bytes of gzip header
    assert ((first_block >> 1) & 3 == 0) == (level == 0)
