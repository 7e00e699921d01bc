"""Local files a run writes and must not lose: atomic, fsynced, folder entry included.

The CLI's ``atomic_output`` publishes a file for a person to look at; a run's files are
promises recorded in the ledger (a payment file about to be sent, a statement about to be
acknowledged), so the folder entry is fsynced too and a per-job lock keeps two runs of one
job apart.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from erengine.jobs.context import JobError


@contextmanager
def durable_output(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``; on success fsynced and renamed over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, path)
        _fsync(path.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


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
