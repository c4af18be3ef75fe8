"""Where a briefing states a date, and which date it states.

This module only finds where a date may be written in running text; whether it is one (a month
name in German, English, Russian or French, a real calendar day) and which day it names is
:func:`scoarchive.core.dates.parse_date`'s to decide, so a footnote and ``resolve --at`` read
"16. Juni 2021" alike. A range ("15.-16. Juni 2021") states its first day, for the reason given
there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from scoarchive.core.dates import parse_date

_WORD = r"[^\W\d_]+"


_ORDINAL = r"(?:st|nd|rd|th)?"


_TO = r"\s*(?:[-–—]|bis|до|to)\s*"


_DATE_CANDIDATE = re.compile(
    # 16. Juni 2021, 7 June 2021, 16 июня 2021, 7th of June 2021, 15.-16. Juni 2021, 15-16 June 2021
    rf"\b\d{{1,2}}{_ORDINAL}\.?(?:{_TO}\d{{1,2}}{_ORDINAL}\.?)?\s+(?:of\s+)?{_WORD}\.?,?\s+\d{{4}}\b"
    # June 7, 2021; June 15-16, 2021
    rf"|\b{_WORD}\.?\s+\d{{1,2}}{_ORDINAL}(?:{_TO}\d{{1,2}}{_ORDINAL})?,?\s+\d{{4}}\b"
    r"|\b\d{1,2}\.\d{1,2}\.\d{4}\b|\b\d{4}-\d{2}-\d{2}\b"  # 15.06.2021, 2021-06-15
    # 2021年6月15日, 2017 年 9 月 20 日, 2021年6月15日至16日 (no \b: a CJK character is a word character)
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*(?:日?\s*[-–—~～至到]\s*\d{1,2}\s*)?日?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMatch:
    """A date written in a text: where, which day, and the words as written (for reports)."""

    start: int
    end: int
    value: date
    text: str


def find_dates(text: str) -> list[DateMatch]:
    """The dates written in ``text``, in order; impossible ones (31.02.2021) and look-alikes
    ("Juni 2021", "Version 3 2021") are skipped."""
    found = []
    position = 0
    while match := _DATE_CANDIDATE.search(text, position):
        try:
            found.append(DateMatch(match.start(), match.end(), parse_date(match.group()), match.group()))
            position = match.end()
        except ValueError:
            position = match.start() + 1
    return found
