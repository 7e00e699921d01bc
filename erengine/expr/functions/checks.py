"""Check digits used in bank files: ISO 7064 MOD 97-10 (IBAN, RF references), Luhn, ABA.

Each function takes text and is strict about it: a character the scheme does not define is an
error, not something skipped, because a check digit over the wrong text is a wrong check digit.
"""

from __future__ import annotations

from typing import Any

from erengine.expr.errors import INVALID_VALUE, ExpressionError
from erengine.expr.functions.coerce import as_text

_IBAN_MIN_LENGTH = 15
_IBAN_MAX_LENGTH = 34


def _alphanumeric(text: str, function: str) -> str:
    if not text or not text.isascii() or not text.isalnum():
        raise ExpressionError(
            INVALID_VALUE, f"{function}: expected letters and digits only, found {text!r}"
        )
    return text.upper()


def _digits_only(value: Any, function: str, length: int | None = None) -> str:
    text = as_text(value, function)
    if not text.isascii() or not text.isdigit() or (length is not None and len(text) != length):
        size = f"{length} digits" if length is not None else "digits"
        raise ExpressionError(INVALID_VALUE, f"{function}: expected {size}, found {text!r}")
    return text


def mod97(value: Any) -> int:
    """ISO 7064 MOD 97-10 remainder of the text, letters counted as A=10 ... Z=35.

    ``mod97('3214282912345698765432161182')`` is 1 for a valid rearranged IBAN.
    """
    text = _alphanumeric(as_text(value, "mod97"), "mod97")
    remainder = 0
    for char in text:
        # one letter is two digits: shift by 100; one digit: shift by 10
        remainder = (remainder * (100 if char.isalpha() else 10) + int(char, 36)) % 97
    return remainder


def mod97_check_digits(value: Any) -> str:
    """The two check digits '02'..'98' that make ``value`` + digits have remainder 1.

    Pass the text in the order the scheme checks it: for an IBAN the BBAN, then the country
    code (``mod97_check_digits(bban ~ 'DE')``); for an RF reference the reference then 'RF'.
    """
    return f"{98 - mod97(as_text(value, 'mod97_check_digits') + '00'):02d}"


def iban_valid(value: Any) -> bool:
    """Whether the text is an IBAN by structure and MOD 97 (spaces allowed, any case).

    It does not check the per-country length or BBAN layout; validate/ does that.
    """
    text = as_text(value, "iban_valid").replace(" ", "").upper()
    if not _IBAN_MIN_LENGTH <= len(text) <= _IBAN_MAX_LENGTH or not text.isascii():
        return False
    if not (text[:2].isalpha() and text[2:4].isdigit() and text[4:].isalnum()):
        return False
    return mod97(text[4:] + text[:4]) == 1


def _luhn_sum(digit_text: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digit_text)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total


def luhn(value: Any) -> bool:
    """Whether the digits pass the Luhn (mod 10) check, check digit last."""
    return _luhn_sum(_digits_only(value, "luhn")) % 10 == 0


def luhn_check_digit(value: Any) -> str:
    """The Luhn check digit to append to the digits."""
    return str(-_luhn_sum(_digits_only(value, "luhn_check_digit") + "0") % 10)


def _aba_sum(digit_text: str) -> int:
    weights = (3, 7, 1) * 3
    return sum(int(char) * weight for char, weight in zip(digit_text, weights, strict=False))


def aba_check_digit(value: Any) -> int:
    """The 9th digit of a US ABA routing number from its first 8 (weights 3, 7, 1)."""
    return -_aba_sum(_digits_only(value, "aba_check_digit", 8)) % 10


def aba_valid(value: Any) -> bool:
    """Whether a 9-digit ABA routing number has the right check digit."""
    return _aba_sum(_digits_only(value, "aba_valid", 9)) % 10 == 0
