"""Each leaf type: JSON form in, typed value out, and the problem codes of bad values."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from erengine.model.charsets import CHARSETS
from erengine.model.leaves import (
    BooleanType,
    CodeType,
    DateTimeType,
    DateType,
    DecimalType,
    IntegerType,
    LeafType,
    MoneyType,
    TextType,
    ValueProblem,
)

USD = MoneyType(currency="USD")
BY_FIELD = MoneyType(currency_field="currency")


@pytest.mark.parametrize(
    ("leaf", "given", "typed", "back"),
    [
        (TextType(max_length=5), "abc", "abc", "abc"),
        (USD, "12.5", Decimal("12.50"), "12.50"),
        (USD, 12, Decimal("12.00"), "12.00"),
        (USD, Decimal("0.1"), Decimal("0.10"), "0.10"),
        (MoneyType(scale=3), "-1.5", Decimal("-1.500"), "-1.500"),
        (DecimalType(), "1.23456", Decimal("1.23456"), "1.23456"),
        (DecimalType(scale=2), "7", Decimal("7.00"), "7.00"),
        (IntegerType(minimum=0), 7, 7, 7),
        (BooleanType(), False, False, False),
        (DateType(), "2024-02-29", date(2024, 2, 29), "2024-02-29"),
        (DateType(), date(2024, 1, 2), date(2024, 1, 2), "2024-01-02"),
        (DateTimeType(), "2024-01-02T03:04", datetime(2024, 1, 2, 3, 4), "2024-01-02T03:04:00"),
        (
            DateTimeType(timezone="aware"),
            "2024-01-02T03:04:05Z",
            datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            "2024-01-02T03:04:05+00:00",
        ),
        (CodeType(frozenset({"credit", "debit"})), "debit", "debit", "debit"),
    ],
)
def test_json_form_to_typed_and_back(leaf: LeafType, given: Any, typed: Any, back: Any) -> None:
    value = leaf.from_json(given, {})
    assert value == typed
    assert type(value) is type(typed)
    assert leaf.to_json(value) == back


def test_money_keeps_its_exponent_in_json() -> None:
    assert USD.to_json(USD.from_json("100", {})) == "100.00"
    jpy = MoneyType(currency="JPY")
    assert jpy.to_json(jpy.from_json("100", {})) == "100"


def test_money_takes_its_decimals_from_the_sibling_currency() -> None:
    assert BY_FIELD.from_json("5", {"currency": "BHD"}) == Decimal("5.000")
    problem = _problem(BY_FIELD, "5.5", {"currency": "JPY"})
    assert problem.code == "VAL107"
    assert "never rounded" in problem.message


def test_money_with_an_unknown_currency_leaves_the_judgement_to_the_currency_field() -> None:
    assert BY_FIELD.from_json("5.12345", {"currency": "XXX"}) == Decimal("5.12345")


@pytest.mark.parametrize(
    ("leaf", "given", "code"),
    [
        (TextType(max_length=3), "abcd", "VAL104"),
        (TextType(), "", "VAL104"),
        (TextType(), "a\nb", "VAL105"),
        (TextType(charset=CHARSETS["swift-x"]), "a_b", "VAL105"),
        (TextType(charset=CHARSETS["digits"]), "12a", "VAL105"),
        (TextType(charset=CHARSETS["ascii"]), "é", "VAL105"),
        (TextType(pattern=re.compile("^[0-9]{3}$")), "1234", "VAL106"),
        (TextType(), 12, "VAL101"),
        (USD, 12.5, "VAL108"),
        (USD, "12.505", "VAL107"),
        (USD, "1e3", "VAL101"),
        (USD, " 12", "VAL101"),
        (USD, True, "VAL101"),
        (USD, "NaN", "VAL101"),
        (MoneyType(currency="USD", max_digits=4), "123.45", "VAL110"),
        (MoneyType(currency="USD", minimum=Decimal(0)), "-0.01", "VAL113"),
        (DecimalType(scale=1), "1.25", "VAL107"),
        (IntegerType(maximum=9), 10, "VAL113"),
        (IntegerType(), True, "VAL101"),
        (IntegerType(), "12", "VAL101"),
        (BooleanType(), "true", "VAL101"),
        (DateType(), "2024-02-30", "VAL112"),
        (DateType(), "20240102", "VAL112"),
        (DateType(), datetime(2024, 1, 2), "VAL101"),
        (DateTimeType(), "2024-01-02 03:04", "VAL112"),
        (DateTimeType(timezone="naive"), "2024-01-02T03:04:05+01:00", "VAL111"),
        (DateTimeType(timezone="aware"), "2024-01-02T03:04:05", "VAL111"),
        (CodeType(frozenset({"A"})), "B", "VAL109"),
        (CodeType(frozenset({"NO"})), False, "VAL101"),
    ],
)
def test_bad_values_are_named_problems(leaf: LeafType, given: Any, code: str) -> None:
    assert _problem(leaf, given, {}).code == code


def test_a_float_amount_gets_a_hint_to_quote_it() -> None:
    problem = _problem(USD, 0.1, {})
    assert problem.hint == 'quote the number: "12.50"'


def test_text_form_for_csv_cells() -> None:
    assert IntegerType().from_text("42") == 42
    assert IntegerType().from_text("4x") == "4x"  # left for the type check to report
    assert BooleanType().from_text("true") is True
    assert BooleanType().to_text(False) == "false"
    assert USD.to_text(Decimal("1.50")) == "1.50"
    assert DateType().to_text(date(2024, 1, 2)) == "2024-01-02"


def test_avro_forms() -> None:
    assert USD.to_avro(Decimal("1.50")) == "1.50"
    assert USD.from_avro("1.50") == Decimal("1.50")
    moment = datetime(2024, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=2)))
    either = DateTimeType()
    assert either.from_avro(either.to_avro(moment)) == moment
    assert DateTimeType(timezone="naive").avro_type()["logicalType"] == "local-timestamp-micros"
    assert DateTimeType(timezone="aware").avro_type()["logicalType"] == "timestamp-micros"


def _problem(leaf: LeafType, given: Any, record: dict[str, Any]) -> ValueProblem:
    with pytest.raises(ValueProblem) as caught:
        leaf.from_json(given, record)
    return caught.value
