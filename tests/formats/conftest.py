"""Data-driven format cases: one folder per case under ``tests/formats/<family>/cases``.

A case folder holds ``case.yaml`` and its data:

- ``direction: write``: ``input.json`` (model JSON) is written; the result must equal
  ``expected.<ext>`` byte for byte, or the write must fail with ``errors``.
- ``direction: read``: ``input.<ext>`` is read; the result must equal ``expected.json``, or the
  read must fail with ``errors``; each text of ``warnings`` must be part of a warning.
- ``round_trip: exact`` also checks the other direction: reading the expected file gives data
  that writes the same bytes again.

``errors`` lists every expected error with its code and any of line, column, record, field,
json_path. Golden files are never written by a normal run: ``ERENGINE_REGENERATE_GOLDENS=1``
writes missing or changed ones for review, and refuses to run in CI.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from erengine.engine import CompiledFormat, Engine
from erengine.errors import ErengineError, flatten

REGENERATE = os.environ.get("ERENGINE_REGENERATE_GOLDENS") == "1"
if REGENERATE and os.environ.get("CI"):
    raise RuntimeError("refusing to regenerate golden files in CI")


@dataclass(frozen=True)
class FormatCase:
    folder: Path
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return self.folder.name

    def context(self) -> dict[str, Any]:
        now = datetime.fromisoformat(self.spec.get("now", "2024-01-01T00:00:00"))
        return {"now": now, "today": now.date()}


def load_cases(family_folder: Path) -> list[FormatCase]:
    folders = sorted(p for p in (family_folder / "cases").iterdir() if p.is_dir())
    return [FormatCase(f, yaml.safe_load((f / "case.yaml").read_text())) for f in folders]


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.from_folders()


def error_summary(error: ErengineError) -> list[dict[str, Any]]:
    summary = []
    for single in flatten(error):
        position = getattr(single, "position", None)
        entry: dict[str, Any] = {"code": single.code}
        if position is not None:
            entry.update(position.to_dict())
        summary.append(entry)
    return summary


def assert_errors(error: ErengineError, expected: list[dict[str, Any]]) -> None:
    found = error_summary(error)
    assert len(found) == len(expected), f"errors found: {found}"
    for want, got in zip(expected, found, strict=True):
        assert {k: got.get(k) for k in want} == want, f"errors found: {found}"


def golden(path: Path, actual: bytes) -> bytes:
    """The golden file's bytes; with regeneration on, write it first when it differs."""
    if REGENERATE and (not path.exists() or path.read_bytes() != actual):
        path.write_bytes(actual)
    if not path.exists():
        pytest.fail(f"golden file {path} is missing; create it with ERENGINE_REGENERATE_GOLDENS=1")
    return path.read_bytes()


def run_case(case: FormatCase, compiled: CompiledFormat, extension: str) -> None:
    if case.spec["direction"] == "write":
        run_write_case(case, compiled, extension)
    else:
        run_read_case(case, compiled, extension)


def run_write_case(case: FormatCase, compiled: CompiledFormat, extension: str) -> None:
    source = case.folder / "input.json"
    expected_errors = case.spec.get("errors")
    sink = io.BytesIO()
    try:
        data = compiled.model.from_json(json.loads(source.read_text()), source=str(source))
        compiled.write(data, sink, context=case.context())
    except ErengineError as error:
        if expected_errors is None:
            raise
        assert_errors(error, expected_errors)
        return
    assert expected_errors is None, "the write succeeded but errors were expected"
    written = sink.getvalue()
    assert written == golden(case.folder / f"expected.{extension}", written)
    if case.spec.get("round_trip") == "exact":
        back, _ = compiled.read_document(io.BytesIO(written), file_name=case.name)
        again = io.BytesIO()
        compiled.write(back, again, context=case.context())
        assert again.getvalue() == written


def run_read_case(case: FormatCase, compiled: CompiledFormat, extension: str) -> None:
    source = case.folder / f"input.{extension}"
    expected_errors = case.spec.get("errors")
    try:
        with source.open("rb") as stream:
            data, report = compiled.read_document(stream, file_name=source.name)
    except ErengineError as error:
        if expected_errors is None:
            raise
        assert_errors(error, expected_errors)
        return
    assert expected_errors is None, "the read succeeded but errors were expected"
    for wanted in case.spec.get("warnings", []):
        assert any(wanted in warning for warning in report.warnings), report.warnings
    as_json = json.dumps(compiled.model.to_json(data), indent=2, sort_keys=True) + "\n"
    assert as_json.encode() == golden(case.folder / "expected.json", as_json.encode())
