"""Leaf codecs: each encodes and decodes, and decode(encode(v)) == v for every value it takes."""

from __future__ import annotations

import datetime as dt
import itertools
import string
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from erengine.codecs.leaf import LeafCodec, LeafError, parse_leaf_spec
from erengine.codecs.records.access import combine_date_and_time
from erengine.expr.functions.amounts import amount as format_amount
from erengine.expr.functions.amounts import parse_amount
from erengine.expr.functions.checks import aba_check_digit

routing = st.text(string.digits, min_size=8, max_size=8).map(
    lambda eight: eight + str(aba_check_digit(eight))
)


def round_trips(codec: LeafCodec, value: Any) -> None:
    assert codec.decode(codec.encode(value)) == value


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
@example(Decimal("-0.01"))
def test_amount_implied_with_leading_sign(value: Decimal) -> None:
    round_trips(parse_leaf_spec("amount(decimals=2, implied=true)"), value)


@given(st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False))
def test_amount_with_decimal_comma(value: Decimal) -> None:
    codec = parse_leaf_spec("amount(decimals=3, implied=false, decimal_sep=',')")
    assert "," in codec.encode(value)
    round_trips(codec, value)


def test_amount_never_rounds() -> None:
    codec = parse_leaf_spec("amount(decimals=2, implied=true)")
    assert codec.encode(Decimal("12.50")) == "1250"
    with pytest.raises(LeafError):
        codec.encode(Decimal("12.505"))
    with pytest.raises(LeafError):
        codec.encode(1.5)  # float never touches an amount
    with pytest.raises(LeafError):
        parse_leaf_spec("amount(decimals=2, implied=true, sign='none')").encode(Decimal("-1"))


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
@example(Decimal("-0.10"))
@example(Decimal("0.00"))
def test_zoned_overpunch(value: Decimal) -> None:
    round_trips(parse_leaf_spec("zoned(decimals=2)"), value)


def test_zoned_matches_ebcdic_zoned_bytes() -> None:
    codec = parse_leaf_spec("zoned(decimals=2)")
    assert codec.encode(Decimal("12.34")) == "123D"
    assert codec.encode(Decimal("-12.34")) == "123M"
    assert codec.encode(Decimal("-12.34")).encode("cp037") == b"\xf1\xf2\xf3\xd4"
    assert codec.decode(b"\xf1\xf2\xf3\xc4".decode("cp037")) == Decimal("12.34")


@given(st.integers(-(10**15), 10**15))
def test_integer(value: int) -> None:
    round_trips(parse_leaf_spec("integer()"), value)


def test_integer_refuses_non_digits() -> None:
    with pytest.raises(LeafError):
        parse_leaf_spec("integer()").decode("12a")


@given(st.text(string.digits, min_size=1, max_size=20))
def test_digits_keep_leading_zeros(text: str) -> None:
    round_trips(parse_leaf_spec("digits()"), text)


@given(routing)
def test_routing_numbers_whole_and_eight_digits(number: str) -> None:
    round_trips(parse_leaf_spec("aba()"), number)
    eight = parse_leaf_spec("aba(digits=8)")
    assert eight.encode(number) == number[:8]
    assert eight.decode(number[:8]) == number


def test_routing_number_with_wrong_check_digit_is_refused() -> None:
    with pytest.raises(LeafError):
        parse_leaf_spec("aba()").decode("011000016")
    with pytest.raises(LeafError):
        parse_leaf_spec("aba(digits=8)").encode("011000016")


@given(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)))
def test_dates_with_two_digit_years_stay_in_this_century(day: dt.date) -> None:
    round_trips(parse_leaf_spec("date('%y%m%d')"), day)


@given(st.times().map(lambda t: t.replace(second=0, microsecond=0)))
def test_times(moment: dt.time) -> None:
    round_trips(parse_leaf_spec("time('%H%M')"), moment)


def test_time_of_a_datetime_and_bad_dates() -> None:
    assert parse_leaf_spec("time('%H%M')").encode(dt.datetime(2024, 1, 2, 9, 5)) == "0905"
    with pytest.raises(LeafError):
        parse_leaf_spec("date('%y%m%d')").decode("240230")
    with pytest.raises(LeafError):
        parse_leaf_spec("date('%y%m%d')").encode("2024-01-01")


@given(st.text(string.ascii_letters + " ", max_size=30))
def test_text(value: str) -> None:
    round_trips(parse_leaf_spec("text()"), value)


def test_text_upper_and_charset() -> None:
    assert parse_leaf_spec("text(upper=true)").encode("Acme") == "ACME"
    with pytest.raises(LeafError):
        parse_leaf_spec("text(charset='ABC')").encode("ABD")


@given(st.sampled_from([("credit", "checking"), ("debit", "savings")]))
def test_table_of_several_values(row: tuple[str, str]) -> None:
    codec = parse_leaf_spec(
        "table({'22': ['credit', 'checking', null], '37': ['debit', 'savings', null]})"
    )
    assert codec.decode(codec.encode((*row, None))) == (*row, None)
    assert codec.encode((*row, False)) == codec.encode((*row, None))  # absent flag = false


@given(st.booleans())
def test_bool(value: bool) -> None:
    round_trips(parse_leaf_spec("bool(true='Y', false='N')"), value)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("amount(decimals=2", "is not a codec call"),
        ("amountt()", "unknown codec `amountt`"),
        ("amount(decimals=x)", "literal values"),
        ("amount(places=2)", "wrong arguments"),
        ("__import__('os')", "unknown codec"),
        ("text().upper", "does not name a codec"),
    ],
)
def test_codec_specs_are_parsed_never_evaluated(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_leaf_spec(spec)


@given(
    st.integers(0, 2).flatmap(
        lambda places: st.decimals(min_value=0, max_value=10**8, places=places, allow_nan=False)
    )
)
def test_the_quick_amount_path_agrees_with_the_function_library(value: Decimal) -> None:
    codec = parse_leaf_spec("amount(decimals=2, implied=true, sign='none')")
    text = codec.encode(value)
    assert text == format_amount(value, decimals=2, implied=True, sign="none")
    assert codec.decode(text.rjust(10, "0")) == parse_amount(
        text.rjust(10, "0"), decimals=2, implied=True, sign="none"
    )
    assert str(codec.decode(text)) == str(parse_amount(text, decimals=2, implied=True))


@given(minutes=st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59))
def test_utc_offsets_round_trip_as_swift_writes_them(minutes: int) -> None:
    codec = parse_leaf_spec("utc_offset()")
    zone = dt.timezone(dt.timedelta(minutes=minutes))
    text = codec.encode(dt.datetime(2024, 1, 3, 17, 45, tzinfo=zone))
    assert len(text) == 5 and text[0] == ("-" if minutes < 0 else "+")
    assert codec.decode(text) == zone


@pytest.mark.parametrize(
    "text", ["0100", "+01:00", "+2400", "+0160", "+01a0", "+\uff10\uff11\uff10\uff10", "+"]
)
def test_malformed_utc_offsets_are_refused(text: str) -> None:
    with pytest.raises(LeafError, match="a UTC offset like"):
        parse_leaf_spec("utc_offset()").decode(text)


def test_a_naive_datetime_has_no_utc_offset_unless_the_format_says_which() -> None:
    naive = dt.datetime(2024, 1, 3, 17, 45)
    with pytest.raises(LeafError, match="a datetime with a UTC offset"):
        parse_leaf_spec("utc_offset()").encode(naive)
    assert parse_leaf_spec("utc_offset(naive='+0100')").encode(naive) == "+0100"
    with pytest.raises(ValueError, match="UTC offset like"):
        parse_leaf_spec("utc_offset(naive='CET')")


def test_date_time_and_offset_fields_make_one_aware_datetime_in_any_order() -> None:
    day, clock, zone = dt.date(2024, 1, 3), dt.time(17, 45), dt.timezone(dt.timedelta(hours=1))
    expected = dt.datetime(2024, 1, 3, 17, 45, tzinfo=zone)
    for first, second, third in itertools.permutations((day, clock, zone)):
        assert combine_date_and_time(combine_date_and_time(first, second), third) == expected
