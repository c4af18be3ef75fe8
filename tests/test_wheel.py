"""Installed as users install it: a wheel in a fresh virtual environment, run outside the checkout.

The editable install the suite runs from finds the SQL, the deployments and the flows through the
checkout; a wheel must carry them. So this builds the wheel, installs it into a new venv and, from
a directory that is not the checkout, runs the demo, a load, a packaged analyst query, and
``schedule --setup-only`` against a Prefect server it starts and stops.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin/ directory of a fresh venv with the project's wheel installed (not editable)."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"), str(ROOT)],
        check=True,
        timeout=600,
    )
    (wheel,) = (work / "dist").glob("scoarchive-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        timeout=1200,
    )
    yield venv / "bin"


def run(
    bin_dir: Path, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [str(bin_dir / "scoarchive"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SCOARCHIVE_HOME": str(cwd / "unused"), **(env or {})},
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def test_the_wheel_carries_the_sql_deployments_and_flows(installed: Path, tmp_path: Path) -> None:
    python = str(installed / "python")
    program = (
        "import json, scoarchive.flows.crawl\n"
        "from scoarchive.warehouse.schema import migrations\n"
        "from scoarchive.orchestration.schedule import deployment_names, packaged_prefect_file\n"
        "print(json.dumps({'flows': scoarchive.flows.crawl.__file__, 'migrations': len(migrations()),"
        " 'prefect': str(packaged_prefect_file()), 'names': deployment_names(packaged_prefect_file())}))"
    )
    completed = subprocess.run(
        [python, "-c", program], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    found = json.loads(completed.stdout)
    assert "site-packages" in found["flows"] and str(ROOT) not in found["flows"]
    assert found["migrations"] >= 2 and "site-packages" in found["prefect"]
    assert "crawl-english" in found["names"]


def test_demo_load_and_a_packaged_query_from_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    data = tmp_path / "demo"
    demo = run(installed, tmp_path, "demo", "--data", str(data))
    assert demo.returncode == 0, demo.stderr
    assert "articles per site" in demo.stdout
    load = run(installed, tmp_path, "load", "--data", str(data), "--json")
    assert load.returncode == 0, load.stderr
    assert json.loads(load.stdout)["files_loaded"] == []  # the demo loaded everything already
    query = run(
        installed, tmp_path, "sql", "--data", str(data), "--query", "articles_per_month", "--format", "json"
    )
    assert query.returncode == 0, query.stderr
    rows = json.loads(query.stdout)
    assert rows and {"month", "language", "articles"} <= set(rows[0])


def test_schedule_setup_only_against_a_server_it_starts(installed: Path, tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "prefect-home"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    server = subprocess.Popen(
        [str(installed / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the Prefect server did not start"
            time.sleep(0.5)
        data = tmp_path / "data"
        init = run(installed, tmp_path, "init", "--data", str(data))
        assert init.returncode == 0, init.stderr
        setup = run(installed, tmp_path, "schedule", "--setup-only", "--data", str(data), env=env)
        assert setup.returncode == 0, setup.stderr
        listed = subprocess.run(
            [str(installed / "prefect"), "deployment", "ls"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert "crawl-english" in listed.stdout and "verify-weekly" in listed.stdout, listed.stdout
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
