"""The scheduler: starts jobs on their cron schedules, one instance per run ledger.

Each job's last handled firing is kept in the run ledger, so a restart knows what it missed.
A job seen for the first time starts from now (no replay of history). Missed firings follow
the job's misfire policy: ``run_once`` runs once for the latest, ``run_all`` runs each in
order, ``skip`` drops those older than ``grace_seconds``. An outbound firing runs for the
business period of its own date in the schedule's zone, so a catch-up after midnight still
sends yesterday's batch under yesterday's key.

A stop request (SIGTERM) is honoured at the next step boundary of the running job: the step
in progress finishes (every step is durable on its own), the run stops there, the firing is
not marked handled, and the next start resumes the run where it stopped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from erengine.jobs.context import JobError, RunContext, started_by
from erengine.jobs.definition import JobDefinition
from erengine.jobs.files import ledger_lock
from erengine.jobs.inbound import run_inbound
from erengine.jobs.ledger import RunLedger
from erengine.jobs.outbound import run_outbound

Clock = Callable[[], dt.datetime]
"""The current time, aware (tests inject a fake one)."""
Wait = Callable[[float], bool]
"""Wait up to that many seconds; True when a stop was requested meanwhile."""

MAX_IDLE_SECONDS = 60.0  # wake at least this often: a changed clock is noticed within a minute
MAX_CATCH_UP = 1000  # firings looked at per job and tick after a long outage


class StopRequested(BaseException):
    """Raised at a step boundary once a stop was requested; not an Exception, so nothing on
    the way takes it for a failure or a refused file."""


@dataclass(frozen=True, slots=True)
class Firing:
    job: str
    at: dt.datetime
    action: Literal["ran", "failed", "skipped", "stopped"]
    detail: str | None = None


class Scheduler:
    def __init__(
        self,
        jobs: Sequence[JobDefinition],
        context: RunContext,
        *,
        clock: Clock = lambda: dt.datetime.now(dt.UTC),
        wait: Wait | None = None,
    ) -> None:
        self.jobs = [job for job in jobs if job.schedule is not None]
        self._context = context
        self._clock = clock
        self._stopping = threading.Event()
        self._wait = wait or self._stopping.wait

    def request_stop(self) -> None:
        """Safe from a signal handler: only sets a flag."""
        self._stopping.set()

    def run_forever(self) -> None:
        """Fire due jobs until a stop is requested; refuses to run twice per run ledger (on
        one machine or, with a shared PostgreSQL ledger, on several)."""
        with self._context.open_run_ledger() as ledger:
            busy = JobError(
                "JOB105",
                f"another scheduler is running on the run ledger {ledger.url.label}",
                hint="one scheduler per run ledger; stop the other one first",
            )
            with ledger_lock(ledger, "scheduler", busy):
                self._run_until_stopped(ledger)

    def _run_until_stopped(self, ledger: RunLedger) -> None:
        self._context.log({"event": "scheduler_started", "jobs": [j.label for j in self.jobs]})
        while not self._stopping.is_set():
            try:
                self.tick(ledger)
            except StopRequested:
                break
            if self._wait(self._seconds_to_next(ledger)):
                break
        self._context.log({"event": "scheduler_stopped"})

    def tick(self, ledger: RunLedger) -> list[Firing]:
        """Run every firing due now; raises StopRequested if a stop cut a run short."""
        now = self._clock()
        firings: list[Firing] = []
        for job in self.jobs:
            firings.extend(self._fire_due(job, ledger, now))
        return firings

    def _fire_due(self, job: JobDefinition, ledger: RunLedger, now: dt.datetime) -> list[Firing]:
        schedule, spec = job.schedule, job.spec.schedule
        assert schedule is not None
        assert spec is not None
        last = ledger.last_fire(job.name)
        if last is None:
            ledger.set_last_fire(job.name, now)
            return []
        due: list[dt.datetime] = []
        moment = last
        while len(due) < MAX_CATCH_UP and (moment := schedule.next_after(moment)) <= now:
            due.append(moment)
        if not due:
            return []
        if spec.misfire == "run_all":
            to_run = due
        elif spec.misfire == "run_once":
            to_run = due[-1:]
        else:
            grace = dt.timedelta(seconds=spec.grace_seconds)
            to_run = [at for at in due if now - at <= grace]
        firings = [Firing(job.name, at, "skipped", "misfire") for at in due if at not in to_run]
        for skipped in firings:
            self._log(skipped)
        for at in to_run:
            firing = self._run(job, at)
            self._log(firing)
            firings.append(firing)
        ledger.set_last_fire(job.name, due[-1])
        return firings

    def _run(self, job: JobDefinition, at: dt.datetime) -> Firing:
        schedule = job.schedule
        assert schedule is not None
        context = dataclasses.replace(
            self._context, started_by=started_by("scheduler"), step_hook=self._at_step
        )
        try:
            if job.outbound is not None:
                local = at.astimezone(schedule.zone).replace(tzinfo=None)
                result = run_outbound(job, context, period=local.date().isoformat(), now=local)
                return Firing(job.name, at, "ran", result.status)
            return Firing(job.name, at, "ran", run_inbound(job, context).status)
        except StopRequested:
            self._log(Firing(job.name, at, "stopped", "resumes at the next start"))
            raise
        except Exception as exc:  # one job's failure must not stop the others
            return Firing(job.name, at, "failed", str(exc))

    def _at_step(self, step: str) -> None:
        self._context.step_hook(step)
        if self._stopping.is_set():
            raise StopRequested(step)

    def _seconds_to_next(self, ledger: RunLedger) -> float:
        now = self._clock()
        upcoming = []
        for job in self.jobs:
            assert job.schedule is not None
            upcoming.append(job.schedule.next_after(ledger.last_fire(job.name) or now))
        if not upcoming:
            return MAX_IDLE_SECONDS
        return max(0.0, min(MAX_IDLE_SECONDS, (min(upcoming) - now).total_seconds()))

    def _log(self, firing: Firing) -> None:
        self._context.log(
            {
                "event": f"firing_{firing.action}",
                "job": firing.job,
                "fired_for": firing.at.isoformat(),
                "detail": firing.detail,
            }
        )
