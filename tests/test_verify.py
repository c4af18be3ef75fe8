"""Fixity (scoarchive.verify): every record's digests recomputed, the warehouse checked against them.

One small archive is crawled and loaded per module; each test damages its own copy.
"""

from __future__ import annotations

import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import crawl_replica
from typer.testing import CliRunner

from scoarchive import warehouse
from scoarchive.cli import operations as cli_ops
from scoarchive.cli.main import app
from scoarchive.core.settings import DataDir
from scoarchive.replica import ReplicaConfig, ReplicaServer, Site
from scoarchive.upkeep import verify

SMALL = ReplicaConfig(
    articles_per_host=5, documents_per_host=2, slow_seconds=0.1, large_file_bytes=2**18, bomb_bytes=2**21
)
assert cli_ops  # registers the operator commands on the app (until cli.py imports it)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("verify-archive")
    with ReplicaServer(Site(SMALL)) as server:
        crawl_replica(server, data)
    warehouse.load(data)
    return data


@pytest.fixture
def archive(loaded: Path, tmp_path: Path) -> Iterator[Path]:
    copy = tmp_path / "data"
    shutil.copytree(loaded, copy, symlinks=True)
    yield copy


def captures(data: Path) -> list[tuple[str, int, str, str]]:
    _, rows = warehouse.query(
        data,
        "SELECT warc_file, warc_offset, url, record_id FROM captures "
        "WHERE record_type = 'response' AND status = 200 ORDER BY warc_file, warc_offset",
    )
    return [(row[0], int(row[1]), row[2], row[3]) for row in rows]


def flip_byte_in_record(data: Path, warc_file: str, offset: int) -> None:
    """Invert one byte in the middle of the compressed record at ``offset``."""
    path = data / "warcs" / warc_file
    raw = bytearray(path.read_bytes())
    member = zlib.decompressobj(31)
    member.decompress(bytes(raw[offset:]))
    length = len(raw) - offset - len(member.unused_data)
    raw[offset + length // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


def test_an_intact_archive_passes_with_every_record_and_row_checked(archive: Path) -> None:
    report = verify.verify(archive)
    assert report.ok, report.headline()
    assert report.warehouse
    _, rows = warehouse.query(archive, "SELECT count(*) FROM captures")
    assert report.rows_compared == rows[0][0] > 0
    assert report.records_checked > report.rows_compared  # requests, warcinfo, metadata too
    assert report.files_checked == len(list((archive / "warcs").glob("*.warc.gz")))


def test_a_flipped_byte_is_found_and_named_by_file_offset_and_url(archive: Path) -> None:
    warc_file, offset, url, record_id = captures(archive)[len(captures(archive)) // 2]
    flip_byte_in_record(archive, warc_file, offset)
    report = verify.verify(archive)
    assert not report.ok
    named = [p for p in report.problems if p.warc_file == warc_file and p.offset == offset]
    assert named, report.problems
    assert named[0].url == url and named[0].record_id == record_id
    assert warc_file in report.headline() and str(offset) in report.headline()
    assert report.records_checked > 10  # reading resumed after the damaged record


def test_a_missing_file_is_named_with_who_refers_to_it(archive: Path) -> None:
    gone = sorted((archive / "warcs").glob("*.warc.gz"))[0]
    gone.unlink()
    report = verify.verify(archive)
    assert [m.warc_file for m in report.missing] == [gone.name]
    assert set(report.missing[0].referenced_by) == {"warehouse", "frontier"}
    assert f"{gone.name}: missing" in report.headline()


def test_a_file_cut_short_is_reported(archive: Path) -> None:
    path = sorted((archive / "warcs").glob("*.warc.gz"))[0]
    path.write_bytes(path.read_bytes()[: path.stat().st_size - 1000])
    report = verify.verify(archive)
    assert any(p.warc_file == path.name for p in report.problems)


def test_files_being_written_are_left_alone(archive: Path) -> None:
    path = sorted((archive / "warcs").glob("*.warc.gz"))[0]
    path.rename(path.with_name(path.name + ".open"))
    report = verify.plan(archive)
    assert path.name not in report.files and not report.missing


def test_cli_verify_exits_1_naming_the_damage(archive: Path) -> None:
    warc_file, offset, _, _ = captures(archive)[0]
    flip_byte_in_record(archive, warc_file, offset)
    result = CliRunner().invoke(app, ["verify", "--data", str(archive)])
    assert result.exit_code == 1
    assert f"{warc_file}@{offset}" in result.output
    DataDir(archive.parent / "empty").create()
    ok = CliRunner().invoke(app, ["verify", "--data", str(archive.parent / "empty"), "--json"])
    assert ok.exit_code == 0 and '"ok": true' in ok.output
