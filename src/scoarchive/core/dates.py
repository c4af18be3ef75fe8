"""Dates as analysts write them in citations and briefings, parsed into dates and moments.

A citation says when the page was seen ("accessed 16. Juni 2021", "cited on 7 June 2021",
"15.06.2021", "16 июня 2021 г.", "2021-06-15"); the resolver and the briefing check need that
as a value, whatever language the note was written in. Only unambiguous forms are accepted:
day-month-year with a month name or dots, Chinese 年月日, and ISO. Slashed forms (``06/07/2021``)
are refused because the US and European readings differ and a wrong guess would silently pick
another capture.

A range of days ("15.-16. Juni 2021", "15-16 June 2021", "June 15-16, 2021", "2021年6月15日至16日")
states its *first* day: an SCO report of a two-day meeting is published on its first or last
day, so the first day is never more than the range's length from the publication date, which the
briefing check's tolerance of a few days (``compare.MAX_DAYS_OFF``) absorbs, and the resolver's
nearest capture to the first day is a capture of the page as it was during the event. The last
day must still be a real day after the first, or the text is not a date.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime

# A day without a time of day stands for the whole day; noon UTC is its middle, so the
# nearest capture is the one nearest to that day from either side.
DAY_TIME = time(12, 0, tzinfo=UTC)


MAX_TEXT = 100


_MONTHS: dict[str, int] = {}


for _number, _names in enumerate(
    (
        "january jan januar jän janvier января январь янв",
        "february feb februar février февраля февраль фев",
        "march mar märz maerz mär mars марта март",
        "april apr avril апреля апрель апр",
        "may mai мая май",
        "june jun juni juin июня июнь",
        "july jul juli juillet июля июль",
        "august aug août августа август авг",
        "september sep sept septembre сентября сентябрь сен",
        "october oct oktober okt octobre октября октябрь окт",
        "november nov novembre ноября ноябрь ноя",
        "december dec dezember dez décembre декабря декабрь дек",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number


_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


_RANGE_DASH = r"\s*(?:[-–—]|bis|до|to)\s*"


# "2021年6月15日", "2017 年 9 月 20 日", "2021年6月15日至16日", "2021年6月15-16日"
_CHINESE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*(?:日?\s*(?:[-–—~～至到]\s*(\d{1,2})\s*)?日?)"
)


_ORDINAL = r"(?:st|nd|rd|th)?"


# "16. Juni 2021", "7 June 2021", "7th of June 2021", "16 июня 2021 г.", "31 августа 2023 года",
# and a range before the month: "15.-16. Juni 2021", "15-16 June 2021", "15 bis 16. Juni 2021"
_DAY_MONTH_YEAR = re.compile(
    rf"(\d{{1,2}}){_ORDINAL}\.?(?:{_RANGE_DASH}(\d{{1,2}}){_ORDINAL}\.?)?\s+(?:of\s+)?"
    r"([^\W\d_]+)\.?,?\s+(\d{4})(?:\s*(?:г\.?|года?))?",
    re.IGNORECASE,
)


# "June 7, 2021", "June 15-16, 2021"
_MONTH_DAY_YEAR = re.compile(
    rf"([^\W\d_]+)\.?\s+(\d{{1,2}}){_ORDINAL}(?:{_RANGE_DASH}(\d{{1,2}}){_ORDINAL})?,?\s+(\d{{4}})",
    re.IGNORECASE,
)


_TIMESTAMP = re.compile(r"\d{4,7}|\d{9,20}")  # 8 digits are a date (YYYYMMDD)


def _month(name: str) -> int:
    number = _MONTHS.get(name.lower())
    if number is None:
        raise ValueError(f"unknown month name {name!r}")
    return number


def _make(year: int, month: int, day: int, text: str, last: str | None = None) -> date:
    """The day, checked against the calendar; ``last`` is the last day of a range, which must be
    a real day of the same month after the first."""
    try:
        first = date(year, month, day)
        if last is not None and date(year, month, int(last)) <= first:
            raise ValueError
    except ValueError:
        raise ValueError(f"not a calendar date: {text!r}") from None
    return first


def parse_date(text: str) -> date:
    """The calendar date a citation gives, in any of the accepted forms; ValueError otherwise.

    An ISO timestamp gives its own date (as written, not converted to UTC); a range, its first day.
    """
    value = " ".join(text.strip().split())
    if not value or len(value) > MAX_TEXT:
        raise ValueError(f"not a date: {text[:MAX_TEXT]!r}")
    if (match := _ISO.match(value)) and (len(value) == 10 or value[10] in "T "):
        return _make(int(match[1]), int(match[2]), int(match[3]), text)
    if match := _DOTTED.fullmatch(value):
        return _make(int(match[3]), int(match[2]), int(match[1]), text)
    if match := _COMPACT.fullmatch(value):
        return _make(int(match[1]), int(match[2]), int(match[3]), text)
    if match := _CHINESE.fullmatch(value):
        return _make(int(match[1]), int(match[2]), int(match[3]), text, match[4])
    if match := _DAY_MONTH_YEAR.fullmatch(value):
        return _make(int(match[4]), _month(match[3]), int(match[1]), text, match[2])
    if match := _MONTH_DAY_YEAR.fullmatch(value):
        return _make(int(match[4]), _month(match[1]), int(match[2]), text, match[3])
    raise ValueError(
        f"not a date: {text!r} (use e.g. 2021-06-15, 15.06.2021, 7 June 2021, 16. Juni 2021, 16 июня 2021)"
    )


def parse_timestamp(digits: str) -> datetime:
    """A Wayback timestamp (``YYYYMMDDhhmmss``, optionally with up to 6 digits of microseconds).

    Shorter forms name the start of their period, as in pywb: ``2021`` is 2021-01-01 00:00.
    """
    if not digits.isdigit() or not 4 <= len(digits) <= 20:
        raise ValueError(f"not a timestamp: {digits!r} (4 to 14 digits, YYYYMMDDhhmmss)")
    # pywb's padding: the missing tail of "10000101000000", so month and day default to 01
    padded = digits[:14] + "10000101000000"[len(digits) :] if len(digits) < 14 else digits[:14]
    micro = digits[14:].ljust(6, "0") if len(digits) > 14 else "0"
    try:
        moment = datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"not a valid timestamp: {digits!r}") from None
    return moment + timedelta(microseconds=int(micro))


def parse_datetime(text: str) -> datetime:
    """A moment (aware, UTC) from a citation date, an ISO datetime, an HTTP date or a timestamp.

    Naive ISO datetimes are taken as UTC; a bare date is taken at noon UTC (:data:`DAY_TIME`).
    """
    value = text.strip()
    if _TIMESTAMP.fullmatch(value):
        return parse_timestamp(value)
    if _ISO.match(value) and len(value) > 10:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO datetime: {text!r}") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if "," in value and ":" in value:
        return parse_http_date(value)
    return datetime.combine(parse_date(value), DAY_TIME)


def parse_http_date(text: str) -> datetime:
    """An RFC 1123 date as Memento's Accept-Datetime carries it (``Wed, 16 Jun 2021 10:00:00 GMT``)."""
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"not an HTTP date: {text!r}") from None
    if moment is None:
        raise ValueError(f"not an HTTP date: {text!r}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
