from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

from erengine.config.catalog import Catalog
from erengine.engine import CompiledFormat, Engine
from erengine.kinds import register_document_kinds

FormatFactory = Callable[[str], CompiledFormat]


@pytest.fixture
def xml_format(tmp_path: Path) -> FormatFactory:
    """Compile an XML format document given as YAML text, against the shipped models."""
    register_document_kinds()  # another conftest may have narrowed `format` to records

    def compile_text(text: str) -> CompiledFormat:
        (tmp_path / "format.yaml").write_text(dedent(text), encoding="utf-8")
        catalog = Catalog.default([tmp_path], environ={})
        return Engine(catalog).compile_format(catalog.resolve_path(tmp_path / "format.yaml"))

    return compile_text


@pytest.fixture(scope="session")
def engine() -> Engine:
    register_document_kinds()
    return Engine.from_folders()
