"""The Avro form of a model: a schema derived from the plan, and data to and from it.

Each record becomes a named Avro record (namespace `erengine.<model>`); a record used again
is referred to by name, which also lets a recursive model through. Optional fields are unions
with null (null first, default null). Decimals are Avro strings: exact, with the exponent kept
("12.50"), and no precision bound to pick; docs/models.md gives the reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from erengine.model.leaves import LeafType
from erengine.model.shapes import FieldPlan, ListOf, RecordPlan, RecordRef, Shape

if TYPE_CHECKING:
    from erengine.model.plan import ModelPlan


def avro_schema(plan: ModelPlan) -> dict[str, Any]:
    namespace = "erengine." + plan.name.replace("-", "_").replace(".", "_")
    schema = _record_schema(plan, plan.root_record, set())
    schema["namespace"] = namespace
    schema["doc"] = f"{plan.name} {plan.version}"
    return schema


def _record_schema(plan: ModelPlan, record: RecordPlan, defined: set[str]) -> dict[str, Any]:
    defined.add(record.name)
    fields = []
    for field in record.fields:
        avro_type = _shape_schema(plan, field.shape, defined)
        entry: dict[str, Any] = {"name": field.name}
        if _optional_in_avro(field):
            entry["type"] = ["null", avro_type]
            entry["default"] = None
        else:
            entry["type"] = avro_type
        if field.description:
            entry["doc"] = field.description
        fields.append(entry)
    schema: dict[str, Any] = {"type": "record", "name": record.name, "fields": fields}
    if record.description:
        schema["doc"] = record.description
    return schema


def _shape_schema(plan: ModelPlan, shape: Shape | LeafType, defined: set[str]) -> Any:
    if isinstance(shape, RecordRef):
        if shape.name in defined:
            return shape.name
        return _record_schema(plan, plan.record(shape.name), defined)
    if isinstance(shape, ListOf):
        return {"type": "array", "items": _shape_schema(plan, shape.item, defined)}
    return shape.avro_type()


def _optional_in_avro(field: FieldPlan) -> bool:
    # Typed data always carries a field with a default, so only truly optional ones are nullable.
    return not field.required and not field.has_default


def to_avro(plan: ModelPlan, data: Any) -> dict[str, Any]:
    """Typed data -> the values fastavro writes."""
    return _map_leaves(plan, plan.root_record, data, lambda leaf, value: leaf.to_avro(value))


def from_avro(plan: ModelPlan, data: Any) -> dict[str, Any]:
    """What fastavro read -> typed data (absent optional values left out)."""
    return _map_leaves(plan, plan.root_record, data, lambda leaf, value: leaf.from_avro(value))


def _map_leaves(
    plan: ModelPlan, record: RecordPlan, data: Any, leaf_op: Callable[[LeafType, Any], Any]
) -> dict[str, Any]:
    def value_of(shape: Shape | LeafType, value: Any) -> Any:
        if isinstance(shape, RecordRef):
            return _map_leaves(plan, plan.record(shape.name), value, leaf_op)
        if isinstance(shape, ListOf):
            return [value_of(shape.item, item) for item in value]
        return leaf_op(shape, value)

    return {
        field.name: value_of(field.shape, data[field.name])
        for field in record.fields
        if data.get(field.name) is not None
    }
