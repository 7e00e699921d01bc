"""Mappings: an ERP's own CSV onto the payments model, and every mistake located."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from erengine.config.documents import validate_document
from erengine.config.schema.mapping import MappingDocument
from erengine.config.yaml_spans import load_yaml_file, load_yaml_text, span_at
from erengine.errors import ConfigError, ErrorGroup, ParseError, ValidationError
from erengine.io.mapping import MappingPlan, compile_mapping
from erengine.kinds import register_document_kinds
from erengine.model import ModelPlan
from tests.model.conftest import model

DATA = Path(__file__).parent / "data"
CONTEXT = {"message_id": "MSG-1", "created_at": "2025-01-02T10:00:00"}


def _compile(payments: ModelPlan, data: Any, file: str) -> MappingPlan:
    register_document_kinds()
    document = validate_document(data, file)
    assert isinstance(document, MappingDocument)
    return compile_mapping(document, payments, span_for=lambda path: span_at(data, path))


@pytest.fixture
def acme(payments: ModelPlan) -> MappingPlan:
    path = DATA / "acme-erp.yaml"
    return _compile(payments, load_yaml_file(path), str(path))


def _variant(
    payments: ModelPlan, field_changes: dict[str, str] | None = None, **changes: Any
) -> MappingPlan:
    text = (DATA / "acme-erp.yaml").read_text()
    data = load_yaml_text(text, "variant.yaml")
    for key, value in changes.items():
        data[key] = value
    data["fields"].update(field_changes or {})
    return _compile(payments, data, "variant.yaml")


def _errors(caught: pytest.ExceptionInfo[ErrorGroup]) -> list[Any]:
    return list(caught.value.errors)


def test_rows_become_batches_and_payments(acme: MappingPlan) -> None:
    typed = acme.read(DATA / "acme-erp.csv", context=CONTEXT)
    assert typed["message_id"] == "MSG-1"
    assert typed["created_at"] == datetime(2025, 1, 2, 10)
    first, second = typed["batches"]
    assert first["requested_date"] == date(2025, 1, 3)
    assert first["batch_booking"] is True
    assert first["debtor"] == {"name": "ACME GmbH"}
    # Rows need not be sorted: rows 2 and 4 share a key and form the first batch.
    assert [p["end_to_end_id"] for p in first["payments"]] == ["INV-1", "INV-2"]
    assert [p["amount"] for p in first["payments"]] == [Decimal("1234.50"), Decimal("99.00")]
    assert second["requested_date"] == date(2025, 1, 4)
    assert second["payments"][0]["creditor"] == {"name": "Foo AG"}
    assert second["payments"][0]["direction"] == "credit"  # the model's default


def test_rows_from_json(payments: ModelPlan, tmp_path: Path) -> None:
    rows = [
        {
            "PayDate": "03.01.2025",
            "DebtorIBAN": "DE89370400440532013000",
            "Debtor": "A",
            "Supplier": "B",
            "SupplierIBAN": "FR1420041010050500013M02606",
            "Amount": "5,00",
            "Cur": "EUR",
            "Ref": "R1",
        },
    ]
    source = tmp_path / "export.json"
    source.write_text(json.dumps({"data": {"rows": rows}}))
    plan = _variant(payments, source={"type": "json", "rows_at": "data.rows"})
    typed = plan.read(source, context=CONTEXT)
    assert typed["batches"][0]["payments"][0]["amount"] == Decimal("5.00")
    rows.append({**rows[0], "Cur": "EURO"})
    source.write_text(json.dumps({"data": {"rows": rows}}))
    with pytest.raises(ErrorGroup) as bad:
        plan.read(source, context=CONTEXT)
    assert [(e.code, e.position.record) for e in _errors(bad)] == [("VAL109", "row#2")]


def test_numbers_in_a_json_source_are_exact(payments: ModelPlan, tmp_path: Path) -> None:
    plan = _variant(
        payments,
        source={"type": "json"},
        field_changes={"batches.payments.amount": "{{ row.Amount }}"},
    )
    row = {"PayDate": "03.01.2025", "Debtor": "A", "Supplier": "B", "Cur": "EUR", "Ref": "R"}
    row |= {"DebtorIBAN": "DE89370400440532013000", "SupplierIBAN": "FR1420041010050500013M02606"}
    source = tmp_path / "export.json"
    source.write_text(json.dumps([row])[:-2] + ', "Amount": 0.1}]')  # a JSON number, not text
    payment = plan.read(source, context=CONTEXT)["batches"][0]["payments"][0]
    assert payment["amount"] == Decimal("0.10")
    assert payment["amount"].as_tuple().exponent == -2
    source.write_text(json.dumps({"data": {}}))
    with pytest.raises(ParseError) as caught:
        plan.read(source, context=CONTEXT)
    assert caught.value.code == "PRS187"


def test_every_bad_row_is_reported_with_file_row_column_and_path(
    acme: MappingPlan, tmp_path: Path
) -> None:
    source = tmp_path / "export.csv"
    lines = (DATA / "acme-erp.csv").read_text().splitlines()
    lines[1] = lines[1].replace("1.234,50", "12x")
    lines[2] = lines[2].replace(";EUR;", ";EURO;")
    source.write_text("\n".join(lines) + "\n")
    with pytest.raises(ErrorGroup) as caught:
        acme.read(source, context=CONTEXT)
    found = [
        (e.code, e.position.file, e.position.line, e.position.field)
        for e in _errors(caught)
        if isinstance(e, ValidationError)
    ]
    assert found == [
        ("VAL150", str(source), 2, "batches.payments.amount"),
        ("VAL109", str(source), 3, None),  # found by the model: the row is known, not the column
    ]
    error = _errors(caught)[0]
    assert "Amount='12x'" in error.message


def test_model_problems_name_the_row_they_came_from(acme: MappingPlan, tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    lines = (DATA / "acme-erp.csv").read_text().splitlines()
    lines[3] = lines[3].replace(";EUR;", ";EURO;")
    source.write_text("\n".join(lines) + "\n")
    with pytest.raises(ErrorGroup) as caught:
        acme.read(source, context=CONTEXT)
    (error,) = _errors(caught)
    assert error.code == "VAL109"
    assert error.position.json_path == "$.batches[0].payments[1].currency"
    assert error.position.line == 4


def test_rows_of_one_item_must_agree(payments: ModelPlan, tmp_path: Path) -> None:
    plan = _variant(payments, group_by={"batches": "{{ row.DebtorIBAN }}"})
    with pytest.raises(ErrorGroup) as caught:
        plan.read(DATA / "acme-erp.csv", context=CONTEXT)
    (error,) = _errors(caught)
    assert (error.code, error.position.line) == ("VAL151", 3)
    assert (error.position.field, error.expected, error.found) == (
        "batches.requested_date",
        "2025-01-03",
        "2025-01-04",
    )


def test_a_missing_column_is_named_once(acme: MappingPlan, tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    lines = (DATA / "acme-erp.csv").read_text().splitlines()
    source.write_text("\n".join(line.rsplit(";", 1)[0] for line in lines[:2]) + "\n")
    with pytest.raises(ErrorGroup) as caught:
        acme.read(source, context=CONTEXT)
    (error,) = _errors(caught)
    assert (error.code, error.position.field) == ("VAL150", "batches.payments.end_to_end_id")
    assert error.message.endswith("(from Ref missing)")


def test_missing_context_is_a_row_error(acme: MappingPlan) -> None:
    with pytest.raises(ErrorGroup) as caught:
        acme.read(DATA / "acme-erp.csv", context={"created_at": "2025-01-02T10:00:00"})
    assert {(e.code, e.position.field) for e in _errors(caught)} == {("VAL150", "message_id")}


def test_mistakes_in_the_mapping_are_config_errors_with_spans(payments: ModelPlan) -> None:
    fields = {
        "batches.payments.amout": "{{ row.Amount }}",
        "batches.debtor": "{{ row.Debtor }}",
        "batches.requested_date": "{{ row.PayDate | no_such_filter }}",
        "created_at": "{{ now() }}",
    }
    with pytest.raises(ErrorGroup) as caught:
        _variant(payments, fields=fields, group_by={"batches.debtor": "{{ row.Debtor }}"})
    found = {(e.code, e.config_path) for e in _errors(caught) if isinstance(e, ConfigError)}
    assert found == {
        ("CFG702", "group_by.batches.debtor"),
        ("CFG703", "fields.batches.payments.amout"),
        ("CFG704", "fields.batches.debtor"),
        ("CFG405", "fields.batches.requested_date"),
        ("CFG705", "fields"),  # the fields replaced leave required ones unmapped
    }
    unknown = next(e for e in _errors(caught) if e.code == "CFG703")
    assert unknown.hint == "did you mean 'batches.payments.amount'?"


def test_required_values_must_be_mapped(payments: ModelPlan) -> None:
    data = load_yaml_text((DATA / "acme-erp.yaml").read_text(), "variant.yaml")
    del data["fields"]["created_at"]
    del data["fields"]["batches.payments.creditor.name"]
    del data["fields"]["batches.payments.end_to_end_id"]  # optional: no complaint
    with pytest.raises(ErrorGroup) as caught:
        _compile(payments, data, "variant.yaml")
    assert [e.message for e in _errors(caught)] == [
        "the model needs 'created_at' in every document, and it is not mapped",
        "the model needs 'batches.payments.creditor.name' in every document, and it is not mapped",
    ]
    assert {e.span.line for e in _errors(caught)} == {data.key_spans["fields"].line + 1}


def test_a_model_with_two_lists_cannot_take_rows() -> None:
    items = {"type": "list", "of": "I"}
    two_lists = model(
        {"File": {"fields": {"a": items, "b": items}}, "I": {"fields": {"n": {"type": "integer"}}}}
    )
    document = MappingDocument.model_validate(
        {
            "kind": "mapping",
            "name": "m",
            "version": "1.0.0",
            "model": "t@^1",
            "source": {"type": "csv"},
            "fields": {"a.n": "1"},
        }
    )
    with pytest.raises(ConfigError) as caught:
        compile_mapping(document, two_lists)
    assert caught.value.code == "CFG701"
