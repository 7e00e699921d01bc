"""SQL sources of outbound jobs: the rows of a query, read as the source's own columns.

``source.sql`` names a database by URL (``erengine.jobs.database``) and a query. The query may
use the run's ``:period``, ``:batch``, ``:today`` (the run date as ISO text) and ``:job``;
any other name is refused when the job loads. The rows (column name -> value as the driver
gives it: ``Decimal`` for NUMERIC, ``date``, ``int``, text, ``None``) go through the job's
mapping exactly as an export's rows do, or are the model's flat CSV layout. A float is
refused: money never passes through one.

A run records the source as ``sql:<database>`` with the sha256 of its rows (canonical JSON,
in the query's order), so the same rows are not read into a second batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from erengine.errors import DataPosition, ValidationError
from erengine.io.mapping import Row
from erengine.jobs.database import connect, placeholder_names
from erengine.jobs.definition import JobDefinition
from erengine.jobs.records import content_sha256


@dataclass(frozen=True, slots=True)
class QueriedRows:
    """What a source query returned, under the name and digest the run records."""

    label: str
    sha256: str
    rows: list[Row]


def query_source(job: JobDefinition, parameters: Mapping[str, str]) -> QueriedRows:
    """Run the job's source query with the run's parameters and read every row."""
    spec = job.outbound.source.sql if job.outbound else None
    assert spec is not None
    url = job.database_url(spec.url, ("source", "sql", "url"))
    label = f"sql:{url.label}"
    used = {name: parameters[name] for name in placeholder_names(spec.query)}
    with connect(url, password_env=spec.password_env) as database:
        rows: list[Row] = [
            (number, _without_floats(row, number, label))
            for number, row in enumerate(database.query(spec.query, used), start=1)
        ]
    return QueriedRows(label, content_sha256([row for _, row in rows]), rows)


def _without_floats(row: dict[str, Any], number: int, label: str) -> dict[str, Any]:
    for column, value in row.items():
        if isinstance(value, float):
            raise ValidationError(
                "VAL191",
                f"column {column!r} holds a floating-point number ({value!r}); amounts must "
                "not pass through a float",
                rule="sql.no_float",
                position=DataPosition(file=label, record=f"row#{number}", field=column),
                hint="store it as NUMERIC (PostgreSQL), as text or integer cents (SQLite), or "
                f"select CAST({column} AS TEXT)",
            )
    return row
