"""Leaf codecs: how one typed value becomes the text of one field, and back.

A format names a leaf codec in a field's ``format`` key with call syntax, e.g.
``amount(decimals=2, implied=true)`` or ``date('%y%m%d')``. Arguments are literals only
(text, numbers, ``true``/``false``/``null``, lists and mappings of those); the spec is parsed
with Python's ``ast`` and never evaluated. Each codec encodes and decodes, so the same field
writes and reads. Padding and alignment belong to the field, not the codec.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar

from erengine.expr.errors import ExpressionError
from erengine.expr.functions.amounts import SignStyle, parse_amount
from erengine.expr.functions.amounts import amount as format_amount
from erengine.expr.functions.checks import aba_check_digit, aba_valid
from erengine.expr.functions.dates import (
    format_date,
    format_datetime,
    parse_date,
    parse_datetime,
)


class LeafError(ValueError):
    """A value that does not fit its codec; the field adds the position."""

    def __init__(self, expected: str, found: object) -> None:
        super().__init__(f"expected {expected}, found {found!r}")
        self.expected = expected
        self.found = found


class LeafCodec:
    """Base of leaf codecs. ``numeric`` codecs default to right alignment and zero padding."""

    numeric: ClassVar[bool] = False
    #: Text codecs get the field with its padding removed; others get it with blanks trimmed.
    strips_padding: ClassVar[bool] = True
    #: ``decode`` gives its text back unchanged (generated readers then skip the call).
    decodes_as_is: ClassVar[bool] = False

    @property
    def keeps_text(self) -> bool:
        """``encode`` gives a ``str`` back unchanged (generated writers then skip the call)."""
        return False

    def encode(self, value: Any) -> str:
        raise NotImplementedError

    def decode(self, text: str) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class TextCodec(LeafCodec):
    decodes_as_is: ClassVar[bool] = True
    upper: bool = False
    charset: str | None = None

    @property
    def keeps_text(self) -> bool:
        return not self.upper and self.charset is None

    def encode(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise LeafError("text", value)
        text = str(value)
        if self.upper:
            text = text.upper()
        if self.charset is not None:
            bad = next((c for c in text if c not in self.charset), None)
            if bad is not None:
                raise LeafError("characters of the field's charset", bad)
        return text

    def decode(self, text: str) -> Any:
        return text


@dataclass(frozen=True, slots=True)
class DigitsCodec(LeafCodec):
    """Digits kept as text, leading zeros included (routing and account numbers)."""

    numeric: ClassVar[bool] = True
    strips_padding: ClassVar[bool] = False

    def encode(self, value: Any) -> str:
        text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        if not text.isascii() or not text.isdigit():
            raise LeafError("digits", value)
        return text

    def decode(self, text: str) -> Any:
        return self.encode(text)


@dataclass(frozen=True, slots=True)
class RoutingNumberCodec(LeafCodec):
    """US ABA routing numbers: nine digits whose last is a check digit (weights 3, 7, 1).

    ``aba()`` writes all nine and refuses a wrong check digit; ``aba(digits=8)`` writes the
    first eight (NACHA's ODFI fields) and on read restores the ninth by computing it, so the
    model always holds the full routing number.
    """

    numeric: ClassVar[bool] = True
    strips_padding: ClassVar[bool] = False
    digits: int = 9

    def encode(self, value: Any) -> str:
        if not (isinstance(value, str) and _routing_number_valid(value)):
            raise LeafError("a 9-digit routing number with a valid check digit", value)
        return value[: self.digits]

    def decode(self, text: str) -> Any:
        if self.digits == 8:
            if len(text) != 8 or not text.isascii() or not text.isdigit():
                raise LeafError("8 digits of a routing number", text)
            return _with_check_digit(text)
        if not _routing_number_valid(text):
            raise LeafError("a routing number with a valid check digit", text)
        return text


@lru_cache(maxsize=4096)  # a file names few banks, each many times
def _routing_number_valid(text: str) -> bool:
    return len(text) == 9 and text.isascii() and text.isdigit() and aba_valid(text)


@lru_cache(maxsize=4096)
def _with_check_digit(first_eight: str) -> str:
    return first_eight + str(aba_check_digit(first_eight))


@dataclass(frozen=True, slots=True)
class IntegerCodec(LeafCodec):
    numeric: ClassVar[bool] = True
    strips_padding: ClassVar[bool] = False

    def encode(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise LeafError("a whole number", value)
        return str(value)

    def decode(self, text: str) -> Any:
        digits = text.strip()
        body = digits[1:] if digits[:1] in ("-", "+") else digits
        if not body or not body.isascii() or not body.isdigit():
            raise LeafError("a whole number", text)
        return int(digits)


@dataclass(frozen=True, slots=True)
class AmountCodec(LeafCodec):
    """Decimal money; ``implied`` drops the decimal point (``12.50`` -> ``1250``)."""

    numeric: ClassVar[bool] = True
    strips_padding: ClassVar[bool] = False
    decimals: int = 2
    implied: bool = True
    decimal_sep: str = "."
    thousands_sep: str = ""
    sign: SignStyle = "-"

    def encode(self, value: Any) -> str:
        if type(value) is Decimal and self._plain_cents(value):
            cents = int(value.scaleb(self.decimals))
            if cents >= 0:
                return str(cents)
        if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
            raise LeafError("a Decimal amount", value)
        try:
            return format_amount(
                value,
                decimals=self.decimals,
                implied=self.implied,
                decimal_sep=self.decimal_sep,
                thousands_sep=self.thousands_sep,
                sign=self.sign,
            )
        except (ExpressionError, ArithmeticError) as exc:
            raise LeafError(f"an amount with at most {self.decimals} decimals", value) from exc

    def _plain_cents(self, value: Decimal) -> bool:
        """The common case that needs no formatting rules: implied decimals, few enough."""
        exponent = value.as_tuple().exponent
        return (
            self.implied
            and not self.thousands_sep
            and isinstance(exponent, int)
            and exponent >= -self.decimals
        )

    def decode(self, text: str) -> Any:
        digits = text.strip()
        if self.implied and digits.isascii() and digits.isdigit():
            return Decimal(int(digits)).scaleb(-self.decimals)
        try:
            return parse_amount(
                text.strip(),
                decimals=self.decimals,
                implied=self.implied,
                decimal_sep=self.decimal_sep,
                thousands_sep=self.thousands_sep,
            )
        except (ExpressionError, ArithmeticError) as exc:
            shape = "digits" if self.implied else f"an amount with {self.decimals} decimals"
            raise LeafError(shape, text) from exc


@dataclass(frozen=True, slots=True)
class ZonedCodec(LeafCodec):
    """Signed overpunch (zoned decimal): the last digit carries the sign (``{``A-I / ``}``J-R).

    Under EBCDIC code pages (cp037, cp500) these letters are exactly the zoned bytes
    (0xC0-0xC9 positive, 0xD0-0xD9 negative), so one codec serves both encodings.
    """

    numeric: ClassVar[bool] = True
    strips_padding: ClassVar[bool] = False
    decimals: int = 0

    _POSITIVE: ClassVar[str] = "{ABCDEFGHI"
    _NEGATIVE: ClassVar[str] = "}JKLMNOPQR"

    def encode(self, value: Any) -> str:
        if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
            raise LeafError("a number", value)
        scaled = Decimal(value).scaleb(self.decimals)
        if scaled != scaled.to_integral_value():
            raise LeafError(f"at most {self.decimals} decimals", value)
        digits = str(abs(int(scaled)))
        table = self._NEGATIVE if scaled < 0 else self._POSITIVE
        return digits[:-1] + table[int(digits[-1])]

    def decode(self, text: str) -> Any:
        text = text.strip()
        last = text[-1:] if text else ""
        if last in self._POSITIVE:
            sign, digit = 1, self._POSITIVE.index(last)
        elif last in self._NEGATIVE:
            sign, digit = -1, self._NEGATIVE.index(last)
        else:
            raise LeafError("zoned digits ending in {, A-I, } or J-R", text)
        body = text[:-1]
        if body and not (body.isascii() and body.isdigit()):
            raise LeafError("zoned digits", text)
        return (sign * Decimal(int(body + str(digit)))).scaleb(-self.decimals)


@dataclass(frozen=True, slots=True)
class DateCodec(LeafCodec):
    """``date``, ``time`` and ``datetime`` with the expression library's date codes.

    Those codes are locale-free and strict, and ``%y`` means 2000-2099 (Python's ``strptime``
    would read ``69`` as 1969). A ``time`` field bound to the same path as a ``date`` field
    completes that datetime on read (NACHA writes creation date and time as two fields).
    """

    numeric: ClassVar[bool] = True
    strips_padding: ClassVar[bool] = False
    pattern: str = "%Y-%m-%d"
    part: str = "date"  # "date", "time" or "datetime"

    def encode(self, value: Any) -> str:
        try:
            if self.part == "date":
                return format_date(value, self.pattern)
            if self.part == "datetime":
                return format_datetime(value, self.pattern)
            if isinstance(value, dt.datetime):
                value = value.time()
            if not isinstance(value, dt.time):
                raise LeafError("a time", value)
            return format_datetime(dt.datetime.combine(_ANY_DAY, value), self.pattern)
        except ExpressionError as exc:
            raise LeafError(f"a {self.part}", value) from exc

    def decode(self, text: str) -> Any:
        try:
            if self.part == "date":
                return parse_date(text.strip(), self.pattern)
            if self.part == "datetime":
                return parse_datetime(text.strip(), self.pattern)
            moment = parse_datetime(f"{_ANY_DAY:%Y}{text.strip()}", f"%Y{self.pattern}")
            return moment.time()
        except ExpressionError as exc:
            raise LeafError(f"a {self.part} like {self.pattern}", text) from exc


_ANY_DAY = dt.date(2000, 1, 1)  # carries a time through the datetime functions


@dataclass(frozen=True, slots=True)
class UtcOffsetCodec(LeafCodec):
    """``utc_offset()``: a UTC offset as ``+HHMM`` or ``-HHMM`` (SWIFT's :13D:).

    Bound to the same path as a date and a time field, it makes that datetime aware on read,
    and writes the offset of an aware datetime. A naive datetime has no offset to write: it
    is refused, unless the format says which offset its local times have (``naive='+0100'``),
    since a guessed offset is a wrong instant in the bank's file.
    """

    numeric: ClassVar[bool] = True
    strips_padding: ClassVar[bool] = False
    naive: str | None = None

    def __post_init__(self) -> None:
        if self.naive is not None:
            if not isinstance(self.naive, str):
                raise ValueError(
                    f"utc_offset: naive must be a text like '+0100', not {self.naive!r}"
                )
            self.decode(self.naive)  # a ValueError (LeafError) for a malformed offset

    def encode(self, value: Any) -> str:
        if not isinstance(value, dt.datetime | dt.time):
            raise LeafError("a datetime with a UTC offset", value)
        offset = value.utcoffset()
        if offset is None:
            if self.naive is not None:
                return self.naive
            raise LeafError(
                "a datetime with a UTC offset (this one has none; the format may declare "
                "utc_offset(naive='+HHMM') for local times)",
                value,
            )
        minutes, seconds = divmod(int(offset.total_seconds()), 60)
        if seconds:
            raise LeafError("a UTC offset in whole minutes", value)
        sign = "-" if minutes < 0 else "+"
        hours, minutes = divmod(abs(minutes), 60)
        return f"{sign}{hours:02d}{minutes:02d}"

    def decode(self, text: str) -> Any:
        text = text.strip()
        if (
            len(text) != 5
            or text[0] not in "+-"
            or not text[1:].isascii()
            or not text[1:].isdigit()
        ):
            raise LeafError("a UTC offset like +0100", text)
        hours, minutes = int(text[1:3]), int(text[3:])
        if hours > 23 or minutes > 59:
            raise LeafError("a UTC offset like +0100 (hours 00-23, minutes 00-59)", text)
        offset = dt.timedelta(hours=hours, minutes=minutes)
        return dt.timezone(-offset if text[0] == "-" else offset)


@dataclass(frozen=True, slots=True)
class TableCodec(LeafCodec):
    """A lookup table between field text and a value (or a tuple of several bound values).

    On write an absent value and ``false`` are the same (an optional flag left out), so a row
    ``[credit, checking, null]`` matches data without the flag and with it set to false.
    """

    rows: tuple[tuple[str, Any], ...] = ()
    _by_value: dict[Any, str] = field(init=False, repr=False, compare=False)
    _by_text: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_value: dict[Any, str] = {}
        for text, value in self.rows:
            by_value.setdefault(_absent_as_none(value), text)
        object.__setattr__(self, "_by_value", by_value)
        object.__setattr__(self, "_by_text", dict(self.rows))

    def width_mistake(self, binds: int) -> str | None:
        """Why the rows do not fit ``binds`` bound model paths (a list of that many values
        each when there are several, one plain value when there is one), or None."""
        for text, value in self.rows:
            width = len(value) if isinstance(value, tuple) else 1
            if width != binds or (binds == 1 and isinstance(value, tuple)):
                return (
                    f"table row {text!r} holds {width} value(s) for {binds} bound model "
                    "path(s): give each row one value per path in `bind`"
                )
        return None

    def encode(self, value: Any) -> str:
        try:
            return self._by_value[_absent_as_none(value)]
        except (KeyError, TypeError):
            raise LeafError("a value listed in the table", value) from None

    def decode(self, text: str) -> Any:
        try:
            return self._by_text[text]
        except KeyError:
            raise LeafError(f"one of {', '.join(t for t, _ in self.rows)}", text) from None


def _absent_as_none(value: Any) -> Any:
    if isinstance(value, tuple):
        if False not in value:  # the usual row (`in` compares by ==, so 0 takes the long way)
            return value
        return tuple(None if part is False else part for part in value)
    return None if value is False else value


@dataclass(frozen=True, slots=True)
class BoolCodec(LeafCodec):
    true: str = "Y"
    false: str = "N"

    def encode(self, value: Any) -> str:
        if not isinstance(value, bool):
            raise LeafError("true or false", value)
        return self.true if value else self.false

    def decode(self, text: str) -> Any:
        if text == self.true:
            return True
        if text == self.false:
            return False
        raise LeafError(f"{self.true!r} or {self.false!r}", text)


def _table(rows: Mapping[str, Any]) -> TableCodec:
    return TableCodec(
        tuple((str(k), tuple(v) if isinstance(v, list) else v) for k, v in rows.items())
    )


LEAF_CODECS: Mapping[str, Callable[..., LeafCodec]] = {
    "text": TextCodec,
    "digits": DigitsCodec,
    "aba": RoutingNumberCodec,
    "integer": IntegerCodec,
    "amount": AmountCodec,
    "zoned": ZonedCodec,
    "date": lambda pattern="%Y-%m-%d": DateCodec(pattern, "date"),
    "time": lambda pattern="%H:%M:%S": DateCodec(pattern, "time"),
    "datetime": lambda pattern="%Y-%m-%dT%H:%M:%S": DateCodec(pattern, "datetime"),
    "utc_offset": UtcOffsetCodec,
    "table": _table,
    "bool": BoolCodec,
}

_LITERAL_NAMES = {"true": True, "false": False, "null": None, "none": None}


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Name) and node.id.lower() in _LITERAL_NAMES:
        return _LITERAL_NAMES[node.id.lower()]
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values, strict=True) if k}
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(e) for e in node.elts]
    return ast.literal_eval(node)


def parse_leaf_spec(
    spec: str, registry: Mapping[str, Callable[..., LeafCodec]] = LEAF_CODECS
) -> LeafCodec:
    """``amount(decimals=2, implied=true)`` -> an ``AmountCodec``; ValueError when invalid.

    ``registry``: the codecs a file kind offers (XML adds its own to these).
    """
    try:
        tree = ast.parse(spec.strip(), mode="eval").body
    except SyntaxError:
        raise ValueError(f"`{spec}` is not a codec call like amount(decimals=2)") from None
    name_node = tree.func if isinstance(tree, ast.Call) else tree
    if not isinstance(name_node, ast.Name):
        raise ValueError(f"`{spec}` does not name a codec")
    factory = registry.get(name_node.id)
    if factory is None:
        raise ValueError(f"unknown codec `{name_node.id}`")
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    if isinstance(tree, ast.Call):
        try:
            args = [_literal(a) for a in tree.args]
            kwargs = {k.arg: _literal(k.value) for k in tree.keywords if k.arg}
        except ValueError:
            raise ValueError(f"codec arguments must be literal values in `{spec}`") from None
    try:
        return factory(*args, **kwargs)
    except TypeError as exc:
        raise ValueError(f"wrong arguments for codec `{name_node.id}`: {exc}") from None
