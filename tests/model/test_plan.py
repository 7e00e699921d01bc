"""ModelPlan: JSON form to typed data and back, checking, and errors with JSON paths."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from erengine.errors import ErrorGroup, ValidationError
from erengine.model import ModelPlan

from .conftest import model

SAMPLE = Path(__file__).parent / "data" / "payments.json"


def _sample() -> Any:
    return json.loads(SAMPLE.read_text())


def _problems(plan: ModelPlan, data: Any) -> list[tuple[str, str | None]]:
    with pytest.raises(ErrorGroup) as caught:
        plan.from_json(data, source="in.json")
    errors = caught.value.errors
    assert all(isinstance(e, ValidationError) and e.position.file == "in.json" for e in errors)
    return [(e.code, e.position.json_path) for e in errors if isinstance(e, ValidationError)]


def test_the_sample_converts_to_typed_data_and_back(payments: ModelPlan) -> None:
    typed = payments.from_json(_sample())
    first, second = typed["batches"][0]["payments"]
    assert first["amount"] == Decimal("1500.00")
    assert second["amount"] == Decimal("0.00")  # widened to the currency's decimals
    assert first["direction"] == "credit"  # the default, filled in
    assert typed["batches"][0]["payment_method"] == "TRF"
    assert typed["batches"][0]["requested_date"] == date(2025, 1, 3)
    assert typed["created_at"] == datetime(2025, 1, 2, 9, 30)
    assert payments.check(typed) == []
    assert payments.from_json(payments.to_json(typed)) == typed
    assert payments.to_json(typed)["batches"][0]["payments"][1]["amount"] == "0.00"


def test_all_problems_are_reported_with_their_json_paths(payments: ModelPlan) -> None:
    data = _sample()
    data["created_at"] = "yesterday"
    batch = data["batches"][0]
    batch["requested_date"] = "2025-02-30"
    del batch["debtor"]
    batch["colour"] = "blue"
    first, second = batch["payments"]
    first["amount"] = 12.5
    first["currency"] = "usd"
    second["amount"] = "1.005"
    second["creditor"]["address"]["lines"] = ["a", "b", "c"]
    second["creditor_agent"] = {"routing_number": "12345678"}
    assert _problems(payments, data) == [
        ("VAL112", "$.created_at"),
        ("VAL103", "$.batches[0].colour"),
        ("VAL112", "$.batches[0].requested_date"),
        ("VAL102", "$.batches[0].debtor"),
        ("VAL108", "$.batches[0].payments[0].amount"),
        ("VAL109", "$.batches[0].payments[0].currency"),
        ("VAL107", "$.batches[0].payments[1].amount"),
        ("VAL114", "$.batches[0].payments[1].creditor.address.lines"),
        ("VAL106", "$.batches[0].payments[1].creditor_agent.routing_number"),
    ]


def test_structure_problems(payments: ModelPlan) -> None:
    assert _problems(payments, []) == [("VAL101", "$")]
    data = _sample()
    data["batches"] = {"not": "a list"}
    data["origin"] = "text"
    assert _problems(payments, data) == [("VAL101", "$.origin"), ("VAL101", "$.batches")]
    data["batches"] = []
    assert ("VAL114", "$.batches") in _problems(payments, data)


def test_null_and_empty_optional_containers_mean_absent(payments: ModelPlan) -> None:
    data = _sample()
    data["message_id"] = None
    data["initiating_party"] = {}
    data["batches"][0]["payments"][1]["creditor"]["address"]["lines"] = []
    typed = payments.from_json(data)
    assert "message_id" not in typed
    assert "initiating_party" not in typed
    assert "lines" not in typed["batches"][0]["payments"][1]["creditor"]["address"]


def test_the_error_limit_stops_a_hopeless_input() -> None:
    plan = model({"File": {"fields": {"items": {"type": "list", "of": {"type": "integer"}}}}})
    with pytest.raises(ErrorGroup) as caught:
        plan.from_json({"items": ["x"] * 1000}, limit=10)
    assert len(caught.value.errors) == 10
    assert caught.value.truncated
    assert len(plan.check({"items": ["x"] * 1000}, limit=5)) == 5


def test_check_judges_typed_values(payments: ModelPlan) -> None:
    typed = payments.from_json(_sample())
    typed["batches"][0]["payments"][0]["amount"] = "1500.00"  # JSON form is not typed form
    typed["batches"][0]["requested_date"] = "2025-01-03"
    problems = payments.check(typed, source="reader")
    assert [(p.code, p.position.json_path) for p in problems] == [
        ("VAL101", "$.batches[0].requested_date"),
        ("VAL101", "$.batches[0].payments[0].amount"),
    ]


def test_to_json_refuses_invalid_data(payments: ModelPlan) -> None:
    typed = payments.from_json(_sample())
    typed["batches"][0]["payments"][0]["amount"] = 1.5
    with pytest.raises(ErrorGroup):
        payments.to_json(typed)


def test_field_paths(payments: ModelPlan) -> None:
    assert payments.field_at("batches.payments.creditor.name").name == "name"
    with pytest.raises(KeyError):
        payments.field_at("batches.payments.creditor.nam")
    with pytest.raises(KeyError):
        payments.field_at("message_id.more")
    assert "batches.payments.remittance.structured.reference" in set(payments.leaf_paths())


def test_json_paths_quote_odd_keys() -> None:
    plan = model({"File": {"fields": {"a": {"type": "text"}}}})
    assert _problems(plan, {"a": "x", "odd key": 1}) == [("VAL103", "$['odd key']")]
