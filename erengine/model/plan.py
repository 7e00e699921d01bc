"""The compiled model: one frozen object that converts, checks and describes model data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from erengine.errors import ValidationError
from erengine.model.avro import avro_schema
from erengine.model.shapes import FieldPlan, RecordPlan, record_of
from erengine.model.walk import CHECK, FROM_JSON, TO_JSON, convert, convert_or_raise


@dataclass(frozen=True, slots=True)
class ModelPlan:
    """A compiled model; converts and checks data (see docs/models.md for the data forms)."""

    name: str
    version: str
    root: str
    records: Mapping[str, RecordPlan]

    def record(self, name: str) -> RecordPlan:
        return self.records[name]

    @property
    def root_record(self) -> RecordPlan:
        return self.records[self.root]

    def field_at(self, path: str) -> FieldPlan:
        """The field at a dotted path from the root, list levels implicit.

        `batches.payments.creditor.name` walks through the `batches` and `payments` lists.
        Raises KeyError naming the first part that does not exist.
        """
        record = self.root_record
        found: FieldPlan | None = None
        for part in path.split("."):
            if found is not None:
                inner = record_of(found.shape)
                if inner is None:
                    raise KeyError(part)
                record = self.records[inner]
            if part not in record.by_name:
                raise KeyError(part)
            found = record.by_name[part]
        if found is None:
            raise KeyError(path)
        return found

    def leaf_paths(self) -> Iterator[str]:
        """Every dotted path to a leaf or leaf list, depth first (recursion not followed)."""
        yield from self._paths(self.root_record, "", frozenset({self.root}))

    def _paths(self, record: RecordPlan, prefix: str, seen: frozenset[str]) -> Iterator[str]:
        for field in record.fields:
            path = f"{prefix}{field.name}"
            inner = record_of(field.shape)
            if inner is None:
                yield path
            elif inner not in seen:
                yield from self._paths(self.records[inner], f"{path}.", seen | {inner})

    def from_json(self, data: Any, *, source: str | None = None, limit: int = 100) -> Any:
        """JSON-form data -> typed data; raises an ErrorGroup of every problem (up to limit)."""
        return convert_or_raise(self, data, FROM_JSON, source=source, limit=limit)

    def check(
        self, data: Any, *, source: str | None = None, limit: int = 100
    ) -> list[ValidationError]:
        """Problems of typed data (as readers produce it); an empty list when it is valid."""
        return convert(self, data, CHECK, source=source, limit=limit)[1]

    def to_json(self, data: Any) -> Any:
        """Typed data -> JSON-compatible data; invalid data raises an ErrorGroup."""
        return convert_or_raise(self, data, TO_JSON, source=None, limit=100)

    def avro_schema(self) -> dict[str, Any]:
        return avro_schema(self)
