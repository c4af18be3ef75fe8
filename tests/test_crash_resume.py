"""kill -9 during a crawl, then the same command again: nothing lost, nothing twice."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import TEST_REPLICA, catch_all, run_cli
from warc_rules import violations

from scoarchive.core.settings import DataDir
from scoarchive.replica import HOSTS, ReplicaServer, Site
from scoarchive.warc.reader import iter_records
from scoarchive.warc.recovery import _complete_members_end


def crawl_args(server: ReplicaServer, data_dir: Path) -> list[str]:
    args = ["crawl", "--data", str(data_dir), "--delay", "0.01", "--host-concurrency", "2", "--json"]
    for host in HOSTS:
        args += ["--seed", f"http://{host}/"]
    for spec in server.connect_to_args():
        args += ["--connect-to", spec]
    target = catch_all(server)
    return [*args, "--connect-to", f"::{target.address}:{target.address_port}"]


def kill_during_crawl(args: list[str], data_dir: Path, after_bytes: int) -> dict[Path, bytes]:
    """Start the crawl, SIGKILL it once its WARC holds ``after_bytes``; return the files as left."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scoarchive", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    warcs = DataDir(data_dir).warcs
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        written = sum(p.stat().st_size for p in warcs.glob("*.open")) if warcs.exists() else 0
        if written >= after_bytes:
            break
        time.sleep(0.005)
    assert process.poll() is None, "the crawl ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    return {path: path.read_bytes() for path in warcs.iterdir()}


def check_resumed_archive(
    server: ReplicaServer, data_dir: Path, left: dict[Path, bytes], summary: dict
) -> None:
    assert summary["resumed"] is True and summary["status"] == "finished"
    run_files = DataDir(data_dir).warc_files(f"scoarchive-{summary['run_id']}-*.warc.gz")
    assert not DataDir(data_dir).warc_files("*.open")
    # every complete record written before the kill is still there, byte for byte
    for path, data in left.items():
        final = path.with_name(path.name.removesuffix(".open"))
        complete = complete_members_end(data)
        if complete:
            assert final.read_bytes()[:complete] == data[:complete], final.name
    captured = Counter()
    for path in run_files:
        assert violations(path) == [], path.name
        for _, record in iter_records(path):
            if record.rec_type in ("response", "revisit"):
                captured[record.rec_headers.get_header("WARC-Target-URI")] += 1
    assert set(captured) == server.site.expected_urls()
    assert max(captured.values()) == 1, [url for url, n in captured.items() if n > 1]


def complete_members_end(data: bytes) -> int:
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        return _complete_members_end(Path(handle.name))


def resume(args: list[str]) -> dict:
    completed = run_cli(*args)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    return json.loads(completed.stdout)


def test_kill_9_then_same_command_resumes_and_loses_nothing(tmp_path: Path) -> None:
    with ReplicaServer(Site(TEST_REPLICA)) as server:
        args = crawl_args(server, tmp_path)
        left = kill_during_crawl(args, tmp_path, after_bytes=150_000)
        summary = resume(args)
        check_resumed_archive(server, tmp_path, left, summary)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_kill_9_at_random_moments(tmp_path: Path, seed: int) -> None:
    """Fault injection: several kills at random points of one crawl, then completion."""
    rng = random.Random(seed)
    with ReplicaServer(Site(TEST_REPLICA)) as server:
        args = crawl_args(server, tmp_path)
        left: dict[Path, bytes] = {}
        for _ in range(3):
            already = sum(p.stat().st_size for p in DataDir(tmp_path).warc_files("*.warc.gz"))
            try:
                left = kill_during_crawl(args, tmp_path, after_bytes=rng.randint(1_000, 120_000))
            except AssertionError:
                break  # finished before the kill point: nothing left to interrupt
            assert sum(p.stat().st_size for p in DataDir(tmp_path).warc_files("*.warc.gz")) >= already
        summary = resume(args)
        check_resumed_archive(server, tmp_path, left, summary)


def test_the_same_crawl_twice_at_once_is_refused(tmp_path: Path) -> None:
    """Two processes resuming one run would fetch pages twice; the second is turned away."""
    slow = replace(TEST_REPLICA, slow_seconds=3.0)
    with ReplicaServer(Site(slow)) as server:
        args = crawl_args(server, tmp_path)
        first = subprocess.Popen(
            [sys.executable, "-m", "scoarchive", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + 30
            while not list(DataDir(tmp_path).warcs.glob("*.open")) and time.monotonic() < deadline:
                time.sleep(0.05)
            second = run_cli(*args)
        finally:
            first.wait(timeout=120)
        assert first.returncode == 0
    assert second.returncode == 1 and "already running" in second.stderr
    assert "Traceback" not in second.stderr
