"""The citation-parsing corpus: briefings as analysts write them, each with its expected citations.

``tests/data/briefings/corpus/NAME.EXT`` is a briefing; ``NAME.expected.json`` beside it says,
written by hand, what it cites: ``{"format": ..., "citations": [{"n", "url", "title",
"stated_date", "quotes", "terms"}]}`` (a ``comment`` may say why an entry is as it is). The score
compares sets of facts per field, so the order of citations does not count:

- ``url``: the cited addresses, whichever note they are under;
- ``footnote``: (note number, address): each address attributed to its own note;
- ``title``, ``date``: (number, address, value) where a value is stated;
- ``quotes``, ``terms``: (number, address, quotation): each quotation under its owner.

Used by ``tests/test_briefing_corpus.py`` and ``bench/briefings.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoarchive.briefing.model import Briefing

CORPUS = Path(__file__).resolve().parent / "data" / "briefings" / "corpus"


FIELDS = ("url", "footnote", "title", "date", "quotes", "terms")


Fact = tuple[Any, ...]


def briefings() -> list[Path]:
    """Every briefing of the corpus (each has an expected file)."""
    return sorted(
        path for path in CORPUS.iterdir() if not path.name.endswith(".json") and path.suffix != ".py"
    )


def expected_file(path: Path) -> Path:
    return path.with_name(f"{path.stem}.expected.json")


def expected(path: Path) -> dict[str, Any]:
    return json.loads(expected_file(path).read_text(encoding="utf-8"))


def as_records(briefing: Briefing) -> list[dict[str, Any]]:
    """A parsed briefing's citations in the expected files' shape."""
    return [
        {
            "n": c.n,
            "url": c.url,
            "title": c.title,
            "stated_date": c.stated_date.isoformat() if c.stated_date else None,
            "quotes": list(c.quotes),
            "terms": list(c.terms),
        }
        for c in briefing.citations
    ]


def facts(records: Iterable[dict[str, Any]], name: str) -> set[Fact]:
    """The facts of one field (see the module's docstring)."""
    found: set[Fact] = set()
    for r in records:
        if name == "url":
            found.add((r["url"],))
        elif name == "footnote":
            found.add((r["n"], r["url"]))
        elif name == "title" and r["title"] is not None:
            found.add((r["n"], r["url"], r["title"]))
        elif name == "date" and r["stated_date"] is not None:
            found.add((r["n"], r["url"], r["stated_date"]))
        elif name in ("quotes", "terms"):
            found.update((r["n"], r["url"], quote) for quote in r[name])
    return found


@dataclass
class Score:
    """True positives, false positives and false negatives of one field, and which they were."""

    hits: int = 0
    wrong: list[tuple[str, Fact]] = field(default_factory=list)  # found, not expected
    missed: list[tuple[str, Fact]] = field(default_factory=list)  # expected, not found

    @property
    def precision(self) -> float:
        found = self.hits + len(self.wrong)
        return self.hits / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.hits + len(self.missed)
        return self.hits / wanted if wanted else 1.0


def score(parse: Callable[[Path], list[dict[str, Any]]], paths: Iterable[Path]) -> dict[str, Score]:
    """Precision and recall per field of ``parse`` over the briefings at ``paths`` (micro-averaged:
    every fact of every briefing counts once)."""
    scores = {name: Score() for name in FIELDS}
    for path in paths:
        want = expected(path)["citations"]
        got = parse(path)
        for name in FIELDS:
            good, found = facts(want, name), facts(got, name)
            scores[name].hits += len(good & found)
            scores[name].wrong += [(path.name, fact) for fact in sorted(found - good, key=repr)]
            scores[name].missed += [(path.name, fact) for fact in sorted(good - found, key=repr)]
    return scores
