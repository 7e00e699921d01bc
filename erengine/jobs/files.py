"""A per-job lock: two runs of one job never work at the same time.

Files a run writes go through ``erengine.io.durable.durable_output`` (atomic, fsynced, the
folder entry included), like every file the CLI writes.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from erengine.jobs.context import JobError


@contextmanager
def job_lock(folder: Path, job: str) -> Iterator[None]:
    """Hold the job's lock for a run; a second run of the same job at once is refused."""
    busy = JobError(
        "JOB101",
        f"another run of job {job} is in progress",
        hint="wait for it to finish; a run that crashed releases its lock at once",
    )
    with exclusive_lock(folder / f"job-{job}.lock", busy):
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
