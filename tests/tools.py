"""Validators we did not write, run as their users run them.

pywb cannot live in the project's virtual environment (it pins redis 2.x, which Prefect
cannot use), so it gets one of its own: ``.venv-pywb`` beside the checkout, made on first use
from the package registry (`.ci/run` makes it before the tests), or any interpreter named by
``SCOARCHIVE_PYWB_PYTHON``.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYWB_VENV = ROOT / ".venv-pywb"
PYWB_REQUIREMENTS = ["pywb==2.10.0", "setuptools>=70,<81", "webtest>=3"]


def pywb_python() -> str:
    configured = os.environ.get("SCOARCHIVE_PYWB_PYTHON")
    if configured:
        return configured
    python = PYWB_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PYWB_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *PYWB_REQUIREMENTS], check=True, timeout=600
        )
    return str(python)


def pywb_replay(
    workdir: Path, url: str, timestamp: str, warcs: list[Path], cdxj_dir: Path | None = None
) -> dict[str, dict]:
    """Replay ``url`` at ``timestamp`` through pywb; raw (id_) and browser responses."""
    args = [pywb_python(), str(ROOT / "tests" / "pywb_replay.py"), str(workdir), url, timestamp]
    for warc in warcs:
        args += ["--warc", str(warc)]
    if cdxj_dir is not None:
        args += ["--cdxj", str(cdxj_dir)]
    completed = subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    for response in result.values():
        response["body"] = base64.b64decode(response["body"])
    return result


def script(name: str) -> str:
    """A console script installed beside this interpreter (the test venv's bin/)."""
    return str(Path(sys.executable).parent / name)


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([script("warcio"), "check", "-v", str(path)], capture_output=True, text=True)


def cdxj_index(paths: list[Path]) -> list[str]:
    completed = subprocess.run(
        [script("cdxj-indexer"), *map(str, paths)], capture_output=True, text=True, check=True
    )
    return completed.stdout.splitlines()
