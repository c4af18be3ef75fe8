"""Ctrl-C is an answer scripts can trust: exit 130, one line saying what was saved, a clean resume.

Each command runs in its own process, as a user runs it, and gets SIGINT (what Ctrl-C sends)
while it works; running the same command again must finish the job with nothing lost or fetched
twice.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TEST_REPLICA

from scoarchive.core.settings import DataDir
from scoarchive.replica import HOSTS, ReplicaServer, Site
from scoarchive.warc.reader import iter_records


def scoarchive(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scoarchive", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def interrupt_when(process: subprocess.Popen[str], ready: callable, timeout: float = 120) -> tuple[int, str]:  # type: ignore[valid-type]
    """SIGINT the process once ``ready()`` (it is mid-work), then its exit status and stderr."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the command never got under way"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr


def captured_urls(data: Path) -> list[str]:
    urls = []
    for path in DataDir(data).warc_files():
        for _, record in iter_records(path):
            if record.rec_type in ("response", "revisit"):
                urls.append(record.rec_headers.get_header("WARC-Target-URI"))
    return urls


@pytest.fixture
def replica() -> ReplicaServer:
    with ReplicaServer(Site(TEST_REPLICA)) as server:
        yield server


def crawl_args(server: ReplicaServer, data: Path) -> list[str]:
    args = ["crawl", "--data", str(data), "--delay", "0.05", "--retries", "0", "--timeout", "5"]
    args += [item for spec in server.connect_to_args() for item in ("--connect-to", spec)]
    return args + [item for host in HOSTS for item in ("--seed", f"http://{host}/")]


def test_ctrl_c_mid_crawl_exits_130_says_what_was_saved_and_the_rerun_resumes(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    process = scoarchive(*crawl_args(replica, data))
    code, stderr = interrupt_when(process, lambda: replica.stats.total > 40)
    assert code == 130, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("crawl interrupted: ") and "closed WARC file(s)" in lines[-1], stderr
    assert "the same command resumes" in lines[-1] and f"scoarchive load --data {data}" in lines[-1]
    assert "Traceback" not in stderr
    saved = captured_urls(data)
    assert saved and not DataDir(data).warc_files("*.open")  # every record written is in a closed file
    before = replica.stats.total
    rerun = subprocess.run(
        [sys.executable, "-m", "scoarchive", *crawl_args(replica, data), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert '"resumed": true' in rerun.stdout
    everything = captured_urls(data)
    assert len(everything) == len(set(everything)), "a URL was captured twice within the run"
    assert set(saved) <= set(everything) and replica.stats.total > before


def test_ctrl_c_mid_reindex_exits_130_keeps_the_snapshot_and_the_rerun_rebuilds(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    crawl = subprocess.run(
        [sys.executable, "-m", "scoarchive", *crawl_args(replica, data)], capture_output=True
    )
    assert crawl.returncode == 0, crawl.stderr
    published = (data / "warehouse" / "current").read_text()
    work = data / "warehouse" / "work.duckdb"
    started = time.time_ns()
    process = scoarchive("reindex", "--data", str(data))
    # under way: the old work database is gone and a new one is being written
    code, stderr = interrupt_when(process, lambda: work.exists() and work.stat().st_mtime_ns > started)
    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1].startswith("reindex interrupted: nothing new was published")
    assert (data / "warehouse" / "current").read_text() == published  # readers keep what they had
    rerun = subprocess.run(
        [sys.executable, "-m", "scoarchive", "reindex", "--data", str(data), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert (data / "warehouse" / "current").read_text() != published
