"""JSON input and output of model data.

Output is written piece by piece as the data is walked, so lists given as generators are
streamed and no giant string is built. Input rejects duplicate keys, which JSON parsers
otherwise resolve silently by keeping the last.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from erengine.errors import DataPosition, ParseError
from erengine.model.leaves import LeafType, ValueProblem
from erengine.model.plan import ModelPlan
from erengine.model.shapes import ListOf, RecordPlan, RecordRef, Shape
from erengine.model.walk import PathParts, validation_error


def read_json(plan: ModelPlan, source: TextIO, *, file: str | None = None) -> dict[str, Any]:
    """Read a JSON document into typed data (every problem reported with its JSON path)."""
    try:
        data = json.load(source, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ParseError(
            "PRS195",
            f"invalid JSON: {exc.msg}",
            position=DataPosition(file=file, line=exc.lineno, column=exc.colno),
        ) from None
    except _DuplicateKey as exc:
        raise ParseError(
            "PRS196",
            f"key {exc.key!r} appears twice in one object",
            position=DataPosition(file=file),
        ) from None
    typed: dict[str, Any] = plan.from_json(data, source=file)
    return typed


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def write_json(plan: ModelPlan, data: Any, sink: TextIO) -> None:
    """Write typed data as indented JSON, checking each value as it goes."""
    for chunk in _JsonChunks(plan).record(plan.root_record, data, (), 0):
        sink.write(chunk)
    sink.write("\n")


class _JsonChunks:
    def __init__(self, plan: ModelPlan) -> None:
        self.plan = plan

    def record(self, record: RecordPlan, data: Any, path: PathParts, depth: int) -> Iterator[str]:
        inner = "\n" + "  " * (depth + 1)
        separator = "{"
        for field in record.fields:
            value = data.get(field.name)
            if value is None:
                continue
            yield f"{separator}{inner}{json.dumps(field.name)}: "
            yield from self.value(field.shape, value, data, (*path, field.name), depth + 1)
            separator = ","
        yield "{}" if separator == "{" else "\n" + "  " * depth + "}"

    def value(
        self, shape: Shape | LeafType, value: Any, record: Any, path: PathParts, depth: int
    ) -> Iterator[str]:
        if isinstance(shape, RecordRef):
            yield from self.record(self.plan.record(shape.name), value, path, depth)
        elif isinstance(shape, ListOf):
            inner = "\n" + "  " * (depth + 1)
            separator = "["
            for index, item in enumerate(value):
                yield separator + inner
                yield from self.value(shape.item, item, record, (*path, index), depth + 1)
                separator = ","
            yield "[]" if separator == "[" else "\n" + "  " * depth + "]"
        else:
            try:
                shape.check(value, record)
            except ValueProblem as problem:
                raise validation_error(problem, path) from None
            yield json.dumps(shape.to_json(value), ensure_ascii=False)
