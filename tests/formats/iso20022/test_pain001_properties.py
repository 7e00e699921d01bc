"""Properties of pain.001.001.03: one spec, two directions, and XSD-valid output."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree

from erengine.engine import CompiledFormat, Engine

from .strategies import payment_files

pytestmark = pytest.mark.corpus

# What writing fills in when the data leaves it out; reading gives it back from the file.
FILLED_ON_WRITE = {"initiating_party"}


@pytest.fixture(scope="module")
def pain001() -> CompiledFormat:
    return Engine.from_folders().format("pain.001.001.03@^1")


@pytest.fixture(scope="module")
def schema(corpus: Path) -> Any:
    return etree.XMLSchema(etree.parse(str(corpus / "xsd" / "pain.001.001.03.xsd")))


def without(data: Any, keys: set[str]) -> Any:
    if isinstance(data, dict):
        return {k: without(v, keys) for k, v in data.items() if k not in keys}
    if isinstance(data, list):
        return [without(item, keys) for item in data]
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=payment_files())
def test_read_of_write_gives_back_the_data_and_the_file_is_xsd_valid(
    pain001: CompiledFormat, schema: Any, data: dict[str, Any]
) -> None:
    assert pain001.model.check(data) == []
    original = copy.deepcopy(data)
    sink = io.BytesIO()
    pain001.write(data, sink)
    document = etree.fromstring(sink.getvalue())
    assert schema.validate(document), schema.error_log
    back, _ = pain001.read_document(io.BytesIO(sink.getvalue()))
    assert without(back, FILLED_ON_WRITE) == without(original, FILLED_ON_WRITE)
    first_debtor = original["batches"][0]["debtor"]["name"]
    assert back["initiating_party"] == original.get("initiating_party", {"name": first_debtor})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=payment_files())
def test_write_of_read_gives_back_the_bytes(pain001: CompiledFormat, data: dict[str, Any]) -> None:
    canonical = io.BytesIO()
    pain001.write(data, canonical)
    back, _ = pain001.read_document(io.BytesIO(canonical.getvalue()))
    again = io.BytesIO()
    pain001.write(back, again)
    assert again.getvalue() == canonical.getvalue()
