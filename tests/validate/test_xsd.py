"""Schema lookup on the schema path, and XSD validation that streams."""

from __future__ import annotations

from pathlib import Path

import pytest

from erengine.validate.xsd import SCHEMA_PATH_ENV, find_schema, schema_folders, validate_file

pytestmark = pytest.mark.corpus


def test_schema_dirs_come_before_the_environment(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCHEMA_PATH_ENV, str(corpus / "xsd"))
    (tmp_path / "pain.001.001.03.xsd").write_text("<bank's own/>")
    folders = schema_folders([tmp_path])
    assert folders == (tmp_path, corpus / "xsd")
    assert find_schema("pain.001.001.03.xsd", folders) == tmp_path / "pain.001.001.03.xsd"
    assert find_schema("camt.053.001.02.xsd", folders) == corpus / "xsd" / "camt.053.001.02.xsd"
    assert find_schema("nothing.xsd", folders) is None


def test_a_valid_file_has_no_problems(corpus: Path) -> None:
    sample = corpus / "camt053" / "genkgo-camt053.v2.minimal.xml"
    assert validate_file(sample, corpus / "xsd" / "camt.053.001.02.xsd") == []


def test_an_invalid_file_lists_every_violation_with_its_line(corpus: Path) -> None:
    sample = corpus / "camt053" / "iso20022js-abnamro-example_camt.xml"
    problems = validate_file(sample, corpus / "xsd" / "camt.053.001.02.xsd", file_name="abn.xml")
    assert len(problems) == 7  # as the corpus manifest says
    assert problems[0].code == "VAL220"
    assert problems[0].position.line == 1391
    assert "maxLength" in problems[0].message
