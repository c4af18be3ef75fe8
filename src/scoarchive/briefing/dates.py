"""Where a briefing states a date, and which date it states."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from scoarchive.core.dates import parse_date

_WORD = r"[^\W\d_]+"


# Where a date may be written; scoarchive.dates.parse_date decides whether it is one (a month name
# in German, English, Russian or French, a real calendar day) and what it is.
_DATE_CANDIDATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\.?\s+{_WORD}\.?,?\s+\d{{4}}\b"  # 16. Juni 2021, 7 June 2021, 16 июня 2021
    rf"|\b{_WORD}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"  # June 7, 2021
    r"|\b\d{1,2}\.\d{1,2}\.\d{4}\b|\b\d{4}-\d{2}-\d{2}\b"  # 15.06.2021, 2021-06-15
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日?",  # 2021年6月15日
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _DateMatch:
    start: int
    end: int
    value: date
    text: str


def _find_dates(text: str) -> list[_DateMatch]:
    """The dates written in ``text``, in order ("16. Juni 2021", "June 7, 2021", "16 июня 2021",
    "15.06.2021", "2021-06-15"); impossible ones (31.02.2021) and look-alikes are skipped."""
    found = []
    position = 0
    while match := _DATE_CANDIDATE.search(text, position):
        try:
            found.append(_DateMatch(match.start(), match.end(), parse_date(match.group()), match.group()))
            position = match.end()
        except ValueError:
            position = match.start() + 1
    return found
