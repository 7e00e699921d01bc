"""A connection that reconnects: runs an action, and on a transport fault discards the
session, waits (exponential backoff) and runs the action again on a fresh one.

Only ``SftpError``s marked ``retryable`` are retried; host-key, authentication, permission and
verification errors surface at once. Actions receive the attempt number so they can resume.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from .connect import SftpSession
from .endpoint import LocalEndpoint, RetryPolicy, SftpEndpoint
from .errors import SftpError
from .local import LocalFolder
from .remote import RemoteFS

T = TypeVar("T")
Opener = Callable[[], RemoteFS]
RetryNotice = Callable[[SftpError, int, float], None]
"""Told (error, next attempt number, seconds to wait) before each retry."""


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
