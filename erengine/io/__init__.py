"""Data sources and sinks of model data (JSON, YAML, CSV, Avro) and mappings onto models.

`read_data(plan, path)` / `write_data(plan, data, path)` pick the kind from the suffix;
`read_csv_lazily(plan, stream)` streams large CSV files item by item; `read_rows(plan, rows)`
takes rows in the same flat layout from elsewhere (a database query);
`compile_mapping(document, plan)` maps a user's own rows. See docs/models.md and
docs/mappings.md.
"""

from erengine.io.csv_files import read_rows
from erengine.io.csv_stream import read_csv_lazily
from erengine.io.files import read_data, write_data
from erengine.io.mapping import MappingPlan, compile_mapping

__all__ = [
    "MappingPlan",
    "compile_mapping",
    "read_csv_lazily",
    "read_data",
    "read_rows",
    "write_data",
]
