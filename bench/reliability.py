"""The guarantees, tried: hostile servers, private addresses, kill -9, Ctrl-C, damage, deep pages.

Runs the test files that try each guarantee (the slow ones included) and prints, per guarantee,
how many cases were tried and how many held; with ``--service``, also the service under 200
concurrent clients (``bench/service.py``). This is the one command behind the README's
"Reliability" section:

    python bench/reliability.py [--service]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUARANTEES = (
    ("hostile responses (a raw-socket server, one malformed reply each)", "tests/test_hostile.py"),
    ("one egress policy (loopback, localhost, 169.254.169.254, another port)", "tests/test_egress.py"),
    ("kill -9 at random moments, then the same command", "tests/test_crash_resume.py"),
    ("Ctrl-C mid-crawl and mid-reindex: exit 130, then a clean resume", "tests/test_interrupts.py"),
    (
        "damaged WARC data: a flipped byte, a file deleted or emptied, replay of a damaged body",
        "tests/test_damage.py",
    ),
    (
        "a byte flipped anywhere: every header, trailer and 24 random bytes a member",
        "tests/test_damage_property.py",
    ),
    ("fixity: digests, warehouse rows, missing files", "tests/test_verify.py"),
    ("HTML of any depth (10,000 nested elements)", "tests/test_deep_html.py"),
    ("a typo never changes the file system", "tests/test_cli_safety.py"),
    ("the service trusts no Host header; safety headers everywhere", "tests/test_service_trust.py"),
)


def run(files: list[str], report: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "slow or not slow", f"--junitxml={report}", *files],
        cwd=ROOT,
        check=False,
    )


def tally(report: Path) -> dict[str, tuple[int, int]]:
    """Per test file: (cases tried, cases that held)."""
    counts: dict[str, list[int]] = {}
    for case in ElementTree.parse(report).iter("testcase"):
        parts = case.get("classname", "").split(".")
        module = next((part for part in parts if part.startswith("test_")), "")
        name = f"tests/{module}.py"
        held = not any(child.tag in ("failure", "error") for child in case)
        if any(child.tag == "skipped" for child in case):
            continue
        entry = counts.setdefault(name, [0, 0])
        entry[0] += 1
        entry[1] += held
    return {name: (tried, held) for name, (tried, held) in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", action="store_true", help="also run bench/service.py (minutes)")
    args = parser.parse_args()
    files = [path for _, path in GUARANTEES if (ROOT / path).exists()]
    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "report.xml"
        run(files, report)
        counts = tally(report)
    print("\n| guarantee | cases tried | held |\n| --- | ---: | ---: |")
    for label, path in GUARANTEES:
        tried, held = counts.get(path, (0, 0))
        print(f"| {label} (`{path}`) | {tried} | {held} |")
    if args.service:
        subprocess.run([sys.executable, str(ROOT / "bench" / "service.py")], cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
