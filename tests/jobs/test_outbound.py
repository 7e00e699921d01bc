"""Outbound runs: one file per batch, whatever happens — reruns, crashes at every step, kills."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from erengine.jobs import JobError, RunContext, load_job, run_outbound
from erengine.jobs.files import job_lock

from .conftest import BOTH_LEDGERS, Bank, Crash, Events, run_killed_at

PERIOD = "2024-03-01"

# Every durable step of an outbound run, the transport's included.
STEPS = (
    "generated",
    "archived",
    "transport sending",
    "transport published",
    "transport archived",
    "delivered test-bank",
    "delivered",
)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@BOTH_LEDGERS
def test_a_second_run_of_the_same_period_delivers_nothing(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext], events: Events
) -> None:
    job = load_job(str(outbound_job))
    first = run_outbound(job, context_for(), period=PERIOD)
    second = run_outbound(job, context_for(), period=PERIOD)

    assert first.status == "delivered"
    assert second.status == "already_delivered"
    (delivered,) = bank.delivered()
    assert delivered.name == "acme-2024-03-01-001.ach"
    assert first.run is not None
    assert first.run.generated is not None
    assert sha256_of(delivered) == first.run.generated.sha256
    assert [event["event"] for event in events.logged] == [
        "generated",
        "archived",
        "delivered",
        "already_delivered",
    ]


@BOTH_LEDGERS
def test_the_run_records_who_sent_what_with_which_format(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext], exports: Path
) -> None:
    job = load_job(str(outbound_job))
    context = context_for()
    result = run_outbound(job, context, period=PERIOD)
    with context.open_run_ledger() as ledger:
        (run,) = ledger.runs("test-payables")
        deliveries = ledger.deliveries(run.id)
        steps = [step["step"] for step in ledger.steps(run.id)]
    compiled = job.engine.format("nacha@^1")
    assert run.state == "delivered"
    assert (run.job_version, run.job_sha256) == ("1.0.0", job.sha256)
    assert (run.format, run.format_sha256) == (compiled.label, compiled.sha256)
    assert run.started_by == "test"
    assert run.generated is not None
    source_sha = sha256_of(exports / "payables-1.csv")
    expected_digest = hashlib.sha256(f'["{source_sha}"]'.encode()).hexdigest()
    assert run.generated.input_digest == expected_digest
    assert steps == ["generated", "archived", "delivered to endpoint", "delivered"]
    assert deliveries[0]["endpoint"] == "test-bank"
    assert deliveries[0]["remote_path"] == "outbox/acme-2024-03-01-001.ach"
    assert result.deliveries == deliveries


@BOTH_LEDGERS
@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_resumes_with_the_same_file_and_bytes(
    step: str,
    outbound_job: Path,
    bank: Bank,
    context_for: Callable[[], RunContext],
    events: Events,
) -> None:
    job = load_job(str(outbound_job))
    events.crash_at = step
    with pytest.raises(Crash):
        run_outbound(job, context_for(), period=PERIOD, now=dt.datetime(2024, 3, 1, 14))
    with context_for().open_run_ledger() as ledger:
        (crashed,) = ledger.runs("test-payables")
    assert crashed.generated is not None

    # The next day: a new generation would carry a new creation time; the stored file must go.
    next_day = dt.datetime(2024, 3, 2, 9)
    resumed = run_outbound(load_job(str(outbound_job)), context_for(), period=PERIOD, now=next_day)
    again = run_outbound(load_job(str(outbound_job)), context_for(), period=PERIOD, now=next_day)

    assert resumed.status == ("already_delivered" if step == "delivered" else "delivered")
    assert again.status == "already_delivered"
    (delivered,) = bank.delivered()
    assert delivered.name == crashed.generated.file_name
    assert sha256_of(delivered) == crashed.generated.sha256


@BOTH_LEDGERS
@pytest.mark.parametrize("step", ["generated", "archived", "transport published"])
def test_a_killed_process_resumes_with_the_same_file_and_bytes(
    step: str,
    outbound_job: Path,
    bank: Bank,
    context_for: Callable[[], RunContext],
) -> None:
    run_killed_at(
        step, outbound_job, context_for(), f"run_outbound(job, context, period={PERIOD!r})"
    )
    with context_for().open_run_ledger() as ledger:
        (crashed,) = ledger.runs("test-payables")
    assert crashed.generated is not None

    resumed = run_outbound(load_job(str(outbound_job)), context_for(), period=PERIOD)

    assert resumed.status == "delivered"
    (delivered,) = bank.delivered()
    assert sha256_of(delivered) == crashed.generated.sha256


@BOTH_LEDGERS
def test_records_of_a_delivered_batch_are_not_paid_again_in_a_later_period(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext], exports: Path
) -> None:
    job = load_job(str(outbound_job))
    run_outbound(job, context_for(), period=PERIOD)
    # Same bytes under another name: not read again.
    (exports / "payables-1-copy.csv").write_bytes((exports / "payables-1.csv").read_bytes())
    unchanged = run_outbound(job, context_for(), period="2024-03-02")
    # A new export repeating one paid row and adding one new payment.
    lines = (exports / "payables-1.csv").read_text(encoding="utf-8").splitlines()
    new_row = "03/06/2024;New Vendor Ltd;V-1009;121000248;5550009999;C;77,00;INV-2024-200"
    (exports / "payables-2.csv").write_text(
        "\n".join([lines[0], lines[1], new_row]) + "\n", encoding="utf-8"
    )
    later = run_outbound(job, context_for(), period="2024-03-06")

    assert unchanged.status == "nothing_to_send"
    assert later.status == "delivered"
    assert [path.name for path in bank.delivered()] == [
        "acme-2024-03-01-001.ach",
        "acme-2024-03-06-002.ach",
    ]
    second = (bank.outbox / "acme-2024-03-06-002.ach").read_text(encoding="ascii")
    assert "NEW VENDOR" in second.upper()
    assert "WIDGET SUPPLY" not in second.upper()


def test_a_dry_run_writes_and_checks_the_file_but_records_and_sends_nothing(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext], tmp_path: Path
) -> None:
    result = run_outbound(load_job(str(outbound_job)), context_for(), period=PERIOD, dry_run=True)

    assert result.status == "dry_run"
    assert result.file == tmp_path / "generated" / "dry-run" / "acme-2024-03-01-001.ach"
    assert result.file.stat().st_size > 0
    assert bank.delivered() == []
    with context_for().open_run_ledger() as ledger:
        assert ledger.runs() == []


@BOTH_LEDGERS
def test_a_stored_file_that_changed_is_never_sent(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext], events: Events
) -> None:
    job = load_job(str(outbound_job))
    events.crash_at = "generated"
    with pytest.raises(Crash):
        run_outbound(job, context_for(), period=PERIOD)
    with context_for().open_run_ledger() as ledger:
        (run,) = ledger.runs()
    assert run.generated is not None
    run.generated.stored_path.write_bytes(b"tampered")

    with pytest.raises(JobError) as raised:
        run_outbound(job, context_for(), period=PERIOD)

    assert raised.value.code == "JOB104"
    assert bank.delivered() == []
    with context_for().open_run_ledger() as ledger:
        (failed,) = ledger.runs()
    assert failed.state == "generated"
    assert failed.error is not None
    assert "JOB104" in failed.error


@BOTH_LEDGERS
def test_two_runs_of_one_job_at_once_are_refused(
    outbound_job: Path, context_for: Callable[[], RunContext]
) -> None:
    context = context_for()
    with (
        context.open_run_ledger() as ledger,
        job_lock(ledger, "test-payables"),
        pytest.raises(JobError) as raised,
    ):
        run_outbound(load_job(str(outbound_job)), context, period=PERIOD)
    assert raised.value.code == "JOB101"


def test_an_explicit_batch_id_keys_the_run_instead_of_the_period(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext], exports: Path
) -> None:
    job = load_job(str(outbound_job))
    first = run_outbound(job, context_for(), batch="urgent-1")
    assert first.status == "delivered"
    assert first.batch == "urgent-1"
    os.remove(exports / "payables-1.csv")
    assert run_outbound(job, context_for(), batch="urgent-1").status == "already_delivered"
    assert len(bank.delivered()) == 1
