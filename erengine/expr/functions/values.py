"""Conversions between value kinds: ``int``, ``str`` and ``default`` for optional data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jinja2 import Undefined

from erengine.expr.errors import INVALID_VALUE, ExpressionError
from erengine.expr.functions.coerce import as_text, wrong_type


def to_int(value: Any) -> int:
    """A whole number from text ('0042' -> 42), an int, or a Decimal without fraction."""
    if isinstance(value, str):  # first: digits cut from a record are the usual input
        text = value.strip()
    elif isinstance(value, bool):
        raise wrong_type("int", "text or a number", value)
    elif isinstance(value, int):
        return value
    elif isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ExpressionError(
                INVALID_VALUE,
                f"int: {value} has a fraction",
                hint="round it first: round(value) or round(value, rounding='half-up')",
            )
        return int(value)
    else:
        raise wrong_type("int", "text or a number", value)
    if not text.lstrip("+-").isdigit() or not text.isascii():
        raise ExpressionError(INVALID_VALUE, f"int: {value!r} is not a whole number")
    return int(text)


def to_str(value: Any) -> str:
    """Text of a value: numbers in plain notation, None as ''; dates ISO-formatted."""
    if value is None:
        return ""
    if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool):
        return as_text(value, "str")
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def default(value: Any, fallback: Any = "", boolean: bool = False) -> Any:
    """``fallback`` when the value is missing (an absent optional field), else the value.

    With ``boolean=true`` a None or empty value is replaced too.
    """
    if isinstance(value, Undefined) or (boolean and not value):
        return fallback
    return value
