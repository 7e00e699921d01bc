"""CSV input and output of model data, through the flattening rule of `erengine.io.flat`.

Rows are read lazily (`iter_csv_rows`); the tree is built as rows arrive and checked once at
the end, so every value problem is reported together with its JSON path.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from erengine.errors import DataPosition, ErrorGroup, ParseError
from erengine.io.flat import FlatLayout, flat_layout
from erengine.io.rows import RowOrigins
from erengine.model.plan import ModelPlan

CsvRow = tuple[int, dict[str, str]]


def write_csv(plan: ModelPlan, data: Any, sink: TextIO, *, delimiter: str = ",") -> None:
    """Write typed data as CSV: a header row, then one row per item of the deepest list."""
    layout = flat_layout(plan)
    writer = csv.writer(sink, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(layout.headers)
    writer.writerows(layout.rows(data))


def read_csv(
    plan: ModelPlan, source: TextIO, *, file: str | None = None, delimiter: str = ","
) -> dict[str, Any]:
    """Read CSV written by `write_csv` (or by hand, same columns) into typed data."""
    return read_rows(plan, iter_csv_rows(source, file=file, delimiter=delimiter), source=file)


def read_rows(
    plan: ModelPlan,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    source: str | None = None,
    by_line: bool = True,
) -> dict[str, Any]:
    """Typed data from rows in the CSV layout (column header -> cell): CSV text, or typed
    values such as a database query's (a None cell is empty). Rows are numbered by file line
    (`by_line`) or from 1."""
    layout = flat_layout(plan)
    origins = RowOrigins(source, by_line=by_line)
    tree = layout.tree(cells_in_layout_order(layout, rows, source), source=source, origins=origins)
    try:
        typed: dict[str, Any] = plan.from_json(tree, source=source)
    except ErrorGroup as group:
        placed = tuple(origins.place(error) for error in group.errors)
        raise ErrorGroup(placed, truncated=group.truncated) from None
    return typed


def iter_csv_rows(
    source: TextIO, *, file: str | None = None, delimiter: str = ","
) -> Iterator[CsvRow]:
    """(line number, {header: cell}) for each data row, read lazily."""
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise ParseError("PRS191", "the file is empty", position=DataPosition(file=file))
        for row in reader:
            if not row:
                continue  # a blank line
            if len(row) != len(header):
                raise ParseError(
                    "PRS192",
                    f"{len(row)} cells where the header has {len(header)}",
                    position=DataPosition(file=file, line=reader.line_num),
                    expected=f"{len(header)} cells",
                    found=delimiter.join(row),
                )
            yield reader.line_num, dict(zip(header, row, strict=True))
    except csv.Error as exc:
        raise ParseError(
            "PRS193",
            f"malformed CSV: {exc}",
            position=DataPosition(file=file, line=reader.line_num),
        ) from None


def cells_in_layout_order(
    layout: FlatLayout, rows: Iterable[tuple[int, Mapping[str, Any]]], file: str | None
) -> Iterator[tuple[int, list[Any]]]:
    """(line, cells in the layout's column order); an unknown column is an error at once."""
    headers = layout.headers
    checked = False
    for line, row in rows:
        if not checked:
            _check_headers(headers, row.keys(), file)
            checked = True
        yield line, [_cell(row.get(header)) for header in headers]


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _check_headers(known: tuple[str, ...], found: Any, file: str | None) -> None:
    for header in found:
        if header not in known:
            close = difflib.get_close_matches(header, known, n=1)
            raise ParseError(
                "PRS194",
                f"column {header!r} is not a field of the model",
                position=DataPosition(file=file, line=1, field=header),
                hint=f"did you mean {close[0]!r}?" if close else "see docs/models.md, CSV",
            )
