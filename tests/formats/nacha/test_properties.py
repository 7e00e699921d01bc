"""Properties of the NACHA format: one spec, two directions, for any data it can carry."""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from erengine.codecs.records.write import RecordWriter
from erengine.engine import CompiledFormat, Engine

from .strategies import payment_files

# What writing fills in when the data leaves it out; reading gives it back from the file.
FILLED_ON_WRITE = {"batch_id", "service_class_code", "trace_number", "file_id_modifier"}


@pytest.fixture(scope="module")
def nacha() -> CompiledFormat:
    return Engine.from_folders().format("nacha@^1")


def without(data: Any, keys: set[str]) -> Any:
    if isinstance(data, dict):
        return {k: without(v, keys) for k, v in data.items() if k not in keys}
    if isinstance(data, list):
        return [without(item, keys) for item in data]
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=payment_files())
def test_read_of_write_gives_back_the_data(nacha: CompiledFormat, data: dict[str, Any]) -> None:
    assert nacha.model.check(data) == []
    original = copy.deepcopy(data)
    sink = io.BytesIO()
    nacha.write(data, sink)
    back, _ = nacha.read_document(io.BytesIO(sink.getvalue()))
    assert back == data  # data now holds what writing filled in ...
    assert without(back, FILLED_ON_WRITE) == without(original, FILLED_ON_WRITE)  # ... only that


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=payment_files())
def test_write_of_read_gives_back_the_bytes(nacha: CompiledFormat, data: dict[str, Any]) -> None:
    canonical = io.BytesIO()
    nacha.write(data, canonical)
    back, _ = nacha.read_document(io.BytesIO(canonical.getvalue()))
    again = io.BytesIO()
    nacha.write(back, again)
    assert again.getvalue() == canonical.getvalue()
    lines = canonical.getvalue().split(b"\n")[:-1]
    assert all(len(line) == 94 for line in lines)
    assert len(lines) % 10 == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=payment_files())
def test_quick_and_careful_paths_write_the_same_bytes(
    nacha: CompiledFormat, data: dict[str, Any]
) -> None:
    quick = io.BytesIO()
    nacha.write(copy.deepcopy(data), quick)
    careful = io.BytesIO()
    original = RecordWriter.quickly
    try:
        RecordWriter.quickly = lambda *_: False  # type: ignore[method-assign]
        nacha.write(data, careful)
    finally:
        RecordWriter.quickly = original  # type: ignore[method-assign]
    assert quick.getvalue() == careful.getvalue()
