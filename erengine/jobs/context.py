"""What every job run shares: where its state lives, who started it, and how it reports.

The data folder holds ``runs.sqlite`` (the run ledger, unless ``ledger_url`` names another
one, e.g. on PostgreSQL), ``ledger.sqlite`` (the transport's ledger, shared with ``erengine
sftp``), ``runs/JOB/`` (generated files, picked-up statements) and the archive. Transport
errors are turned into ``TransportError`` here, the one place that sees both hierarchies.
"""

from __future__ import annotations

import getpass
import platform
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from erengine_sftp import (
    Archive,
    Ledger,
    LocalEndpoint,
    ManifestEntry,
    SftpEndpoint,
    SftpError,
    SyncBatch,
    data_folder,
)

from erengine.errors import JobError, TransportError
from erengine.jobs.database import DatabaseUrl
from erengine.jobs.ledger import RunLedger

__all__ = [
    "EventLog",
    "JobError",
    "ReceiptArchive",
    "RunContext",
    "StepHook",
    "started_by",
    "transport_errors",
]

EventLog = Callable[[Mapping[str, Any]], None]
"""Told each event of a run as a flat mapping (the CLI prints them as JSON lines)."""
StepHook = Callable[[str], None]
"""Told each step after it is durable; tests inject crashes here."""


def started_by(how: str) -> str:
    """``user@host (how)``: who or what started a run, for the audit."""
    return f"{getpass.getuser()}@{platform.node()} ({how})"


class ReceiptArchive(Archive):
    """An archive that remembers the last manifest entry it stored: the transport's receipt
    has no host-key fingerprint, its manifest entry does, and the run's audit wants it."""

    last_entry: ManifestEntry | None = None

    def store(self, source: Path, entry: ManifestEntry, *, batch: SyncBatch | None = None) -> Path:
        stored = super().store(source, entry, batch=batch)
        self.last_entry = entry
        return stored


@dataclass
class RunContext:
    data_dir: Path = field(default_factory=data_folder)
    started_by: str = field(default_factory=lambda: started_by("cli"))
    log: EventLog = lambda _event: None
    step_hook: StepHook = lambda _step: None
    ledger_url: DatabaseUrl | None = None
    """The run ledger; None: ``runs.sqlite`` in the data folder."""
    ledger_password_env: str | None = None
    """The environment variable holding a PostgreSQL ledger's password, if one is named."""

    @property
    def run_ledger_path(self) -> Path:
        """The default run ledger's file: ``runs.sqlite`` in the data folder."""
        return self.data_dir / "runs.sqlite"

    @property
    def run_ledger_url(self) -> DatabaseUrl:
        if self.ledger_url is not None:
            return self.ledger_url
        path = str(self.run_ledger_path)
        return DatabaseUrl("sqlite", path, path)

    def open_run_ledger(self) -> RunLedger:
        return RunLedger(self.run_ledger_url, password_env=self.ledger_password_env)

    @property
    def transport_ledger_path(self) -> Path:
        return self.data_dir / "ledger.sqlite"

    def job_folder(self, job: str) -> Path:
        return self.data_dir / "runs" / job

    def archive_for(self, endpoint: SftpEndpoint | LocalEndpoint) -> ReceiptArchive:
        """The endpoint's archive; by default inside this context's data folder."""
        settings = endpoint.archive
        return ReceiptArchive(settings.folder or self.data_dir / "archive", settings.retention_days)

    def open_ledgers(self) -> tuple[RunLedger, Ledger]:
        return self.open_run_ledger(), Ledger(self.transport_ledger_path)


@contextmanager
def transport_errors() -> Iterator[None]:
    """Raise the transport's errors as erengine's ``TransportError`` (same fields)."""
    try:
        yield
    except SftpError as error:
        raise TransportError(
            error.code,
            error.message,
            host=error.host,
            operation=error.operation,
            remote_path=error.remote_path,
            hint=error.hint,
        ) from error
