"""JSON files of model data: round trip, streaming output, malformed input."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erengine.errors import ParseError, ValidationError
from erengine.io.json_files import read_json, write_json
from erengine.model import ModelPlan


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_read_of_write_is_identity(
    payments: ModelPlan, documents: st.SearchStrategy[dict[str, Any]], data: st.DataObject
) -> None:
    document = data.draw(documents)
    text = io.StringIO()
    write_json(payments, document, text)
    assert json.loads(text.getvalue()) == payments.to_json(document)
    assert read_json(payments, io.StringIO(text.getvalue())) == document


def test_json_output_streams_lists_given_as_generators(
    payments: ModelPlan, sample: dict[str, Any]
) -> None:
    pulled: list[int] = []

    def batches() -> Any:
        for index, batch in enumerate(sample["batches"]):
            pulled.append(index)
            yield batch

    chunks: list[str] = []

    class Sink(io.StringIO):
        def write(self, text: str) -> int:
            chunks.append(text)
            return len(text)

    write_json(payments, {**sample, "batches": batches()}, Sink())
    assert pulled == [0]
    assert len(chunks) > 50  # written piece by piece, not as one string
    assert json.loads("".join(chunks)) == payments.to_json(sample)


def test_json_output_checks_values(payments: ModelPlan, sample: dict[str, Any]) -> None:
    sample["batches"][0]["payments"][0]["amount"] = 1.5
    with pytest.raises(ValidationError) as caught:
        write_json(payments, sample, io.StringIO())
    assert caught.value.position.json_path == "$.batches[0].payments[0].amount"


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ('{"message_id": "x",\n  "created_at": }', "PRS195", 2),
        ('{"message_id": "x", "message_id": "y"}', "PRS196", None),
    ],
)
def test_malformed_json(payments: ModelPlan, text: str, code: str, line: int | None) -> None:
    with pytest.raises(ParseError) as caught:
        read_json(payments, io.StringIO(text), file="in.json")
    assert caught.value.code == code
    assert caught.value.position.file == "in.json"
    assert caught.value.position.line == line
