"""Typed values of SWIFT parts: decimals, month-day dates, IBAN-or-account.

The generic leaf codecs (``erengine.codecs.leaf``) cover dates, integers and tables; these
are the conversions only SWIFT needs. A decimal part (``15d``) is a ``Decimal`` without any
``format``: the notation says it is one.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from erengine.codecs.leaf import DateCodec, LeafCodec, LeafError, parse_leaf_spec

_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?")


@dataclass(frozen=True, slots=True)
class SwiftDecimalCodec(LeafCodec):
    """``1234,56`` <-> ``Decimal('1234.56')``; the decimals written are the value's own.

    ``Decimal('500')`` writes ``500,`` and ``Decimal('500.00')`` ``500,00``, so a file read
    and written again keeps its bytes. A missing comma (``500``) reads only where the
    notation allowed it (``lenient_decimals``).
    """

    def encode(self, value: Any) -> str:
        if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
            raise LeafError("a Decimal amount", value)
        number = Decimal(value)
        if number < 0 or not number.is_finite():
            raise LeafError("an amount of 0 or more (the mark says the side)", value)
        _, digits, exponent = number.as_tuple()
        assert isinstance(exponent, int)
        text = "".join(map(str, digits))
        if exponent >= 0:
            return text + "0" * exponent + ","
        whole, fraction = text[:exponent], text[exponent:]
        return (whole.lstrip("0") or "0") + "," + fraction.rjust(-exponent, "0")

    def decode(self, text: str) -> Any:
        return Decimal(text.replace(",", "."))


@dataclass(frozen=True, slots=True)
class StandardOrOtherCodec(LeafCodec):
    """Text bound to two paths, ``[standard, other]``: an IBAN (or BIC) goes to the first,
    anything else (a national account number or bank code) to the second."""

    standard: re.Pattern[str]
    what: str

    def encode(self, value: Any) -> str:
        standard, other = value if isinstance(value, tuple) else (None, None)
        chosen = standard or other
        if not isinstance(chosen, str) or not chosen:
            raise LeafError(self.what, value)
        return chosen

    def decode(self, text: str) -> Any:
        if self.standard.fullmatch(text):
            return (text, None)
        return (None, text)


@dataclass(frozen=True, slots=True)
class LogicalTerminalCodec(LeafCodec):
    """A BIC <-> the 12-character logical terminal address of the envelope's block 1:
    ``COBADEFFXXX`` <-> ``COBADEFFAXXX`` (terminal code ``A``; a BIC8 gets branch ``XXX``)."""

    def encode(self, value: Any) -> str:
        if not isinstance(value, str) or _BIC.fullmatch(value) is None:
            raise LeafError("a BIC", value)
        return f"{value[:8]}A{value[8:] or 'XXX'}"

    def decode(self, text: str) -> Any:
        if len(text) != 12:
            raise LeafError("a logical terminal address of 12 characters", text)
        return text[:8] + text[9:]


def month_day_near(text: str, anchor: dt.date) -> dt.date:
    """``MMDD`` as the date nearest ``anchor`` (an entry booked around New Year)."""
    if len(text) != 4 or not text.isdigit():
        raise LeafError("a month and day MMDD", text)
    month, day = int(text[:2]), int(text[2:])
    try:
        same_year = dt.date(anchor.year, month, day)
    except ValueError:
        same_year = None  # 29 February of another year, or no such day at all
    if same_year is not None and abs((same_year - anchor).days) <= _HALF_YEAR:
        return same_year
    candidates = []
    for year in (anchor.year - 1, anchor.year + 1):
        try:
            candidates.append(dt.date(year, month, day))
        except ValueError:
            continue
    if same_year is not None:
        candidates.append(same_year)
    if not candidates:
        raise LeafError("a valid month and day MMDD", text)
    return min(candidates, key=lambda day_: abs((day_ - anchor).days))


_HALF_YEAR = 183

_DATE_CODES = {"%Y": r"(?P<Y>[0-9]{4})", "%y": r"(?P<y>[0-9]{2})", "%m": r"(?P<m>[0-9]{2})",
               "%d": r"(?P<d>[0-9]{2})"}  # fmt: skip


@functools.lru_cache(maxsize=64)
def _date_pattern(pattern: str) -> re.Pattern[str] | None:
    pieces = re.split(r"(%[a-zA-Z])", pattern)
    if not {"%m", "%d"} <= set(pieces) or not {"%Y", "%y"} & set(pieces):
        return None
    regex = []
    for piece in pieces:
        if piece.startswith("%") and piece not in _DATE_CODES:
            return None  # names of months, times ...: not a plain numeric date
        regex.append(_DATE_CODES.get(piece) or re.escape(piece))
    return re.compile("".join(regex))


def month_end(codec: LeafCodec, text: str) -> dt.date | None:
    """The last day of the month when ``text`` is a date of ``codec`` whose day is past its
    month's end (``160230``: 30 February), else None. Only a day up to 31 is taken so: any
    other text that is no date stays an error."""
    if not isinstance(codec, DateCodec) or codec.part != "date":
        return None
    shape = _date_pattern(codec.pattern)
    found = shape.fullmatch(text.strip()) if shape is not None else None
    if found is None:
        return None
    values = found.groupdict()
    year = int(values["Y"]) if values.get("Y") else 2000 + int(values["y"])
    month, day = int(values["m"]), int(values["d"])
    if not 1 <= month <= 12:
        return None
    last = calendar.monthrange(year, month)[1]
    if not last < day <= 31:
        return None
    return dt.date(year, month, last)


SWIFT_LEAF_CODECS = {
    "iban_or_number()": StandardOrOtherCodec(_IBAN, "an IBAN or an account number"),
    "bic_or_code()": StandardOrOtherCodec(_BIC, "a BIC or a bank code"),
    "lt_address()": LogicalTerminalCodec(),
}


def swift_leaf(spec: str | None, *, decimal: bool) -> LeafCodec:
    """The codec for a part: ``spec`` if given, else Decimal for ``d`` parts, else text."""
    if spec is None:
        return SwiftDecimalCodec() if decimal else parse_leaf_spec("text()")
    own = SWIFT_LEAF_CODECS.get(spec.replace(" ", ""))
    return own if own is not None else parse_leaf_spec(spec)
