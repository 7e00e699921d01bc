"""The Avro schema derived from a model, and data to and from its Avro form."""

from __future__ import annotations

from typing import Any

import fastavro

from erengine.model import ModelPlan
from erengine.model.avro import from_avro, to_avro

from .conftest import model


def _fields(schema: dict[str, Any]) -> dict[str, Any]:
    return {field["name"]: field for field in schema["fields"]}


def test_the_payments_schema_parses_and_maps_types(payments: ModelPlan) -> None:
    schema = payments.avro_schema()
    fastavro.parse_schema(schema)
    assert schema["name"] == "PaymentFile"
    assert schema["namespace"] == "erengine.payments"
    root = _fields(schema)
    assert root["message_id"]["type"] == ["null", "string"]
    assert root["message_id"]["default"] is None
    assert root["created_at"]["type"] == "string"  # either kind of datetime: text keeps it
    batch = _fields(root["batches"]["type"]["items"])
    assert batch["requested_date"]["type"] == {"type": "int", "logicalType": "date"}
    assert batch["payment_method"]["type"] == "string"  # has a default: never null
    payment = _fields(batch["payments"]["type"]["items"])
    assert payment["amount"]["type"] == "string"
    assert root["initiating_party"]["type"][1]["name"] == "Party"  # defined where first used
    assert payment["creditor"]["type"] == "Party"  # then referred to by name
    assert payment["creditor_agent"]["type"] == ["null", "Agent"]


def test_a_recursive_model_refers_to_itself_by_name() -> None:
    nested = {"type": "record", "of": "File", "required": False}
    plan = model({"File": {"fields": {"next": nested}}})
    schema = plan.avro_schema()
    fastavro.parse_schema(schema)
    assert _fields(schema)["next"]["type"] == ["null", "File"]


def test_avro_form_round_trip(payments: ModelPlan, sample: dict[str, Any]) -> None:
    avro = to_avro(payments, sample)
    assert avro["batches"][0]["payments"][0]["amount"] == "1500.00"
    assert from_avro(payments, avro) == sample
