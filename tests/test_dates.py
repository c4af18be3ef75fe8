"""Citation dates in the forms briefings use, and the refusals that keep a wrong guess out."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoarchive.core.dates import parse_date, parse_datetime, parse_http_date, parse_timestamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-06-15", date(2021, 6, 15)),
        ("2021-06-15T23:30:00+03:00", date(2021, 6, 15)),  # the date as written, not UTC's
        ("16. Juni 2021", date(2021, 6, 16)),
        ("1. März 2021", date(2021, 3, 1)),
        ("7 June 2021", date(2021, 6, 7)),
        ("7th June 2021", date(2021, 6, 7)),
        ("June 7, 2021", date(2021, 6, 7)),
        ("7 Jun. 2021", date(2021, 6, 7)),
        ("15.06.2021", date(2021, 6, 15)),
        ("5.6.2021", date(2021, 6, 5)),
        ("16 июня 2021", date(2021, 6, 16)),
        ("16 июня 2021 г.", date(2021, 6, 16)),
        ("1 МАЯ 2021 года", date(2021, 5, 1)),
        ("2021年6月15日", date(2021, 6, 15)),
        ("20210615", date(2021, 6, 15)),
        ("  16.  Juni   2021 ", date(2021, 6, 16)),
    ],
)
def test_briefing_forms(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "yesterday", "06/07/2021", "32.01.2021", "2021-02-30", "7 Juno 2021", "2021", "x" * 500, "15.06.21"],
)
def test_unusable_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_moments() -> None:
    noon = datetime(2021, 6, 16, 12, tzinfo=UTC)
    assert parse_datetime("16. Juni 2021") == noon  # a day stands for its middle
    assert parse_datetime("2021-06-16T10:00:00") == datetime(2021, 6, 16, 10, tzinfo=UTC)
    assert parse_datetime("2021-06-16T13:00:00+03:00") == datetime(2021, 6, 16, 10, tzinfo=UTC)
    assert parse_datetime("2021-06-16T10:00:00.5Z") == datetime(2021, 6, 16, 10, 0, 0, 500000, tzinfo=UTC)
    assert parse_datetime("Wed, 16 Jun 2021 10:00:00 GMT") == datetime(2021, 6, 16, 10, tzinfo=UTC)
    assert parse_datetime("20210616100000") == datetime(2021, 6, 16, 10, tzinfo=UTC)
    assert parse_datetime("2021") == datetime(2021, 1, 1, tzinfo=UTC)


def test_wayback_timestamps() -> None:
    assert parse_timestamp("20210615") == datetime(2021, 6, 15, tzinfo=UTC)
    assert parse_timestamp("202106") == datetime(2021, 6, 1, tzinfo=UTC)
    assert parse_timestamp("20210615123456000042") == datetime(2021, 6, 15, 12, 34, 56, 42, tzinfo=UTC)
    for bad in ("", "123", "2021x", "20211301000000", "2" * 21, "20210615246000"):
        with pytest.raises(ValueError):
            parse_timestamp(bad)


def test_http_dates() -> None:
    with pytest.raises(ValueError):
        parse_http_date("garbage")
    with pytest.raises(ValueError):
        parse_http_date("Wed, 99 Jun 2021 10:00:00 GMT")


@given(st.text(max_size=40))
def test_anything_else_is_a_value_error(text: str) -> None:
    for parse in (parse_date, parse_datetime, parse_timestamp, parse_http_date):
        with contextlib.suppress(ValueError):
            parse(text)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_round_trips(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d.%m.%Y")) == day
    assert parse_date(f"{day.day} {day.strftime('%B')} {day.year}") == day
