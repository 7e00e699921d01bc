"""One walk over model data, used for every conversion: from JSON, checking, to JSON.

The walk follows the plan, applies a leaf operation to every value and collects every problem
with its JSON path (`$.batches[0].payments[3].amount`), so the three conversions cannot drift
apart in how they treat records, lists, absent values and unknown keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from erengine.errors import DataPosition, ErrorCollector, ErrorGroup, ValidationError
from erengine.model.leaves import LeafType, Record, ValueProblem
from erengine.model.shapes import FieldPlan, ListOf, RecordPlan, RecordRef

if TYPE_CHECKING:
    from erengine.model.plan import ModelPlan

PathParts = tuple[str | int, ...]
LeafOperation = Callable[[LeafType, Any, Record], Any]


def _check_then_to_json(leaf: LeafType, value: Any, record: Record) -> Any:
    leaf.check(value, record)
    return leaf.to_json(value)


def _check(leaf: LeafType, value: Any, record: Record) -> Any:
    leaf.check(value, record)
    return value


@dataclass(frozen=True, slots=True)
class Conversion:
    """What a walk does to each value, and whether missing values get their defaults."""

    leaf: LeafOperation
    fill_defaults: bool


FROM_JSON = Conversion(lambda leaf, value, record: leaf.from_json(value, record), True)
CHECK = Conversion(_check, False)
TO_JSON = Conversion(_check_then_to_json, False)


def json_path(parts: PathParts) -> str:
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{part}"
        else:
            text += f"[{part!r}]"
    return text


def validation_error(
    problem: ValueProblem, path: PathParts, source: str | None = None
) -> ValidationError:
    """The error a leaf's problem becomes, placed at `path` in the data."""
    return ValidationError(
        problem.code,
        problem.message,
        rule=problem.rule,
        position=DataPosition(file=source, json_path=json_path(path)),
        expected=problem.expected,
        found=None if problem.found is None else str(problem.found),
        hint=problem.hint,
    )


class _Walk:
    def __init__(
        self,
        plan: ModelPlan,
        conversion: Conversion,
        source: str | None,
        limit: int,
        leave_out: PathParts | None = None,
    ):
        self.plan = plan
        self.conversion = conversion
        self.source = source
        self.errors = ErrorCollector(limit=limit)
        self.leave_out = leave_out

    def _left_out(self, path: PathParts, name: str) -> bool:
        # The name test first: the tuple is built only for the one field that may match.
        leave_out = self.leave_out
        return leave_out is not None and name == leave_out[-1] and (*path, name) == leave_out

    def problem(self, path: PathParts, problem: ValueProblem) -> None:
        self.errors.add(validation_error(problem, path, self.source))

    def record(self, plan: RecordPlan, data: Any, path: PathParts) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            self.problem(path, _not_a("record (an object)", data))
            return {}
        result: dict[str, Any] = {}
        for key in data:
            if key not in plan.by_name:
                self.problem(
                    (*path, key),
                    ValueProblem(
                        "VAL103",
                        "model.unknown_field",
                        f"record {plan.name} has no field {key!r}",
                        expected=", ".join(plan.by_name),
                        found=key,
                    ),
                )
        for field in plan.fields:
            if self._left_out(path, field.name):
                continue
            value = data.get(field.name)
            if value is None or (not field.required and _is_empty_container(value, field)):
                if field.has_default and self.conversion.fill_defaults:
                    result[field.name] = field.default
                elif field.required and not field.has_default:
                    self.problem((*path, field.name), _missing(field))
                continue
            converted = self.value(field, value, data, (*path, field.name))
            if converted is not None:
                result[field.name] = converted
        return result

    def value(self, field: FieldPlan, value: Any, record: Record, path: PathParts) -> Any:
        shape = field.shape
        if isinstance(shape, RecordRef):
            return self.record(self.plan.record(shape.name), value, path)
        if isinstance(shape, ListOf):
            return self.items(shape, value, record, path)
        return self.leaf(shape, value, record, path)

    def items(self, shape: ListOf, value: Any, record: Record, path: PathParts) -> list[Any]:
        if not isinstance(value, list | tuple):
            self.problem(path, _not_a("list", value))
            return []
        count = len(value)
        if count < shape.min_items or (shape.max_items is not None and count > shape.max_items):
            bounds = f"{shape.min_items} to {shape.max_items if shape.max_items else 'any'}"
            self.problem(
                path,
                ValueProblem(
                    "VAL114",
                    "model.items",
                    f"{count} items where {bounds} are allowed",
                    expected=f"{bounds} items",
                    found=str(count),
                ),
            )
        item = shape.item
        if isinstance(item, RecordRef):
            record_plan = self.plan.record(item.name)
            return [self.record(record_plan, v, (*path, i)) for i, v in enumerate(value)]
        return [self.leaf(item, v, record, (*path, i)) for i, v in enumerate(value)]

    def leaf(self, leaf: LeafType, value: Any, record: Record, path: PathParts) -> Any:
        try:
            return self.conversion.leaf(leaf, value, record)
        except ValueProblem as problem:
            self.problem(path, problem)
            return None


def _is_empty_container(value: Any, field: FieldPlan) -> bool:
    """An empty optional record or list means, like None: not given."""
    if isinstance(field.shape, RecordRef):
        return isinstance(value, Mapping) and not value
    return isinstance(field.shape, ListOf) and isinstance(value, list | tuple) and not value


def _missing(field: FieldPlan) -> ValueProblem:
    return ValueProblem(
        "VAL102",
        "model.required",
        f"required field {field.name!r} is missing",
        expected=field.name,
        hint=field.description,
    )


def _not_a(expected: str, value: Any) -> ValueProblem:
    return ValueProblem(
        "VAL101",
        "model.type",
        f"expected a {expected}, found {type(value).__name__}",
        expected=expected,
        found=value,
    )


def convert(
    plan: ModelPlan, data: Any, conversion: Conversion, *, source: str | None, limit: int
) -> tuple[Any, list[ValidationError]]:
    """Walk `data`; the converted data and every problem found (up to `limit`)."""
    walk = _Walk(plan, conversion, source, limit)
    try:
        result = walk.record(plan.root_record, data, ())
    except ErrorGroup:  # the collector is full: what it holds is what we report
        result = None
    problems = [e for e in walk.errors.errors if isinstance(e, ValidationError)]
    return result, problems


def convert_or_raise(
    plan: ModelPlan, data: Any, conversion: Conversion, *, source: str | None, limit: int
) -> Any:
    return convert_item(plan, plan.root_record, data, conversion, source=source, limit=limit)


def convert_item(
    plan: ModelPlan,
    record: RecordPlan,
    data: Any,
    conversion: Conversion,
    *,
    at: PathParts = (),
    leave_out: PathParts | None = None,
    source: str | None = None,
    limit: int = 100,
) -> Any:
    """Convert one record found at `at` in a document; raise an ErrorGroup of its problems.

    Streams convert item by item: `leave_out` (a path from `at`) names the list of the next
    level, which the stream delivers and checks itself.
    """
    walk = _Walk(plan, conversion, source, limit, (*at, *leave_out) if leave_out else None)
    result = walk.record(record, data, at)
    walk.errors.raise_if_any()
    return result
