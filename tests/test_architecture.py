"""The house: the floors declared in pyproject.toml hold, and every module can be read in a sitting.

The layering is checked by a tool we did not write (import-linter), indirect imports included,
so an upward import or a cycle between floors fails the suite.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from tools import script

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
MAX_LINES = 400
# Modules that are data, not logic: vocabularies the replica renders its pages from.
DATA_MODULES = {"scoarchive/replica/vocabulary.py"}


def test_the_floors_hold() -> None:
    completed = subprocess.run([script("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 broken" in completed.stdout


def test_every_subpackage_is_a_layer_of_some_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    named = set()
    for contract in config["contracts"]:
        for field in ("layers", "source_modules"):
            for entry in contract.get(field, []):
                named |= {part.strip() for part in entry.split("|")}
    packages = {f"scoarchive.{path.parent.name}" for path in (SRC / "scoarchive").glob("*/__init__.py")}
    assert packages <= named, packages - named


def test_every_module_can_be_read_in_a_sitting() -> None:
    long = {
        path.relative_to(SRC).as_posix(): lines
        for path in (SRC / "scoarchive").rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert set(long) <= DATA_MODULES, long


def test_every_package_reaches_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(path.parent.relative_to(SRC).parts) for path in (SRC / "scoarchive").rglob("__init__.py")
    }
    assert found <= listed, found - listed
    for package, folder in config["package-dir"].items():
        assert package == "" or (ROOT / folder / "__init__.py").exists()
