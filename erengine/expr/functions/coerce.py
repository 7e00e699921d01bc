"""Checked conversions of the values functions receive, with messages that name the function.

Model data is typed (``str``, ``int``, ``Decimal``, ``date`` ...); a function that receives the
wrong kind of value says which function, what it expected and what it found, instead of letting
a Python ``TypeError`` escape or, worse, silently converting a float into an amount.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jinja2 import Undefined

from erengine.expr.errors import WRONG_TYPE, ExpressionError


def describe(value: Any) -> str:
    """A short description of a value for error messages: its type and a clipped repr."""
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def wrong_type(function: str, expected: str, value: Any) -> ExpressionError:
    """The error for a value of the wrong kind; a missing value reports what is missing."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # raises UndefinedError naming the missing name
    return ExpressionError(WRONG_TYPE, f"{function}: expected {expected}, found {describe(value)}")


def decimal_text(value: Decimal) -> str:
    """A Decimal in plain notation: ``Decimal('1E+2')`` is '100', never '1E+2'."""
    if type(value) is Decimal:
        # str() is what format(value, "f") gives whenever it has no exponent, and twice as fast
        text = str(value)
        if "E" not in text:
            return text
    return format(value, "f")


def as_text(value: Any, function: str) -> str:
    """Text, or a number written plainly; anything else (None, dates, lists) is refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise wrong_type(function, "text or a number", value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return decimal_text(value)
    raise wrong_type(function, "text or a number", value)


def as_int(value: Any, function: str) -> int:
    """An integer argument (a width, a position, a count); bools and fractions are refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise wrong_type(function, "a whole number", value)


def as_number(value: Any, function: str) -> int | Decimal:
    """An exact number; floats are refused because money never touches a float."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        raise ExpressionError(
            WRONG_TYPE,
            f"{function}: found the float {value!r}; amounts must be Decimal",
            hint="convert text with dec('1.50')",
        )
    raise wrong_type(function, "a number", value)
