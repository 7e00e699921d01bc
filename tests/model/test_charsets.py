"""Named charsets and the code lists shipped in code."""

from __future__ import annotations

import pytest

from erengine.model.charsets import ANY_TEXT, CHARSETS
from erengine.model.code_lists import CODE_LISTS, COUNTRIES, CURRENCY_EXPONENTS


@pytest.mark.parametrize(
    ("name", "inside", "outside"),
    [
        ("ascii", "Hello, World! ~", "é"),
        ("latin-1", "Grüße ÿ", "€"),
        ("swift-x", "ABC abc 123 /-?:().,'+", "&"),
        ("epc", "Payment 12/2025", "_"),
        ("digits", "0123456789", "1a"),
        ("alnum", "ABCxyz019", "A B"),
    ],
)
def test_named_charsets(name: str, inside: str, outside: str) -> None:
    charset = CHARSETS[name]
    assert charset.first_offending(inside) is None
    assert charset.first_offending(outside) is not None


@pytest.mark.parametrize("control", ["\t", "\n", "\r", "\x00", "\x7f", "\x85", "\x9f"])
def test_no_charset_admits_control_characters(control: str) -> None:
    for charset in (ANY_TEXT, *CHARSETS.values()):
        assert charset.first_offending(f"1{control}2") == 1


def test_open_text_takes_any_printable_character() -> None:
    assert ANY_TEXT.first_offending("Zürich 東京 €100 \U0001f600") is None


def test_currency_exponents() -> None:
    expected = {"USD": 2, "EUR": 2, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3}
    expected |= {"TND": 3, "CLF": 4, "CHF": 2}
    assert {code: CURRENCY_EXPONENTS[code] for code in expected} == expected
    assert all(len(code) == 3 and code.isupper() for code in CURRENCY_EXPONENTS)


def test_countries() -> None:
    assert {"US", "DE", "NO", "XK"} <= COUNTRIES
    assert len(COUNTRIES) == 250  # 249 ISO 3166-1 codes and XK
    assert CODE_LISTS["iso3166"] is COUNTRIES
