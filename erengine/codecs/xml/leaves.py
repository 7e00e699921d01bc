"""Leaf codecs for XML text: the record codecs plus the XML Schema lexical forms.

XML differs from fixed-width text in three ways that need codecs of their own: amounts are
``xs:decimal`` text with a point and only significant digits (``12.50``), datetimes are
``xs:dateTime`` with optional fractions and offsets, and text has lengths and character sets
set by the message (ISO ``Max35Text``, the EPC Latin set) rather than by a field width.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, ClassVar

from erengine.codecs.leaf import LEAF_CODECS, LeafCodec, LeafError
from erengine.expr.functions.text import epc, swift_x
from erengine.model.charsets import CHARSETS
from erengine.validate.bic import bic_problem
from erengine.validate.iban import iban_problem

_TRANSLITERATIONS: Mapping[str, Callable[[str], str]] = MappingProxyType(
    {"epc": epc, "swift-x": swift_x}
)


@dataclass(frozen=True, slots=True)
class XmlTextCodec(LeafCodec):
    """Text with the message's limits: never cut, charset checked or transliterated.

    ``transliterate=true`` (EPC and SWIFT sets only) maps what the set lacks (``Müller &
    Söhne`` -> ``Muller + Sohne``), as SEPA rules allow; without it such a character is an error.
    """

    max_length: int | None = None
    charset: str | None = None
    transliterate: bool = False

    def __post_init__(self) -> None:
        if self.charset is not None and self.charset not in CHARSETS:
            raise ValueError(f"unknown charset {self.charset!r}; one of {', '.join(CHARSETS)}")
        if self.transliterate and self.charset not in _TRANSLITERATIONS:
            raise ValueError("`transliterate` needs charset 'epc' or 'swift-x'")

    def encode(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise LeafError("text", value)
        text = str(value)
        if self.charset is not None:
            charset = CHARSETS[self.charset]
            if self.transliterate and charset.first_offending(text) is not None:
                text = _TRANSLITERATIONS[self.charset](text)
            bad = charset.first_offending(text)
            if bad is not None:
                raise LeafError(f"characters of the {self.charset} set", text[bad])
        if self.max_length is not None and len(text) > self.max_length:
            raise LeafError(f"at most {self.max_length} characters", text)
        return text

    def decode(self, text: str) -> Any:
        if self.max_length is not None and len(text) > self.max_length:
            raise LeafError(f"at most {self.max_length} characters", text)
        return text


# Characters XML 1.0 forbids (lxml refuses to write them), and lone surrogates: the writer
# refuses them in any leaf's text, naming the element.
XML_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
HAS_XML_FORBIDDEN = re.compile(f"[{XML_FORBIDDEN}]").search


_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


@dataclass(frozen=True, slots=True)
class XmlDecimalCodec(LeafCodec):
    """``xs:decimal``: written in plain notation with the value's own exponent.

    Model money carries exactly its currency's decimals (``12.50`` for EUR, ``1250`` for
    JPY), so writing the value as it is writes the currency's decimals. ``max_decimals``
    (ISO ``fractionDigits``) is checked both ways, never rounded.
    """

    numeric: ClassVar[bool] = True
    max_decimals: int | None = None
    max_digits: int | None = None
    #: On read, drop trailing fraction zeros (``8.850`` -> ``8.85``): exact, never rounding,
    #: so a bank's padded amount fits its currency's decimals.
    trim_zeros: bool = False

    def encode(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise LeafError("a Decimal amount", value)
        number = Decimal(value)
        if not number.is_finite():
            raise LeafError("a finite amount", value)
        self._check(number, value)
        return f"{number:f}"

    def decode(self, text: str) -> Any:
        stripped = text.strip()
        if not _DECIMAL.fullmatch(stripped):
            raise LeafError("a decimal number like 12.50", text)
        try:
            number = Decimal(stripped)
        except InvalidOperation:
            raise LeafError("a decimal number like 12.50", text) from None
        self._check(number, text)
        exponent = number.as_tuple().exponent
        if self.trim_zeros and isinstance(exponent, int) and exponent < 0:
            trimmed = number.normalize()
            trimmed_exponent = trimmed.as_tuple().exponent
            if isinstance(trimmed_exponent, int) and trimmed_exponent > 0:
                trimmed = trimmed.quantize(Decimal(1))
            return trimmed
        return number

    def _check(self, number: Decimal, found: Any) -> None:
        exponent = number.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if self.max_decimals is not None and decimals > self.max_decimals:
            raise LeafError(f"at most {self.max_decimals} decimals", found)
        digits = len(number.as_tuple().digits)
        if self.max_digits is not None and digits > self.max_digits:
            raise LeafError(f"at most {self.max_digits} digits", found)


_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?"
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?")


@dataclass(frozen=True, slots=True)
class XmlDateTimeCodec(LeafCodec):
    """``xs:dateTime`` (ISO ``ISODateTime``): offset and fraction written only when present.

    Fractions beyond microseconds cannot be held by a datetime and are refused on read rather
    than cut (so what is read writes back the same).
    """

    numeric: ClassVar[bool] = True
    #: Read into a date (the day only): for a choice of ``Dt`` or ``DtTm`` bound to a date.
    as_date: bool = False

    def encode(self, value: Any) -> str:
        if self.as_date and type(value) is dt.date:
            value = dt.datetime.combine(value, dt.time())
        if not isinstance(value, dt.datetime):
            raise LeafError("a datetime", value)
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text += f".{value.microsecond:06d}".rstrip("0")
        offset = value.utcoffset()
        if offset is not None:
            text += (
                "Z" if offset == dt.timedelta(0) and value.tzname() == "UTC" else _offset(offset)
            )
        return text

    def decode(self, text: str) -> Any:
        found = _DATETIME.fullmatch(text.strip())
        if found is None:
            raise LeafError("a datetime like 2024-01-31T09:30:00", text)
        year, month, day, hour, minute, second, fraction, zone = found.groups()
        if fraction is not None and len(fraction.rstrip("0")) > 6:
            raise LeafError("at most 6 fraction digits of a second", text)
        micro = int((fraction or "0").ljust(6, "0")[:6])
        try:
            moment = dt.datetime(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                int(second),
                micro,
                tzinfo=_zone(zone),
            )
        except ValueError:
            raise LeafError("a valid datetime", text) from None
        return moment.date() if self.as_date else moment


@dataclass(frozen=True, slots=True)
class XmlDateCodec(LeafCodec):
    """``xs:date`` (ISO ``ISODate``); a time-zone suffix is accepted on read and dropped."""

    numeric: ClassVar[bool] = True

    def encode(self, value: Any) -> str:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise LeafError("a date", value)
        return value.isoformat()

    def decode(self, text: str) -> Any:
        found = _DATE.fullmatch(text.strip())
        if found is None:
            raise LeafError("a date like 2024-01-31", text)
        try:
            return dt.date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            raise LeafError("a valid date", text) from None


@dataclass(frozen=True, slots=True)
class CheckedCodeCodec(LeafCodec):
    """Text under a bank rule: ``iban()`` (length and MOD 97), ``bic()``.

    Writing refuses a value that breaks the rule: the file would be rejected. Reading keeps
    it and the reader warns (``doubt``): a received file is evidence of what the bank holds,
    and sample files are full of made-up IBANs.
    """

    check: Callable[[str], str | None] = iban_problem

    def encode(self, value: Any) -> str:
        if not isinstance(value, str):
            raise LeafError("text", value)
        problem = self.check(value)
        if problem is not None:
            raise LeafError(problem, value)
        return value

    def decode(self, text: str) -> Any:
        return text.strip()

    def doubt(self, value: str) -> str | None:
        """What is wrong with a value read, for a warning; None when it passes."""
        return self.check(value)


def _offset(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _zone(text: str | None) -> dt.tzinfo | None:
    if text is None:
        return None
    if text == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    return dt.timezone(sign * dt.timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


XML_LEAF_CODECS: Mapping[str, Callable[..., LeafCodec]] = MappingProxyType(
    {
        **LEAF_CODECS,
        "text": XmlTextCodec,
        "decimal": XmlDecimalCodec,
        "date": XmlDateCodec,
        "datetime": XmlDateTimeCodec,
        "bool": lambda true="true", false="false": LEAF_CODECS["bool"](true, false),
        "iban": lambda: CheckedCodeCodec(iban_problem),
        "bic": lambda: CheckedCodeCodec(bic_problem),
    }
)
