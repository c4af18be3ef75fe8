"""The quick start's main job, as a user runs it."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

from scoarchive.core.settings import DataDir


def test_demo_archives_the_replica_offline(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    completed = run_cli("demo", "--data", str(data), timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "pages fetched" in completed.stdout
    assert "articles per site" in completed.stdout
    for language in ("en", "ru", "zh"):
        assert f"│ {language} " in completed.stdout
    assert (data / "warehouse" / "scoarchive.duckdb").exists()
    warcs = DataDir(data).warc_files()
    assert warcs and not DataDir(data).warc_files("*.open")
