"""Model compilation: mistakes that need the whole document, all reported at once (CFG5xx)."""

from __future__ import annotations

from typing import Any

import pytest

from erengine.config.schema.model import ModelDocument
from erengine.errors import ConfigError, ErrorGroup, SourceSpan
from erengine.model import compile_model
from erengine.model.shapes import ListOf, RecordRef


def _document(records: dict[str, Any], root: str = "File") -> ModelDocument:
    return ModelDocument.model_validate(
        {"kind": "model", "name": "t", "version": "1.0.0", "root": root, "records": records}
    )


def _errors(records: dict[str, Any], root: str = "File") -> list[ConfigError]:
    with pytest.raises(ErrorGroup) as caught:
        compile_model(_document(records, root))
    return [e for e in caught.value.errors if isinstance(e, ConfigError)]


def test_compiles_records_fields_and_shapes() -> None:
    plan = compile_model(
        _document(
            {
                "File": {"fields": {"items": {"type": "list", "of": "Item", "min_items": 1}}},
                "Item": {"fields": {"tags": {"type": "list", "of": {"type": "text"}}}},
            }
        )
    )
    items = plan.field_at("items")
    assert isinstance(items.shape, ListOf)
    assert items.shape.item == RecordRef("Item")
    assert isinstance(plan.field_at("items.tags").shape, ListOf)
    assert list(plan.leaf_paths()) == ["items.tags"]


def test_every_mistake_is_reported_with_its_config_path() -> None:
    errors = _errors(
        {
            "File": {
                "fields": {
                    "a": {"type": "record", "of": "Missing"},
                    "b": {"type": "money", "currency_field": "nope"},
                    "c": {"type": "money", "currency_field": "d"},
                    "d": {"type": "integer", "minimum": 5, "maximum": 1},
                    "e": {"type": "text", "pattern": "("},
                    "f": {"type": "money", "currency": "ABC"},
                    "g": {"type": "code", "codes": ["x"], "default": "y"},
                    "h": {"type": "decimal", "minimum": "ten"},
                }
            }
        },
        root="Nope",
    )
    found = {(e.code, e.config_path) for e in errors}
    assert found == {
        ("CFG501", "root"),
        ("CFG502", "records.File.fields.a.of"),
        ("CFG503", "records.File.fields.b.currency_field"),
        ("CFG504", "records.File.fields.c.currency_field"),
        ("CFG510", "records.File.fields.d.minimum"),
        ("CFG508", "records.File.fields.e.pattern"),
        ("CFG505", "records.File.fields.f.currency"),
        ("CFG507", "records.File.fields.g.default"),
        ("CFG509", "records.File.fields.h.minimum"),
    }


def test_currency_codes_must_be_currencies() -> None:
    errors = _errors(
        {
            "File": {
                "fields": {
                    "amount": {"type": "money", "currency_field": "currency"},
                    "currency": {"type": "code", "codes": ["EUR", "EURO"]},
                }
            }
        }
    )
    assert [(e.code, e.message.endswith("EURO")) for e in errors] == [("CFG505", True)]


def test_a_record_that_must_contain_itself_is_rejected_once() -> None:
    errors = _errors(
        {
            "File": {"fields": {"a": {"type": "record", "of": "A"}}},
            "A": {"fields": {"b": {"type": "record", "of": "B"}}},
            "B": {"fields": {"a": {"type": "list", "of": "A", "min_items": 1}}},
        }
    )
    assert [(e.code, e.message) for e in errors] == [
        ("CFG511", "records contain each other through required fields without end: A -> B -> A")
    ]


def test_a_nesting_that_can_end_is_allowed() -> None:
    nested = {"type": "record", "of": "File", "required": False}
    plan = compile_model(_document({"File": {"fields": {"next": nested}}}))
    assert plan.check({"next": {"next": {}}}) == []


def test_defaults_are_for_leaves_only() -> None:
    errors = _errors(
        {
            "File": {"fields": {"a": {"type": "record", "of": "A", "default": "x"}}},
            "A": {"fields": {"b": {"type": "text"}}},
        }
    )
    assert [e.code for e in errors] == ["CFG506"]


def test_spans_come_from_the_lookup_given() -> None:
    seen: list[tuple[str | int, ...]] = []

    def span_for(path: tuple[str | int, ...]) -> SourceSpan:
        seen.append(path)
        return SourceSpan("model.yaml", len(path), 1)

    with pytest.raises(ErrorGroup) as caught:
        compile_model(
            _document({"File": {"fields": {"a": {"type": "record", "of": "X"}}}}), span_for=span_for
        )
    error = caught.value.errors[0]
    assert isinstance(error, ConfigError)
    assert error.span == SourceSpan("model.yaml", 5, 1)
    assert ("records", "File", "fields", "a", "of") in seen


@pytest.mark.parametrize(
    "field",
    [
        {"type": "money"},
        {"type": "money", "currency": "USD", "exponent": 2},
        {"type": "code"},
        {"type": "text", "min_length": 0},
        {"type": "list", "of": "A", "min_items": 3, "max_items": 2},
        {"type": "txt"},
    ],
)
def test_the_schema_rejects_malformed_fields(field: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        _document({"File": {"fields": {"a": field}}})
