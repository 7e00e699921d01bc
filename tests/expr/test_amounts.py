"""Amounts: exact formatting and parsing, explicit rounding, sign conventions, widths."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from erengine.expr import ExpressionError
from erengine.expr.functions.amounts import (
    SIGN_STYLES,
    absolute,
    amount,
    dec,
    parse_amount,
    round_decimal,
)

Evaluate = Callable[..., Any]
D = Decimal


@pytest.mark.parametrize(
    ("value", "options", "expected"),
    [
        (D("12.5"), {"implied": True}, "1250"),
        (D("0.05"), {"implied": True}, "5"),
        (D("12.5"), {}, "12.50"),
        (7, {"decimals": 0}, "7"),
        (D("1234567.891"), {"decimals": 3, "thousands_sep": ","}, "1,234,567.891"),
        (D("1234.5"), {"decimal_sep": ",", "thousands_sep": "."}, "1.234,50"),
        (D("-12.5"), {}, "-12.50"),
        (D("-12.5"), {"sign": "trailing"}, "12.50-"),
        (D("12.5"), {"sign": "trailing"}, "12.50"),
        (D("-12.5"), {"sign": "parens"}, "(12.50)"),
        (D("12.5"), {"sign": "always"}, "+12.50"),
        (D("-0.00"), {"sign": "always"}, "+0.00"),
        (D("12.5"), {"implied": True, "width": 10}, "0000001250"),
        (D("-12.5"), {"width": 8}, "-0012.50"),
        (D("-12.5"), {"width": 8, "pad": " "}, "  -12.50"),
        (D("-1"), {"width": 8, "sign": "parens"}, "(001.00)"),
        (D("1E+2"), {}, "100.00"),
        (D("1.005"), {"rounding": "half-up"}, "1.01"),
        (D("1.005"), {"rounding": "half-even"}, "1.00"),
    ],
)
def test_amount(value: Any, options: dict[str, Any], expected: str) -> None:
    assert amount(value, **options) == expected


@pytest.mark.parametrize(
    ("value", "options"),
    [
        (D("1.005"), {}),  # more decimals than allowed and no rounding named
        (D("-1"), {"sign": "none"}),  # a negative amount cannot be written without a sign
        (D("123456"), {"width": 5}),  # never cut
        (1.5, {}),  # floats never
        ("1.50", {}),  # text must be converted with dec() first
        (D(1), {"sign": "+"}),
        (D(1), {"decimal_sep": ".", "thousands_sep": "."}),
        (D(1), {"decimals": 40}),
        (D(1), {"rounding": "up"}),
        (D("1E+30"), {}),
        (D("NaN"), {}),
        (D("-Infinity"), {"sign": "-"}),
    ],
)
def test_amount_refuses(value: Any, options: dict[str, Any]) -> None:
    with pytest.raises(ExpressionError):
        amount(value, **options)


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("1250", {"implied": True}, D("12.50")),
        ("0000001250", {"implied": True}, D("12.50")),
        ("12.5", {}, D("12.50")),
        (" 12.50 ", {}, D("12.50")),
        ("1.234,50", {"decimal_sep": ",", "thousands_sep": "."}, D("1234.50")),
        ("0001,234.00", {"thousands_sep": ","}, D("1234.00")),
        ("-0012.50", {}, D("-12.50")),
        ("12.50-", {"sign": "trailing"}, D("-12.50")),
        ("(12.50)", {"sign": "parens"}, D("-12.50")),
        ("+12.50", {"sign": "always"}, D("12.50")),
        ("7", {"decimals": 0}, D("7")),
    ],
)
def test_parse_amount(text: str, options: dict[str, Any], expected: Decimal) -> None:
    parsed = parse_amount(text, **options)
    assert parsed == expected
    assert parsed.as_tuple().exponent == expected.as_tuple().exponent


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("", {}),
        ("12,50", {}),
        ("12.505", {}),
        ("1,23,4.00", {"thousands_sep": ","}),
        ("-12", {"sign": "none"}),
        ("12", {"sign": "always"}),
        ("12.5", {"implied": True}),
        ("1 2", {}),
        ("١٢", {}),
    ],
)
def test_parse_amount_refuses(text: str, options: dict[str, Any]) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_amount(text, **options)
    assert caught.value.code == "EXP105"


def test_dec() -> None:
    assert dec("1.50") == D("1.50")
    assert dec(" 7 ") == D(7)
    assert dec(3) == D(3)
    for bad in ("abc", "NaN", "Infinity", 1.5, None):
        with pytest.raises(ExpressionError):
            dec(bad)


def test_round_is_decimal_safe() -> None:
    assert round_decimal(D("2.5")) == D("2")
    assert round_decimal(D("2.5"), rounding="half-up") == D("3")
    assert round_decimal(D("1.2345"), 2) == D("1.23")
    with pytest.raises(ExpressionError):
        round_decimal(2.5)


def test_abs() -> None:
    assert absolute(D("-1.50")) == D("1.50")
    assert absolute(-3) == 3


def test_amount_in_expressions(evaluate: Evaluate) -> None:
    scope = {"amount": D("12.5")}
    assert evaluate("{{ amount | amount(decimals=2, implied=true) }}", scope) == "1250"
    assert evaluate("{{ parse_amount('1250', implied=true) }}") == D("12.50")
    assert evaluate("{{ round(amount * 1.1, 2) }}", scope) == D("13.75")
    assert evaluate("{{ abs(0 - amount) }}", scope) == D("12.5")


OPTION_SETS = st.fixed_dictionaries(
    {
        "decimals": st.integers(min_value=0, max_value=5),
        "implied": st.booleans(),
        "separators": st.sampled_from([(".", ""), (".", ","), (",", "."), (",", " "), (".", "'")]),
        "sign": st.sampled_from(SIGN_STYLES),
        "pad": st.sampled_from([None, "0", " "]),
    }
)


@given(
    options=OPTION_SETS,
    units=st.integers(min_value=-(10**15), max_value=10**15),
)
@example(options={"decimals": 2, "implied": False, "separators": (".", ","),
                  "sign": "-", "pad": "0"}, units=-123456789)  # fmt: skip
def test_parse_amount_inverts_amount(options: dict[str, Any], units: int) -> None:
    decimals = options["decimals"]
    value = Decimal(units).scaleb(-decimals)
    if options["sign"] == "none":
        value = abs(value)
    decimal_sep, thousands_sep = options["separators"]
    shared = {
        "decimals": decimals,
        "implied": options["implied"],
        "decimal_sep": decimal_sep,
        "thousands_sep": thousands_sep,
        "sign": options["sign"],
    }
    written_plain = amount(value, **shared)
    width = (
        {} if options["pad"] is None else {"width": len(written_plain) + 3, "pad": options["pad"]}
    )
    written = amount(value, **shared, **width)
    parsed = parse_amount(written, **shared)
    assert parsed == value
    assert parsed.as_tuple().exponent == -decimals
