"""The citation-parsing corpus scored: every citation found, under its own note, with its title,
date and quotations (tests/briefing_corpus.py says how the score is counted)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from briefing_corpus import CORPUS, FIELDS, as_records, briefings, expected, expected_file, score

from scoarchive.briefing.model import Format
from scoarchive.briefing.reader import parse_briefing

# what the parser reaches on the corpus; a change that scores lower fails
THRESHOLDS = {name: (1.0, 1.0) for name in FIELDS}  # (precision, recall)


def _parse(path: Path) -> list[dict]:
    return as_records(parse_briefing(path))


@cache
def _generator():
    spec = importlib.util.spec_from_file_location("make_binary", CORPUS / "make_binary.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_corpus_covers_every_format() -> None:
    paths = briefings()
    assert len(paths) >= 30
    formats = Counter(expected(path)["format"] for path in paths)
    assert set(formats) == {str(f) for f in Format} and min(formats.values()) >= 4, formats
    for path in paths:
        assert expected_file(path).exists(), path
        assert parse_briefing(path).format == expected(path)["format"], path.name


def test_corpus_score() -> None:
    scores = score(_parse, briefings())
    low = {
        name: (round(s.precision, 3), round(s.recall, 3), s.wrong[:3], s.missed[:3])
        for name, s in scores.items()
        if s.precision < THRESHOLDS[name][0] or s.recall < THRESHOLDS[name][1]
    }
    assert not low, low


def test_the_score_counts_what_is_wrong() -> None:
    """A parser that puts every citation under note 1 and drops the quotations scores lower."""

    def careless(path: Path) -> list[dict]:
        return [dict(record, n=1, quotes=[]) for record in _parse(path)]

    scores = score(careless, briefings())
    assert scores["url"].recall == 1.0 and scores["footnote"].recall < 0.7
    assert scores["quotes"].recall == 0.0 and scores["quotes"].precision == 1.0


@pytest.mark.parametrize("name", sorted(_generator().SPECS))
def test_docx_fixtures_are_what_the_generator_writes(tmp_path: Path, name: str) -> None:
    make_binary = _generator()
    fresh = tmp_path / f"{name}.docx"
    make_binary.build(make_binary.SPECS[name]).save(fresh)
    assert _parse(fresh) == _parse(CORPUS / f"{name}.docx")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_office_fixtures_are_what_libreoffice_writes(tmp_path: Path) -> None:
    make_binary = _generator()
    for target, source, fmt in make_binary.OFFICE:
        made = tmp_path / Path(source).name  # an earlier conversion of this run, if it is one
        make_binary.convert(made if made.exists() else CORPUS / source, tmp_path / Path(target).name, fmt)
        assert _parse(tmp_path / Path(target).name) == _parse(CORPUS / target), target
