"""SWIFT values (decimals, month-day dates, IBAN or account), lenient decimals, sub-fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erengine.codecs.leaf import LeafError
from erengine.codecs.swift import compile_notation
from erengine.codecs.swift.subfields import SubfieldScheme, compile_key_pattern
from erengine.codecs.swift.values import SwiftDecimalCodec, month_day_near, month_end, swift_leaf
from erengine.errors import DataPosition, ParseError

AT = DataPosition(file="f.sta", line=1, column=5)


@given(st.decimals(min_value=0, max_value=Decimal("9" * 12), places=2))
def test_a_decimal_survives_encode_then_decode(value: Decimal) -> None:
    codec = SwiftDecimalCodec()
    assert codec.decode(codec.encode(value)) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("500"), "500,"), (Decimal("500.00"), "500,00"), (Decimal("0.5"), "0,5")],
)
def test_decimals_are_written_with_their_own_digits(value: Decimal, text: str) -> None:
    assert SwiftDecimalCodec().encode(value) == text


def test_a_negative_amount_is_refused_the_mark_says_the_side() -> None:
    with pytest.raises(LeafError):
        SwiftDecimalCodec().encode(Decimal("-1"))


def test_lenient_decimals_read_a_missing_comma_only_when_asked() -> None:
    strict = compile_notation("15d1!a", parts=["amount", "type"])
    lenient = compile_notation("15d1!a", parts=["amount", "type"], lenient_decimals=True)
    assert lenient.read("500N", position=AT) == {"amount": "500", "type": "N"}
    assert lenient.read("500,25N", position=AT) == {"amount": "500,25", "type": "N"}
    with pytest.raises(ParseError) as caught:
        strict.read("500N", position=AT)
    assert caught.value.code == "PRS326"


@pytest.mark.parametrize(
    ("text", "anchor", "expected"),
    [
        ("0103", dt.date(2024, 1, 2), dt.date(2024, 1, 3)),
        ("1231", dt.date(2024, 1, 2), dt.date(2023, 12, 31)),
        ("0102", dt.date(2023, 12, 30), dt.date(2024, 1, 2)),
        ("0229", dt.date(2024, 3, 1), dt.date(2024, 2, 29)),
    ],
)
def test_an_entry_date_takes_the_year_nearest_the_value_date(
    text: str, anchor: dt.date, expected: dt.date
) -> None:
    assert month_day_near(text, anchor) == expected


def test_an_impossible_month_day_is_refused() -> None:
    with pytest.raises(LeafError):
        month_day_near("0230", dt.date(2024, 2, 1))


def test_iban_or_number_sends_an_iban_to_the_first_path() -> None:
    codec = swift_leaf("iban_or_number()", decimal=False)
    assert codec.decode("NL91ABNA0417164300") == ("NL91ABNA0417164300", None)
    assert codec.decode("50880050/0194787400888") == (None, "50880050/0194787400888")


def test_the_splitter_cuts_only_at_listed_keys_and_unwraps_lines() -> None:
    scheme = SubfieldScheme(
        "dk",
        compile_key_pattern("?", "", ("20", "21", "32")),
        unwrap=True,
        leading=None,
        targets=(),
    )
    leading, pieces = scheme.split("166?20EREF+X?99 not a key?2\n1SVWZ+Y?32NAME")
    assert leading == "166"
    assert pieces == [("20", "EREF+X?99 not a key"), ("21", "SVWZ+Y"), ("32", "NAME")]


@given(st.text(alphabet="?/>+0123456789ABCDEFX \n", max_size=400))
def test_the_splitter_loses_no_character(text: str) -> None:
    scheme = SubfieldScheme(
        "dk",
        compile_key_pattern("?", "", ("20", "21", "2")),
        unwrap=False,
        leading=None,
        targets=(),
    )
    leading, pieces = scheme.split(text)
    rebuilt = leading + "".join(f"?{key}{value}" for key, value in pieces)
    assert rebuilt == text


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("%y%m%d", "160230", dt.date(2016, 2, 29)),
        ("%y%m%d", "150231", dt.date(2015, 2, 28)),
        ("%Y-%m-%d", "2024-04-31", dt.date(2024, 4, 30)),
        ("%y%m%d", "160229", None),  # a real date: nothing to tolerate
        ("%y%m%d", "160232", None),  # no month has a 32nd
        ("%y%m%d", "161330", None),  # no 13th month
        ("%y%m%d", "16023", None),
        ("%m%d", "0230", None),  # no year: not a whole date
    ],
)
def test_month_end_takes_only_a_day_past_the_month(
    pattern: str, text: str, expected: dt.date | None
) -> None:
    assert month_end(swift_leaf(f"date('{pattern}')", decimal=False), text) == expected


def test_month_end_is_for_dates_only() -> None:
    assert month_end(swift_leaf("integer()", decimal=False), "160230") is None
