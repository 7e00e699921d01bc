from __future__ import annotations

from typing import Any

import pytest

from erengine.config.catalog import Catalog
from erengine.config.kinds import register_document_kinds
from erengine.config.schema.model import ModelDocument
from erengine.model import ModelPlan, compile_model


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
