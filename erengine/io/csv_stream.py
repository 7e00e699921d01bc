"""Reading the CSV form of a model lazily: items are built and checked as their rows arrive.

`read_csv_lazily` returns the root record at once; each list of records in it (and in its
items) is a one-shot iterator that reads just the rows it needs, so a writer that streams
(every codec does) keeps memory flat however many payments the file has. Items come in file
order; an item's own list must be read before the next item (a skipped list is passed over).

The rule is that of `erengine.io.flat` and `read_csv`. What differs, because nothing is kept:
problems are raised as soon as an item has them (its values all at once), and the item counts
of a list (`min_items`, `max_items`) are checked when the list has been read to its end.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from inspect import GEN_CLOSED, getgeneratorstate
from typing import Any, TextIO

from erengine.errors import DataPosition, ErrorGroup, ParseError, ValidationError
from erengine.io.csv_files import cells_in_layout_order, iter_csv_rows
from erengine.io.flat import FlatLayout, dict_at, flat_layout
from erengine.io.rows import RowOrigins
from erengine.model.plan import ModelPlan
from erengine.model.shapes import ListOf
from erengine.model.walk import FROM_JSON, PathParts, convert_item, json_path

Row = tuple[int, list[str]]
Items = Generator[dict[str, Any], None, None]


def read_csv_lazily(
    plan: ModelPlan, source: TextIO, *, file: str | None = None, delimiter: str = ","
) -> dict[str, Any]:
    """Typed data whose lists of records are iterators over the rows still to come."""
    layout = flat_layout(plan)
    rows = cells_in_layout_order(
        layout, iter_csv_rows(source, file=file, delimiter=delimiter), file
    )
    return _LazyTree(layout, rows, file).root()


class _LazyTree:
    def __init__(self, layout: FlatLayout, rows: Iterator[Row], source: str | None) -> None:
        self.layout = layout
        self.rows = rows
        self.source = source
        self.current: Row | None = next(rows, None)

    def advance(self) -> None:
        self.current = next(self.rows, None)

    def root(self) -> dict[str, Any]:
        if self.current is None:
            raise ParseError("PRS191", "no data rows", position=DataPosition(file=self.source))
        line, cells = self.current
        root, _ = self.item(0, cells, (), line)
        if self.layout.levels[0].child is None:
            self.check_all_read()
        return root

    def item(
        self, depth: int, cells: list[str], at: PathParts, line: int
    ) -> tuple[dict[str, Any], Items | None]:
        """The typed item of level `depth` that the row `cells` begins, and its list to come."""
        level = self.layout.levels[depth]
        own = cells[level.first : level.first + len(level.columns)]
        try:
            typed: dict[str, Any] = convert_item(
                self.layout.plan,
                level.record,
                self.layout.record(level, own),
                FROM_JSON,
                at=at,
                leave_out=level.child,
                source=self.source,
            )
        except ErrorGroup as group:
            origin = RowOrigins(self.source, starts={json_path(at): line})  # nothing kept
            raise ErrorGroup(tuple(origin.place(e) for e in group.errors)) from None
        if level.child is None:
            self.advance()
            return typed, None
        prefix = cells[: level.first + len(level.columns)]
        if all(cell == "" for cell in cells[len(prefix) :]):  # an item without items below
            self.advance()
            self.pass_over(None, prefix)
            if not level.child_required:
                return typed, None
        items = self.items(depth + 1, prefix, (*at, *level.child))
        *holders, name = level.child
        dict_at(typed, tuple(holders))[str(name)] = items
        return typed, items

    def items(self, depth: int, prefix: list[str], at: PathParts) -> Items:
        """The items of level `depth` under the parent whose cells are `prefix`."""
        level = self.layout.levels[depth]
        count = 0
        while self.current is not None and self.current[1][: level.first] == prefix:
            line, cells = self.current
            if all(cell == "" for cell in cells[level.first :]):
                self.error(line, "the row adds nothing to the item above it")
            item, own_items = self.item(depth, cells, (*at, count), line)
            count += 1
            yield item
            if own_items is not None:
                self.pass_over(own_items, cells[: level.first + len(level.columns)])
        self.check_count(depth, count, at)
        if depth == 1:
            self.check_all_read()

    def pass_over(self, own_items: Items | None, prefix: list[str]) -> None:
        """Skip the rows of an item's list that its reader left; a read list leaves none."""
        left_unread = own_items is not None and getgeneratorstate(own_items) != GEN_CLOSED
        while self.current is not None and self.current[1][: len(prefix)] == prefix:
            if not left_unread:
                self.error(self.current[0], "the row adds nothing to the item above it")
            self.advance()

    def check_all_read(self) -> None:
        if self.current is not None:
            self.error(self.current[0], "the file-level columns differ from the first row")

    def check_count(self, depth: int, count: int, at: PathParts) -> None:
        shape = self.layout.plan.field_at(self.layout.levels[depth].name).shape
        assert isinstance(shape, ListOf)
        most = shape.max_items
        if count < shape.min_items or (most is not None and count > most):
            raise ValidationError(
                "VAL114",
                f"{count} items where {shape.min_items} to {most or 'any'} are allowed",
                rule="model.items",
                position=DataPosition(file=self.source, json_path=json_path(at)),
                expected=f"{shape.min_items} to {most or 'any'} items",
                found=str(count),
            )

    def error(self, line: int, message: str) -> None:
        raise ParseError("PRS190", message, position=DataPosition(file=self.source, line=line))
