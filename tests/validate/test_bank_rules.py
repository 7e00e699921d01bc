"""IBAN and BIC checks, against known good and bad values and as a property."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erengine.expr.functions.checks import mod97_check_digits
from erengine.validate.bic import bic_problem
from erengine.validate.iban import IBAN_LENGTHS, iban_problem


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "FR1420041010050500013M02606",
        "GB29NWBK60161331926819",
        "NO9386011117947",
        "CH9300762011623852957",
    ],
)
def test_valid_ibans(iban: str) -> None:
    assert iban_problem(iban) is None


@pytest.mark.parametrize(
    ("iban", "problem"),
    [
        ("DE89370400440532013001", "MOD 97"),
        ("DE8937040044053201300", "22 characters"),
        ("XX89370400440532013000", "country code"),
        ("de89370400440532013000", "capital letters"),
        ("DEAB370400440532013000", "check digits"),
    ],
)
def test_invalid_ibans_say_why(iban: str, problem: str) -> None:
    found = iban_problem(iban)
    assert found is not None
    assert problem in found


@given(
    country=st.sampled_from(sorted(IBAN_LENGTHS)),
    data=st.data(),
)
def test_any_iban_with_computed_check_digits_is_valid(country: str, data: st.DataObject) -> None:
    bban = data.draw(
        st.text(
            string.ascii_uppercase + string.digits,
            min_size=IBAN_LENGTHS[country] - 4,
            max_size=IBAN_LENGTHS[country] - 4,
        )
    )
    iban = country + mod97_check_digits(bban + country) + bban
    assert iban_problem(iban) is None
    wrong = f"{(int(iban[2:4]) - 1) % 97 + 2:02d}"  # the next residue: 98 wraps to 02
    assert iban_problem(iban[:2] + wrong + iban[4:]) is not None


@pytest.mark.parametrize("bic", ["COBADEFFXXX", "COBADEFF", "BNPAFRPP", "DEUTDE2H123"])
def test_valid_bics(bic: str) -> None:
    assert bic_problem(bic) is None


@pytest.mark.parametrize("bic", ["COBADEF", "COBA1EFFXXX", "ABCDEFGHIJ", "COBAQQFF", "cobadeff"])
def test_invalid_bics(bic: str) -> None:
    assert bic_problem(bic) is not None
