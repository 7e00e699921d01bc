"""The scheduler with an injected clock: firing, skipping and catching up; stop; one instance."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from erengine.errors import ConfigError, ErrorGroup, flatten
from erengine.jobs import JobError, RunContext, RunLedger, Scheduler, load_job
from erengine.jobs.cron import CronSchedule
from erengine.jobs.files import ledger_lock
from erengine.jobs.scheduler import StopRequested

from .conftest import BOTH_LEDGERS, Bank

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    """A moment in March 2026 (2 March is a Monday), Berlin wall time."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


class FakeClock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


def scheduled(job: Path, misfire: str = "run_once", grace: int = 300) -> Path:
    with job.open("a", encoding="utf-8") as text:
        text.write(
            "schedule: {cron: '0 14 * * 1-5', timezone: Europe/Berlin, "
            f"misfire: {misfire}, grace_seconds: {grace}}}\n"
        )
    return job


def scheduler_for(
    job: Path, context_for: Callable[[], RunContext], clock: FakeClock
) -> tuple[Scheduler, RunLedger]:
    context = context_for()
    scheduler = Scheduler([load_job(str(job))], context, clock=clock)
    return scheduler, context.open_run_ledger()


# --- cron -----------------------------------------------------------------------------


def test_weekdays_at_two_in_berlin_skip_the_weekend() -> None:
    cron = CronSchedule.parse("0 14 * * 1-5", "Europe/Berlin")
    friday = berlin(6, 14)
    assert cron.next_after(friday).astimezone(BERLIN) == berlin(9, 14)


def test_a_time_the_spring_change_skips_fires_at_the_shifted_instant() -> None:
    cron = CronSchedule.parse("30 2 * * *", "Europe/Berlin")
    fired = cron.next_after(berlin(29, 0))  # 29 March 2026: 02:00 becomes 03:00
    assert fired == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


def test_day_of_month_and_weekday_match_either_when_both_are_given() -> None:
    cron = CronSchedule.parse("0 9 1 * 0", "UTC")  # the 1st, and every Sunday
    start = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    first = cron.next_after(start)
    second = cron.next_after(first)
    assert (first.day, second.day) == (8, 15)  # Sundays
    assert cron.next_after(dt.datetime(2026, 3, 29, 10, tzinfo=dt.UTC)).day == 1  # 1 April


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 14 * *", "5 fields"),
        ("60 * * * *", "minute: '60'"),
        ("0 5-2 * * *", "goes backwards"),
        ("0 14 * * mon", "weekday: 'mon'"),
    ],
)
def test_a_wrong_cron_expression_says_which_field(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CronSchedule.parse(expression, "UTC")


def test_schedule_mistakes_are_located_in_the_job_file(outbound_job: Path) -> None:
    with outbound_job.open("a", encoding="utf-8") as text:
        text.write("schedule: {cron: '0 25 * * *', timezone: Europe/Berlin}\n")
    with pytest.raises((ConfigError, ErrorGroup)) as raised:
        load_job(str(outbound_job))
    (error,) = flatten(raised.value)
    assert isinstance(error, ConfigError)
    assert error.config_path == "schedule.cron"
    assert error.span is not None
    assert error.span.file == str(outbound_job)


# --- firing ---------------------------------------------------------------------------


@BOTH_LEDGERS
def test_a_job_fires_at_its_time_for_that_days_period_once(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    clock = FakeClock(berlin(2, 10))
    scheduler, ledger = scheduler_for(scheduled(outbound_job), context_for, clock)
    with ledger:
        assert scheduler.tick(ledger) == []  # first sight: starts from now
        clock.now = berlin(2, 13, 59)
        assert scheduler.tick(ledger) == []
        clock.now = berlin(2, 14, 0)
        (fired,) = scheduler.tick(ledger)
        assert scheduler.tick(ledger) == []
        (run,) = ledger.runs()
    assert (fired.action, fired.detail) == ("ran", "delivered")
    assert run.batch == "2026-03-02"
    assert run.started_by.endswith("(scheduler)")
    assert [path.name for path in bank.delivered()] == ["acme-2026-03-02-001.ach"]


def test_run_once_catches_up_with_the_latest_missed_firing(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    clock = FakeClock(berlin(2, 15))
    scheduler, ledger = scheduler_for(scheduled(outbound_job), context_for, clock)
    with ledger:
        scheduler.tick(ledger)
        clock.now = berlin(5, 16)  # Tuesday, Wednesday and Thursday missed
        firings = scheduler.tick(ledger)
    assert [(f.at.astimezone(BERLIN).day, f.action) for f in firings] == [
        (3, "skipped"),
        (4, "skipped"),
        (5, "ran"),
    ]
    assert [path.name for path in bank.delivered()] == ["acme-2026-03-05-001.ach"]


@BOTH_LEDGERS
def test_run_all_runs_every_missed_firing_with_its_own_period(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    clock = FakeClock(berlin(2, 15))
    scheduler, ledger = scheduler_for(scheduled(outbound_job, "run_all"), context_for, clock)
    with ledger:
        scheduler.tick(ledger)
        clock.now = berlin(4, 16)
        firings = scheduler.tick(ledger)
    # Tuesday's run took every payment; Wednesday's has nothing left to send.
    assert [(f.action, f.detail) for f in firings] == [
        ("ran", "delivered"),
        ("ran", "nothing_to_send"),
    ]
    assert [path.name for path in bank.delivered()] == ["acme-2026-03-03-001.ach"]


def test_skip_drops_firings_older_than_the_grace(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    clock = FakeClock(berlin(2, 15))
    scheduler, ledger = scheduler_for(scheduled(outbound_job, "skip", 300), context_for, clock)
    with ledger:
        scheduler.tick(ledger)
        clock.now = berlin(3, 14, 10)  # ten minutes late: beyond the five of grace
        late = scheduler.tick(ledger)
        clock.now = berlin(4, 14, 4)  # four minutes late: on time
        on_time = scheduler.tick(ledger)
    assert [f.action for f in late] == ["skipped"]
    assert [f.action for f in on_time] == ["ran"]
    assert [path.name for path in bank.delivered()] == ["acme-2026-03-04-001.ach"]


@BOTH_LEDGERS
def test_a_stop_ends_the_run_at_a_step_and_the_next_start_resumes_it(
    outbound_job: Path, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    clock = FakeClock(berlin(2, 10))
    scheduler, ledger = scheduler_for(scheduled(outbound_job), context_for, clock)
    with ledger:
        scheduler.tick(ledger)
        clock.now = berlin(2, 14, 1)
        scheduler.request_stop()
        with pytest.raises(StopRequested):
            scheduler.tick(ledger)
        (stopped,) = ledger.runs()
        assert stopped.state == "generated"
        assert bank.delivered() == []

        restarted, _ = scheduler_for(outbound_job, context_for, clock)
        (fired,) = restarted.tick(ledger)
    assert fired.detail == "delivered"
    assert [path.name for path in bank.delivered()] == ["acme-2026-03-02-001.ach"]


@BOTH_LEDGERS
def test_one_scheduler_per_ledger(
    outbound_job: Path, context_for: Callable[[], RunContext]
) -> None:
    context = context_for()
    scheduler = Scheduler([load_job(str(scheduled(outbound_job)))], context)
    busy = JobError("JOB000", "held by the test")
    with (
        context.open_run_ledger() as ledger,
        ledger_lock(ledger, "scheduler", busy),
        pytest.raises(JobError) as raised,
    ):
        scheduler.run_forever()
    assert raised.value.code == "JOB105"
    assert ledger.url.label in raised.value.message


def test_sigterm_stops_the_scheduler_cleanly(outbound_job: Path, tmp_path: Path) -> None:
    job = scheduled(outbound_job)
    code = (
        "import sys; from erengine_cli.cli import main; "
        f"sys.exit(main(['scheduler', {str(job)!r}, '--data-dir', {str(tmp_path / 'data')!r}]))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stderr=subprocess.PIPE, text=True, encoding="utf-8"
    )
    assert process.stderr is not None
    started = process.stderr.readline()
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=30)
    assert '"scheduler_started"' in started
    assert '"scheduler_stopped"' in rest
    assert process.returncode == 0
