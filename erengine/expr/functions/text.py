"""Text functions: padding and alignment, case, transliteration, substrings.

Bank files are fixed-width and charset-restricted: a value that does not fit is an error, never
silently cut (``truncate_to`` cuts, and says so in its name); a character the bank cannot take
is transliterated (``ä`` -> ``a``/``ae``, ``ß`` -> ``ss``) or replaced, by the author's choice.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Literal

from erengine.expr.errors import INVALID_VALUE, ExpressionError
from erengine.expr.functions.coerce import as_int, as_text
from erengine.expr.limits import check_length

Align = Literal["left", "right", "center"]
AsciiStyle = Literal["plain", "german"]

# Letters that Unicode does not decompose into a base letter plus marks.
_SPECIAL_LETTERS: dict[str, str] = {
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH",
    "ħ": "h", "Ħ": "H", "ı": "i", "ŀ": "l", "Ŀ": "L", "ŋ": "n", "Ŋ": "N", "ſ": "s",  # noqa: RUF001
    "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",  # noqa: RUF001
    "€": "EUR", "\u00a0": " ",
}  # fmt: skip
_GERMAN_UMLAUTS: dict[str, str] = {
    "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
}  # fmt: skip

# SWIFT "x" character set (FIN) and the EPC SEPA basic Latin set: the same printable
# characters; SWIFT x also allows CR and LF as line separators inside a field.
_SAFE_PRINTABLE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "
)
SWIFT_X_CHARACTERS = _SAFE_PRINTABLE | {"\r", "\n"}
EPC_CHARACTERS = _SAFE_PRINTABLE
# ASCII characters outside those sets that have a natural stand-in (EPC217-08 conversions).
_RESTRICTED_SUBSTITUTES: dict[str, str] = {
    "&": "+", "_": "-", ";": ",", '"': "'", "[": "(", "]": ")", "{": "(", "}": ")",
    "\\": "/", "<": "(", ">": ")", "\t": " ",
}  # fmt: skip


def pad(value: Any, width: int, fill: str = " ", align: Align = "left") -> str:
    """``value`` filled with ``fill`` to exactly ``width`` characters; too long is an error."""
    text = as_text(value, "pad")
    width = as_int(width, "pad")
    if len(fill) != 1:
        raise ExpressionError(INVALID_VALUE, f"pad: fill must be one character, found {fill!r}")
    check_length(width, "pad")
    if len(text) > width:
        raise ExpressionError(
            INVALID_VALUE,
            f"pad: {text!r} has {len(text)} characters, more than the width {width}",
            hint="cut it explicitly with truncate_to(width) if cutting is acceptable",
        )
    if align == "left":
        return text.ljust(width, fill)
    if align == "right":
        return text.rjust(width, fill)
    if align == "center":
        left = (width - len(text)) // 2
        return (fill * left + text).ljust(width, fill)
    raise ExpressionError(
        INVALID_VALUE, f"pad: align must be 'left', 'right' or 'center', found {align!r}"
    )


def lpad(value: Any, width: int, fill: str = " ") -> str:
    """Fill on the left (right-aligned), e.g. numbers: ``lpad(42, 6, '0')`` -> '000042'."""
    return pad(value, width, fill, "right")


def rpad(value: Any, width: int, fill: str = " ") -> str:
    """Fill on the right (left-aligned), e.g. names: ``rpad('ACME', 6)`` -> 'ACME  '."""
    return pad(value, width, fill, "left")


def truncate_to(value: Any, width: int) -> str:
    """The first ``width`` characters: the one function that cuts text on purpose."""
    width = as_int(width, "truncate_to")
    if width < 0:
        raise ExpressionError(INVALID_VALUE, f"truncate_to: width must be >= 0, found {width}")
    return as_text(value, "truncate_to")[:width]


def upper(value: Any) -> str:
    return as_text(value, "upper").upper()


def lower(value: Any) -> str:
    return as_text(value, "lower").lower()


def strip(value: Any, chars: str | None = None) -> str:
    """Without leading and trailing whitespace (or ``chars``)."""
    return as_text(value, "strip").strip(chars)


def replace(value: Any, old: str, new: str) -> str:
    text = as_text(value, "replace")
    if old and new:
        check_length(len(text) + text.count(old) * (len(new) - len(old)), "replace")
    elif not old:
        raise ExpressionError(INVALID_VALUE, "replace: the text to replace must not be empty")
    return text.replace(old, new)


def substr(value: Any, start: int, length: int | None = None) -> str:
    """``length`` characters from the 0-based ``start`` (to the end when no length)."""
    text = as_text(value, "substr")
    start = as_int(start, "substr")
    count = None if length is None else as_int(length, "substr")
    if start < 0 or (count is not None and count < 0):
        raise ExpressionError(INVALID_VALUE, "substr: start and length must be >= 0")
    return text[start:] if count is None else text[start : start + count]


def digits(value: Any) -> str:
    """Only the ASCII digits of the value: ``digits('021-000 021')`` -> '021000021'."""
    return "".join(char for char in as_text(value, "digits") if "0" <= char <= "9")


def to_ascii(value: Any, style: AsciiStyle = "plain", replacement: str = "") -> str:
    """Transliterated to ASCII; what has no ASCII form becomes ``replacement`` ('' drops it).

    ``style='german'`` writes umlauts as two letters (ä -> ae), ``'plain'`` drops the marks.
    """
    if style not in ("plain", "german"):
        raise ExpressionError(
            INVALID_VALUE, f"ascii: style must be 'plain' or 'german', found {style!r}"
        )
    text = as_text(value, "ascii")
    if text.isascii():
        return text
    out: list[str] = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif style == "german" and char in _GERMAN_UMLAUTS:
            out.append(_GERMAN_UMLAUTS[char])
        elif char in _SPECIAL_LETTERS:
            out.append(_SPECIAL_LETTERS[char])
        else:
            base = "".join(part for part in unicodedata.normalize("NFKD", char) if part.isascii())
            out.append(base or replacement)
    return "".join(out)


def _restrict(text: str, allowed: frozenset[str], replacement: str) -> str:
    plain = to_ascii(text, "plain", replacement)
    return "".join(
        char if char in allowed else _RESTRICTED_SUBSTITUTES.get(char, replacement)
        for char in plain
    )


def swift_x(value: Any, replacement: str = ".") -> str:
    """Mapped to the SWIFT ``x`` character set: transliterated, then substituted or replaced."""
    return _restrict(as_text(value, "swift_x"), SWIFT_X_CHARACTERS, replacement)


def epc(value: Any, replacement: str = ".") -> str:
    """Mapped to the EPC SEPA basic Latin character set (as ``swift_x``, without CR/LF)."""
    return _restrict(as_text(value, "epc"), EPC_CHARACTERS, replacement)
