"""The local archive: a copy of every file delivered or picked up, and a manifest line each.

Layout: ``<folder>/<yyyy>/<mm>/<dd>/<in|out>/<sha256 prefix>-<name>`` plus
``<folder>/manifest.jsonl``, one JSON object per line (appended under a lock and fsynced).
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

from .durable import copy_durably, data_folder
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

    @classmethod
    def for_endpoint(cls, endpoint: SftpEndpoint | LocalEndpoint) -> Archive:
        settings = endpoint.archive
        return cls(settings.folder or data_folder() / "archive", settings.retention_days)

    def store(self, source: Path, entry: ManifestEntry) -> Path:
        """Copy ``source`` into the archive and append its manifest line; returns the copy."""
        day = datetime.fromisoformat(entry.finished_at)
        folder = self.folder / f"{day:%Y/%m/%d}" / entry.direction
        name = entry.remote_path.rsplit("/", 1)[-1]
        target = folder / f"{entry.sha256[:16]}-{name}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalFileError(
                f"cannot create archive folder {folder}: {exc.strerror}", operation="archive"
            ) from exc
        # Same bytes, same day, same name: the copy is already there (a retried step).
        if not target.exists():
            copy_durably(source, target)
        self._append({"event": "archived", **asdict(entry), "archived_path": str(target)})
        return target

    def entries(self) -> list[dict[str, object]]:
        path = self.folder / MANIFEST
        if not path.exists():
            return []
        with open(path, encoding="utf-8") as manifest:
            return [json.loads(line) for line in manifest if line.strip()]

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
                self._append({"event": "pruned", "folder": str(day_folder)})
        return removed

    def _append(self, record: Mapping[str, object]) -> None:
        line = json.dumps(record, sort_keys=True, default=str) + "\n"
        try:
            with open(self.folder / MANIFEST, "a", encoding="utf-8") as manifest:
                fcntl.flock(manifest, fcntl.LOCK_EX)
                manifest.write(line)
                manifest.flush()
                os.fsync(manifest.fileno())
        except OSError as exc:
            raise LocalFileError(
                f"cannot write archive manifest in {self.folder}: {exc.strerror}",
                operation="archive",
            ) from exc
