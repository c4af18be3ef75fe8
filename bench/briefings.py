"""Citation-parsing benchmark: precision and recall per field on the briefing corpus.

    python bench/briefings.py [--against GIT-REV]

Scores ``scoarchive.briefing.reader.parse_briefing`` on ``tests/data/briefings/corpus/`` (every
briefing with its hand-written expected citations; ``tests/briefing_corpus.py`` says how facts
are counted) and, in the same run, two baselines:

- *naive*: what a regular expression gets from the same paragraphs (each ``http(s)://`` URL of a
  paragraph, under the ``[n]`` that starts it; no titles, dates or quotations): how much the
  notes, dates and quotation rules are worth;
- with ``--against REV`` (e.g. ``main``), the parser of that git revision, run from a ``git archive``
  of it in a subprocess: what a change gained or lost.

Prints figures, and the facts each parser got wrong or missed; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from briefing_corpus import Score, as_records, briefings, score  # noqa: E402

from scoarchive.briefing.formats.docx import read_docx  # noqa: E402
from scoarchive.briefing.formats.html import read_html  # noqa: E402
from scoarchive.briefing.formats.markdown import read_markdown  # noqa: E402
from scoarchive.briefing.formats.odt import read_odt  # noqa: E402
from scoarchive.briefing.formats.pdf import read_pdf  # noqa: E402
from scoarchive.briefing.formats.text import read_text  # noqa: E402
from scoarchive.briefing.model import BriefingError, Format  # noqa: E402
from scoarchive.briefing.reader import decode_text, detect_format, parse_briefing  # noqa: E402

_NAIVE_URL = re.compile(r"https?://[^\s<>\"“”„«»()\[\]]+[^\s<>\"“”„«»()\[\].,;:]")


_NAIVE_NOTE = re.compile(r"\s*(?:\d+\.\s*)?\[(\d+)\]")


_READERS = {Format.TXT: read_text, Format.MD: read_markdown, Format.HTML: read_html}
_BINARY = {Format.DOCX: read_docx, Format.ODT: read_odt, Format.PDF: read_pdf}


def ours(path: Path) -> list[dict[str, Any]]:
    try:
        return as_records(parse_briefing(path))
    except BriefingError:
        return []


def naive(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    fmt = detect_format(path, data)
    document = _BINARY[fmt](data) if fmt in _BINARY else _READERS[fmt](decode_text(data, path.name))
    records = []
    for block in document.blocks:
        note = _NAIVE_NOTE.match(block.text)
        n = block.note or (int(note.group(1)) if note else None)
        urls = [link.url for link in block.links] + _NAIVE_URL.findall(block.text)
        for url in dict.fromkeys(urls):
            nothing: dict[str, Any] = {"title": None, "stated_date": None, "quotes": [], "terms": []}
            records.append({"n": n, "url": url, **nothing})
    return records


_OLD_PARSER = """
import json, sys
from pathlib import Path
try:
    from scoarchive.briefing.reader import parse_briefing
except ImportError:
    from scoarchive.briefing import parse_briefing
out = {}
for name in sys.argv[1:]:
    try:
        cs = parse_briefing(Path(name)).citations
    except Exception:
        cs = []
    out[name] = [{"n": c.n, "url": c.url, "title": c.title,
                  "stated_date": c.stated_date.isoformat() if c.stated_date else None,
                  "quotes": list(c.quotes), "terms": list(getattr(c, "terms", []))} for c in cs]
print(json.dumps(out))
"""


def against(revision: str, paths: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """The citations the parser of ``revision`` finds, run from a git archive of its sources."""
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision, "src"], check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        completed = subprocess.run(
            [sys.executable, "-c", _OLD_PARSER, *map(str, paths)],
            check=True,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": f"{tree}/src", "PATH": "/usr/bin:/bin"},
        )
    return json.loads(completed.stdout)


def _report(label: str, scores: dict[str, Score], seconds: float, count: int) -> None:
    cells = "  ".join(f"{name} {s.precision:5.3f}/{s.recall:5.3f}" for name, s in scores.items())
    print(f"{label:<12} precision/recall  {cells}   {1000 * seconds / count:6.1f} ms/briefing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="GIT-REV", help="also score the parser of this revision")
    parser.add_argument("--quiet", action="store_true", help="figures only, not the facts each got wrong")
    args = parser.parse_args()
    paths = briefings()
    formats: dict[str, int] = {}
    for path in paths:
        formats[path.suffix.lstrip(".")] = formats.get(path.suffix.lstrip("."), 0) + 1
    print(f"corpus: {len(paths)} briefings ({', '.join(f'{n} {f}' for f, n in sorted(formats.items()))})")
    results: list[tuple[str, dict[str, Score]]] = []
    for label, parse in (("scoarchive", ours), ("naive", naive)):
        started = time.perf_counter()
        scores = score(parse, paths)
        _report(label, scores, time.perf_counter() - started, len(paths))
        results.append((label, scores))
    if args.against:
        started = time.perf_counter()
        old = against(args.against, paths)
        scores = score(lambda path: old[str(path)], paths)
        _report(args.against, scores, time.perf_counter() - started, len(paths))
        results.append((args.against, scores))
    ours_scores = results[0][1]
    for label, scores in results[1:]:
        ratios = "  ".join(
            f"{name} x{ours_scores[name].recall / s.recall:.2f}" if s.recall else f"{name} (baseline 0)"
            for name, s in scores.items()
        )
        print(f"recall, scoarchive / {label}: {ratios}")
    if not args.quiet:
        for label, scores in results[:1] + results[2:]:
            for name, s in scores.items():
                for kind, facts in (("wrong", s.wrong), ("missed", s.missed)):
                    for briefing, fact in facts:
                        print(f"  {label} {name} {kind}: {briefing} {fact}")


if __name__ == "__main__":
    main()
