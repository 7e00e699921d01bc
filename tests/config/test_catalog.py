from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from erengine.config.catalog import Catalog
from erengine.config.schema.records import FixedFileSpec, RecordFormatDocument
from erengine.errors import ConfigError, ErrorGroup, flatten
from erengine.kinds import register_document_kinds

# The engine's own registration: a format is checked by its file type's schema, whichever
# test module runs first (a records-only one here broke SWIFT and XML tests run after it).
register_document_kinds()

BASE = """\
kind: format
name: acme
version: {version}
description: ACME domestic payments
model: payments@^1
file: {{type: fixed, width: 10, encoding: ascii}}
structure:
  - record: header
    fields:
      - {{len: 1, const: "H"}}
      - {{len: 9, fill: " "}}
  - record: trailer
    fields:
      - {{len: 1, const: "T"}}
      - {{len: 9, value: "{{{{ totals.count }}}}"}}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        write(tmp_path, f"acme-{version}.yaml", BASE.format(version=version))
    write(
        tmp_path,
        "acme-bank.yaml",
        """\
        kind: format
        name: acme-bank
        version: 1.0.0
        extends: acme@^1
        file: {encoding: latin-1}
        changes:
          - set: structure[header].fields[1].fill
            value: "0"
          - add: structure
            after: header
            value:
              record: note
              fields: [{len: 1, const: "N"}, {len: 9, bind: note}]
        """,
    )
    write(
        tmp_path,
        "acme-bank-branch.yaml",
        """\
        kind: format
        name: acme-bank-branch
        version: 1.0.0
        extends: acme-bank@1.0.0
        changes:
          - remove: structure[note]
        """,
    )
    return Catalog.default([tmp_path], environ={}, include_shipped=False)


def test_newest_matching_version_wins(catalog: Catalog) -> None:
    assert catalog.find("acme@^1", "format").version == (1, 1, 0)
    assert catalog.find("acme@~1.0", "format").version == (1, 0, 0)
    assert catalog.find("acme", "format").version == (2, 0, 0)
    assert catalog.find("acme@1.0.0", "format").version == (1, 0, 0)


def test_unknown_names_and_versions_get_hints(catalog: Catalog) -> None:
    with pytest.raises(ConfigError) as caught:
        catalog.find("acmee@^1", "format")
    assert caught.value.code == "CFG303"
    assert "acme" in (caught.value.hint or "")
    with pytest.raises(ConfigError) as caught:
        catalog.find("acme@^3", "format")
    assert caught.value.code == "CFG304"
    assert caught.value.hint == "available: 1.0.0, 1.1.0, 2.0.0"


def test_derived_document_merges_overrides_and_applies_changes(catalog: Catalog) -> None:
    resolved = catalog.resolve("acme-bank@^1", "format")
    spec = resolved.spec
    assert isinstance(spec, RecordFormatDocument)
    assert isinstance(spec.file, FixedFileSpec)
    assert spec.file.encoding == "latin-1"
    assert spec.file.width == 10  # merged into the parent's file settings, not replacing them
    assert [s.record for s in spec.structure] == ["header", "note", "trailer"]  # type: ignore[union-attr]
    assert spec.structure[0].fields[1].fill == "0"  # type: ignore[union-attr]
    assert "description" not in resolved.data  # the parent's description is not the child's
    assert resolved.lineage[0].startswith("acme-bank@1.0.0")
    assert resolved.lineage[1].startswith("acme@1.1.0")
    note_span = resolved.span(("structure", 1, "fields", 1, "bind"))
    assert note_span is not None
    assert note_span.file.endswith("acme-bank.yaml")
    header_span = resolved.span(("structure", 0))
    assert header_span is not None
    assert header_span.file.endswith("acme-1.1.0.yaml")


def test_several_levels_of_derivation(catalog: Catalog) -> None:
    resolved = catalog.resolve("acme-bank-branch@^1", "format")
    assert [s["record"] for s in resolved.data["structure"]] == ["header", "trailer"]
    assert len(resolved.lineage) == 3


def test_each_resolved_document_has_a_stable_digest(catalog: Catalog, tmp_path: Path) -> None:
    first = catalog.resolve("acme@1.0.0", "format").sha256
    again = Catalog.default([tmp_path], environ={}, include_shipped=False)
    assert again.resolve("acme@1.0.0", "format").sha256 == first
    assert catalog.resolve("acme@1.1.0", "format").sha256 != first


def test_a_change_to_a_missing_path_names_the_change(tmp_path: Path) -> None:
    write(tmp_path, "acme.yaml", BASE.format(version="1.0.0"))
    write(
        tmp_path,
        "broken.yaml",
        """\
        kind: format
        name: broken
        version: 1.0.0
        extends: acme@^1
        changes:
          - remove: structure[nope]
        """,
    )
    catalog = Catalog.default([tmp_path], environ={}, include_shipped=False)
    with pytest.raises(ConfigError) as caught:
        catalog.resolve("broken", "format")
    assert caught.value.code == "CFG320"
    assert caught.value.span is not None
    assert caught.value.span.line == 6
    assert "header, trailer" in caught.value.message


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    for name, parent in (("one", "two"), ("two", "one")):
        write(
            tmp_path,
            f"{name}.yaml",
            f"kind: format\nname: {name}\nversion: 1.0.0\nextends: {parent}@^1\n",
        )
    catalog = Catalog.default([tmp_path], environ={}, include_shipped=False)
    with pytest.raises(ConfigError) as caught:
        catalog.resolve("one", "format")
    assert caught.value.code == "CFG306"


def test_duplicate_name_and_version_in_two_folders_is_an_error(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        write(tmp_path / folder, "acme.yaml", BASE.format(version="1.0.0"))
    catalog = Catalog.default([tmp_path / "a", tmp_path / "b"], environ={}, include_shipped=False)
    with pytest.raises(ConfigError) as caught:
        catalog.find("acme", "format")
    assert caught.value.code == "CFG305"


def test_erengine_path_adds_folders(tmp_path: Path) -> None:
    write(tmp_path, "acme.yaml", BASE.format(version="1.0.0"))
    catalog = Catalog.default([], environ={"ERENGINE_PATH": str(tmp_path)}, include_shipped=False)
    assert catalog.find("acme", "format").path.parent == tmp_path


def test_all_schema_mistakes_of_a_file_are_reported_with_positions(tmp_path: Path) -> None:
    write(
        tmp_path,
        "mistakes.yaml",
        """\
        kind: format
        name: mistakes
        version: 1.0.0
        model: payments@^1
        file: {type: fixed, width: 10, encodng: ascii}
        structure:
          - record: header
            fields:
              - {lenght: 1, const: "H"}
              - {len: 9, fill: " ", align: middle}
          - record: trailer
            fields:
              - {len: 10}
        """,
    )
    catalog = Catalog.default([tmp_path], environ={}, include_shipped=False)
    with pytest.raises(ErrorGroup) as caught:
        catalog.resolve("mistakes", "format")
    errors = {
        (e.code, str(e.span), e.config_path, e.hint)
        for e in flatten(caught.value)
        if isinstance(e, ConfigError)
    }
    where = str(tmp_path / "mistakes.yaml")
    assert ("CFG210", f"{where}:5:32", "file.encodng", "did you mean `encoding`?") in errors
    assert (
        "CFG210",
        f"{where}:9:10",
        "structure[0].fields[0].lenght",
        "did you mean `len`?",
    ) in errors
    assert any(
        code == "CFG212" and path == "structure[0].fields[1].align" for code, _, path, _ in errors
    )
    assert any(
        code == "CFG213" and path == "structure[1].fields[0]" and span == f"{where}:13:9"
        for code, span, path, _ in errors
    )
