"""Dates: locale-free formatting and strict parsing, exact inverses; time from the context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erengine.expr import ExpressionError
from erengine.expr.functions.dates import (
    format_date,
    format_datetime,
    now,
    parse_date,
    parse_datetime,
    today,
)

Evaluate = Callable[..., Any]
DAY = dt.date(2024, 2, 29)
MOMENT = dt.datetime(2024, 2, 29, 13, 5, 9, 120)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("%Y%m%d", "20240229"),
        ("%y%m%d", "240229"),
        ("%d.%m.%Y", "29.02.2024"),
        ("%y%j", "24060"),
        ("100%%", "100%"),
    ],
)
def test_date(fmt: str, expected: str) -> None:
    assert format_date(DAY, fmt) == expected


def test_date_of_a_datetime_and_refusals() -> None:
    assert format_date(MOMENT, "%Y-%m-%d") == "2024-02-29"
    with pytest.raises(ExpressionError):
        format_date(DAY, "%H%M")  # a date has no time
    with pytest.raises(ExpressionError):
        format_date(DAY, "%B")  # locale-dependent codes are not offered
    with pytest.raises(ExpressionError):
        format_date("2024-02-29", "%Y")


def test_datetime() -> None:
    assert format_datetime(MOMENT, "%Y-%m-%dT%H:%M:%S.%f") == "2024-02-29T13:05:09.000120"
    with pytest.raises(ExpressionError):
        format_datetime(DAY, "%Y")


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("20240229", "%Y%m%d", DAY),
        ("240229", "%y%m%d", DAY),
        ("24060", "%y%j", DAY),
        ("2024-02", "%Y-%m", dt.date(2024, 2, 1)),
        ("24366", "%y%j", dt.date(2024, 12, 31)),
    ],
)
def test_parse_date(text: str, fmt: str, expected: dt.date) -> None:
    assert parse_date(text, fmt) == expected


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("20230229", "%Y%m%d"),  # not a leap year
        ("2024229", "%Y%m%d"),  # too short: every code has a fixed width
        ("20240229 ", "%Y%m%d"),
        ("0229", "%m%d"),  # no year
        ("20240229", "%Y%m%d%H"),
        ("23366", "%y%j"),  # 2023 has 365 days
        ("24000", "%y%j"),
    ],
)
def test_parse_date_refuses(text: str, fmt: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_date(text, fmt)
    assert caught.value.code == "EXP105"


def test_parse_datetime() -> None:
    assert parse_datetime("2024-02-29 13:05", "%Y-%m-%d %H:%M") == dt.datetime(2024, 2, 29, 13, 5)
    with pytest.raises(ExpressionError):
        parse_datetime("2024-02-29 25:00", "%Y-%m-%d %H:%M")


def test_today_and_now_come_from_the_context() -> None:
    context = {"now": MOMENT}
    assert now(context) == MOMENT
    assert today(context) == DAY
    with pytest.raises(ExpressionError) as caught:
        today({})
    assert caught.value.code == "EXP101"


def test_missing_run_context_is_named(evaluate: Evaluate) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate("{{ today() }}")
    assert "'context' is not defined" in caught.value.message


def test_dates_in_expressions(evaluate: Evaluate) -> None:
    scope = {"batch": {"effective": DAY}, "context": {"now": MOMENT}}
    assert evaluate("{{ batch.effective | date('%y%m%d') }}", scope) == "240229"
    assert evaluate("{{ datetime(now(), '%H%M') }}", scope) == "1305"
    assert evaluate("{{ parse_date('240229', '%y%m%d') == batch.effective }}", scope)


DATE_FORMATS = ["%Y%m%d", "%y%m%d", "%d/%m/%Y", "%Y-%j", "%m%d%y"]
DATETIME_FORMATS = ["%Y%m%d%H%M%S", "%Y-%m-%dT%H:%M:%S.%f", "%y%m%d%H%M%S%f"]


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(DATE_FORMATS))  # fmt: skip
def test_parse_date_inverts_date(day: dt.date, fmt: str) -> None:
    assert parse_date(format_date(day, fmt), fmt) == day


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_four_digit_years_round_trip_everywhere(day: dt.date) -> None:
    assert parse_date(format_date(day, "%Y%m%d"), "%Y%m%d") == day


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)),
       st.sampled_from(DATETIME_FORMATS))  # fmt: skip
def test_parse_datetime_inverts_datetime(moment: dt.datetime, fmt: str) -> None:
    # a format keeps what it has codes for; these all have seconds, some microseconds
    kept = moment if "%f" in fmt else moment.replace(microsecond=0)
    assert parse_datetime(format_datetime(moment, fmt), fmt) == kept
