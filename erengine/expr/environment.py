"""The sandboxed Jinja2 environment expressions run in.

Three things make it safe beyond ``ImmutableSandboxedEnvironment``:

- attribute and item access are DATA lookups only: ``a.b`` and ``a['b']`` read the key ``b`` of
  a record (a mapping) or an index of a list, never a Python attribute or method, so
  ``payment.items`` means the field ``items`` and fails cleanly as "no field 'items'";
- no built-in filters, tests or globals: only the engine's function library is reachable;
- the operators that can grow values without bound (``*``, ``**``) check the size of their
  result first, and the ones that would produce floats (``/``, ``**`` with a negative exponent)
  produce Decimals, so money never touches a float.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from jinja2 import StrictUndefined, Undefined
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from erengine.expr.errors import LIMIT_EXCEEDED, WRONG_TYPE, ExpressionError
from erengine.expr.functions.coerce import decimal_text, describe
from erengine.expr.limits import MAX_POWER_BITS, check_length


class MissingValue(StrictUndefined):
    """A variable or field that is not there.

    Using it in any way is an error naming what is missing; the ``default`` filter and the
    ``defined``, ``undefined`` and ``none`` tests accept it, so optional data reads as absent.
    """

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        name = self._undefined_name
        record = self._undefined_obj
        if record is missing:
            return f"{name!r} is not defined"
        if isinstance(name, int):
            return f"no item {name} in {describe(record)}"
        if not isinstance(record, Mapping):
            return f"no field {name!r}: {describe(record)} is not a record"
        fields = [str(key) for key in record]
        close = difflib.get_close_matches(str(name), fields, n=1)
        suggestion = f"; did you mean {close[0]!r}?" if close else ""
        return f"no field {name!r} in the record (fields: {', '.join(fields)}){suggestion}"


def is_none(value: Any) -> bool:
    """``x is none``: true for None and for a missing optional field."""
    return value is None or isinstance(value, Undefined)


def is_defined(value: Any) -> bool:
    return not isinstance(value, Undefined)


def is_undefined(value: Any) -> bool:
    return isinstance(value, Undefined)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_record(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _is_even(value: Any) -> bool:
    return _is_number(value) and value % 2 == 0


def _is_odd(value: Any) -> bool:
    return _is_number(value) and value % 2 == 1


def _is_divisible_by(value: Any, divisor: Any) -> bool:
    return bool(value % divisor == 0)


def _is_in(value: Any, container: Any) -> bool:
    return bool(value in container)


TESTS: Mapping[str, Callable[..., bool]] = {
    "defined": is_defined,
    "undefined": is_undefined,
    "none": is_none,
    "number": _is_number,
    "string": _is_text,
    "mapping": _is_record,
    "sequence": _is_list,
    "even": _is_even,
    "odd": _is_odd,
    "divisibleby": _is_divisible_by,
    "in": _is_in,
    "true": lambda value: value is True,
    "false": lambda value: value is False,
    "eq": lambda value, other: bool(value == other),
    "ne": lambda value, other: bool(value != other),
    "lt": lambda value, other: bool(value < other),
    "le": lambda value, other: bool(value <= other),
    "gt": lambda value, other: bool(value > other),
    "ge": lambda value, other: bool(value >= other),
}


def render_text(value: Any) -> str:
    """How a value appears inside a text template: Decimals plain, None as nothing."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if value is None:
        return ""
    return str(value)


def _refuse_float(operator: str, left: Any, right: Any) -> None:
    if isinstance(left, float) or isinstance(right, float):
        raise ExpressionError(
            WRONG_TYPE,
            f"'{operator}' on a float ({describe(left)}, {describe(right)}); use Decimals",
        )


def _multiply(left: Any, right: Any) -> Any:
    _refuse_float("*", left, right)
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and isinstance(times, int):
            check_length(len(sequence) * max(times, 0), "repetition with '*'")
    return left * right


def _divide(left: Any, right: Any) -> Any:
    _refuse_float("/", left, right)
    if isinstance(left, int) and isinstance(right, int):
        return Decimal(left) / Decimal(right)
    return left / right


def _modulo(left: Any, right: Any) -> Any:
    if type(left) is int and type(right) is int:
        return left % right  # the usual case (check digits, hash totals), no check needed
    _refuse_float("%", left, right)
    if isinstance(left, (str, bytes)):
        raise ExpressionError(
            WRONG_TYPE,
            "'%' formatting of text is not available",
            hint="use the functions pad, amount and date to format values",
        )
    return left % right


def _power(base: Any, exponent: Any) -> Any:
    _refuse_float("**", base, exponent)
    if isinstance(base, int) and isinstance(exponent, int) and not isinstance(exponent, bool):
        if exponent < 0:
            return Decimal(base) ** exponent
        if max(abs(base).bit_length() - 1, 0) * exponent > MAX_POWER_BITS:
            raise ExpressionError(
                LIMIT_EXCEEDED,
                f"{base} ** {exponent} would have more than {MAX_POWER_BITS} bits",
            )
    return base**exponent


# The operators the sandbox routes through ``call_binop``; each refuses floats first.
INTERCEPTED_OPERATORS: Mapping[str, Callable[[Any, Any], Any]] = {
    "*": _multiply,
    "/": _divide,
    "%": _modulo,
    "**": _power,
}


class ExpressionEnvironment(ImmutableSandboxedEnvironment):
    """The Jinja environment of one configuration: data-only lookups, the library only."""

    intercepted_binops = frozenset(INTERCEPTED_OPERATORS)

    def __init__(self, library: Mapping[str, Callable[..., Any]]) -> None:
        # optimized=False: Jinja's optimizer folds constant subexpressions while compiling,
        # which would run `'a' * 10**9` at load time, before any run-time limit applies.
        super().__init__(
            undefined=MissingValue,
            optimized=False,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=render_text,
        )
        self.filters = dict(library)
        self.tests = dict(TESTS)
        self.globals = {}

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Mapping):
            try:
                return obj[argument]
            except (KeyError, TypeError):
                return self.undefined(obj=obj, name=argument)
        if isinstance(obj, Undefined):
            return obj  # a missing record has missing fields: `a.b.c | default(...)` works
        if isinstance(obj, (list, tuple, str)) and isinstance(argument, (int, slice)):
            try:
                return obj[argument]
            except IndexError:
                pass
        return self.undefined(obj=obj, name=argument)

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self.getitem(obj, attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return INTERCEPTED_OPERATORS[operator](left, right)
