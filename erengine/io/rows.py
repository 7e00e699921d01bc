"""Where each item of row-built data came from, so model errors can name their row.

Rows (of a CSV file, or of a mapping's source) become items of the model's lists; the model
then reports problems by JSON path. `RowOrigins` remembers the row that began each item and
places such an error on that row.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from erengine.errors import DataPosition, ErengineError, ValidationError


@dataclass
class RowOrigins:
    """JSON path of each item -> the number of the row that began it."""

    source: str | None
    by_line: bool = True  # row numbers are file lines (CSV); otherwise 1-based row indexes
    starts: dict[str, int] = field(default_factory=dict)

    def note(self, json_path: str, number: int) -> None:
        self.starts[json_path] = number

    def position(self, number: int, field: str | None = None) -> DataPosition:
        if self.by_line:
            return DataPosition(file=self.source, line=number, field=field)
        return DataPosition(file=self.source, record=f"row#{number}", field=field)

    def place(self, error: ErengineError) -> ErengineError:
        """`error` with the row of the innermost item its JSON path lies in."""
        if not isinstance(error, ValidationError) or error.position.json_path is None:
            return error
        where = error.position.json_path
        owners = [
            path
            for path in self.starts
            if where == path or (where.startswith(path) and where[len(path)] in ".[")
        ]
        if owners:
            row = self.position(self.starts[max(owners, key=len)])
            error.position = dataclasses.replace(error.position, line=row.line, record=row.record)
        return error
