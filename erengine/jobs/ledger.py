"""The run ledger: what each job run did, step by step (SQLite, ``runs.sqlite``).

Outbound runs are keyed by job and batch (the business period or an explicit batch id); the
UNIQUE key is what makes "one file per batch" hold across reruns, crashes and two runs at
once. A run's ``state`` is the last step that completed: ``generated → archived →
delivered``; a failure leaves the state where it was and sets ``error``, so the next run
resumes at the failed step. Every commit is fsynced (``synchronous=FULL``): each one
precedes an act that cannot be taken back (sending a file, acknowledging a statement).

The scheduler keeps each job's last handled firing in ``schedule``.

Inbound runs get one row per pickup; ``statements`` holds each statement handed to its
outputs, keyed by job and sha256, which is what keeps a redelivered file from being written
twice, with the format (name@version) and config sha256 that read it. A ledger written before
those two columns existed gets them when it is opened (older rows have none).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

RunState = Literal["generated", "archived", "delivered", "running", "finished", "failed"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL,
    job_version TEXT NOT NULL,
    job_sha256 TEXT NOT NULL,
    direction TEXT NOT NULL,
    batch TEXT NOT NULL,
    state TEXT NOT NULL,
    sequence INTEGER,
    file_name TEXT,
    message_id TEXT,
    stored_path TEXT,
    output_sha256 TEXT,
    output_size INTEGER,
    format TEXT NOT NULL,
    format_sha256 TEXT NOT NULL,
    input_digest TEXT,
    started_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    error TEXT,
    UNIQUE (job, direction, batch)
);
CREATE TABLE IF NOT EXISTS run_steps (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    step TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_sources (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_records (
    job TEXT NOT NULL,
    record_id TEXT NOT NULL,
    record_sha256 TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    UNIQUE (job, record_id)
);
CREATE TABLE IF NOT EXISTS run_deliveries (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    endpoint TEXT NOT NULL,
    remote_path TEXT NOT NULL,
    status TEXT NOT NULL,
    archived_path TEXT,
    host_key_fingerprint TEXT,
    at TEXT NOT NULL,
    UNIQUE (run_id, endpoint)
);
CREATE TABLE IF NOT EXISTS statements (
    job TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    remote_path TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    outputs TEXT NOT NULL,
    at TEXT NOT NULL,
    format TEXT,
    format_sha256 TEXT,
    UNIQUE (job, sha256)
);
CREATE TABLE IF NOT EXISTS schedule (
    job TEXT PRIMARY KEY,
    last_fire TEXT NOT NULL
);
"""

# Columns added after the first release: (table, column, type), added when missing.
_ADDED_COLUMNS = (("statements", "format", "TEXT"), ("statements", "format_sha256", "TEXT"))


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class RunIdentity:
    """What every run records about the configuration that ran and who started it."""

    job: str
    job_version: str
    job_sha256: str
    format: str
    format_sha256: str
    started_by: str


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """The one file an outbound run generated: delivered as is, never regenerated."""

    sequence: int
    file_name: str
    message_id: str | None
    stored_path: Path
    sha256: str
    size: int
    input_digest: str


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """The receipt of one delivery, for the audit."""

    endpoint: str
    remote_path: str
    status: str
    archived_path: str | None
    host_key_fingerprint: str | None


@dataclass(frozen=True, slots=True)
class SourceRecord:
    record_id: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    job: str
    job_version: str
    job_sha256: str
    direction: str
    batch: str
    state: RunState
    format: str
    format_sha256: str
    started_by: str
    started_at: str
    updated_at: str
    error: str | None
    generated: GeneratedFile | None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "job": self.job,
            "job_version": self.job_version,
            "job_sha256": self.job_sha256,
            "direction": self.direction,
            "batch": self.batch,
            "state": self.state,
            "format": self.format,
            "format_sha256": self.format_sha256,
            "started_by": self.started_by,
            "started_at": self.started_at,
            "updated_at": self.updated_at,
            "error": self.error,
        }
        if self.generated is not None:
            generated = self.generated
            data.update(
                sequence=generated.sequence,
                file_name=generated.file_name,
                message_id=generated.message_id,
                stored_path=str(generated.stored_path),
                output_sha256=generated.sha256,
                output_size=generated.size,
                input_digest=generated.input_digest,
            )
        return data


_RUN_COLUMNS = (
    "id, job, job_version, job_sha256, direction, batch, state, format, format_sha256, "
    "started_by, started_at, updated_at, error, sequence, file_name, message_id, stored_path, "
    "output_sha256, output_size, input_digest"
)


class RunLedger:
    """Open (and create) the run ledger at ``path``; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: each statement commits alone unless inside _transaction.
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        for table, column, kind in _ADDED_COLUMNS:
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def __enter__(self) -> RunLedger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # --- outbound -----------------------------------------------------------------------

    def find(self, job: str, direction: str, batch: str) -> Run | None:
        where = "job = ? AND direction = ? AND batch = ?"
        found = self._select_runs(where, (job, direction, batch))
        return found[0] if found else None

    def next_sequence(self, job: str) -> int:
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM runs WHERE job = ? AND direction = 'outbound'", (job,)
        ).fetchone()
        return int(count) + 1

    def taken_record_ids(self, job: str) -> set[str]:
        """Ids of source records already in a batch of ``job`` (delivered or on its way)."""
        rows = self._db.execute("SELECT record_id FROM run_records WHERE job = ?", (job,))
        return {str(record_id) for (record_id,) in rows}

    def taken_source_hashes(self, job: str) -> set[str]:
        """sha256 of source files already in a batch of ``job``: the same bytes are not read
        again, whatever the file is called now."""
        rows = self._db.execute(
            "SELECT s.sha256 FROM run_sources s JOIN runs r ON r.id = s.run_id WHERE r.job = ?",
            (job,),
        )
        return {str(sha256) for (sha256,) in rows}

    def record_generated(
        self,
        identity: RunIdentity,
        batch: str,
        generated: GeneratedFile,
        sources: Iterable[tuple[Path, str]],
        records: Iterable[SourceRecord],
    ) -> Run:
        """The run's first row, its sources and its records, in one transaction."""
        now = utc_now()
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO runs (job, job_version, job_sha256, direction, batch, state, "
                "sequence, file_name, message_id, stored_path, output_sha256, output_size, "
                "format, format_sha256, input_digest, started_by, started_at, updated_at) "
                "VALUES (?, ?, ?, 'outbound', ?, 'generated', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    identity.job,
                    identity.job_version,
                    identity.job_sha256,
                    batch,
                    generated.sequence,
                    generated.file_name,
                    generated.message_id,
                    str(generated.stored_path),
                    generated.sha256,
                    generated.size,
                    identity.format,
                    identity.format_sha256,
                    generated.input_digest,
                    identity.started_by,
                    now,
                    now,
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            self._db.executemany(
                "INSERT INTO run_sources (run_id, path, sha256) VALUES (?, ?, ?)",
                [(run_id, str(path), sha256) for path, sha256 in sources],
            )
            self._db.executemany(
                "INSERT INTO run_records (job, record_id, record_sha256, run_id) "
                "VALUES (?, ?, ?, ?)",
                [(identity.job, r.record_id, r.sha256, run_id) for r in records],
            )
            self._add_step(run_id, "generated", {"file_name": generated.file_name}, now)
        run = self.get(run_id)
        assert run is not None
        return run

    def advance(self, run_id: int, state: RunState, detail: Mapping[str, Any]) -> None:
        """Record a completed step; clears an earlier failure."""
        now = utc_now()
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET state = ?, error = NULL, updated_at = ? WHERE id = ?",
                (state, now, run_id),
            )
            self._add_step(run_id, state, detail, now)

    def record_delivery(self, run_id: int, receipt: DeliveryRecord) -> None:
        now = utc_now()
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO run_deliveries (run_id, endpoint, remote_path, status, "
                "archived_path, host_key_fingerprint, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    receipt.endpoint,
                    receipt.remote_path,
                    receipt.status,
                    receipt.archived_path,
                    receipt.host_key_fingerprint,
                    now,
                ),
            )
            detail = {"endpoint": receipt.endpoint, "remote_path": receipt.remote_path}
            self._add_step(run_id, "delivered to endpoint", detail, now)

    def delivered_endpoints(self, run_id: int) -> set[str]:
        rows = self._db.execute("SELECT endpoint FROM run_deliveries WHERE run_id = ?", (run_id,))
        return {str(endpoint) for (endpoint,) in rows}

    def fail(self, run_id: int, error: str) -> None:
        """Note why a step failed; the state stays at the last completed step."""
        now = utc_now()
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET error = ?, updated_at = ? WHERE id = ?", (error, now, run_id)
            )
            self._add_step(run_id, "failed", {"error": error}, now)

    # --- inbound ------------------------------------------------------------------------

    def start_pickup(self, identity: RunIdentity) -> Run:
        now = utc_now()
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO runs (job, job_version, job_sha256, direction, batch, state, "
                "format, format_sha256, started_by, started_at, updated_at) "
                "VALUES (?, ?, ?, 'inbound', ?, 'running', ?, ?, ?, ?, ?)",
                (
                    identity.job,
                    identity.job_version,
                    identity.job_sha256,
                    f"pickup {now}",
                    identity.format,
                    identity.format_sha256,
                    identity.started_by,
                    now,
                    now,
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            self._add_step(run_id, "running", {}, now)
        run = self.get(run_id)
        assert run is not None
        return run

    def statement_outputs(self, job: str, sha256: str) -> list[str] | None:
        """The outputs a statement with these bytes was written to, None if it never was."""
        row = self._db.execute(
            "SELECT outputs FROM statements WHERE job = ? AND sha256 = ?", (job, sha256)
        ).fetchone()
        return None if row is None else list(json.loads(row[0]))

    def record_statement(
        self,
        run_id: int,
        *,
        job: str,
        sha256: str,
        endpoint: str,
        remote_path: str,
        outputs: list[str],
        format_label: str,
        format_sha256: str,
    ) -> None:
        """A statement written to its outputs, with the format (name@version) and config
        sha256 that read it."""
        now = utc_now()
        with self._transaction():
            self._db.execute(
                "INSERT INTO statements (job, sha256, endpoint, remote_path, run_id, outputs, at, "
                "format, format_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job,
                    sha256,
                    endpoint,
                    remote_path,
                    run_id,
                    json.dumps(outputs),
                    now,
                    format_label,
                    format_sha256,
                ),
            )
            detail = {
                "remote_path": remote_path,
                "sha256": sha256,
                "outputs": outputs,
                "format": format_label,
                "format_sha256": format_sha256,
            }
            self._add_step(run_id, "statement written", detail, now)

    # --- scheduler ----------------------------------------------------------------------

    def last_fire(self, job: str) -> datetime | None:
        """The last firing of ``job`` the scheduler handled (run, skipped or failed)."""
        row = self._db.execute("SELECT last_fire FROM schedule WHERE job = ?", (job,)).fetchone()
        return None if row is None else datetime.fromisoformat(row[0])

    def set_last_fire(self, job: str, fired: datetime) -> None:
        self._db.execute(
            "INSERT INTO schedule (job, last_fire) VALUES (?, ?) "
            "ON CONFLICT (job) DO UPDATE SET last_fire = excluded.last_fire",
            (job, fired.isoformat()),
        )

    # --- reading ------------------------------------------------------------------------

    def get(self, run_id: int) -> Run | None:
        found = self._select_runs("id = ?", (run_id,))
        return found[0] if found else None

    def runs(self, job: str | None = None, *, limit: int | None = None) -> list[Run]:
        """Runs, newest first."""
        where, parameters = ("job = ?", (job,)) if job else ("1 = 1", ())
        return self._select_runs(where, parameters, limit=limit)

    def steps(self, run_id: int) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT step, at, detail FROM run_steps WHERE run_id = ? ORDER BY id", (run_id,)
        )
        return [{"step": step, "at": at, **json.loads(detail)} for step, at, detail in rows]

    def deliveries(self, run_id: int) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT endpoint, remote_path, status, archived_path, host_key_fingerprint, at "
            "FROM run_deliveries WHERE run_id = ? ORDER BY at",
            (run_id,),
        )
        names = ("endpoint", "remote_path", "status", "archived_path", "host_key_fingerprint", "at")
        return [dict(zip(names, row, strict=True)) for row in rows]

    # --- internals ----------------------------------------------------------------------

    def _select_runs(
        self, where: str, parameters: tuple[object, ...], *, limit: int | None = None
    ) -> list[Run]:
        """Runs matching ``where`` (a fixed condition with ? parameters), newest first."""
        query = f"SELECT {_RUN_COLUMNS} FROM runs WHERE {where} ORDER BY id DESC"  # noqa: S608
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        return [_run(row) for row in self._db.execute(query, parameters)]

    def _add_step(self, run_id: int, step: str, detail: Mapping[str, Any], at: str) -> None:
        self._db.execute(
            "INSERT INTO run_steps (run_id, step, at, detail) VALUES (?, ?, ?, ?)",
            (run_id, step, at, json.dumps(dict(detail), default=str)),
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _run(row: tuple[Any, ...]) -> Run:
    (
        run_id,
        job,
        job_version,
        job_sha256,
        direction,
        batch,
        state,
        format_label,
        format_sha256,
        started_by,
        started_at,
        updated_at,
        error,
        sequence,
        file_name,
        message_id,
        stored_path,
        output_sha256,
        output_size,
        input_digest,
    ) = row
    generated = (
        GeneratedFile(
            sequence=sequence,
            file_name=file_name,
            message_id=message_id,
            stored_path=Path(stored_path),
            sha256=output_sha256,
            size=output_size,
            input_digest=input_digest,
        )
        if file_name is not None
        else None
    )
    return Run(
        id=run_id,
        job=job,
        job_version=job_version,
        job_sha256=job_sha256,
        direction=direction,
        batch=batch,
        state=state,
        format=format_label,
        format_sha256=format_sha256,
        started_by=started_by,
        started_at=started_at,
        updated_at=updated_at,
        error=error,
        generated=generated,
    )
