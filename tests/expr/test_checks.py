"""Check digits: ISO 7064 MOD 97-10 (IBAN, RF), Luhn, ABA routing numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erengine.expr import ExpressionError
from erengine.expr.functions.checks import (
    aba_check_digit,
    aba_valid,
    iban_valid,
    luhn,
    luhn_check_digit,
    mod97,
    mod97_check_digits,
)

Evaluate = Callable[..., Any]


def test_mod97() -> None:
    # GB82 WEST 1234 5698 7654 32, rearranged: BBAN + country + check digits
    assert mod97("WEST12345698765432GB82") == 1
    assert mod97("3214282912345698765432161182") == 1
    assert mod97("97") == 0
    with pytest.raises(ExpressionError):
        mod97("AB-12")
    with pytest.raises(ExpressionError):
        mod97("")


def test_mod97_check_digits() -> None:
    assert mod97_check_digits("WEST12345698765432GB") == "82"
    assert mod97_check_digits("370400440532013000DE") == "89"  # DE89 3704 0044 0532 0130 00
    assert mod97_check_digits("539007547034RF") == "18"  # RF18 5390 0754 7034


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("GB82 WEST 1234 5698 7654 32", True),
        ("DE89370400440532013000", True),
        ("de89370400440532013000", True),
        ("DE88370400440532013000", False),
        ("DE8937040044053201300", False),
        ("XX", False),
        ("1289370400440532013000", False),
        ("DE89 3704 0044 0532 0130 0Ä", False),
    ],
)
def test_iban_valid(iban: str, valid: bool) -> None:
    assert iban_valid(iban) is valid


def test_luhn() -> None:
    assert luhn("79927398713")
    assert not luhn("79927398710")
    assert luhn_check_digit("7992739871") == "3"
    with pytest.raises(ExpressionError):
        luhn("12a")


def test_aba_check_digit() -> None:
    assert aba_check_digit("02100002") == 1  # 021000021, JPMorgan Chase
    assert aba_check_digit("01100001") == 5  # 011000015, Federal Reserve Boston
    assert aba_valid("021000021")
    assert not aba_valid("021000022")
    with pytest.raises(ExpressionError):
        aba_check_digit("0210000")


def test_checks_in_expressions(evaluate: Evaluate) -> None:
    scope = {"bank": {"routing": "02100002"}, "iban": "GB82WEST12345698765432"}
    assert evaluate("{{ bank.routing ~ aba_check_digit(bank.routing) }}", scope) == "021000021"
    assert evaluate("{{ iban | iban_valid }}", scope) is True
    assert evaluate("{{ 'RF' ~ mod97_check_digits('539007547034RF') }}") == "RF18"


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=30))
def test_check_digits_make_remainder_one(text: str) -> None:
    assert mod97(text + mod97_check_digits(text)) == 1


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_luhn_check_digit_makes_valid(digits: str) -> None:
    assert luhn(digits + luhn_check_digit(digits))


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_aba_check_digit_makes_valid(routing: str) -> None:
    assert aba_valid(routing + str(aba_check_digit(routing)))
