"""Locks that follow the run ledger: two runs of one job, or two schedulers, never at once.

Files a run writes go through ``erengine.io.durable.durable_output`` (atomic, fsynced, the
folder entry included), like every file the CLI writes.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from erengine.errors import JobError
from erengine.jobs.ledger import RunLedger


@contextmanager
def job_lock(ledger: RunLedger, job: str) -> Iterator[None]:
    """Hold the job's lock for a run; a second run of the same job at once is refused."""
    busy = JobError(
        "JOB101",
        f"another run of job {job} is in progress",
        hint="wait for it to finish; a run that crashed releases its lock at once",
    )
    with ledger_lock(ledger, f"job-{job}", busy):
        yield


@contextmanager
def ledger_lock(ledger: RunLedger, name: str, busy: JobError) -> Iterator[None]:
    """Hold the lock ``name`` among everyone who uses ``ledger``, or raise ``busy`` at once.

    Beside a SQLite ledger it is an ``flock`` on ``locks/NAME.lock`` in the ledger's folder
    (the data folder by default); on a PostgreSQL ledger, which several machines may share,
    a session-level advisory lock of the ledger's connection. Both die with their process.
    """
    if ledger.url.dialect == "sqlite":
        with exclusive_lock(Path(ledger.url.target).parent / "locks" / f"{name}.lock", busy):
            yield
        return
    with ledger.advisory_lock(name) as taken:
        if not taken:
            raise busy
        yield


@contextmanager
def exclusive_lock(path: Path, busy: JobError) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``, or raise ``busy`` at once.

    An ``flock`` dies with its process, so a crash never leaves a stale lock.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
