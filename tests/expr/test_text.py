"""Text functions: padding, cutting, case, transliteration, substrings."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erengine.expr import ExpressionError
from erengine.expr.functions.text import (
    EPC_CHARACTERS,
    SWIFT_X_CHARACTERS,
    digits,
    epc,
    lower,
    lpad,
    pad,
    replace,
    rpad,
    strip,
    substr,
    swift_x,
    to_ascii,
    truncate_to,
    upper,
)

Evaluate = Callable[..., Any]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("ACME", 6), "ACME  "),
        (("ACME", 6, "*", "right"), "**ACME"),
        (("AB", 7, ".", "center"), "..AB..."),
        ((42, 5, "0", "right"), "00042"),
        ((Decimal("1.50"), 6, " ", "right"), "  1.50"),
        (("", 0), ""),
    ],
)
def test_pad(args: tuple[Any, ...], expected: str) -> None:
    assert pad(*args) == expected


def test_pad_refuses_to_cut() -> None:
    with pytest.raises(ExpressionError) as caught:
        pad("TOO LONG", 3)
    assert caught.value.code == "EXP105"
    assert "truncate_to" in (caught.value.hint or "")


@pytest.mark.parametrize(("fill", "align"), [("", "left"), ("ab", "left"), (" ", "middle")])
def test_pad_checks_its_options(fill: str, align: Any) -> None:
    with pytest.raises(ExpressionError):
        pad("x", 3, fill, align)


def test_lpad_and_rpad() -> None:
    assert lpad(7, 3, "0") == "007"
    assert rpad("AB", 4) == "AB  "


def test_truncate_to() -> None:
    assert truncate_to("ABCDEF", 3) == "ABC"
    assert truncate_to("AB", 3) == "AB"
    with pytest.raises(ExpressionError):
        truncate_to("AB", -1)


def test_upper_and_lower() -> None:
    assert upper("Straße") == "STRASSE"
    assert lower("ACME") == "acme"


def test_strip() -> None:
    assert strip("  x  ") == "x"
    assert strip("00120", "0") == "12"


def test_replace() -> None:
    assert replace("a-b-c", "-", "") == "abc"
    with pytest.raises(ExpressionError):
        replace("abc", "", "x")


def test_substr_is_zero_based() -> None:
    assert substr("ABCDEF", 1, 3) == "BCD"
    assert substr("ABCDEF", 4) == "EF"
    assert substr("AB", 5, 2) == ""
    with pytest.raises(ExpressionError):
        substr("AB", -1)


def test_digits() -> None:
    assert digits("021-000 021") == "021000021"
    assert digits("١٢٣") == ""  # only ASCII digits count


@pytest.mark.parametrize(
    ("text", "style", "expected"),
    [
        ("Müller Straße", "plain", "Muller Strasse"),
        ("Müller Straße", "german", "Mueller Strasse"),
        ("Ærø Łódź", "plain", "AEro Lodz"),
        ("Crème brûlée", "plain", "Creme brulee"),
        ("Ωmega", "plain", "mega"),
        ("plain ascii", "german", "plain ascii"),
    ],
)
def test_ascii(text: str, style: Any, expected: str) -> None:
    assert to_ascii(text, style) == expected


def test_ascii_replacement_and_style_check() -> None:
    assert to_ascii("Ωmega 日本", replacement="?") == "?mega ??"
    with pytest.raises(ExpressionError):
        to_ascii("x", "french")  # type: ignore[arg-type]


def test_swift_x() -> None:
    assert swift_x("Müller & Söhne_GmbH; Nr. #5") == "Muller + Sohne-GmbH, Nr. .5"
    assert swift_x("line1\r\nline2") == "line1\r\nline2"
    assert swift_x("a@b", replacement=" ") == "a b"


def test_epc() -> None:
    assert epc("Zoë's café €5") == "Zoe's cafe EUR5"
    assert epc("a\nb") == "a.b"


def test_functions_work_as_filters_and_calls(evaluate: Evaluate) -> None:
    scope = {"name": "Müller"}
    assert evaluate("{{ name | ascii(style='german') | upper | pad(10) }}", scope) == "MUELLER   "
    assert evaluate("{{ pad(ascii(name), 8, '*', 'right') }}", scope) == "**Muller"


@given(st.text(max_size=30), st.integers(min_value=0, max_value=40))
def test_rpad_then_strip_round_trips(text: str, extra: int) -> None:
    clean = text.strip()
    assert strip(rpad(clean, len(clean) + extra)) == clean


@given(st.text(alphabet="0123456789", max_size=20), st.integers(min_value=0, max_value=20))
def test_lpad_with_zeros_then_int_round_trips(number_text: str, extra: int) -> None:
    value = int(number_text or "0")
    assert int(lpad(value, len(str(value)) + extra, "0")) == value


@given(st.text(max_size=50))
def test_restricted_sets_hold_after_mapping(text: str) -> None:
    assert set(swift_x(text)) <= SWIFT_X_CHARACTERS
    assert set(epc(text)) <= EPC_CHARACTERS
    assert to_ascii(text).isascii()
