"""Model data in files, by kind: the one entry point the CLI and jobs use.

The kind comes from the file's suffix unless given: `.json`, `.yaml`/`.yml`, `.csv`, `.avro`.
JSON, YAML and CSV are read; JSON, CSV and Avro are written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from erengine.errors import ParseError
from erengine.io.avro_files import read_avro, write_avro
from erengine.io.csv_files import read_csv, write_csv
from erengine.io.json_files import read_json, write_json
from erengine.io.yaml_files import read_yaml
from erengine.model.plan import ModelPlan

DataKind = Literal["json", "yaml", "csv", "avro"]
_SUFFIXES: dict[str, DataKind] = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".avro": "avro",
}


def data_kind(path: Path, kind: DataKind | None = None) -> DataKind:
    if kind is not None:
        return kind
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise ParseError(
            "PRS188",
            f"cannot tell the kind of data file {path.name} from its suffix",
            hint="name it .json, .yaml, .csv or .avro, or say the kind",
        )
    return found


def read_data(plan: ModelPlan, path: Path, kind: DataKind | None = None) -> dict[str, Any]:
    """Typed data from a JSON, YAML, CSV or Avro file (every problem with its place)."""
    kind = data_kind(path, kind)
    file = str(path)
    if kind == "avro":
        with path.open("rb") as binary:
            return read_avro(plan, binary, file=file)
    with path.open(encoding="utf-8-sig", newline="") as text:
        if kind == "json":
            return read_json(plan, text, file=file)
        if kind == "yaml":
            return read_yaml(plan, text, file=file)
        return read_csv(plan, text, file=file)


def write_data(plan: ModelPlan, data: Any, path: Path, kind: DataKind | None = None) -> None:
    """Write typed data as JSON, CSV or Avro."""
    kind = data_kind(path, kind)
    if kind == "yaml":
        raise ParseError("PRS189", "YAML is an input format; write JSON, CSV or Avro")
    if kind == "avro":
        with path.open("wb") as binary:
            write_avro(plan, data, binary)
        return
    with path.open("w", encoding="utf-8", newline="") as text:
        if kind == "json":
            write_json(plan, data, text)
        else:
            write_csv(plan, data, text)
