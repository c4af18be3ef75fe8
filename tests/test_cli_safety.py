"""Every command safe and honest: a typo never changes the file system or passes for an empty archive.

Each bullet of issue 11's "Why", shown as a user meets it: the command run in its own process,
with the wrong path, and what it leaves behind.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import TEST_REPLICA, run_cli

from scoarchive.core.settings import MARKER, DataDir
from scoarchive.replica import HOSTS, ReplicaServer, Site

BRIEFING = Path(__file__).parent / "data" / "briefings" / "example.txt"

# Every command that works on an existing archive, with arguments that would otherwise be valid.
ON_AN_ARCHIVE = [
    ("load",),
    ("reindex",),
    ("sql", "SELECT 1"),
    ("search", "economy"),
    ("resolve", "http://eng.sectsco.org/20210615/765514.html"),
    ("check", str(BRIEFING)),
    ("verify",),
    ("watch",),
    ("status",),
    ("schedule", "--stop"),
    ("serve",),
]


def snapshot(root: Path) -> set[Path]:
    return {path.relative_to(root) for path in root.rglob("*")}


@pytest.mark.parametrize("command", ON_AN_ARCHIVE, ids=lambda command: command[0])
def test_a_mistyped_data_directory_is_refused_and_left_alone(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    typo = tmp_path / "scoarchive-dta"
    completed = run_cli(*command, "--data", str(typo))
    assert completed.returncode == 2, completed.stdout + completed.stderr
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0] == (
        f"Error: {typo} does not exist: create an archive with `scoarchive init --data {typo}` (or a crawl)"
    )
    assert not typo.exists() and snapshot(tmp_path) == set()


@pytest.mark.parametrize("command", ON_AN_ARCHIVE[:4], ids=lambda command: command[0])
def test_a_directory_that_is_not_an_archive_is_refused(command: tuple[str, ...], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("someone's files")
    before = snapshot(tmp_path)
    completed = run_cli(*command, "--data", str(tmp_path))
    assert completed.returncode == 2 and "is not a scoarchive data directory" in completed.stderr
    assert f"scoarchive init --data {tmp_path}" in completed.stderr
    assert snapshot(tmp_path) == before


def test_init_creates_a_marked_directory_and_refuses_someone_elses(tmp_path: Path) -> None:
    data = tmp_path / "archive"
    created = run_cli("init", "--data", str(data))
    assert created.returncode == 0 and (data / MARKER).is_file()
    assert "layout = 1" in (data / MARKER).read_text()
    assert run_cli("init", "--data", str(data)).returncode == 0  # again: already one, nothing changes
    other = tmp_path / "documents"
    other.mkdir()
    (other / "thesis.docx").write_bytes(b"mine")
    refused = run_cli("init", "--data", str(other))
    assert refused.returncode == 2 and "not empty and not a scoarchive data directory" in refused.stderr
    assert snapshot(other) == {Path("thesis.docx")}


def test_an_archive_made_before_the_marker_is_adopted_by_init(tmp_path: Path) -> None:
    (tmp_path / "warcs").mkdir()
    (tmp_path / "warcs" / "scoarchive-old.warc.gz").write_bytes(b"\x1f\x8b")
    refused = run_cli("load", "--data", str(tmp_path))
    assert refused.returncode == 2 and "`init` adopts it" in refused.stderr
    assert run_cli("init", "--data", str(tmp_path)).returncode == 0
    assert (tmp_path / "warcs" / "scoarchive-old.warc.gz").read_bytes() == b"\x1f\x8b"
    assert DataDir(tmp_path).layout() is not None


def test_the_demo_refuses_a_directory_it_did_not_make_and_deletes_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    DataDir(archive).create()
    (archive / "warcs").mkdir()
    (archive / "warcs" / "precious.warc.gz").write_bytes(b"the truth")
    (tmp_path / "notes.txt").write_text("unrelated")
    for target in (archive, tmp_path):
        before = snapshot(tmp_path)
        completed = run_cli("demo", "--data", str(target))
        assert completed.returncode == 2, completed.stderr
        assert "Traceback" not in completed.stderr and snapshot(tmp_path) == before
    assert (archive / "warcs" / "precious.warc.gz").read_bytes() == b"the truth"


def test_outputs_and_the_service_address_are_checked_before_any_work(tmp_path: Path) -> None:
    DataDir(tmp_path / "data").create()
    common = ["check", str(BRIEFING), "--data", str(tmp_path / "data")]
    (tmp_path / "out").mkdir()
    for extra, message in (
        (["--annotate", str(tmp_path / "out")], "is a directory"),
        (["--bundle", str(tmp_path / "missing" / "e.wacz")], "does not exist"),
        (["--annotate", str(BRIEFING)], "would overwrite the input"),
        (["--service", "notaurl"], "--service must be an http(s) URL"),
    ):
        completed = run_cli(*common, *extra)
        assert completed.returncode == 2 and message in completed.stderr, completed.stderr
    assert snapshot(tmp_path / "out") == set()  # no stray .part file
    assert not (tmp_path / "data" / "warehouse").exists()  # the check never ran


def test_connect_to_from_the_environment_reaches_a_mirror(tmp_path: Path) -> None:
    """SCOARCHIVE_CONNECT_TO applies to every fetching command, as SCOARCHIVE_HOME to --data."""
    with ReplicaServer(Site(TEST_REPLICA)) as server:
        env = {"SCOARCHIVE_CONNECT_TO": " ".join(server.connect_to_args())}
        seeds = [item for host in HOSTS for item in ("--seed", f"http://{host}/")]
        completed = run_cli(
            "crawl", "--data", str(tmp_path), *seeds, "--delay", "0", "--max-pages", "10", "--json", env=env
        )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["fetched"] >= 10
    bad = run_cli("crawl", "--data", str(tmp_path), env={"SCOARCHIVE_CONNECT_TO": "nonsense"})
    assert bad.returncode == 2 and "--connect-to" in bad.stderr


def test_no_traceback_for_a_data_directory_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for command in (("crawl",), ("init",), ("load",)):
        completed = run_cli(*command, "--data", str(blocker))
        assert completed.returncode == 2 and "Traceback" not in completed.stderr, completed.stderr
    assert blocker.read_text() == "x" and os.path.isfile(blocker)
