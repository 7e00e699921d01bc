"""A run ledger on PostgreSQL, shared by several machines: one file per batch when two runs
meet, advisory locks that die with their process, a database outage in the middle of a run,
and the command line's ``--ledger``."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from erengine_cli import cli

from erengine.errors import JobError, TransportError
from erengine.jobs import RunContext, Scheduler, load_job, run_outbound
from erengine.jobs.ledger import GeneratedFile, RunIdentity

from ..postgres import PASSWORD_ENV, PostgresServer
from .conftest import BOTH_LEDGERS, Bank, Events, start_paused_at

PERIOD = "2024-03-01"
CALL = f"run_outbound(job, context, period={PERIOD!r})"

postgres_ledger = pytest.mark.parametrize(
    "ledger_backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def another_machine(context: RunContext, tmp_path: Path, name: str) -> RunContext:
    """The same ledger from another machine: its own data folder (its own flocks)."""
    return dataclasses.replace(context, data_dir=tmp_path / name)


def refused_until_freed(attempt: Callable[[], object], code: str) -> object:
    """Repeat ``attempt`` while it is refused with ``code``: the server frees a killed
    process's session lock as soon as it sees the connection gone, within a moment."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return attempt()
        except JobError as refused:
            if refused.code != code or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@BOTH_LEDGERS
def test_a_batch_recorded_by_another_run_meanwhile_is_refused(
    context_for: Callable[[], RunContext], tmp_path: Path
) -> None:
    identity = RunIdentity("payables", "1.0.0", "j" * 64, "nacha@1.0.0", "f" * 64, "test")

    def generated(name: str) -> GeneratedFile:
        return GeneratedFile(1, name, None, tmp_path / name, "s" * 64, 10, "d" * 64)

    with context_for().open_run_ledger() as first, context_for().open_run_ledger() as second:
        # Both looked before either recorded: neither saw the batch.
        assert first.find("payables", "outbound", PERIOD) is None
        assert second.find("payables", "outbound", PERIOD) is None
        first.record_generated(identity, PERIOD, generated("a.ach"), [], [])
        with pytest.raises(JobError) as refused:
            second.record_generated(identity, PERIOD, generated("b.ach"), [], [])
        (run,) = second.runs()
    assert refused.value.code == "JOB106"
    assert run.generated is not None
    assert run.generated.file_name == "a.ach"


@postgres_ledger
def test_two_machines_running_one_batch_at_once_deliver_one_file(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext], tmp_path: Path
) -> None:
    machine_a = another_machine(context_for(), tmp_path, "machine-a")
    machine_b = another_machine(context_for(), tmp_path, "machine-b")
    gate = tmp_path / "gate"
    gate.mkdir()
    running = start_paused_at("generated", outbound_job, machine_a, CALL, gate)
    try:
        with pytest.raises(JobError) as refused:  # A holds the batch's job: B sends nothing
            run_outbound(load_job(str(outbound_job)), machine_b, period=PERIOD)
        assert bank.delivered() == []
        (gate / "go").touch()
        assert running.wait(timeout=120) == 0
    finally:
        running.kill()
    later = run_outbound(load_job(str(outbound_job)), machine_b, period=PERIOD)

    assert refused.value.code == "JOB101"
    assert later.status == "already_delivered"
    (delivered,) = bank.delivered()
    assert delivered.name == "acme-2024-03-01-001.ach"


@postgres_ledger
def test_a_killed_run_frees_its_job_lock_and_the_next_run_resumes(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext], tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    gate.mkdir()
    holder = start_paused_at(
        "archived", outbound_job, another_machine(context_for(), tmp_path, "a"), CALL, gate
    )
    other = another_machine(context_for(), tmp_path, "b")
    try:
        with pytest.raises(JobError) as refused:
            run_outbound(load_job(str(outbound_job)), other, period=PERIOD)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)

    resumed = refused_until_freed(
        lambda: run_outbound(load_job(str(outbound_job)), other, period=PERIOD), "JOB101"
    )

    assert refused.value.code == "JOB101"
    assert getattr(resumed, "status", None) == "delivered"
    assert len(bank.delivered()) == 1


@postgres_ledger
def test_one_scheduler_per_shared_ledger_and_a_killed_one_frees_it(
    outbound_job: Path, context_for: Callable[[], RunContext], tmp_path: Path
) -> None:
    context = context_for()
    assert context.ledger_url is not None
    with outbound_job.open("a", encoding="utf-8") as text:
        text.write("schedule: {cron: '0 14 * * 1-5', timezone: Europe/Berlin}\n")
    code = (
        "import sys; from erengine_cli.cli import main; sys.exit(main(['scheduler', "
        f"{str(outbound_job)!r}, '--data-dir', {str(tmp_path / 'a')!r}, "
        f"'--ledger', {context.ledger_url.target!r}]))"
    )
    environment = {**os.environ, "ERENGINE_LEDGER_PASSWORD_ENV": PASSWORD_ENV}
    process = subprocess.Popen(
        [sys.executable, "-c", code], stderr=subprocess.PIPE, text=True, env=environment
    )
    assert process.stderr is not None
    try:
        started = json.loads(process.stderr.readline())
        second = Scheduler(
            [load_job(str(outbound_job))],
            another_machine(context, tmp_path, "b"),
            wait=lambda _seconds: True,  # one tick, then stop
        )
        with pytest.raises(JobError) as refused:
            second.run_forever()
    finally:
        process.kill()
        process.communicate(timeout=30)

    refused_until_freed(second.run_forever, "JOB105")

    assert started["event"] == "scheduler_started"
    assert started["ledger"] == context.ledger_url.label
    assert refused.value.code == "JOB105"
    assert context.ledger_url.label in refused.value.message


@pytest.fixture
def outage(postgres: PostgresServer) -> Iterator[PostgresServer]:
    """The session's server; whatever the test did to it, it runs again afterwards."""
    yield postgres
    try:
        psycopg.connect(postgres.admin_url(), connect_timeout=2).close()
    except psycopg.OperationalError:
        postgres.start()


@postgres_ledger
def test_the_database_going_down_mid_run_fails_the_run_and_the_next_one_resumes(
    outbound_job: Path,
    bank: Bank,
    context_for: Callable[[], RunContext],
    events: Events,
    outage: PostgresServer,
) -> None:
    def stop_database(step: str) -> None:
        if step == "generated":
            outage.stop("immediate")

    job = load_job(str(outbound_job))
    context = context_for()
    with pytest.raises(TransportError) as failed:
        run_outbound(job, dataclasses.replace(context, step_hook=stop_database), period=PERIOD)
    with pytest.raises(TransportError) as down:  # still down: cannot even start
        run_outbound(job, context_for(), period=PERIOD)
    assert bank.delivered() == []
    outage.start()
    resumed = run_outbound(load_job(str(outbound_job)), context_for(), period=PERIOD)
    again = run_outbound(load_job(str(outbound_job)), context_for(), period=PERIOD)

    assert context.ledger_url is not None
    assert failed.value.code == "TRN303"
    assert "database unavailable" in failed.value.message
    assert failed.value.host == context.ledger_url.label
    assert down.value.code == "TRN301"
    (generated,) = events.named("generated")
    assert resumed.status == "delivered"
    assert again.status == "already_delivered"
    (delivered,) = bank.delivered()
    assert delivered.name == Path(generated["file"]).name
    assert hashlib.sha256(delivered.read_bytes()).hexdigest() == generated["sha256"]


def test_the_ledger_comes_from_the_option_else_the_environment(
    outbound_job: Path,
    bank: Bank,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = tmp_path / "elsewhere" / "runs.sqlite"
    data = str(tmp_path / "data")
    monkeypatch.setenv("ERENGINE_LEDGER_URL", f"sqlite:///{elsewhere}")

    code = cli.main(["run", str(outbound_job), "--period", PERIOD, "--data-dir", data])
    _, err = capsys.readouterr()
    assert code == cli.EXIT_OK
    assert {json.loads(line)["ledger"] for line in err.splitlines()} == {str(elsewhere)}
    assert elsewhere.exists()
    assert not (tmp_path / "data" / "runs.sqlite").exists()
    assert (elsewhere.parent / "locks" / "job-test-payables.lock").exists()  # beside it

    assert cli.main(["jobs", "history", "--data-dir", data, "--json"]) == cli.EXIT_OK
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["ledger"] == str(elsewhere)

    with pytest.raises(SystemExit) as bad:
        cli.main(["jobs", "status", "--ledger", "postgresql://erp:secret@db/erp"])
    assert bad.value.code == cli.EXIT_USAGE
    assert "ERENGINE_LEDGER_PASSWORD_ENV" in capsys.readouterr().err


@postgres_ledger
def test_a_scheduler_whose_ledger_goes_away_stops_with_the_transport_error(
    outbound_job: Path, context_for: Callable[[], RunContext], outage: PostgresServer
) -> None:
    with outbound_job.open("a", encoding="utf-8") as text:
        text.write("schedule: {cron: '0 14 * * 1-5', timezone: Europe/Berlin}\n")

    def database_goes_away(_seconds: float) -> bool:
        outage.stop("immediate")
        return False  # no stop requested: the scheduler ticks again

    scheduler = Scheduler([load_job(str(outbound_job))], context_for(), wait=database_goes_away)
    with pytest.raises(TransportError) as stopped:  # its lock went with its connection
        scheduler.run_forever()

    assert stopped.value.code == "TRN303"
