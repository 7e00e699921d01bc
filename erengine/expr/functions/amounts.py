"""Amounts: Decimal in, text out (``amount``) and text in, Decimal out (``parse_amount``).

The two are exact inverses for every option set: ``parse_amount(amount(x, **o), **o) == x``.
Rounding is never implicit: a value with more decimals than the format allows is an error
unless the author names a rounding mode, because a silently rounded payment is a wrong payment.
A negative value in a format without a sign (``sign='none'``) is an error for the same reason.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal

from erengine.expr.errors import INVALID_VALUE, ExpressionError
from erengine.expr.functions.coerce import as_int, as_number, wrong_type
from erengine.expr.limits import check_length

SignStyle = Literal["-", "none", "trailing", "parens", "always"]
Rounding = Literal["half-even", "half-up"]

SIGN_STYLES: tuple[SignStyle, ...] = ("-", "none", "trailing", "parens", "always")
_ROUNDING_MODES = {"half-even": ROUND_HALF_EVEN, "half-up": ROUND_HALF_UP}
_MAX_DECIMALS = 18
# Digits an amount may have in all: within the default decimal context's precision (28).
_MAX_DIGITS = 28
# 10**-n for each allowed number of decimals, built once: amounts run per record.
_EXPONENTS = tuple(Decimal(1).scaleb(-places) for places in range(_MAX_DECIMALS + 1))


def dec(value: Any) -> Decimal:
    """An exact Decimal from text or an integer: ``dec('1.50')``; floats are refused."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ExpressionError(INVALID_VALUE, f"dec: {value!r} is not a number") from None
        if not result.is_finite():
            raise ExpressionError(INVALID_VALUE, f"dec: {value!r} is not a finite number")
        return result
    return Decimal(as_number(value, "dec"))


def quantize(value: Decimal, decimals: int, rounding: Rounding | None, function: str) -> Decimal:
    """``value`` with exactly ``decimals`` places, rounding only when the author asked for it."""
    exponent = _EXPONENTS[decimals]
    if not value.is_finite() or value.adjusted() + decimals >= _MAX_DIGITS:
        raise ExpressionError(
            INVALID_VALUE, f"{function}: {value} is not an amount with {decimals} decimals"
        )
    if rounding is None:
        exact = value.quantize(exponent)
        if exact != value:
            raise ExpressionError(
                INVALID_VALUE,
                f"{function}: {value} has more than {decimals} decimals",
                hint="round explicitly with rounding='half-even' or rounding='half-up'",
            )
        return exact
    if rounding not in _ROUNDING_MODES:
        raise ExpressionError(
            INVALID_VALUE,
            f"{function}: rounding must be 'half-even' or 'half-up', found {rounding!r}",
        )
    return value.quantize(exponent, rounding=_ROUNDING_MODES[rounding])


def _check_decimals(decimals: int, function: str) -> int:
    decimals = as_int(decimals, function)
    if not 0 <= decimals <= _MAX_DECIMALS:
        raise ExpressionError(
            INVALID_VALUE, f"{function}: decimals must be 0..{_MAX_DECIMALS}, found {decimals}"
        )
    return decimals


def _check_separators(decimal_sep: str, thousands_sep: str, function: str) -> None:
    if len(decimal_sep) != 1 or len(thousands_sep) > 1 or decimal_sep == thousands_sep:
        raise ExpressionError(
            INVALID_VALUE,
            f"{function}: decimal_sep must be one character and thousands_sep at most one, "
            f"and they must differ; found {decimal_sep!r} and {thousands_sep!r}",
        )
    if decimal_sep.isdigit() or thousands_sep.isdigit() or "-" in (decimal_sep, thousands_sep):
        raise ExpressionError(INVALID_VALUE, f"{function}: separators cannot be digits or '-'")


def _check_sign(sign: str, function: str) -> None:
    if sign not in SIGN_STYLES:
        raise ExpressionError(
            INVALID_VALUE,
            f"{function}: sign must be one of {', '.join(map(repr, SIGN_STYLES))}, found {sign!r}",
        )


def _group_thousands(integer_digits: str, separator: str) -> str:
    if not separator:
        return integer_digits
    head = len(integer_digits) % 3 or 3
    groups = [integer_digits[:head]]
    groups.extend(integer_digits[i : i + 3] for i in range(head, len(integer_digits), 3))
    return separator.join(groups)


def _sign_marks(sign: SignStyle, negative: bool) -> tuple[str, str]:
    """What goes before and after the digits of an amount in a sign convention."""
    if sign == "always":
        return ("-" if negative else "+"), ""
    if not negative:
        return "", ""
    if sign == "trailing":
        return "", "-"
    if sign == "parens":
        return "(", ")"
    return "-", ""  # '-'; 'none' never gets here with a negative amount


def amount(
    value: Any,
    *,
    decimals: int = 2,
    implied: bool = False,
    decimal_sep: str = ".",
    thousands_sep: str = "",
    sign: SignStyle = "-",
    width: int | None = None,
    pad: str = "0",
    rounding: Rounding | None = None,
) -> str:
    """An amount as text: ``amount(dec('12.5'), implied=true)`` -> '1250'.

    ``implied`` leaves the decimal separator out (the reader knows where it goes).
    ``sign``: '-' (leading minus), 'none' (negatives refused), 'trailing' ('12.50-'),
    'parens' ('(12.50)'), 'always' ('+12.50' / '-12.50'). ``width`` fills to that many
    characters with ``pad``: zeros go between the sign and the digits, other fill characters
    before the sign. An amount wider than ``width`` is an error, never cut.
    """
    number = as_number(value, "amount")
    decimals = _check_decimals(decimals, "amount")
    _check_separators(decimal_sep, thousands_sep, "amount")
    _check_sign(sign, "amount")
    exact = quantize(Decimal(number), decimals, rounding, "amount")
    negative = exact < 0
    if negative and sign == "none":
        raise ExpressionError(
            INVALID_VALUE,
            f"amount: {exact} is negative but the format has no sign (sign='none')",
            hint="choose a sign convention, or carry the direction in another field",
        )
    plain = format(abs(exact), "f")
    integer_digits, _, fraction = plain.partition(".")
    if implied:
        body = str(int(integer_digits + fraction))
    else:
        body = _group_thousands(integer_digits, thousands_sep)
        if decimals:
            body += decimal_sep + fraction
    prefix, suffix = _sign_marks(sign, negative)
    if width is None:
        return prefix + body + suffix
    width = as_int(width, "amount")
    check_length(width, "amount")
    if len(pad) != 1:
        raise ExpressionError(INVALID_VALUE, f"amount: pad must be one character, found {pad!r}")
    missing = width - len(prefix) - len(body) - len(suffix)
    if missing < 0:
        raise ExpressionError(
            INVALID_VALUE,
            f"amount: {prefix + body + suffix!r} does not fit in {width} characters",
        )
    if pad == "0":
        return prefix + "0" * missing + body + suffix
    return pad * missing + prefix + body + suffix


@lru_cache(maxsize=64)
def _amount_pattern(
    decimals: int, implied: bool, decimal_sep: str, thousands_sep: str
) -> re.Pattern[str]:
    return re.compile(_amount_regex(decimals, implied, decimal_sep, thousands_sep), re.ASCII)


def _amount_regex(decimals: int, implied: bool, decimal_sep: str, thousands_sep: str) -> str:
    if implied:
        return r"\d+"
    integer = r"\d+"
    if thousands_sep:
        sep = re.escape(thousands_sep)
        integer = rf"(?:\d+|\d{{1,3}}(?:{sep}\d{{3}})+)"
    if decimals == 0:
        return integer
    return rf"{integer}(?:{re.escape(decimal_sep)}\d{{1,{decimals}}})?"


def parse_amount(
    text: Any,
    *,
    decimals: int = 2,
    implied: bool = False,
    decimal_sep: str = ".",
    thousands_sep: str = "",
    sign: SignStyle = "-",
) -> Decimal:
    """The Decimal an amount text stands for (the read direction of ``amount``).

    Surrounding spaces and the zero or space filling ``amount(width=...)`` writes are accepted;
    anything else that is not an amount in this convention is an error naming what was found.
    """
    if not isinstance(text, str):
        raise wrong_type("parse_amount", "text", text)
    decimals = _check_decimals(decimals, "parse_amount")
    _check_separators(decimal_sep, thousands_sep, "parse_amount")
    _check_sign(sign, "parse_amount")
    body = text.strip(" ")
    negative = False
    if sign in ("-", "always") and body[:1] in ("-", "+"):
        negative = body[0] == "-"
        body = body[1:]
    elif sign == "always":
        body = "\0"  # a sign is required: make the match below fail
    elif sign == "trailing" and body[-1:] in ("-", "+"):
        negative = body[-1] == "-"
        body = body[:-1]
    elif sign == "parens" and body.startswith("(") and body.endswith(")"):
        negative = True
        body = body[1:-1]
    if body.startswith("0"):
        # zero filling from amount(width=..., pad='0') sits before any thousands grouping
        body = body.lstrip("0")
        if not body[:1].isdigit():
            body = "0" + body
    pattern = _amount_pattern(decimals, implied, decimal_sep, thousands_sep)
    if not pattern.fullmatch(body):
        raise ExpressionError(
            INVALID_VALUE,
            f"parse_amount: {text!r} is not an amount with {decimals} decimals"
            f"{' implied' if implied else ''} and sign convention {sign!r}",
        )
    if implied:
        magnitude = Decimal(int(body)).scaleb(-decimals)
    else:
        normalized = body.replace(thousands_sep, "") if thousands_sep else body
        magnitude = Decimal(normalized.replace(decimal_sep, ".")).quantize(_EXPONENTS[decimals])
    return -magnitude if negative else magnitude


def round_decimal(value: Any, decimals: int = 0, rounding: Rounding = "half-even") -> Decimal:
    """``value`` rounded to ``decimals`` places with a named rounding mode (default half-even)."""
    number = Decimal(as_number(value, "round"))
    return quantize(number, _check_decimals(decimals, "round"), rounding, "round")


def absolute(value: Any) -> int | Decimal:
    """The absolute value of an exact number."""
    number = as_number(value, "abs")
    return -number if number < 0 else number
