"""The local archive: a copy of every file delivered or picked up, and a manifest line each.

Layout: ``<folder>/<yyyy>/<mm>/<dd>/<in|out>/<sha256 prefix>-<name>`` plus
``<folder>/manifest.jsonl``, one JSON object per line (appended under a lock and fsynced, or,
when the caller passes a ``SyncBatch``, made durable with the rest of its group).
Retention prunes old copies but never the manifest, so the audit trail outlives the bytes.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from weakref import WeakKeyDictionary

from .durable import SyncBatch, copy_durably, data_folder, file_sha256
from .endpoint import LocalEndpoint, SftpEndpoint
from .errors import LocalFileError

Direction = Literal["in", "out"]
MANIFEST = "manifest.jsonl"


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    direction: Direction
    endpoint: str
    host: str
    remote_path: str
    size: int
    sha256: str
    host_key_fingerprint: str | None
    started_at: str
    finished_at: str
    archived_path: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


def utc_now() -> str:
    """A manifest timestamp: UTC, ISO 8601, milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Archive:
    def __init__(self, folder: Path, retention_days: int | None = None) -> None:
        self.folder = folder
        self.retention_days = retention_days
        # Manifest lines waiting for their batch's barrier (dropped with a batch that never
        # reaches it: its copies are then redone by the next run).
        self._queued: WeakKeyDictionary[SyncBatch, list[Mapping[str, object]]] = WeakKeyDictionary()

    @classmethod
    def for_endpoint(cls, endpoint: SftpEndpoint | LocalEndpoint) -> Archive:
        settings = endpoint.archive
        return cls(settings.folder or data_folder() / "archive", settings.retention_days)

    def store(self, source: Path, entry: ManifestEntry, *, batch: SyncBatch | None = None) -> Path:
        """Copy ``source`` into the archive and append its manifest line; returns the copy.
        Both are durable on return, or, with ``batch``, once the batch is synced: the copy
        is then made in the background and the line appended just before the barrier, once
        the copy is complete (``source`` must stay in place until then)."""
        day = datetime.fromisoformat(entry.finished_at)
        folder = self.folder / f"{day:%Y/%m/%d}" / entry.direction
        name = entry.remote_path.rsplit("/", 1)[-1]
        target = folder / f"{entry.sha256[:16]}-{name}"
        record = {"event": "archived", **asdict(entry), "archived_path": str(target)}
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalFileError(
                f"cannot create archive folder {folder}: {exc.strerror}", operation="archive"
            ) from exc
        if batch is None:
            _copy_once(source, target, entry, None)
            self._append([record])
            return target
        batch.submit(lambda: _copy_once(source, target, entry, batch))
        if batch not in self._queued:
            self._queued[batch] = []
            batch.before_sync(lambda: self._append(self._queued.pop(batch), batch=batch))
        self._queued[batch].append(record)
        return target

    def withdraw(self, archived_path: Path, remote_path: str, reason: str) -> None:
        """Note that an archived outgoing file was not published after all (the server
        refused its rename): the copy stays, the manifest says it never arrived."""
        self._append(
            [
                {
                    "event": "not_delivered",
                    "archived_path": str(archived_path),
                    "remote_path": remote_path,
                    "reason": reason,
                    "at": utc_now(),
                }
            ]
        )

    def entries(self) -> list[dict[str, object]]:
        path = self.folder / MANIFEST
        if not path.exists():
            return []
        entries = []
        with open(path, encoding="utf-8", errors="replace") as manifest:
            for line in manifest:
                try:
                    entries.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # blank, or torn by a power cut before its group's barrier
        return entries

    def prune(self, now: datetime | None = None) -> list[Path]:
        """Delete day folders older than the retention; returns what was removed."""
        if self.retention_days is None:
            return []
        cutoff = (now or datetime.now(UTC)).date() - timedelta(days=self.retention_days)
        removed = []
        for day_folder in sorted(self.folder.glob("[0-9][0-9][0-9][0-9]/[0-1][0-9]/[0-3][0-9]")):
            year, month, day = (int(part) for part in day_folder.parts[-3:])
            if datetime(year, month, day, tzinfo=UTC).date() < cutoff:
                shutil.rmtree(day_folder)
                removed.append(day_folder)
                self._append([{"event": "pruned", "folder": str(day_folder)}])
        return removed

    def _append(
        self, records: list[Mapping[str, object]], *, batch: SyncBatch | None = None
    ) -> None:
        lines = "".join(
            json.dumps(record, sort_keys=True, default=str) + "\n" for record in records
        )
        path = self.folder / MANIFEST
        try:
            with open(path, "a+b") as manifest:
                fcntl.flock(manifest, fcntl.LOCK_EX)
                # A line torn by a power cut (its group never reached the barrier) is closed
                # off, so that the next line still parses.
                end = manifest.seek(0, os.SEEK_END)
                if end > 0 and os.pread(manifest.fileno(), 1, end - 1) != b"\n":
                    lines = "\n" + lines
                manifest.write(lines.encode("utf-8"))
                manifest.flush()
                if batch is None:
                    os.fsync(manifest.fileno())
                else:
                    batch.add(path)
        except OSError as exc:
            raise LocalFileError(
                f"cannot write archive manifest in {self.folder}: {exc.strerror}",
                operation="archive",
            ) from exc


def _copy_once(source: Path, target: Path, entry: ManifestEntry, batch: SyncBatch | None) -> None:
    # Same bytes, same day, same name: the copy is already there (a retried step). It is
    # hashed, since a copy whose group never reached its barrier may be empty after a
    # power cut.
    if not target.exists() or file_sha256(target) != (entry.size, entry.sha256):
        copy_durably(source, target, batch)
