from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from erengine.config.catalog import Catalog
from erengine.config.schema.model import ModelDocument
from erengine.kinds import register_document_kinds
from erengine.model import ModelPlan, compile_model
from erengine.model.strategies import data_for

SAMPLE = Path(__file__).parent / "data" / "payments.json"


@pytest.fixture(scope="session")
def payments() -> ModelPlan:
    register_document_kinds()
    resolved = Catalog.default(environ={}).resolve("payments@^1", "model")
    assert isinstance(resolved.spec, ModelDocument)
    return compile_model(resolved.spec, span_for=resolved.span)


def model(records: dict[str, Any], root: str = "File") -> ModelPlan:
    """A small model written inline, for tests of one feature."""
    document = {"kind": "model", "name": "t", "version": "1.0.0", "root": root, "records": records}
    return compile_model(ModelDocument.model_validate(document))


@pytest.fixture
def sample(payments: ModelPlan) -> dict[str, Any]:
    """The sample payments file (tests/model/data/payments.json) in typed form."""
    typed: dict[str, Any] = payments.from_json(json.loads(SAMPLE.read_text()))
    return typed


@pytest.fixture(scope="session")
def documents(payments: ModelPlan) -> st.SearchStrategy[dict[str, Any]]:
    """Payments documents drawn from the model (built once: strategies are costly to build)."""
    return data_for(payments)
