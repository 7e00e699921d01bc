"""`erengine run` and `erengine jobs`, in process: exit codes, JSON-lines logs, history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from erengine_cli import cli

from .conftest import MT940_CASES, Bank


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_twice_sends_one_file_and_history_shows_it(
    outbound_job: Path, bank: Bank, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "data")
    code, out, err = run(
        capsys, "run", str(outbound_job), "--period", "2024-03-01", "--data-dir", data
    )
    assert code == cli.EXIT_OK
    assert out.startswith("delivered")
    logged = [json.loads(line) for line in err.splitlines()]
    assert [line["event"] for line in logged] == ["generated", "archived", "delivered"]
    assert all("time" in line for line in logged)

    code, out, _ = run(
        capsys, "run", str(outbound_job), "--period", "2024-03-01", "--data-dir", data, "--json"
    )
    assert code == cli.EXIT_OK
    assert json.loads(out)["status"] == "already_delivered"
    assert len(bank.delivered()) == 1

    code, out, _ = run(capsys, "jobs", "history", "--data-dir", data, "--json")
    (entry,) = json.loads(out)
    assert entry["job"] == "test-payables"
    assert entry["format"] == "nacha@1.0.0"
    assert entry["deliveries"][0]["endpoint"] == "test-bank"
    assert [step["step"] for step in entry["steps"]][-1] == "delivered"

    code, out, _ = run(capsys, "jobs", "status", "--data-dir", data)
    assert "test-payables" in out
    assert "delivered" in out


def test_a_dry_run_sends_nothing(
    outbound_job: Path, bank: Bank, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "run", str(outbound_job), "--dry-run", "--data-dir", str(tmp_path / "data")
    )
    assert code == cli.EXIT_OK
    assert out.startswith("dry_run")
    assert bank.delivered() == []


def test_an_inbound_run_with_a_refused_file_exits_with_the_transport_code(
    inbound_job: Path, bank: Bank, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (bank.inbox / "good.sta").write_bytes(
        (MT940_CASES / "read-page-join" / "input.sta").read_bytes()
    )
    (bank.inbox / "bad.sta").write_bytes(b"not a statement\n")
    code, out, _ = run(capsys, "run", str(inbound_job), "--data-dir", str(tmp_path / "data"))
    assert code == cli.EXIT_TRANSPORT
    assert "written    inbox/good.sta" in out
    assert "rejected   inbox/bad.sta" in out

    code, out, _ = run(capsys, "jobs", "history", "--data-dir", str(tmp_path / "data"))
    assert "statement written inbox/good.sta (mt940@" in out


def test_jobs_list_finds_jobs_in_catalog_folders(
    outbound_job: Path, inbound_job: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "jobs",
        "list",
        "--catalog",
        str(outbound_job.parent),
        "--data-dir",
        str(tmp_path / "data"),
        "--json",
    )
    assert code == cli.EXIT_OK
    listed = {row["job"]: row for row in json.loads(out)}
    assert listed["test-payables@1.0.0"]["direction"] == "outbound"
    assert listed["test-statements@1.0.0"]["last_run"] is None


def test_a_job_config_error_exits_with_the_config_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "job.yaml"
    path.write_text("kind: job\nname: x\nversion: 1.0.0\ndirection: inbound\n", encoding="utf-8")
    code, _, err = run(capsys, "run", str(path), "--data-dir", str(tmp_path / "data"))
    assert code == cli.EXIT_CONFIG
    assert f"CFG211 {path}:1:1" in err


def test_validate_finds_what_only_a_loaded_job_checks(
    outbound_job: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "validate", str(outbound_job))
    assert code == cli.EXIT_OK
    assert out.startswith("ok ")

    text = outbound_job.read_text(encoding="utf-8")
    outbound_job.write_text(text + 'schedule: {cron: "0 25 * * *"}\n', encoding="utf-8")
    code, _, err = run(capsys, "validate", str(outbound_job))
    assert code == cli.EXIT_CONFIG
    assert "CFG213" in err
    assert "schedule.cron" in err


def test_validate_checks_endpoint_files_with_the_transport_rules(
    bank: Bank, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "validate", str(bank.endpoint_file))
    assert code == cli.EXIT_OK
    assert "(endpoint test-bank, local)" in out

    bank.endpoint_file.write_text("type: local\nname: test-bank\nroots: /tmp\n", encoding="utf-8")
    code, _, err = run(capsys, "validate", str(bank.endpoint_file))
    assert code == cli.EXIT_CONFIG
    assert "roots" in err
