"""Flattening model trees into rows and back: the rule behind CSV input and output.

A model is a tree; a CSV file is a table. The rule (docs/models.md, "CSV"):

- The lists of records form a chain of *levels*: the root, then the one list of records in
  the root (`batches`), then the one list in each batch (`payments`) and so on. A record with
  two lists of records cannot be flattened (CFG520).
- One row per item of the deepest level. Columns are dotted paths from the root with the list
  levels implicit (`batches.payments.creditor.name`); the fields of upper levels are repeated
  on every row of their items.
- Reading groups consecutive rows whose upper-level cells are equal back into one item. A row
  whose cells from some level down are all empty stands for a parent without items there.
- Lists of leaf values need `max_items` and get one column per place: `lines[0]`, `lines[1]`.
- An empty cell is an absent value (texts are never empty in a model).

Writing refuses data this rule could not give back unchanged (two consecutive upper-level
items with equal cells, or an item with nothing in it), so `read(write(x)) == x` holds for all
it writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from erengine.errors import ConfigError, DataPosition, ErrorCollector, ParseError, ValidationError
from erengine.io.rows import RowOrigins
from erengine.model.leaves import LeafType
from erengine.model.plan import ModelPlan
from erengine.model.shapes import ListOf, RecordPlan, RecordRef
from erengine.model.walk import json_path

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    path: Path  # inside the level's record; an int is a place in a list of leaf values
    leaf: LeafType


@dataclass(frozen=True, slots=True)
class Level:
    """The fields of one list level that live in its columns, and where its child list is."""

    record: RecordPlan
    columns: tuple[Column, ...]
    first: int  # index of the level's first column in a row
    child: Path | None  # path of the list of the next level inside this level's record
    child_required: bool
    name: str  # dotted path of the level's list from the root ('' for the root)


@dataclass(frozen=True, slots=True)
class FlatLayout:
    """The flattening of one model, compiled once; `rows` writes, `tree` reads."""

    plan: ModelPlan
    levels: tuple[Level, ...]
    headers: tuple[str, ...]

    def rows(self, data: Any) -> Iterator[list[str]]:
        """Typed data -> rows of cells (lists may be generators: nothing is held back)."""
        yield from self._rows(0, data, [], ())

    def _rows(self, depth: int, item: Any, before: list[str], where: Path) -> Iterator[list[str]]:
        level = self.levels[depth]
        cells = before + [_cell(column, _get(item, column.path)) for column in level.columns]
        children = _get(item, level.child) if level.child is not None else None
        wrote_child = False
        previous: list[str] | None = None
        for index, child in enumerate(children or ()):
            child_where = (*where, *(level.child or ()), index)
            child_level = self.levels[depth + 1]
            own = [_cell(c, _get(child, c.path)) for c in child_level.columns]
            if child_level.child is not None and own == previous:
                raise _ambiguous(
                    child_where,
                    f"this item has the same {child_level.name} values as the one before it; "
                    "a CSV file would merge the two",
                )
            previous = own
            wrote_child = True
            yield from self._rows(depth + 1, child, cells, child_where)
        if not wrote_child:
            if depth > 0 and all(cell == "" for cell in cells[level.first :]):
                raise _ambiguous(where, "this item is empty; a CSV file cannot hold an empty item")
            yield cells + [""] * (len(self.headers) - len(cells))

    def record(self, level: Level, own: Sequence[Any]) -> dict[str, Any]:
        """The JSON form of one item of `level` from its cells (its child list left empty).

        A cell is text (CSV) or an already typed value (a database row's Decimal or date),
        which the model takes as it is.
        """
        record: dict[str, Any] = {}
        if level.child is not None and level.child_required:
            list_at(record, level.child)
        for column, cell in zip(level.columns, own, strict=True):
            if cell == "":
                continue
            value = column.leaf.from_text(cell) if isinstance(cell, str) else cell
            if isinstance(column.path[-1], int):
                list_at(record, column.path[:-1]).append(value)
            else:
                dict_at(record, column.path[:-1])[str(column.path[-1])] = value
        _complete(self.plan, level.record, record)
        return record

    def tree(
        self,
        rows: Iterable[tuple[int, Sequence[Any]]],
        *,
        source: str | None = None,
        origins: RowOrigins | None = None,
    ) -> dict[str, Any]:
        """Rows (line number, cells in `headers` order, "" for none) -> JSON-form data (not yet
        checked).

        `origins`, when given, learns the line that began each item.
        """
        builder = _TreeBuilder(self, source, origins or RowOrigins(source))
        for line, cells in rows:
            builder.add(line, cells)
        return builder.finish()


def _ambiguous(where: Path, why: str) -> ValidationError:
    return ValidationError(
        "VAL120",
        why,
        rule="csv.ambiguous",
        position=DataPosition(json_path=json_path(where)),
        hint="give the items a distinguishing value (an id), or write JSON or Avro",
    )


def _get(item: Any, path: Path) -> Any:
    for part in path:
        if isinstance(part, int):
            item = item[part] if isinstance(item, list | tuple) and part < len(item) else None
        else:
            item = item.get(part) if isinstance(item, dict) else None
        if item is None:
            return None
    return item


def _cell(column: Column, value: Any) -> str:
    return "" if value is None else column.leaf.to_text(value)


class _TreeBuilder:
    """Rebuilds the tree row by row; `open[d]` is the item of level d the last row was in."""

    def __init__(self, layout: FlatLayout, source: str | None, origins: RowOrigins) -> None:
        self.layout = layout
        self.source = source
        self.origins = origins
        self.open: list[tuple[list[Any], dict[str, Any], str] | None] = [None] * len(layout.levels)
        self.errors = ErrorCollector()

    def add(self, line: int, cells: Sequence[Any]) -> None:
        levels = self.layout.levels
        opened = False  # whether this row began a new item on some level
        for depth, level in enumerate(levels):
            own = list(cells[level.first : level.first + len(level.columns)])
            rest_empty = all(cell == "" for cell in cells[level.first :])
            current = self.open[depth]
            if depth == 0:
                if current is None:
                    self.open[0] = (own, self.layout.record(level, own), "$")
                    self.origins.note("$", line)
                    opened = True
                elif own != current[0]:
                    self._error(line, "the file-level columns differ from the first row", level)
                    return
                continue
            if rest_empty:
                if not opened:
                    above = levels[depth - 1].name or "the file"
                    self._error(line, f"the row adds nothing to {above}", level)
                return
            grouped = depth < len(levels) - 1
            if grouped and not opened and current is not None and own == current[0]:
                continue
            parent = self.open[depth - 1]
            assert parent is not None
            item = self.layout.record(level, own)
            child_path = levels[depth - 1].child or ()
            siblings = list_at(parent[1], child_path)
            path = f"{parent[2]}{json_path(child_path)[1:]}[{len(siblings)}]"
            siblings.append(item)
            self.origins.note(path, line)
            self.open[depth] = (own, item, path)
            for deeper in range(depth + 1, len(levels)):
                self.open[deeper] = None
            opened = True

    def _error(self, line: int, message: str, level: Level) -> None:
        self.errors.add(
            ParseError(
                "PRS190",
                message,
                position=DataPosition(file=self.source, line=line, record=level.record.name),
            )
        )

    def finish(self) -> dict[str, Any]:
        self.errors.raise_if_any()
        root = self.open[0]
        if root is None:
            raise ParseError("PRS191", "no data rows", position=DataPosition(file=self.source))
        return root[1]


def _complete(plan: ModelPlan, record: RecordPlan, data: dict[str, Any]) -> None:
    """Add what empty cells cannot show: required records and leaf lists with nothing in them.

    Only inside records that are there; lists of records are the next level's business.
    """
    for field in record.fields:
        shape = field.shape
        if isinstance(shape, RecordRef):
            if field.name in data or field.required:
                _complete(plan, plan.record(shape.name), data.setdefault(field.name, {}))
        elif isinstance(shape, ListOf) and isinstance(shape.item, LeafType) and field.required:
            data.setdefault(field.name, [])


def dict_at(record: dict[str, Any], path: Path) -> dict[str, Any]:
    """The record at `path` inside `record`, created empty where missing."""
    for part in path:
        record = record.setdefault(str(part), {})
    return record


def list_at(record: dict[str, Any], path: Path) -> list[Any]:
    """The list at `path` inside `record`, created empty where missing."""
    holder = dict_at(record, path[:-1])
    found: list[Any] = holder.setdefault(str(path[-1]), [])
    return found


def flat_layout(plan: ModelPlan) -> FlatLayout:
    """The flattening of `plan`; models that cannot be flattened raise ConfigError (CFG52x)."""
    levels: list[Level] = []
    record = plan.root_record
    name = ""
    first = 0
    while True:
        collected = _LevelCollector(plan, name)
        collected.walk(record, (), frozenset({record.name}), required=True)
        if len(collected.children) > 1:
            lists = ", ".join(".".join(map(str, path)) for path, _, _ in collected.children)
            raise ConfigError(
                "CFG520",
                f"record {record.name} has several lists of records ({lists}); "
                "CSV can follow one list per level",
                hint="write JSON or Avro for this model",
            )
        child = collected.children[0] if collected.children else None
        levels.append(
            Level(
                record=record,
                columns=tuple(collected.columns),
                first=first,
                child=child[0] if child else None,
                child_required=child[2] if child else False,
                name=name,
            )
        )
        first += len(collected.columns)
        if child is None:
            headers = tuple(column.header for level in levels for column in level.columns)
            return FlatLayout(plan, tuple(levels), headers)
        record = plan.record(child[1])
        name = ".".join(filter(None, (name, *map(str, child[0]))))


class _LevelCollector:
    """The columns, nested required records and child lists of one level's record."""

    def __init__(self, plan: ModelPlan, prefix: str) -> None:
        self.plan = plan
        self.prefix = f"{prefix}." if prefix else ""
        self.columns: list[Column] = []
        self.children: list[tuple[Path, str, bool]] = []

    def walk(self, record: RecordPlan, path: Path, seen: frozenset[str], *, required: bool) -> None:
        for field in record.fields:
            here = (*path, field.name)
            header = self.prefix + ".".join(map(str, here))
            shape = field.shape
            if isinstance(shape, RecordRef):
                if shape.name in seen:
                    raise ConfigError(
                        "CFG521",
                        f"record {shape.name} contains itself ({header}); CSV needs a fixed depth",
                        hint="write JSON or Avro for this model",
                    )
                self.walk(
                    self.plan.record(shape.name),
                    here,
                    seen | {shape.name},
                    required=required and field.required,
                )
            elif isinstance(shape, ListOf):
                item = shape.item
                if isinstance(item, RecordRef):
                    self.children.append((here, item.name, required and field.required))
                elif shape.max_items is None:
                    raise ConfigError(
                        "CFG522",
                        f"the list {header} has no max_items; CSV needs a column per place",
                        hint="set max_items in the model",
                    )
                else:
                    self.columns.extend(
                        Column(f"{header}[{index}]", (*here, index), item)
                        for index in range(shape.max_items)
                    )
            else:
                self.columns.append(Column(header, here, shape))
