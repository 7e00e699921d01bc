"""One picker per inbox: an exclusive, non-blocking ``flock`` on a file beside the ledger.

The kernel drops the lock when the process dies, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from types import TracebackType

from .errors import InboxLockedError, LocalFileError


class InboxLock:
    def __init__(self, folder: Path, endpoint: str, inbox: str) -> None:
        digest = hashlib.sha256(f"{endpoint}\0{inbox}".encode()).hexdigest()[:12]
        self.path = folder / f"{endpoint}-{digest}.lock"
        self._endpoint = endpoint
        self._inbox = inbox
        self._descriptor: int | None = None

    def __enter__(self) -> InboxLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LocalFileError(f"cannot open lock file {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise InboxLockedError(
                "another picker is processing this inbox",
                host=self._endpoint,
                operation="lock",
                remote_path=self._inbox,
                hint=f"wait for it to finish (lock file {self.path})",
            ) from None
        self._descriptor = descriptor
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing releases the flock
            self._descriptor = None
