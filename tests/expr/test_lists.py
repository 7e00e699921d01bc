"""List functions: counts, exact sums, extremes, projections, selections, joins, ranges."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erengine.expr import ExpressionError
from erengine.expr.functions.lists import (
    count,
    first,
    join,
    last,
    length,
    maximum,
    minimum,
    number_range,
    project,
    select,
    total,
)

Evaluate = Callable[..., Any]
D = Decimal
PAYMENTS = [
    {"amount": D("10.10"), "name": "A", "iban": "DE1", "creditor": {"name": "X"}},
    {"amount": D("0.90"), "name": "B", "iban": None, "creditor": {"name": "Y"}},
    {"amount": D("5.00"), "name": "C", "creditor": {"name": "Z"}},
]


def stream() -> Iterator[dict[str, Any]]:
    """The payments as a generator, the way a streaming codec passes them."""
    yield from PAYMENTS


def test_length_and_count() -> None:
    assert length(PAYMENTS) == 3
    assert length(stream()) == 3
    assert length("abc") == 3
    assert count(PAYMENTS) == 3
    assert count(PAYMENTS, attribute="iban") == 1
    with pytest.raises(ExpressionError):
        count(5)


def test_sum_is_exact() -> None:
    result = total(PAYMENTS, attribute="amount")
    assert result == D("16.00")
    assert isinstance(result, Decimal)
    assert total([1, 2, 3]) == 6
    assert isinstance(total([1, 2, 3]), int)
    assert total([]) == 0
    with pytest.raises(ExpressionError) as caught:
        total([D(1), 0.1])
    assert caught.value.code == "EXP103"
    with pytest.raises(ExpressionError) as missing:
        total(PAYMENTS, attribute="fee")
    assert missing.value.code == "EXP101"


def test_min_and_max() -> None:
    assert minimum(PAYMENTS, attribute="amount") == D("0.90")
    assert maximum([3, 9, 1]) == 9
    with pytest.raises(ExpressionError):
        minimum([])
    with pytest.raises(ExpressionError):
        maximum([1, "a"])


def test_first_and_last() -> None:
    assert first(stream())["name"] == "A"
    assert last(stream())["name"] == "C"
    for function in (first, last):
        with pytest.raises(ExpressionError):
            function([])


def test_map_reads_a_field_of_each_record() -> None:
    assert project(PAYMENTS, "name") == ["A", "B", "C"]
    assert project(PAYMENTS, "creditor.name") == ["X", "Y", "Z"]


def test_select_by_field() -> None:
    assert [p["name"] for p in select(PAYMENTS, "iban")] == ["A"]
    assert [p["name"] for p in select(PAYMENTS, "name", "B")] == ["B"]


def test_join() -> None:
    assert join(["a", 1, D("2.50")], "|") == "a|1|2.50"
    with pytest.raises(ExpressionError):
        join([None])


def test_range() -> None:
    assert number_range(3) == [0, 1, 2]
    assert number_range(1, 7, 3) == [1, 4]
    with pytest.raises(ExpressionError):
        number_range(1, 2, 0)


def test_lists_in_expressions(evaluate: Evaluate) -> None:
    scope = {"payments": PAYMENTS}
    assert evaluate("{{ payments | sum(attribute='amount') }}", scope) == D("16.00")
    assert evaluate("{{ sum(payments, 'amount') | amount(implied=true) }}", scope) == "1600"
    assert evaluate("{{ payments | map(attribute='name') | join(',') }}", scope) == "A,B,C"
    assert evaluate("{{ payments | select('iban') | count }}", scope) == 1
    assert evaluate("{{ (payments | first).name ~ (payments | last).name }}", scope) == "AC"
    assert evaluate("{{ payments | max(attribute='amount') }}", scope) == D("10.10")


@given(st.lists(st.decimals(allow_nan=False, allow_infinity=False, places=2,
                            min_value=-(10**12), max_value=10**12)))  # fmt: skip
def test_sum_equals_exact_decimal_addition(values: list[Decimal]) -> None:
    expected = D(0)
    for value in values:
        expected += value
    assert total(values) == expected
