"""The command line with ISO 20022: generate validates against the XSD, parse --detect."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from erengine_cli import cli

from erengine.validate.xsd import SCHEMA_PATH_ENV

pytestmark = pytest.mark.corpus

CASE = Path(__file__).parent / "cases" / "pain001-sepa-transliterated"


def test_generate_validates_when_the_schema_is_found(
    corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SCHEMA_PATH_ENV, raising=False)
    output = tmp_path / "out.xml"
    argv = ["generate", "pain.001.001.03", "--input", str(CASE / "input.json")]
    argv += ["--output", str(output), "--schema-dir", str(corpus / "xsd")]
    assert cli.main(argv) == 0
    assert "valid against" in capsys.readouterr().err
    assert output.read_bytes() == (CASE / "expected.xml").read_bytes()


def test_generate_says_plainly_when_no_schema_was_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SCHEMA_PATH_ENV, raising=False)
    argv = ["generate", "pain.001.001.03", "--input", str(CASE / "input.json")]
    assert cli.main([*argv, "--output", str(tmp_path / "out.xml")]) == 0
    assert "not validated against an XSD: no pain.001.001.03.xsd" in capsys.readouterr().err


def test_an_invalid_output_is_not_published(
    corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A bank's stricter XSD variant: the same namespace, but no Ccy allowed on accounts.
    strict = tmp_path / "xsd"
    strict.mkdir()
    text = (corpus / "xsd" / "pain.001.001.03.xsd").read_text()
    cash_account = text.index('<xs:complexType name="CashAccount16">')
    currency = text.index('name="Ccy"', cash_account)
    start, end = text.rindex("<xs:element", 0, currency), text.index("/>", currency) + 2
    (strict / "pain.001.001.03.xsd").write_text(text[:start] + text[end:])
    monkeypatch.setenv(SCHEMA_PATH_ENV, str(strict))
    output = tmp_path / "out.xml"
    argv = ["generate", "pain.001.001.03", "--input", str(CASE / "input.json")]
    assert cli.main([*argv, "--output", str(output)]) == 4
    assert "VAL220" in capsys.readouterr().err
    assert not output.exists()


def test_parse_detects_the_message_from_its_namespace(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = tmp_path / "in.xml"
    shutil.copyfile(CASE / "expected.xml", sample)
    assert cli.main(["parse", "--detect", str(sample)]) == 0
    assert capsys.readouterr().out.strip() == f"{sample}: pain.001.001.03: pain.001.001.03@1.0.0"
    output = tmp_path / "out.json"
    assert cli.main(["parse", "--detect", str(sample), "--output", str(output)]) == 0
    assert '"message_id": "MSG-2024-0001"' in output.read_text()
    unknown = corpus / "xsd" / "pain.001.001.03.xsd"
    assert cli.main(["parse", "--detect", str(unknown)]) == 4


def test_a_csv_of_ones_own_becomes_an_xsd_valid_pain001(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = Path(__file__).parents[3] / "samples" / "iso20022"
    output = tmp_path / "payables.xml"
    argv = ["generate", "pain.001.001.03", "--catalog", str(samples / "catalog")]
    argv += ["--mapping", "acme-sepa-payables", "--input", str(samples / "sepa-payables.csv")]
    argv += ["--output", str(output), "--schema-dir", str(corpus / "xsd")]
    assert cli.main([*argv, "--now", "2024-03-01T09:00:00"]) == 0
    assert "valid against" in capsys.readouterr().err
    written = output.read_text()
    assert "<Nm>Muller + Sohne GmbH</Nm>" in written  # transliterated to the EPC set
    assert written.count("<PmtInf>") == 2  # one batch per pay date
    assert "<CtrlSum>14714.56</CtrlSum>" in written
