"""Parsing deeply nested HTML: :func:`scoarchive.core.html.parse_html` against libxml2 alone.

Pages of N nested ``<div><p>sentence</p>`` levels (N from 100 to 100,000), against a flat page
with the same elements and text (the baseline, same run): the ratio shows what the depth
costs, and that it grows linearly (libxml2 alone drops everything past depth 256).

    python bench/deep_html.py
"""

from __future__ import annotations

import time

import lxml.html

from scoarchive.core.html import parse_html


def page(depth: int, nested: bool) -> str:
    close = "</div>" if not nested else ""
    body = "".join(f"<div><p>Sentence {n}.</p>{close}" for n in range(depth))
    return f"<html><body>{body}<a href='/last'>last</a>{'</div>' * depth if nested else ''}</body></html>"


def best_of(runs: int, work: object) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    print(f"{'depth':>8} {'flat s':>9} {'nested s':>9} {'ratio':>6} {'libxml2 alone keeps last link':>30}")
    for depth in (100, 1_000, 10_000, 100_000):
        flat, nested = page(depth, False), page(depth, True)
        runs = 3 if depth < 100_000 else 1
        flat_s = best_of(runs, lambda flat=flat: parse_html(flat))
        nested_s = best_of(runs, lambda nested=nested: parse_html(nested))
        alone = lxml.html.document_fromstring(nested).xpath("//a/@href") == ["/last"]
        print(f"{depth:>8} {flat_s:>9.4f} {nested_s:>9.4f} {nested_s / flat_s:>6.1f} {alone!s:>30}")


if __name__ == "__main__":
    main()
