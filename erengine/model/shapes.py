"""The parts of a compiled model: records, fields and the shape of each field's value.

Records refer to each other by name (a model may nest a record inside itself where the nesting
can end), so a field holds a `RecordRef` and the plan resolves it with `plan.record(name)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from erengine.errors import SourceSpan
from erengine.model.leaves import LeafType


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A field (or list item) that holds the record `name`."""

    name: str


@dataclass(frozen=True, slots=True)
class ListOf:
    """A field that holds a list of records or of leaf values."""

    item: LeafType | RecordRef
    min_items: int = 0
    max_items: int | None = None


Shape = LeafType | RecordRef | ListOf


@dataclass(frozen=True, slots=True)
class FieldPlan:
    name: str
    shape: Shape
    required: bool = True
    default: Any = None  # typed value filled in when JSON input leaves the field out
    description: str | None = None
    span: SourceSpan | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not None


@dataclass(frozen=True, slots=True)
class RecordPlan:
    name: str
    fields: tuple[FieldPlan, ...]
    by_name: Mapping[str, FieldPlan]
    description: str | None = None


def record_of(shape: Shape) -> str | None:
    """The record name a field leads into (directly or as list items), or None for leaves."""
    if isinstance(shape, RecordRef):
        return shape.name
    if isinstance(shape, ListOf) and isinstance(shape.item, RecordRef):
        return shape.item.name
    return None
