"""Model data in JSON, YAML, CSV and Avro files: round trips and the errors of bad files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erengine.errors import ErrorGroup, ParseError, ValidationError
from erengine.io import read_data, write_data
from erengine.io.avro_files import read_avro, write_avro
from erengine.io.json_files import read_json, write_json
from erengine.io.yaml_files import read_yaml
from erengine.model import ModelPlan
from erengine.model.strategies import data_for

SAMPLE = Path(__file__).parents[1] / "model" / "data" / "payments.json"


@pytest.fixture(scope="module")
def documents(payments: ModelPlan) -> st.SearchStrategy[dict[str, Any]]:
    return data_for(payments)


@pytest.fixture
def sample(payments: ModelPlan) -> dict[str, Any]:
    typed: dict[str, Any] = payments.from_json(json.loads(SAMPLE.read_text()))
    return typed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_json_and_avro_round_trips(
    payments: ModelPlan, documents: st.SearchStrategy[dict[str, Any]], data: st.DataObject
) -> None:
    document = data.draw(documents)
    text = io.StringIO()
    write_json(payments, document, text)
    assert json.loads(text.getvalue()) == payments.to_json(document)
    assert read_json(payments, io.StringIO(text.getvalue())) == document
    binary = io.BytesIO()
    write_avro(payments, document, binary)
    binary.seek(0)
    assert read_avro(payments, binary) == document


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


def test_yaml_input_keeps_codes_and_dates_as_text(payments: ModelPlan) -> None:
    text = """
created_at: 2025-01-02T09:30:00
batches:
  - requested_date: 2025-01-03
    debtor: {name: ACME}
    payments:
      - amount: "10.00"
        currency: NOK
        creditor: {name: Nils, address: {country: NO}}
        creditor_account: {iban: NO9386011117947}
"""
    typed = read_yaml(payments, io.StringIO(text), file="in.yaml")
    payment = typed["batches"][0]["payments"][0]
    assert payment["creditor"]["address"]["country"] == "NO"
    assert str(typed["batches"][0]["requested_date"]) == "2025-01-03"


def test_yaml_unquoted_decimal_amounts_are_refused(payments: ModelPlan) -> None:
    text = """
created_at: 2025-01-02T09:30:00
batches:
  - requested_date: 2025-01-03
    debtor: {name: A}
    payments: [{amount: 10.10, currency: EUR, creditor: {name: B}, creditor_account: {}}]
"""
    with pytest.raises(ErrorGroup) as caught:
        read_yaml(payments, io.StringIO(text), file="in.yaml")
    assert [e.code for e in caught.value.errors] == ["VAL108"]


def test_yaml_syntax_errors_are_parse_errors(payments: ModelPlan) -> None:
    with pytest.raises(ParseError) as caught:
        read_yaml(payments, io.StringIO("a: [1,\n"), file="in.yaml")
    assert caught.value.code == "PRS199"
    assert caught.value.position.file == "in.yaml"


def test_avro_refuses_other_files(payments: ModelPlan) -> None:
    with pytest.raises(ParseError) as caught:
        read_avro(payments, io.BytesIO(b"not avro at all"), file="x.avro")
    assert caught.value.code == "PRS197"


@pytest.mark.parametrize("suffix", [".json", ".csv", ".avro"])
def test_files_by_suffix(
    payments: ModelPlan, sample: dict[str, Any], tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"data{suffix}"
    write_data(payments, sample, path)
    assert read_data(payments, path) == sample


def test_unknown_suffix(payments: ModelPlan, sample: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ParseError) as caught:
        write_data(payments, sample, tmp_path / "data.txt")
    assert caught.value.code == "PRS201"
    with pytest.raises(ParseError):
        write_data(payments, sample, tmp_path / "data.yaml")
