"""A connection that reconnects: runs an action, and on a transport fault discards the
session, waits (exponential backoff) and runs the action again on a fresh one.

Only ``SftpError``s marked ``retryable`` are retried; host-key, authentication, permission and
verification errors surface at once. Actions receive the attempt number so they can resume.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from .archive import Archive, Direction, ManifestEntry, utc_now
from .connect import SftpSession
from .durable import SyncBatch
from .endpoint import LocalEndpoint, RetryPolicy, SftpEndpoint
from .errors import SftpError
from .ledger import Ledger
from .local import LocalFolder
from .remote import Progress, RemoteFS

T = TypeVar("T")
Opener = Callable[[], RemoteFS]
RetryNotice = Callable[[SftpError, int, float], None]
"""Told (error, next attempt number, seconds to wait) before each retry."""
StepHook = Callable[[str, str], None]
"""Told (step, remote path) after each durable step; tests inject crashes here."""


def opener_for(endpoint: SftpEndpoint | LocalEndpoint) -> Opener:
    if isinstance(endpoint, LocalEndpoint):
        return lambda: LocalFolder(endpoint.root)
    return lambda: SftpSession(endpoint)


class Link:
    def __init__(
        self,
        opener: Opener,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: RetryNotice | None = None,
    ) -> None:
        self._opener = opener
        self._policy = policy
        self._sleep = sleep
        self._on_retry = on_retry
        self._session: RemoteFS | None = None

    def run(self, action: Callable[[RemoteFS, int], T]) -> T:
        attempt = 1
        while True:
            try:
                if self._session is None:
                    self._session = self._opener()
                return action(self._session, attempt)
            except SftpError as error:
                if not error.retryable:
                    raise
                # After a timeout or a drop the session's state is unknown: never reuse it.
                self.discard()
                if attempt >= self._policy.attempts:
                    raise
                attempt += 1
                delay = self._policy.delay_before(attempt)
                if self._on_retry is not None:
                    self._on_retry(error, attempt, delay)
                self._sleep(delay)

    def discard(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            session.close()

    def __enter__(self) -> Link:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()


class EndpointAgent:
    """What ``Courier`` and ``Picker`` share: the endpoint, its ledger and archive, a
    reconnecting link, and the seams tests use (sleep, clock, step hook).

    ``progress`` is asked, per remote path, for a callback to report bytes moved.
    """

    def __init__(
        self,
        endpoint: SftpEndpoint | LocalEndpoint,
        *,
        ledger: Ledger,
        archive: Archive,
        opener: Opener | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        on_retry: RetryNotice | None = None,
        progress: Callable[[str], Progress | None] | None = None,
        step_hook: StepHook | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._ledger = ledger
        self._archive = archive
        self._link = Link(
            opener or opener_for(endpoint), endpoint.retry, sleep=sleep, on_retry=on_retry
        )
        self._sleep = sleep
        self._clock = clock
        self._progress = progress
        self._step_hook = step_hook

    def _archive_file(
        self,
        source: Path,
        *,
        direction: Direction,
        remote_path: str,
        size: int,
        sha256: str,
        fingerprint: str | None,
        started_at: str,
        metadata: Mapping[str, str],
        batch: SyncBatch | None = None,
    ) -> Path:
        entry = ManifestEntry(
            direction=direction,
            endpoint=self._endpoint.name,
            host=self._endpoint.label,
            remote_path=remote_path,
            size=size,
            sha256=sha256,
            host_key_fingerprint=fingerprint,
            started_at=started_at,
            finished_at=utc_now(),
            metadata=dict(metadata),
        )
        return self._archive.store(source, entry, batch=batch)

    def _progress_for(self, remote_path: str) -> Progress | None:
        return self._progress(remote_path) if self._progress is not None else None

    def _step(self, step: str, remote_path: str) -> None:
        if self._step_hook is not None:
            self._step_hook(step, remote_path)
