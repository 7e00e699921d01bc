"""Mappings at run time: a user's own rows (an ERP export) onto a model, by expressions.

`compile_mapping(document, model)` compiles every expression once and places each mapped
path on its list level (the levels of `erengine.io.flat`: root, `batches`, `batches.payments`).
`plan.apply(rows)` evaluates the expressions per row, groups rows into list items by the
`group_by` keys (first appearance order; rows need not be sorted), and checks the result
against the model. Every problem names the source file, the row, the column(s) the expression
reads and the model path. Grouping holds the rows' values in memory: mapped inputs are ERP
exports, not multi-gigabyte files.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from erengine.config.schema.mapping import CsvSourceSpec, JsonSourceSpec, MappingDocument
from erengine.errors import (
    ConfigError,
    DataPosition,
    ErengineError,
    ErrorCollector,
    ErrorGroup,
    ParseError,
    SourceSpan,
    ValidationError,
    flatten,
)
from erengine.expr import Expression, ExpressionCompiler
from erengine.io.csv_files import iter_csv_rows
from erengine.io.flat import dict_at, flat_layout, list_at
from erengine.io.rows import RowOrigins
from erengine.model.plan import ModelPlan
from erengine.model.shapes import RecordRef, record_of
from erengine.model.walk import json_path

ConfigPath = tuple[str | int, ...]
SpanLookup = Callable[[ConfigPath], SourceSpan | None]
Row = tuple[int, Mapping[str, Any]]  # (CSV line or 1-based JSON index, column -> value)

_FAILED = object()  # an expression that failed on a row; its error is already collected
_COLUMN_REFERENCE = re.compile(r"""\brow\.([A-Za-z_]\w*)|\brow\[\s*['"]([^'"]+)['"]\s*\]""")


@dataclass(frozen=True, slots=True)
class MappedField:
    path: str  # model path from the root, e.g. batches.payments.amount
    inside: tuple[str, ...]  # the same path inside the record of its level
    expression: Expression


@dataclass(frozen=True, slots=True)
class MappedLevel:
    name: str  # '' for the root, else the list path, e.g. batches.payments
    child: tuple[str | int, ...] | None  # where the next level's list sits in this level's record
    fields: tuple[MappedField, ...]
    key: Expression | None  # group_by expression, or None: group by the mapped values


@dataclass(frozen=True, slots=True)
class MappingPlan:
    name: str
    version: str
    model: ModelPlan
    source_spec: CsvSourceSpec | JsonSourceSpec
    skip_when: Expression | None
    levels: tuple[MappedLevel, ...]

    def read(
        self, path: Path, *, context: Mapping[str, Any] | None = None, limit: int = 100
    ) -> dict[str, Any]:
        """Read the user's file named by `path` (as the mapping's `source` says) and map it."""
        return self.apply(self.rows(path), context=context, source=str(path), limit=limit)

    def rows(self, path: Path) -> Iterator[Row]:
        spec = self.source_spec
        if isinstance(spec, CsvSourceSpec):
            with path.open(encoding=spec.encoding, newline="") as stream:
                yield from iter_csv_rows(stream, file=str(path), delimiter=spec.delimiter)
        else:
            yield from _json_rows(path, spec)

    def apply(
        self,
        rows: Iterable[Row],
        *,
        context: Mapping[str, Any] | None = None,
        source: str | None = None,
        limit: int = 100,
        by_line: bool | None = None,
    ) -> dict[str, Any]:
        """Map rows onto the model; typed data, or an ErrorGroup of every problem found.

        Row numbers are file lines when `by_line` (by default: when the source is CSV)."""
        if by_line is None:
            by_line = isinstance(self.source_spec, CsvSourceSpec)
        run = _MappingRun(self, dict(context or {}), source, limit, by_line)
        for number, row in rows:
            run.add(number, row)
        return run.finish()


def _json_rows(path: Path, spec: JsonSourceSpec) -> Iterator[Row]:
    try:
        with path.open(encoding=spec.encoding) as stream:
            # An export's numbers are read as written (Decimal), so 1234.5 is exactly 1234.5.
            document = json.load(stream, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ParseError(
            "PRS195",
            f"invalid JSON: {exc.msg}",
            position=DataPosition(file=str(path), line=exc.lineno, column=exc.colno),
        ) from None
    rows = document
    for part in (spec.rows_at or "").split(".") if spec.rows_at else ():
        rows = rows.get(part) if isinstance(rows, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ParseError(
            "PRS187",
            f"expected an array of objects at {spec.rows_at or 'the top'}",
            position=DataPosition(file=str(path), json_path="$." + (spec.rows_at or "")),
        )
    yield from enumerate(rows, start=1)


def compile_mapping(
    document: MappingDocument,
    model: ModelPlan,
    *,
    compiler: ExpressionCompiler | None = None,
    span_for: SpanLookup | None = None,
) -> MappingPlan:
    """Compile a checked mapping for `model`; raise an ErrorGroup of ConfigErrors (CFG7xx)."""
    return _MappingCompiler(document, model, compiler or ExpressionCompiler(), span_for).compile()


class _MappingCompiler:
    def __init__(
        self,
        document: MappingDocument,
        model: ModelPlan,
        compiler: ExpressionCompiler,
        span_for: SpanLookup | None,
    ) -> None:
        self.document = document
        self.model = model
        self.compiler = compiler
        self.span_for = span_for or (lambda path: None)
        self.errors = ErrorCollector(limit=200)

    def error(self, code: str, message: str, where: ConfigPath, hint: str | None = None) -> None:
        self.errors.add(
            ConfigError(
                code, message, span=self.span_for(where), config_path=_dotted(where), hint=hint
            )
        )

    def expression(self, source: str, where: ConfigPath) -> Expression | None:
        try:
            return self.compiler.compile(
                source,
                span=self.span_for(where),
                config_path=_dotted(where),
            )
        except ErengineError as error:
            self.errors.extend(flatten(error))
            return None

    def compile(self) -> MappingPlan:
        try:
            layout = flat_layout(self.model)
        except ConfigError as error:
            raise ConfigError(
                "CFG701",
                f"model {self.model.name} cannot take rows: {error.message}",
                span=self.span_for(("model",)),
                config_path="model",
            ) from None
        names = [level.name for level in layout.levels]
        for list_path in self.document.group_by:
            if list_path not in names[1:]:
                self.error(
                    "CFG702",
                    f"{list_path!r} is not a list level of model {self.model.name}",
                    ("group_by", list_path),
                    hint=f"list levels: {', '.join(names[1:]) or 'none'}",
                )
        fields: dict[str, list[MappedField]] = {name: [] for name in names}
        for path, value in self.document.fields.items():
            level = _level_of(path, names)
            mapped = self.field(path, value, level)
            if mapped is not None:
                fields[level].append(mapped)
        self.check_required_are_mapped()
        skip_when = self.document.skip_when
        skip = self.expression(skip_when, ("skip_when",)) if skip_when is not None else None
        levels = tuple(
            MappedLevel(
                name=level.name,
                child=level.child,
                fields=tuple(fields[level.name]),
                key=self.group_key(level.name),
            )
            for level in layout.levels
        )
        self.errors.raise_if_any()
        return MappingPlan(
            name=self.document.name,
            version=self.document.version,
            model=self.model,
            source_spec=self.document.source,
            skip_when=skip,
            levels=levels,
        )

    def check_required_are_mapped(self) -> None:
        """A value every document needs, with no mapping and no default, fails every run."""
        for path in self.model.leaf_paths():
            if path not in self.document.fields and _always_needed(self.model, path):
                self.error(
                    "CFG705",
                    f"the model needs {path!r} in every document, and it is not mapped",
                    ("fields",),
                    hint=f"add `{path}: ...` (a constant or an expression)",
                )

    def group_key(self, level_name: str) -> Expression | None:
        source = self.document.group_by.get(level_name)
        return None if source is None else self.expression(source, ("group_by", level_name))

    def field(self, path: str, value: str | int | bool, level: str) -> MappedField | None:
        where: ConfigPath = ("fields", path)
        try:
            field = self.model.field_at(path)
        except KeyError as missing:
            known = list(self.model.leaf_paths())
            close = difflib.get_close_matches(path, known, n=1)
            self.error(
                "CFG703",
                f"the model has no field {path!r} (no {missing.args[0]!r} there)",
                where,
                hint=f"did you mean {close[0]!r}?" if close else None,
            )
            return None
        if record_of(field.shape) is not None:
            kind = "record" if isinstance(field.shape, RecordRef) else "list of records"
            self.error(
                "CFG704",
                f"{path!r} is a {kind}; map its fields instead, e.g. {path}.name",
                where,
            )
            return None
        # A number or boolean in YAML is a constant of that type, not text.
        source = value if isinstance(value, str) else "{{ " + json.dumps(value) + " }}"
        expression = self.expression(source, where)
        if expression is None:
            return None
        inside = path[len(level) + 1 :] if level else path
        return MappedField(path, tuple(inside.split(".")), expression)


def _always_needed(model: ModelPlan, path: str) -> bool:
    """Whether `path` and every record or list on the way to it are required, with no default."""
    parts = path.split(".")
    for end in range(1, len(parts) + 1):
        field = model.field_at(".".join(parts[:end]))
        if not field.required or field.has_default:
            return False
    return True


def _dotted(where: ConfigPath) -> str:
    return ".".join(str(part) for part in where)


def _level_of(path: str, level_names: list[str]) -> str:
    """The deepest list level whose path is a prefix of `path`."""
    found = ""
    for name in level_names[1:]:
        if path.startswith(name + "."):
            found = name
    return found


@dataclass
class _Item:
    """One item being built: its record, the row that began it and the values it has."""

    record: dict[str, Any]
    json_path: str
    first_row: int
    values: dict[str, Any]
    children: dict[Any, _Item] = dataclasses.field(default_factory=dict)


class _MappingRun:
    def __init__(
        self,
        plan: MappingPlan,
        context: dict[str, Any],
        source: str | None,
        limit: int,
        by_line: bool,
    ) -> None:
        self.plan = plan
        self.context = context
        self.source = source
        self.errors = ErrorCollector(limit=limit)
        self.root: _Item | None = None
        self.failed_paths: set[str] = set()  # their "missing" in the model is no news
        self.origins = RowOrigins(source, by_line=by_line)

    def evaluate(
        self, expression: Expression, scope: Mapping[str, Any], number: int, path: str
    ) -> Any:
        try:
            return expression.evaluate(scope)
        except ErengineError as error:
            columns = _columns_of(expression)
            row = scope["row"]
            cells = ", ".join(f"{c}={row[c]!r}" if c in row else f"{c} missing" for c in columns)
            self.errors.add(
                ValidationError(
                    "VAL150",
                    error.message + (f" (from {cells})" if cells else ""),
                    rule="mapping.expression",
                    position=self.origins.position(number, path),
                    hint=error.hint,
                )
            )
            return _FAILED

    def add(self, number: int, row: Mapping[str, Any]) -> None:
        scope = {"row": row, "context": self.context}
        skip = self.plan.skip_when
        if skip is not None and self.evaluate(skip, scope, number, "skip_when") is True:
            return
        parent: _Item | None = None
        for depth, level in enumerate(self.plan.levels):
            values: dict[str, Any] = {}
            failed: list[MappedField] = []
            for field in level.fields:
                value = self.evaluate(field.expression, scope, number, field.path)
                if value is _FAILED:
                    failed.append(field)
                elif value not in (None, ""):
                    values[field.path] = value
            if parent is None:
                if self.root is None:
                    self.root = self.new_item(level, values, "$", number, failed)
                parent = self.root
                self.check_same(self.root, values, number)
                continue
            key = self.key(level, values, scope, number)
            item = parent.children.get(key)
            if item is None:
                above = self.plan.levels[depth - 1]
                siblings = list_at(parent.record, above.child or ())
                path = f"{parent.json_path}{json_path(above.child or ())[1:]}[{len(siblings)}]"
                item = self.new_item(level, values, path, number, failed)
                siblings.append(item.record)
                parent.children[key] = item
            else:
                self.check_same(item, values, number)
            parent = item

    def key(
        self, level: MappedLevel, values: dict[str, Any], scope: Mapping[str, Any], number: int
    ) -> Any:
        if level is self.plan.levels[-1] and level.key is None:
            return object()  # every row is its own item on the deepest level
        if level.key is not None:
            return self.evaluate(level.key, scope, number, f"group_by.{level.name}")
        return repr(sorted(values.items()))

    def new_item(
        self,
        level: MappedLevel,
        values: dict[str, Any],
        path: str,
        number: int,
        failed: list[MappedField],
    ) -> _Item:
        record: dict[str, Any] = {}
        inside = {field.path: field.inside for field in level.fields}
        for model_path, value in values.items():
            *holders, name = inside[model_path]
            dict_at(record, tuple(holders))[name] = value
        self.origins.note(path, number)
        self.failed_paths.update(f"{path}.{'.'.join(field.inside)}" for field in failed)
        return _Item(record, path, number, values)

    def check_same(self, item: _Item, values: dict[str, Any], number: int) -> None:
        """Rows grouped into one item must agree on its values."""
        for path in item.values.keys() | values.keys():
            first, here = item.values.get(path), values.get(path)
            if first != here:
                self.errors.add(
                    ValidationError(
                        "VAL151",
                        f"differs from row {item.first_row}, which belongs to the same item",
                        rule="mapping.group",
                        position=self.origins.position(number, path),
                        expected=_shown(first),
                        found=_shown(here),
                        hint="add the differing column to the level's group_by key",
                    )
                )

    def finish(self) -> dict[str, Any]:
        """The typed data; or row problems and model problems, reported together."""
        if self.root is None:
            raise ParseError("PRS191", "no rows to map", position=DataPosition(file=self.source))
        typed: dict[str, Any] = {}
        try:
            typed = self.plan.model.from_json(self.root.record, source=self.source)
        except ErrorGroup as group:
            self.errors.extend(
                self.origins.place(error)
                for error in group.errors
                if not self.already_reported(error)
            )
        self.errors.raise_if_any()
        return typed

    def already_reported(self, error: ErengineError) -> bool:
        """A "missing" value (or record) that only misses because its expression failed."""
        if not isinstance(error, ValidationError) or error.code != "VAL102":
            return False
        where = error.position.json_path or ""
        return any(path == where or path.startswith(f"{where}.") for path in self.failed_paths)


def _shown(value: Any) -> str:
    return "nothing" if value is None else str(value)


def _columns_of(expression: Expression) -> tuple[str, ...]:
    """The row columns an expression reads (by `row.NAME` or `row['NAME']`), for messages."""
    return tuple(dict.fromkeys(a or b for a, b in _COLUMN_REFERENCE.findall(expression.source)))
