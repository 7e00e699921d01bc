"""Functions over lists of records: counts, exact sums, extremes, projections, selections.

Lists may be generators when the codecs stream, so each function walks its input once.
Records are dicts; ``attribute`` names a field, dotted for nested records (``creditor.name``).
``sum`` replaces Jinja's built-in, which starts from the int 0 and lets floats in: here a sum
of Decimals is a Decimal, a sum of ints an int, and a float anywhere is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from erengine.expr.errors import INVALID_VALUE, UNDEFINED_VALUE, ExpressionError
from erengine.expr.functions.coerce import as_int, as_number, as_text, describe, wrong_type
from erengine.expr.limits import check_length

_ANY = object()


def field_of(record: Any, attribute: str, function: str) -> Any:
    """The (dotted) field of a record; a missing field or a non-record is an error."""
    value = record
    for name in attribute.split("."):
        if not isinstance(value, Mapping):
            raise ExpressionError(
                UNDEFINED_VALUE, f"{function}: {describe(value)} has no field {name!r}"
            )
        if name not in value:
            raise ExpressionError(
                UNDEFINED_VALUE, f"{function}: no field {name!r} in {describe(value)}"
            )
        value = value[name]
    return value


def _items(items: Any, function: str) -> Iterable[Any]:
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise wrong_type(function, "a list", items)
    return items


def _values(items: Any, attribute: str | None, function: str) -> Iterable[Any]:
    records = _items(items, function)
    if attribute is None:
        return records
    return (field_of(record, attribute, function) for record in records)


def length(items: Any) -> int:
    """How many items (or characters, for text)."""
    if isinstance(items, str):
        return len(items)
    return count(items)


def count(items: Any, attribute: str | None = None) -> int:
    """How many items; with ``attribute``, how many have that field set (not None)."""
    if attribute is None:
        sized = _items(items, "count")
        return len(sized) if isinstance(sized, (list, tuple)) else sum(1 for _ in sized)
    return sum(
        1
        for record in _items(items, "count")
        if isinstance(record, Mapping) and record.get(attribute) is not None
    )


def total(items: Any, attribute: str | None = None, start: int | Decimal = 0) -> int | Decimal:
    """The exact sum of the items (or of one field of each): Decimal or int, never float."""
    result: int | Decimal = as_number(start, "sum")
    for value in _values(items, attribute, "sum"):
        result += as_number(value, "sum")
    return result


def _extreme(items: Any, attribute: str | None, function: str, pick: Any) -> Any:
    values = list(_values(items, attribute, function))
    if not values:
        raise ExpressionError(INVALID_VALUE, f"{function}: the list is empty")
    try:
        return pick(values)
    except TypeError:
        raise ExpressionError(
            INVALID_VALUE, f"{function}: the items cannot be compared with each other"
        ) from None


def minimum(items: Any, attribute: str | None = None) -> Any:
    """The smallest item (or field value)."""
    return _extreme(items, attribute, "min", min)


def maximum(items: Any, attribute: str | None = None) -> Any:
    """The largest item (or field value)."""
    return _extreme(items, attribute, "max", max)


def first(items: Any) -> Any:
    """The first item; an empty list is an error."""
    for item in _items(items, "first"):
        return item
    raise ExpressionError(INVALID_VALUE, "first: the list is empty")


def last(items: Any) -> Any:
    """The last item; an empty list is an error."""
    found = _ANY
    for found in _items(items, "last"):  # noqa: B007 - walks a generator to its end
        pass
    if found is _ANY:
        raise ExpressionError(INVALID_VALUE, "last: the list is empty")
    return found


def project(items: Any, attribute: str) -> list[Any]:
    """One field of every record: ``map(payments, attribute='amount')``."""
    return list(_values(items, attribute, "map"))


def select(items: Any, attribute: str, value: Any = _ANY) -> list[Any]:
    """The records whose field is truthy, or equal to ``value`` when it is given."""
    chosen = []
    for record in _items(items, "select"):
        field = record.get(attribute) if isinstance(record, Mapping) else None
        if bool(field) if value is _ANY else field == value:
            chosen.append(record)
    return chosen


def join(items: Any, separator: str = "") -> str:
    """The items as text, with ``separator`` between them."""
    parts = [as_text(item, "join") for item in _items(items, "join")]
    check_length(sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0), "join")
    return separator.join(parts)


def number_range(start: int, stop: int | None = None, step: int = 1) -> list[int]:
    """``range`` as a list, capped in size: ``range(3)`` -> [0, 1, 2]."""
    if stop is None:
        start, stop = 0, start
    step = as_int(step, "range")
    if step == 0:
        raise ExpressionError(INVALID_VALUE, "range: step must not be 0")
    numbers = range(as_int(start, "range"), as_int(stop, "range"), step)
    check_length(len(numbers), "range")
    return list(numbers)
