"""Inbound jobs that detect each file's format, read with a bank's overlay, and check both
when the job loads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from erengine_cli import cli

from erengine.errors import ConfigError, ErrorGroup, flatten
from erengine.jobs import RunContext, load_job, run_inbound

from .conftest import MT940_CASES, REPOSITORY, Bank, Events, camt053_of

PAIN001 = REPOSITORY / "tests" / "formats" / "iso20022" / "cases" / "pain001-read-minimal"
STATEMENT = (MT940_CASES / "read-page-join" / "input.sta").read_bytes()


def write_job(folder: Path, reading: str) -> Path:
    """An inbound job on the drop-folder bank whose format part is ``reading``."""
    path = folder / "jobs" / "detecting.yaml"
    header = dedent(
        """\
        kind: job
        name: detecting
        version: 1.0.0
        direction: inbound
        endpoint: endpoints/bank.yaml
        """
    )
    outputs = 'outputs:\n  - {type: json, folder: ../statements, name: "{name}.{type}"}\n'
    path.write_text(header + dedent(reading) + outputs, encoding="utf-8")
    return path


def written_formats(events: Events) -> dict[str, str]:
    return {item["remote_path"]: item["format"] for item in events.named("written")}


def statement_in(output: Path) -> dict[str, Any]:
    (statement,) = json.loads(output.read_text(encoding="utf-8"))["statements"]
    return dict(statement)


def test_detection_reads_camt053_and_mt940_of_one_pickup_into_one_model(
    bank: Bank, context_for: Callable[[], RunContext], events: Events, tmp_path: Path
) -> None:
    job = write_job(tmp_path, "detect: {formats: [camt.053.001.02@^1, mt940@^1]}\n")
    (bank.inbox / "day.xml").write_bytes(camt053_of(STATEMENT))
    (bank.inbox / "day.sta").write_bytes(STATEMENT)

    result = run_inbound(load_job(str(job)), context_for())

    assert result.status == "finished"
    assert written_formats(events) == {
        "inbox/day.xml": "camt.053.001.02@1.0.0",
        "inbox/day.sta": "mt940@1.0.0",
    }
    from_camt = statement_in(tmp_path / "statements" / "day.xml.json")
    from_mt940 = statement_in(tmp_path / "statements" / "day.sta.json")
    assert from_camt["statement_id"] == from_mt940["statement_id"] == "PAGE1"
    assert from_camt["balances"] == [from_mt940["balances"][0], from_mt940["balances"][-1]]
    assert [e["amount"] for e in from_camt["entries"]] == ["5.00", "1.00"]
    assert [e["amount"] for e in from_mt940["entries"]] == ["5.00", "1.00"]
    assert result.run.format == "detect camt.053.001.02@1.0.0, mt940@1.0.0"
    assert sorted(p.name for p in (bank.inbox / "done").iterdir()) == ["day.sta", "day.xml"]


@pytest.mark.parametrize(
    "reading",
    ["detect: {formats: [camt.053.001.02@^1, mt940@^1]}\n", "detect: {model: statement@^1}\n"],
)
def test_a_file_no_candidate_reads_goes_to_error(
    reading: str, bank: Bank, context_for: Callable[[], RunContext], tmp_path: Path
) -> None:
    job = write_job(tmp_path, reading)
    (bank.inbox / "payments.xml").write_bytes((PAIN001 / "input.xml").read_bytes())
    (bank.inbox / "notes.txt").write_bytes(b"no bank file at all\n")
    (bank.inbox / "day.sta").write_bytes(STATEMENT)

    result = run_inbound(load_job(str(job)), context_for())

    reasons = {item["remote_path"]: item["reason"] for item in result.rejected}
    assert reasons.keys() == {"inbox/payments.xml", "inbox/notes.txt"}
    assert reasons["inbox/payments.xml"].startswith("PRS182")
    assert "pain.001.001.03 is not a message this job reads" in reasons["inbox/payments.xml"]
    assert reasons["inbox/notes.txt"].startswith("PRS180")
    assert sorted(p.name for p in (bank.inbox / "error").iterdir()) == ["notes.txt", "payments.xml"]
    assert [p.name for p in (bank.inbox / "done").iterdir()] == ["day.sta"]
    assert [p.name for p in (tmp_path / "statements").iterdir()] == ["day.sta.json"]


GERMAN = (MT940_CASES / "read-german-sepa" / "input.sta").read_bytes()


@pytest.mark.parametrize(
    ("reading", "run_format"),
    [
        ("format: mt940@^1\noverlay: mt940-de@^2\n", "mt940-de@2.0.0"),
        (
            "detect: {formats: [camt.053.001.02@^1, mt940@^1]}\noverlay: [mt940-de@^2]\n",
            "detect camt.053.001.02@1.0.0, mt940@1.0.0; overlays mt940-de@2.0.0",
        ),
    ],
)
def test_a_bank_overlay_reads_the_message_it_extends(
    reading: str,
    run_format: str,
    bank: Bank,
    context_for: Callable[[], RunContext],
    events: Events,
    tmp_path: Path,
) -> None:
    job = write_job(tmp_path, reading)
    (bank.inbox / "german.sta").write_bytes(GERMAN)

    result = run_inbound(load_job(str(job)), context_for())

    assert written_formats(events) == {"inbox/german.sta": "mt940-de@2.0.0"}
    assert result.run.format == run_format
    entries = statement_in(tmp_path / "statements" / "german.sta.json")["entries"]
    expected = json.loads((MT940_CASES / "read-german-sepa" / "expected.json").read_text())
    assert entries == expected["statements"][0]["entries"]


@pytest.mark.parametrize(
    ("reading", "code", "place", "message"),
    [
        (
            "format: camt.053.001.02@^1\noverlay: mt940-de@^2\n",
            "CFG312",
            (7, 10),
            "overlay mt940-de@2.0.0 does not extend camt.053.001.02@1.0.0",
        ),
        (
            "detect: {formats: [camt.053.001.02@^1, mt940@^1]}\noverlay: [mt940-de@^2, mt940@^1]\n",
            "CFG312",
            (7, 24),
            "overlay mt940@1.0.0 does not extend camt.053.001.02@1.0.0 or mt940@1.0.0",
        ),
        (
            "detect: {model: statement@^1}\noverlay: mt940@^1\n",
            "CFG312",
            (7, 10),
            "overlay mt940@1.0.0 does not extend any format",
        ),
        (
            "detect: {formats: [mt940@^1, pain.001.001.03@^1]}\n",
            "CFG311",
            (6, 30),
            "pain.001.001.03@1.0.0 reads into payments@",
        ),
        ("format: mt940@^1\ndetect: {model: statement@^1}\n", "CFG213", (1, 1), "exactly one"),
        ("detect: {}\n", "CFG213", (6, 9), "exactly one of `formats` and `model`"),
        ("format: mt940@^9\n", "CFG304", (6, 9), "no version of format `mt940`"),
    ],
)
def test_a_format_choice_that_cannot_work_is_a_config_error_in_place(
    reading: str, code: str, place: tuple[int, int], message: str, bank: Bank, tmp_path: Path
) -> None:
    job = write_job(tmp_path, reading)

    with pytest.raises((ConfigError, ErrorGroup)) as raised:
        load_job(str(job))

    (error,) = flatten(raised.value)
    assert isinstance(error, ConfigError)
    assert error.code == code
    assert error.span is not None
    assert (error.span.file, error.span.line, error.span.column) == (str(job), *place)
    assert message in error.message


def test_jobs_list_shows_a_detecting_job(
    bank: Bank, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_job(tmp_path, "detect: {model: statement@^1}\n")
    data = str(tmp_path / "data")

    assert cli.main(["jobs", "list", "--catalog", str(job.parent), "--data-dir", data]) == 0
    assert capsys.readouterr().out.split()[:3] == ["detecting@1.0.0", "inbound", "detect"]
