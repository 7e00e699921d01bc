from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

from erengine.codecs.records.plan import RecordLayoutPlan, compile_record_layout
from erengine.config.catalog import Catalog
from erengine.kinds import register_document_kinds

# The engine's own registration: a format is checked by its file type's schema, whichever
# test module runs first (a records-only one here broke SWIFT and XML tests run after it).
register_document_kinds()

LayoutFactory = Callable[[str], RecordLayoutPlan]


@pytest.fixture
def layout(tmp_path: Path) -> LayoutFactory:
    """Compile a format document given as YAML text (no model check: codec tests only)."""

    def compile_text(text: str) -> RecordLayoutPlan:
        (tmp_path / "format.yaml").write_text(dedent(text), encoding="utf-8")
        catalog = Catalog.default([tmp_path], environ={}, include_shipped=False)
        document = catalog.resolve_path(tmp_path / "format.yaml")
        return compile_record_layout(document)

    return compile_text
