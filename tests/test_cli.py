"""The command line, in process: exit codes, rendering, atomic outputs, two-way round trips."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import jsonschema
import pytest
import yaml
from erengine_cli import cli

from erengine.engine import Engine

REPOSITORY = Path(__file__).resolve().parents[1]
SAMPLE = REPOSITORY / "samples" / "payments.json"
NOW = "2024-03-01T10:30:00"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_then_parse_then_generate_reproduces_the_file_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, model_json, second = tmp_path / "a.ach", tmp_path / "a.json", tmp_path / "b.ach"
    code, out, _ = run(
        capsys, "generate", "nacha@^1", "--input", str(SAMPLE), "--now", NOW, "--output", str(first)
    )
    assert code == cli.EXIT_OK and "config sha256" in out
    code, _, err = run(capsys, "parse", "nacha@^1", str(first), "--output", str(model_json))
    assert code == cli.EXIT_OK
    assert "2 batches, 4 batches.payments" in err
    code, _, _ = run(
        capsys, "generate", "nacha", "--input", str(model_json), "--output", str(second)
    )
    assert code == cli.EXIT_OK
    assert second.read_bytes() == first.read_bytes()


@pytest.mark.parametrize("kind", ["csv", "avro"])
def test_parse_writes_csv_and_avro_that_generate_reads_back(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ach, data, again = tmp_path / "a.ach", tmp_path / f"a.{kind}", tmp_path / "b.ach"
    run(capsys, "generate", "nacha", "--input", str(SAMPLE), "--now", NOW, "--output", str(ach))
    code, _, _ = run(capsys, "parse", "nacha", str(ach), "--to", kind, "--output", str(data))
    assert code == cli.EXIT_OK
    if kind == "csv":
        code, _, _ = run(capsys, "generate", "nacha", "--input", str(data), "--output", str(again))
        assert code == cli.EXIT_OK
        assert again.read_bytes() == ach.read_bytes()
    else:
        assert data.read_bytes().startswith(b"Obj\x01")  # an Avro object container


def test_bad_data_exits_4_names_the_place_and_leaves_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(SAMPLE.read_text())
    data["batches"][1]["payments"][0]["currency"] = "EUR"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    output = tmp_path / "out" / "payments.ach"
    code, _, err = run(capsys, "generate", "nacha", "--input", str(bad), "--output", str(output))
    assert code == cli.EXIT_DATA
    assert "VAL106" in err and "$.batches[1].payments[0]" in err and "record entry#3" in err
    assert not output.exists()
    assert list(output.parent.iterdir()) == []  # no temporary file left behind either


def test_a_broken_file_is_reported_with_line_column_record_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.ach"
    run(capsys, "generate", "nacha", "--input", str(SAMPLE), "--now", NOW, "--output", str(good))
    lines = good.read_bytes().split(b"\n")
    lines[2] = lines[2][:29] + b"00002150x0" + lines[2][39:]
    broken = tmp_path / "broken.ach"
    broken.write_bytes(b"\n".join(lines))
    code, _, err = run(capsys, "parse", "nacha", str(broken), "--output", str(tmp_path / "x.json"))
    assert code == cli.EXIT_DATA
    assert f"PRS106 {broken}:3:30-39 record entry#1 field amount" in err
    code, _, err = run(
        capsys,
        "parse",
        "nacha",
        str(broken),
        "--output",
        str(tmp_path / "x.json"),
        "--errors",
        "json",
    )
    assert json.loads(err)["errors"][0]["position"]["line"] == 3


def test_validate_reports_every_mistake_of_a_file_with_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.yaml").write_text(
        dedent("""\
        kind: format
        name: broken
        version: 1.0.0
        model: payments@^1
        file: {type: fixed, width: 10, encodng: ascii}
        structure:
          - record: header
            fields:
              - {lenght: 1, const: "H"}
              - {len: 9, bind: batches.debtr.name}
        """)
    )
    code, _, err = run(capsys, "validate", str(tmp_path / "broken.yaml"))
    assert code == cli.EXIT_CONFIG
    assert f"{tmp_path}/broken.yaml:5:32 (file.encodng): unknown key `encodng`" in err
    assert "did you mean `encoding`?" in err
    assert f"{tmp_path}/broken.yaml:9:10 (structure[0].fields[0].lenght)" in err


def test_validate_checks_model_paths_and_expressions_after_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "paths.yaml").write_text(
        dedent("""\
        kind: format
        name: paths
        version: 1.0.0
        model: payments@^1
        file: {type: fixed, width: 10}
        structure:
          - record: header
            fields:
              - {len: 1, const: "H"}
              - {len: 4, bind: reference_cod}
              - {len: 5, value: "{{ created_at.__class__ }}"}
        """)
    )
    code, _, err = run(capsys, "validate", str(tmp_path / "paths.yaml"))
    assert code == cli.EXIT_CONFIG
    assert "CFG620" in err and "did you mean `reference_code`?" in err
    assert "CFG403" in err and "paths.yaml:11:" in err


def test_validate_accepts_the_shipped_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", str(REPOSITORY / "formats"))
    assert code == cli.EXIT_OK
    assert "nacha@1.0.0" in out and "payments@1.0.0" in out


def test_formats_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "formats", "list", "--json")
    listed = {(e["kind"], e["name"]) for e in json.loads(out)}
    assert code == 0 and ("format", "nacha") in listed and ("model", "payments") in listed
    code, out, _ = run(capsys, "formats", "show", "nacha@^1")
    assert code == 0
    digest = Engine.from_folders().catalog.resolve("nacha@^1", "format").sha256
    assert f"# sha256: {digest}" in out


def test_unknown_format_gets_a_hint(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "parse", "nachaa", str(SAMPLE), "--output", str(tmp_path / "x"))
    assert code == cli.EXIT_CONFIG
    assert "CFG303" in err and "did you mean `nacha`?" in err


def test_missing_input_is_a_clear_data_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys,
        "generate",
        "nacha",
        "--input",
        str(tmp_path / "none.json"),
        "--output",
        str(tmp_path / "x.ach"),
    )
    assert code == cli.EXIT_DATA
    assert "none.json" in err


def test_anything_unexpected_is_an_internal_error_with_its_own_exit_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Engine, "format", explode)
    code, _, err = run(capsys, "generate", "nacha", "--input", "x", "--output", "y")
    assert code == cli.EXIT_INTERNAL
    assert err.startswith("internal error, please report: RuntimeError: boom")


def test_schema_validates_every_shipped_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "schema.json"
    assert run(capsys, "schema", "--output", str(target))[0] == cli.EXIT_OK
    schema = json.loads(target.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    shipped = sorted((REPOSITORY / "formats").rglob("*.yaml"))
    assert shipped
    for path in shipped:
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert errors == [], f"{path}: {errors[0].message if errors else ''}"
    wrong = {
        "kind": "format",
        "name": "x",
        "version": "1.0.0",
        "model": "payments@^1",
        "file": {"type": "fixed", "width": 10, "encodng": "ascii"},
        "structure": [{"record": "h", "fields": [{"len": 10, "const": "H"}]}],
    }
    assert list(validator.iter_errors(wrong))  # an editor underlines the misspelt key


def test_help_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--help"],
        ["generate", "--help"],
        ["parse", "--help"],
        ["formats", "list", "--help"],
        ["validate", "--help"],
    ):
        with pytest.raises(SystemExit) as caught:
            cli.main(argv)
        assert caught.value.code == 0
        assert "usage: erengine" in capsys.readouterr().out


def test_generate_through_a_mapping_from_an_erp_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "payables.ach"
    code, _, err = run(
        capsys,
        "generate",
        "nacha@^1",
        "--catalog",
        str(REPOSITORY / "samples" / "catalog"),
        "--mapping",
        "acme-erp-payables",
        "--input",
        str(REPOSITORY / "samples" / "erp-payables.csv"),
        "--now",
        NOW,
        "--output",
        str(output),
    )
    assert code == cli.EXIT_OK, err
    lines = output.read_text().splitlines()
    batch_controls = [line for line in lines if line.startswith("8")]
    assert len(batch_controls) == 2  # one batch per pay date
    assert batch_controls[0][32:44] == "000001404481"  # 12,500.00 + 1,234.56 + 310.25


def test_validate_refuses_a_swift_table_of_the_wrong_width(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mark.yaml").write_text(
        dedent("""\
        kind: format
        name: mt940-bad-mark
        version: 1.0.0
        extends: mt940@^1
        changes:
          - set: message.tags[60F].parts[0].format
            value: "table({'C': ['credit', 'extra'], 'D': 'debit'})"
        """)
    )
    code, _, err = run(capsys, "validate", str(tmp_path / "mark.yaml"))
    assert code == cli.EXIT_CONFIG
    assert "CFG618" in err and "table row 'C' holds 2 value(s) for 1" in err
