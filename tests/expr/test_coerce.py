"""Conversions shared by the library functions."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from erengine.expr.functions.coerce import decimal_text

scaled = st.builds(
    lambda digits, exponent: Decimal(digits).scaleb(exponent),
    st.integers(-(10**30), 10**30),
    st.integers(-40, 40),
)


@given(st.decimals() | scaled)
@example(Decimal("1E+2"))
@example(Decimal("0E-7"))
@example(Decimal("-0.00"))
@example(Decimal("-sNaN12"))
def test_decimal_text_is_plain_notation(value: Decimal) -> None:
    assert decimal_text(value) == format(value, "f")
