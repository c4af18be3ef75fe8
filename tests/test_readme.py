"""The README's every example runs, as a user runs it, and its reference tables match the code.

- The CLI option tables and the module table are generated from the code by cog; ``cog --check``
  fails when one of them no longer matches (regenerate with ``cog -r README.md``).
- Every ``python`` block runs, in a directory where ``scoarchive-data`` is a demo archive.
- Every ``sh`` block runs in bash (``set -e``: each command must succeed) against a demo archive
  (``$SCOARCHIVE_HOME``) with the replica mapped in for every host (``$SCOARCHIVE_CONNECT_TO``), in
  a copy of the checkout (its ``.venv`` this suite's, as after the quick start) that also holds
  the example briefings under the names the README uses. Fixed ports (8000, 8080, 4200) become
  free ones; background commands (``&``) are stopped after their block. Two things cannot run
  offline and are skipped, each shown in the test's output: a line marked ``# needs the live
  site``, and the test commands (this suite is them). The quick start's install-and-demo line
  runs in a copy of its own, without a ``.venv``, and makes one as a new user does.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TEST_REPLICA
from tools import script

from scoarchive.replica import ReplicaServer, Site

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BRIEFINGS = ROOT / "tests" / "data" / "briefings"
LIVE = "# needs the live site"
PORTS = ("8000", "8080", "4200")
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for kind, body in _BLOCK.findall(README.read_text(encoding="utf-8")) if kind == language]


def test_the_reference_tables_match_the_code() -> None:
    completed = subprocess.run(
        [script("cog"), "--check", str(README)], cwd=ROOT, capture_output=True, text=True
    )
    assert completed.returncode == 0, (
        "the README's generated tables are out of date: run `cog -r README.md`\n" + completed.stderr
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("readme") / "demo"
    completed = subprocess.run(
        [sys.executable, "-m", "scoarchive", "demo", "--data", str(data)], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    return data


def checkout_copy(target: Path) -> Path:
    """The repository's committed files, copied to ``target``, as a fresh clone has them."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in files.stdout.splitlines():
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


@pytest.fixture
def workdir(demo: Path, tmp_path: Path) -> Path:
    """Where a reader runs the examples: a checkout after the quick start, with the example
    briefings under the README's names and ``scoarchive-data`` the demo archive."""
    checkout_copy(tmp_path)
    (tmp_path / ".venv").symlink_to(sys.prefix)
    for suffix in ("txt", "md", "html", "docx"):
        shutil.copy(BRIEFINGS / f"example.{suffix}", tmp_path / f"briefing.{suffix}")
    (tmp_path / "scoarchive-data").symlink_to(demo)
    return tmp_path


@pytest.mark.parametrize("number", range(len(blocks("python"))))
def test_every_python_example_runs(number: int, workdir: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", blocks("python")[number]],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr


@pytest.fixture
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(Site(TEST_REPLICA)) as server:
        yield server


def runnable(block: str) -> tuple[str, list[str]]:
    """The block as bash runs it here, and the lines left out (with why)."""
    lines, skipped = [], []
    for line in block.replace("\\\n", " ").splitlines():
        if LIVE in line:
            skipped.append(f"{line.strip()}  (offline)")
        elif re.search(r"\bpython -m pytest\b", line):
            skipped.append(f"{line.strip()}  (the test suite, running this test)")
        else:
            lines.append(line)
    return "\n".join(lines), skipped


@pytest.mark.slow
@pytest.mark.parametrize("number", range(len(blocks("sh"))))
def test_every_shell_block_runs(number: int, workdir: Path, demo: Path, replica: ReplicaServer) -> None:
    script_text, skipped = runnable(blocks("sh")[number])
    for port in PORTS:
        script_text = re.sub(rf"\b{port}\b", str(free_port()), script_text)
    script_text = script_text.replace("/srv/scoarchive", '"$SCOARCHIVE_HOME"')
    cwd = workdir
    if "python3 -m venv .venv" in script_text:  # the quick start: a clone with no venv yet
        cwd = checkout_copy(workdir / "fresh-clone")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SCOARCHIVE_HOME": str(demo),
        "SCOARCHIVE_CONNECT_TO": " ".join(replica.connect_to_args()),
        "PREFECT_API_URL": "",
    }
    # background commands (`scoarchive serve &`) end with the block, as when a reader closes the shell
    prologue = "set -euo pipefail\ntrap 'jobs -p | xargs -r kill' EXIT\n"
    process = subprocess.Popen(
        ["bash", "-c", prologue + script_text],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=900)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # anything the block's trap did not end
    print("\n".join(f"skipped: {line}" for line in skipped))
    assert process.returncode == 0, (
        f"{script_text}\n--- stdout\n{stdout[-3000:]}\n--- stderr\n{stderr[-3000:]}"
    )
    assert "Traceback" not in stderr, stderr
