"""Inbound runs: each statement written to its outputs exactly once, acknowledged after."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from erengine.jobs import RunContext, load_job, run_inbound

from .conftest import BOTH_LEDGERS, MT940_CASES, Bank, Crash, Events, run_killed_at

STATEMENT = (MT940_CASES / "read-page-join" / "input.sta").read_bytes()


def outputs(folder: Path) -> list[Path]:
    return (
        sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else []
    )


def statements_written(context: RunContext) -> int:
    """How often the run ledger recorded a statement as written to its outputs."""
    with context.open_run_ledger() as ledger:
        steps = [step for run in ledger.runs() for step in ledger.steps(run.id)]
    return sum(step["step"] == "statement written" for step in steps)


@BOTH_LEDGERS
def test_a_statement_is_written_once_and_moved_to_done(
    inbound_job: Path, bank: Bank, context_for: Callable[[], RunContext], tmp_path: Path
) -> None:
    (bank.inbox / "stmt-0301.sta").write_bytes(STATEMENT)
    job = load_job(str(inbound_job))

    first = run_inbound(job, context_for())
    second = run_inbound(job, context_for())

    (json_output,) = outputs(tmp_path / "statements")
    (avro_output,) = outputs(tmp_path / "statements-avro")
    assert json_output.name.startswith("stmt-0301-")
    assert json_output.suffix == ".json"
    assert avro_output.suffix == ".avro"
    assert json.loads(json_output.read_text(encoding="utf-8"))
    assert first.status == "finished"
    assert len(first.written) == 1
    assert second.written == []
    assert (bank.inbox / "done" / "stmt-0301.sta").exists()
    assert not (bank.inbox / "stmt-0301.sta").exists()


@BOTH_LEDGERS
def test_the_same_statement_dropped_again_under_another_name_is_not_written_again(
    inbound_job: Path, bank: Bank, context_for: Callable[[], RunContext], tmp_path: Path
) -> None:
    job = load_job(str(inbound_job))
    (bank.inbox / "a.sta").write_bytes(STATEMENT)
    run_inbound(job, context_for())
    (bank.inbox / "b.sta").write_bytes(STATEMENT)

    again = run_inbound(job, context_for())

    assert again.written == []
    assert [item["remote_path"] for item in again.duplicates] == ["inbox/b.sta"]
    assert len(outputs(tmp_path / "statements")) == 1


@BOTH_LEDGERS
@pytest.mark.parametrize(
    "step",
    [
        "transport claimed",
        "transport fetched",
        "transport recorded",
        "transport processing",
        "outputs written",  # both outputs durable, not yet recorded
        "statement recorded",  # recorded, but the transport did not hear the answer
        "transport processed",
    ],
)
def test_a_crash_at_any_step_writes_each_statement_exactly_once(
    step: str,
    inbound_job: Path,
    bank: Bank,
    context_for: Callable[[], RunContext],
    events: Events,
    tmp_path: Path,
) -> None:
    (bank.inbox / "stmt.sta").write_bytes(STATEMENT)
    events.crash_at = step
    with pytest.raises(Crash):
        run_inbound(load_job(str(inbound_job)), context_for())

    resumed = run_inbound(load_job(str(inbound_job)), context_for())
    final = run_inbound(load_job(str(inbound_job)), context_for())

    assert len(outputs(tmp_path / "statements")) == 1
    assert len(outputs(tmp_path / "statements-avro")) == 1
    assert final.written == []
    assert (bank.inbox / "done" / "stmt.sta").exists()
    assert statements_written(context_for()) == 1
    assert resumed.status == "finished"


@BOTH_LEDGERS
@pytest.mark.parametrize("step", ["transport processing", "outputs written", "statement recorded"])
def test_a_killed_process_writes_each_statement_exactly_once(
    step: str,
    inbound_job: Path,
    bank: Bank,
    context_for: Callable[[], RunContext],
    tmp_path: Path,
) -> None:
    (bank.inbox / "stmt.sta").write_bytes(STATEMENT)
    run_killed_at(step, inbound_job, context_for(), "run_inbound(job, context)")

    run_inbound(load_job(str(inbound_job)), context_for())
    final = run_inbound(load_job(str(inbound_job)), context_for())

    assert final.written == []
    assert len(outputs(tmp_path / "statements")) == 1
    assert len(outputs(tmp_path / "statements-avro")) == 1
    assert (bank.inbox / "done" / "stmt.sta").exists()
    assert statements_written(context_for()) == 1


def test_a_file_that_does_not_read_in_the_format_goes_to_error(
    inbound_job: Path, bank: Bank, context_for: Callable[[], RunContext], tmp_path: Path
) -> None:
    (bank.inbox / "broken.sta").write_bytes(b"this is not an MT940 statement\n")

    result = run_inbound(load_job(str(inbound_job)), context_for())

    assert result.status == "finished_with_refusals"
    assert [item["remote_path"] for item in result.rejected] == ["inbox/broken.sta"]
    assert (bank.inbox / "error" / "broken.sta").exists()
    assert outputs(tmp_path / "statements") == []
