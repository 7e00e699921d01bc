from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

from erengine.codecs.records.plan import RecordLayoutPlan, compile_record_layout
from erengine.config.catalog import Catalog
from erengine.config.documents import register_kind
from erengine.config.schema.records import RecordFormatDocument

register_kind("format", lambda _: RecordFormatDocument)

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
