"""Public extraction evaluation sets, read from a directory outside the repository, and their scores.

Each set lives in a folder of ``--eval-dir``, laid out as its repository has it (fetch the
repository, then copy the files named below out of it; nothing here downloads anything):

* ``article-extraction-benchmark/``: ``ground-truth.json`` and ``html/<id>.html.gz`` of
  scrapinghub/article-extraction-benchmark (181 news and blog pages, many sites and languages);
* ``trafilatura/``: ``evaldata.json``, ``eval/`` and ``cache/`` from adbar/trafilatura's
  ``tests/`` (990 pages, mostly German, with "with"/"without" snippets);
* ``readability/``: ``test-pages/<name>/{source,expected}.html`` from mozilla/readability's
  ``test/`` (130 pages: news, blogs, docs, and synthetic tests of its own rules);
* ``chinese-web-content/``: ``eval/cleaned_ground.json`` and ``original/<id>.html`` of
  immortal-autumn/Chinese-Web-Content-Extraction-Dataset (69 Chinese pages, GBK and UTF-8).

Scoring, as each set's own evaluation does it:

* snippets (trafilatura's set, as its ``tests/eval_common.py``): whitespace-normalised
  substring search of each "with" snippet (found: true positive, else false negative) and
  each "without" snippet (found: false positive) in the output; counts summed over pages,
  precision = tp / (tp + fp), recall = tp / (tp + fn);
* shingles (the three others, as article-extraction-benchmark's ``evaluate.py``): tokens are
  runs of word characters, each CJK character a token of its own (the only change: without it
  a Chinese clause is one token, and a hard line break in a ground truth splits one); the
  multisets of token 4-grams of output and truth give a page's tp, fp and fn, normalised to
  sum to 1; precision and recall are means over pages (a page with fp = fn = 0 scores 1);
  F1 is the harmonic mean of the two means. The readability truth is the text of
  ``expected.html``, text nodes joined by spaces.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import lxml.html

SETS = ("article-extraction-benchmark", "trafilatura", "readability", "chinese-web-content")

# The news set, for which the goal asks an F1 of at least 0.97.
NEWS_SET = "article-extraction-benchmark"

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

_TOKENS = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


@dataclass(frozen=True)
class EvalPage:
    """One page of a set: its bytes, its address (made up where the set gives none) and its truth."""

    key: str
    url: str
    html: bytes
    truth: str = ""
    with_snippets: tuple[str, ...] = ()
    without_snippets: tuple[str, ...] = ()

    @property
    def snippets(self) -> bool:
        return bool(self.with_snippets)


def _aeb(folder: Path) -> list[EvalPage]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        EvalPage(
            key,
            item["url"],
            gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes()),
            item["articleBody"],
        )
        for key, item in sorted(truth.items())
    ]


def _trafilatura(folder: Path) -> list[EvalPage]:
    pages = []
    for url, item in sorted(json.loads((folder / "evaldata.json").read_text(encoding="utf-8")).items()):
        path = next(
            p for p in (folder / "cache" / item["file"], folder / "eval" / item["file"]) if p.is_file()
        )
        pages.append(
            EvalPage(item["file"], url, path.read_bytes(), "", tuple(item["with"]), tuple(item["without"]))
        )
    return pages


def _readability(folder: Path) -> list[EvalPage]:
    pages = []
    for case in sorted(p for p in (folder / "test-pages").iterdir() if p.is_dir()):
        expected = lxml.html.fromstring((case / "expected.html").read_text(encoding="utf-8"))
        truth = " ".join(expected.itertext())
        pages.append(
            EvalPage(case.name, "http://fakehost/test/page.html", (case / "source.html").read_bytes(), truth)
        )
    return pages


def _chinese(folder: Path) -> list[EvalPage]:
    truth = json.loads((folder / "eval" / "cleaned_ground.json").read_text(encoding="utf-8"))
    return [
        EvalPage(
            key,
            f"http://example.com/{key}.html",
            (folder / "original" / f"{key}.html").read_bytes(),
            item["articleBody"],
        )
        for key, item in sorted(truth.items())
    ]


_LOADERS: dict[str, Callable[[Path], list[EvalPage]]] = {
    "article-extraction-benchmark": _aeb,
    "trafilatura": _trafilatura,
    "readability": _readability,
    "chinese-web-content": _chinese,
}


def load_set(eval_dir: Path, name: str) -> list[EvalPage]:
    """The pages of one set; FileNotFoundError/KeyError/StopIteration if it is not laid out as above."""
    return _LOADERS[name](eval_dir / name)


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _normal(text: str) -> str:
    return " ".join(text.split())


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    words = _TOKENS.findall(text)
    return Counter(tuple(words[i : i + 4]) for i in range(max(1, len(words) - 3)) if words[i : i + 4])


def _page_counts(page: EvalPage, output: str) -> tuple[float, float, float]:
    """tp, fp, fn of one page: snippet counts, or shingle counts normalised to sum to 1."""
    if page.snippets:
        found = _normal(output)
        tp = sum(_normal(s) in found for s in page.with_snippets)
        fp = sum(_normal(s) in found for s in page.without_snippets)
        return tp, fp, len(page.with_snippets) - tp
    got, want = _shingles(output), _shingles(page.truth)
    tp, fp, fn = sum((got & want).values()), sum((got - want).values()), sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _ratio(part: float, other: float, rest: float) -> float:
    if other == rest == 0:
        return 1.0
    return part / (part + other) if part + other else 0.0


def score(pages: Iterable[EvalPage], outputs: Iterable[str]) -> Score:
    """The set's score of the outputs, page by page in order (see the module docstring)."""
    pairs = list(zip(pages, outputs, strict=True))
    counts = [_page_counts(page, output) for page, output in pairs]
    if pairs and pairs[0][0].snippets:
        tp, fp, fn = (sum(c[i] for c in counts) for i in range(3))
        return Score(tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)
    precisions = [_ratio(tp, fp, fn) for tp, fp, fn in counts if tp + fp > 0]
    recalls = [_ratio(tp, fn, fp) for tp, fp, fn in counts if tp + fn > 0]
    return Score(
        statistics.fmean(precisions) if precisions else 0.0, statistics.fmean(recalls) if recalls else 0.0
    )
