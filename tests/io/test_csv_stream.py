"""Lazy CSV reading: the same data as `read_csv`, item by item, reading only the rows needed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from erengine.errors import ErrorGroup, ParseError, ValidationError
from erengine.io.csv_files import read_csv, write_csv
from erengine.io.csv_stream import read_csv_lazily
from erengine.io.flat import flat_layout
from erengine.model import ModelPlan
from erengine.model.strategies import data_for
from tests.io.test_flat import NESTED


def _csv(plan: ModelPlan, data: Any) -> str:
    sink = io.StringIO()
    write_csv(plan, data, sink)
    return sink.getvalue()


def _materialized(plan: ModelPlan, data: Any) -> Any:
    """The lazily read data with every list level read into a list."""
    levels = flat_layout(plan).levels

    def walk(depth: int, item: dict[str, Any]) -> dict[str, Any]:
        child = levels[depth].child
        if child is None or child[0] not in item:
            return item
        (name,) = child
        return {**item, str(name): [walk(depth + 1, inner) for inner in item[str(name)]]}

    return walk(0, data)


def _same_as_eager(plan: ModelPlan, document: dict[str, Any]) -> None:
    try:
        text = _csv(plan, document)
    except ValidationError:
        reject()
    lazily = _materialized(plan, read_csv_lazily(plan, io.StringIO(text)))
    assert lazily == read_csv(plan, io.StringIO(text)) == document


@settings(max_examples=200, deadline=None)
@given(data_for(NESTED, max_items=3))
def test_same_data_as_read_csv(document: dict[str, Any]) -> None:
    _same_as_eager(NESTED, document)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_same_payments_as_read_csv(
    payments: ModelPlan, documents: st.SearchStrategy[dict[str, Any]], data: st.DataObject
) -> None:
    _same_as_eager(payments, data.draw(documents))


def _many_payments(sample: dict[str, Any], batches: int, each: int) -> dict[str, Any]:
    payment = sample["batches"][0]["payments"][0]
    return {
        **sample,
        "batches": [
            {
                **sample["batches"][0],
                "batch_id": f"B{b}",
                "payments": [{**payment, "end_to_end_id": f"E{b}-{p}"} for p in range(each)],
            }
            for b in range(batches)
        ],
    }


def test_only_the_rows_needed_are_read(payments: ModelPlan, sample: dict[str, Any]) -> None:
    lines = io.StringIO(_csv(payments, _many_payments(sample, 3, 1000))).readlines()
    pulled = 0

    def source() -> Iterator[str]:
        nonlocal pulled
        for line in lines:
            pulled += 1
            yield line

    data = read_csv_lazily(payments, source())  # type: ignore[arg-type]
    first_batch = next(data["batches"])
    first_payment = next(first_batch["payments"])
    assert first_payment["end_to_end_id"] == "E0-0"
    assert pulled < 5


def test_lists_left_unread_are_passed_over(payments: ModelPlan, sample: dict[str, Any]) -> None:
    text = _csv(payments, _many_payments(sample, 3, 4))
    data = read_csv_lazily(payments, io.StringIO(text))
    assert [batch["batch_id"] for batch in data["batches"]] == ["B0", "B1", "B2"]
    data = read_csv_lazily(payments, io.StringIO(text))
    batches = data["batches"]
    next(next(batches)["payments"])  # one payment of the first batch, then on
    second = next(batches)
    assert [p["end_to_end_id"] for p in second["payments"]] == [f"E1-{p}" for p in range(4)]


def test_problems_are_raised_at_their_item(payments: ModelPlan, sample: dict[str, Any]) -> None:
    text = _csv(payments, _many_payments(sample, 1, 3)).replace("E0-2,,,1500.00", "E0-2,,,15.001")
    payments_read = next(read_csv_lazily(payments, io.StringIO(text))["batches"])["payments"]
    assert [p["end_to_end_id"] for p in (next(payments_read), next(payments_read))] == [
        "E0-0",
        "E0-1",
    ]
    with pytest.raises(ErrorGroup) as caught:
        next(payments_read)
    (error,) = caught.value.errors
    assert isinstance(error, ValidationError)
    assert (error.code, error.position.line) == ("VAL107", 4)
    assert error.position.json_path == "$.batches[0].payments[2].amount"


def test_counts_and_file_level_columns(payments: ModelPlan, sample: dict[str, Any]) -> None:
    text = _csv(payments, sample)
    header, first, second = text.splitlines()
    empty_batches = first.split(",")[: flat_layout(payments).levels[1].first]
    short = "\r\n".join(
        [header, ",".join(empty_batches + [""] * (len(header.split(",")) - len(empty_batches)))]
    )
    with pytest.raises(ValidationError) as counted:
        list(read_csv_lazily(payments, io.StringIO(short + "\r\n"))["batches"])
    assert (counted.value.code, counted.value.position.json_path) == ("VAL114", "$.batches")
    other_file = second.replace("MSG-2025-0001", "MSG-2025-0002")
    data = read_csv_lazily(payments, io.StringIO("\r\n".join([header, first, other_file])))
    with pytest.raises(ParseError) as differ:
        _materialized(payments, data)
    assert (differ.value.code, differ.value.position.line) == ("PRS190", 3)
