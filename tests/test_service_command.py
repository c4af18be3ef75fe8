"""``scoarchive serve`` as an operator runs it: worker processes, a configured public address,
a port already taken, and bad options, each with one line and a documented exit status.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ArchiveHistory
from test_replay import raw_get
from test_resolve import ANNIVERSARY, loaded_archive
from typer.testing import CliRunner

from scoarchive.cli.main import app
from scoarchive.core.settings import DataDir

SERVE = "from scoarchive.cli.main import run; run()"


@pytest.fixture(scope="module")
def data_dir(archive: ArchiveHistory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return loaded_archive(archive, tmp_path_factory)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", SERVE, "serve", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def running(data_dir: Path) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """Two worker processes behind a public address, with one more allowed Host name."""
    port = free_port()
    process = serve(
        "--data", str(data_dir), "--port", str(port), "--workers", "2",
        "--base-url", "https://archive.example.org", "--allowed-host", "sco.example.net",
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/")
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.communicate()
                time.sleep(0.1)
        yield port, process
    finally:
        process.terminate()
        process.wait(30)


def test_serve_with_workers_behind_a_public_address(running: tuple[int, subprocess.Popen[str]]) -> None:
    port, _ = running
    base = f"http://127.0.0.1:{port}"
    for _ in range(20):  # over several connections, so both workers answer
        with httpx.Client() as client:
            answer = client.get(f"{base}/api/resolve", params={"url": ANNIVERSARY})
            assert answer.status_code == 200 and answer.json()["capture"]["url"] == ANNIVERSARY
            assert answer.json()["memento"].startswith("https://archive.example.org/web/")
    for host in ("archive.example.org", "sco.example.net:80", f"127.0.0.1:{port}"):
        status, headers, _ = raw_get(base, f"/timegate/{ANNIVERSARY}", {"Host": host})
        assert status == 302 and dict(headers)["location"].startswith("https://archive.example.org/web/")
    for host in ("evil.example", "archive.example.org.evil.example", "example.net"):
        assert raw_get(base, f"/timegate/{ANNIVERSARY}", {"Host": host})[0] == 400


def test_serve_on_a_busy_port_is_one_line_and_exit_2(
    data_dir: Path, running: tuple[int, subprocess.Popen[str]]
) -> None:
    port, _ = running
    busy = serve("--data", str(data_dir), "--port", str(port))
    stdout, stderr = busy.communicate(timeout=60)
    assert busy.returncode == 2, stderr
    assert stderr == f"Error: cannot serve on 127.0.0.1:{port}: address already in use\n"
    assert "Serving" not in stdout + stderr


def test_serve_announces_its_address_and_workers(data_dir: Path) -> None:
    port = free_port()
    process = serve("--data", str(data_dir), "--port", str(port), "--workers", "1")
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line == f"Serving {data_dir} on http://127.0.0.1:{port}/ (1 worker; Ctrl-C to stop)\n"
        answer = httpx.get(f"http://127.0.0.1:{port}/timegate/{ANNIVERSARY}")
        assert answer.headers["location"].startswith(f"http://127.0.0.1:{port}/web/")
    finally:
        process.terminate()
        process.wait(30)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--base-url", "archive.example.org"],
            "--base-url 'archive.example.org' must be http:// or https://",
        ),
        (["--base-url", "https://archive.example.org/sco"], "must be scheme://host[:port]"),
        (["--host", "0.0.0.0"], "listening on every address (--host 0.0.0.0) needs --base-url"),
        (["--allowed-host", "evil.*"], "--allowed-host 'evil.*' must be a host name"),
        (["--workers", "0"], "Invalid value for '--workers'"),
    ],
)
def test_bad_serve_options_exit_2(data_dir: Path, options: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["serve", "--data", str(data_dir), "--port", str(free_port()), *options])
    assert result.exit_code == 2 and message in " ".join(result.stderr.split()), result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Serving" not in result.output


def test_serve_without_a_warehouse_exits_1(tmp_path: Path) -> None:
    DataDir(tmp_path).create()
    completed = subprocess.run(
        [sys.executable, "-c", SERVE, "serve", "--data", str(tmp_path)], capture_output=True, text=True
    )
    assert completed.returncode == 1 and completed.stderr.startswith("Error: no warehouse")
