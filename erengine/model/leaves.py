"""Leaf types of a model: how one value is checked and moved between its three forms.

Typed form (in memory): `str`, `int`, `bool`, `Decimal`, `date`, `datetime`.
JSON form: the same, except Decimal as text (`"12.50"`) and dates as ISO 8601 text.
Text form (a CSV cell): every value as text; `from_text` turns it into JSON form.

A leaf raises `ValueProblem`; the walker that knows the JSON path turns it into a
`ValidationError`, so leaves stay small and know nothing about positions.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from erengine.model.charsets import ANY_TEXT, Charset
from erengine.model.code_lists import CURRENCY_EXPONENTS

Record = Mapping[str, Any]

_DECIMAL_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_INTEGER_TEXT = re.compile(r"^-?[0-9]+$")
_DATE_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DATETIME_TEXT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?$"
)


class ValueProblem(Exception):
    """One value breaks its type; `code` and `rule` are stable (docs/models.md)."""

    def __init__(
        self,
        code: str,
        rule: str,
        message: str,
        *,
        expected: str | None = None,
        found: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.rule = rule
        self.message = message
        self.expected = expected
        self.found = found
        self.hint = hint


def _wrong_type(expected: str, value: Any, hint: str | None = None) -> ValueProblem:
    return ValueProblem(
        "VAL101",
        "model.type",
        f"expected {expected}, found {type(value).__name__}",
        expected=expected,
        found=value,
        hint=hint,
    )


class LeafType(ABC):
    """One typed value. Subclasses are frozen dataclasses, built once by `compile_model`."""

    __slots__ = ()
    kind: ClassVar[str]

    @abstractmethod
    def parse(self, value: Any) -> Any:
        """JSON form (or an already typed value) -> typed value, without checking bounds."""

    @abstractmethod
    def check(self, value: Any, record: Record) -> None:
        """Raise `ValueProblem` unless `value` is a valid typed value inside `record`."""

    def from_json(self, value: Any, record: Record) -> Any:
        typed = self.parse(value)
        self.check(typed, record)
        return typed

    def to_json(self, value: Any) -> Any:
        return value

    def from_text(self, text: str) -> Any:
        """A CSV cell -> JSON form (text stays text where JSON uses text)."""
        return text

    def to_text(self, value: Any) -> str:
        json_value = self.to_json(value)
        return json_value if isinstance(json_value, str) else str(json_value)

    @abstractmethod
    def avro_type(self) -> Any:
        """The Avro type of the value (without the null of optional fields)."""

    def to_avro(self, value: Any) -> Any:
        return value

    def from_avro(self, value: Any) -> Any:
        return value


@dataclass(frozen=True, slots=True)
class TextType(LeafType):
    kind: ClassVar[str] = "text"
    min_length: int = 1
    max_length: int | None = None
    charset: Charset = ANY_TEXT
    pattern: re.Pattern[str] | None = None

    def parse(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise _wrong_type("text", value, hint="quote the value")
        return value

    def check(self, value: Any, record: Record) -> None:
        self.parse(value)
        if len(value) < self.min_length:
            raise ValueProblem(
                "VAL104",
                "model.min_length",
                f"text of {len(value)} characters, at least {self.min_length} needed",
                expected=f"at least {self.min_length} characters",
                found=value,
            )
        if self.max_length is not None and len(value) > self.max_length:
            raise ValueProblem(
                "VAL104",
                "model.max_length",
                f"text of {len(value)} characters, at most {self.max_length} allowed",
                expected=f"at most {self.max_length} characters",
                found=value,
            )
        bad = self.charset.first_offending(value)
        if bad is not None:
            raise ValueProblem(
                "VAL105",
                "model.charset",
                f"character {value[bad]!r} at position {bad + 1} is not in the "
                f"{self.charset.name} character set",
                expected=f"{self.charset.name} characters",
                found=value,
            )
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise ValueProblem(
                "VAL106",
                "model.pattern",
                "text does not match the pattern",
                expected=self.pattern.pattern,
                found=value,
            )

    def avro_type(self) -> Any:
        return "string"


@dataclass(frozen=True, slots=True)
class CodeType(LeafType):
    kind: ClassVar[str] = "code"
    codes: frozenset[str]
    list_name: str | None = None  # the shipped code list, named in messages

    def parse(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise _wrong_type("a code (text)", value, hint="quote codes such as NO or 01")
        return value

    def check(self, value: Any, record: Record) -> None:
        self.parse(value)
        if value not in self.codes:
            allowed = self.list_name or ", ".join(sorted(self.codes))
            raise ValueProblem(
                "VAL109",
                "model.code",
                f"{value!r} is not a known code",
                expected=f"one of {allowed}",
                found=value,
            )

    def avro_type(self) -> Any:
        return "string"


@dataclass(frozen=True, slots=True)
class DecimalType(LeafType):
    """Exact decimals; `MoneyType` adds where the number of decimals comes from."""

    kind: ClassVar[str] = "decimal"
    scale: int | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    max_digits: int = 18

    def parse(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return value
        if isinstance(value, bool):
            raise _wrong_type("a decimal number as text", value)
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, float):
            raise ValueProblem(
                "VAL108",
                "model.no_float",
                "a JSON number with decimals may already be inexact; write it as text",
                expected='text such as "12.50"',
                found=value,
                hint='quote the number: "12.50"',
            )
        if isinstance(value, str) and _DECIMAL_TEXT.match(value):
            return Decimal(value)
        if isinstance(value, str):
            raise ValueProblem(
                "VAL101",
                "model.type",
                "not a decimal number",
                expected="digits with an optional `.` and decimals, e.g. 1234.50",
                found=value,
            )
        raise _wrong_type("a decimal number as text", value)

    def scale_in(self, record: Record) -> int | None:
        """Most decimals allowed for this value, or None where that cannot be known."""
        return self.scale

    def check(self, value: Any, record: Record) -> None:
        if not isinstance(value, Decimal):
            raise _wrong_type("Decimal", value)
        if not value.is_finite():
            raise ValueProblem(
                "VAL101", "model.type", "not a finite number", expected="a number", found=value
            )
        _sign, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)  # finite
        decimals = max(0, -exponent)
        scale = self.scale_in(record)
        if scale is not None and decimals > scale:
            raise ValueProblem(
                "VAL107",
                "model.decimals",
                f"{decimals} decimal{'' if decimals == 1 else 's'} where at most {scale} "
                "are allowed; amounts are never rounded silently",
                expected=f"at most {scale} decimals",
                found=str(value),
            )
        if max(len(digits) + max(exponent, 0), decimals) > self.max_digits:
            raise ValueProblem(
                "VAL110",
                "model.digits",
                f"more than {self.max_digits} digits",
                expected=f"at most {self.max_digits} digits",
                found=str(value),
            )
        _check_range(value, self.minimum, self.maximum)

    def from_json(self, value: Any, record: Record) -> Any:
        typed: Decimal = self.parse(value)
        self.check(typed, record)
        scale = self.scale_in(record)
        # Widening to the declared decimals is exact and gives one canonical form: 12 -> 12.00.
        if scale is not None and -typed.as_tuple().exponent < scale:  # type: ignore[operator]
            return typed.quantize(Decimal(1).scaleb(-scale))
        return typed

    def to_json(self, value: Any) -> Any:
        return str(value)

    def avro_type(self) -> Any:
        # Text keeps each value's exponent exactly and needs no precision bound; see docs/models.md.
        return "string"

    def to_avro(self, value: Any) -> Any:
        return str(value)

    def from_avro(self, value: Any) -> Any:
        return Decimal(value)


@dataclass(frozen=True, slots=True)
class MoneyType(DecimalType):
    kind: ClassVar[str] = "money"
    currency: str | None = None
    currency_field: str | None = None

    def currency_in(self, record: Record) -> str | None:
        if self.currency is not None:
            return self.currency
        found = record.get(self.currency_field or "")
        return found if isinstance(found, str) else None

    def scale_in(self, record: Record) -> int | None:
        if self.scale is not None:
            return self.scale
        currency = self.currency_in(record)
        # An unknown currency is reported on its own field; the amount is not judged by it.
        return CURRENCY_EXPONENTS.get(currency) if currency else None


@dataclass(frozen=True, slots=True)
class IntegerType(LeafType):
    kind: ClassVar[str] = "integer"
    minimum: int | None = None
    maximum: int | None = None

    def parse(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong_type("integer", value)
        return value

    def check(self, value: Any, record: Record) -> None:
        self.parse(value)
        _check_range(value, self.minimum, self.maximum)

    def from_text(self, text: str) -> Any:
        return int(text) if _INTEGER_TEXT.match(text) else text

    def avro_type(self) -> Any:
        return "long"


@dataclass(frozen=True, slots=True)
class BooleanType(LeafType):
    kind: ClassVar[str] = "boolean"

    def parse(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise _wrong_type("true or false", value)
        return value

    def check(self, value: Any, record: Record) -> None:
        self.parse(value)

    def from_text(self, text: str) -> Any:
        return {"true": True, "false": False}.get(text, text)

    def to_text(self, value: Any) -> str:
        return "true" if value else "false"

    def avro_type(self) -> Any:
        return "boolean"


@dataclass(frozen=True, slots=True)
class DateType(LeafType):
    kind: ClassVar[str] = "date"

    def parse(self, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and _DATE_TEXT.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError as exc:
                raise _bad_date(value, str(exc)) from None
        if isinstance(value, str):
            raise _bad_date(value, "not an ISO 8601 date")
        raise _wrong_type("a date as YYYY-MM-DD text", value)

    def check(self, value: Any, record: Record) -> None:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise _wrong_type("date", value)

    def to_json(self, value: Any) -> Any:
        return value.isoformat()

    def avro_type(self) -> Any:
        return {"type": "int", "logicalType": "date"}


@dataclass(frozen=True, slots=True)
class DateTimeType(LeafType):
    kind: ClassVar[str] = "datetime"
    timezone: Literal["naive", "aware", "any"] = "any"

    def parse(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value
        if isinstance(value, str) and _DATETIME_TEXT.match(value):
            try:
                return datetime.fromisoformat(value)
            except ValueError as exc:
                raise _bad_date(value, str(exc)) from None
        if isinstance(value, str):
            raise _bad_date(value, "not an ISO 8601 date and time")
        raise _wrong_type("a date and time as ISO 8601 text", value)

    def check(self, value: Any, record: Record) -> None:
        if not isinstance(value, datetime):
            raise _wrong_type("datetime", value)
        aware = value.utcoffset() is not None
        if self.timezone == "naive" and aware:
            raise ValueProblem(
                "VAL111",
                "model.timezone",
                "a local time without UTC offset is expected here",
                expected="no offset",
                found=value.isoformat(),
            )
        if self.timezone == "aware" and not aware:
            raise ValueProblem(
                "VAL111",
                "model.timezone",
                "a time with a UTC offset is expected here",
                expected="an offset such as +01:00 or Z",
                found=value.isoformat(),
            )

    def to_json(self, value: Any) -> Any:
        return value.isoformat()

    def avro_type(self) -> Any:
        if self.timezone == "naive":
            return {"type": "long", "logicalType": "local-timestamp-micros"}
        if self.timezone == "aware":
            return {"type": "long", "logicalType": "timestamp-micros"}
        return "string"  # either kind: only text keeps whether an offset was given

    def to_avro(self, value: Any) -> Any:
        return value.isoformat() if self.timezone == "any" else value

    def from_avro(self, value: Any) -> Any:
        return datetime.fromisoformat(value) if self.timezone == "any" else value


def _bad_date(value: str, why: str) -> ValueProblem:
    return ValueProblem(
        "VAL112", "model.date", f"invalid date: {why}", expected="ISO 8601", found=value
    )


def _check_range(value: Any, minimum: Any, maximum: Any) -> None:
    if minimum is not None and value < minimum:
        raise ValueProblem(
            "VAL113",
            "model.range",
            f"below the minimum {minimum}",
            expected=f">= {minimum}",
            found=str(value),
        )
    if maximum is not None and value > maximum:
        raise ValueProblem(
            "VAL113",
            "model.range",
            f"above the maximum {maximum}",
            expected=f"<= {maximum}",
            found=str(value),
        )
