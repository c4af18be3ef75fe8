"""Bad input gets one clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli


def assert_one_line_error(completed, code: int, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert completed.returncode == code, (completed.returncode, completed.stderr)
    assert "Traceback" not in completed.stderr + completed.stdout
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), completed.stderr
    for word in words:
        assert word in lines[0]


def test_unknown_profile(tmp_path: Path) -> None:
    assert_one_line_error(
        run_cli("crawl", "--profile", "nosuch", "--data", str(tmp_path)), 2, "unknown profile"
    )


@pytest.mark.parametrize("seed", ["not a url", "ftp://eng.sectsco.org/", "http://", "http://example.com/"])
def test_malformed_or_off_scope_seed(tmp_path: Path, seed: str) -> None:
    assert_one_line_error(run_cli("crawl", "--seed", seed, "--data", str(tmp_path)), 2, "seed")


@pytest.mark.parametrize(
    "spec", ["eng.sectsco.org:80", "a:b:c:d", "eng.sectsco.org:80:127.0.0.1:99999", ":::"]
)
def test_malformed_connect_to(tmp_path: Path, spec: str) -> None:
    assert_one_line_error(run_cli("crawl", "--connect-to", spec, "--data", str(tmp_path)), 2, "--connect-to")


def test_unwritable_data_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert_one_line_error(run_cli("crawl", "--data", str(blocker / "data")), 2, "not writable")


def test_unreachable_host(tmp_path: Path) -> None:
    completed = run_cli(
        "crawl",
        "--seed",
        "http://eng.sectsco.org/",
        "--connect-to",
        "eng.sectsco.org:80:127.0.0.1:9",
        "--retries",
        "0",
        "--data",
        str(tmp_path),
    )
    assert_one_line_error(completed, 1, "could not reach eng.sectsco.org")
