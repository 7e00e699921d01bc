"""The archive keeps a copy and a manifest line per file; retention drops old copies only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from erengine_sftp import Archive, ManifestEntry

from .conftest import write_file


def entry(day: str, sha256: str) -> ManifestEntry:
    return ManifestEntry(
        direction="in",
        endpoint="bank",
        host="sftp.bank.example:22",
        remote_path="in/stmt.sta",
        size=10,
        sha256=sha256,
        host_key_fingerprint="SHA256:abc",
        started_at=f"{day}T08:00:00+00:00",
        finished_at=f"{day}T08:00:01+00:00",
        metadata={"format": "mt940@1.0.0", "config_sha256": "f00"},
    )


def test_retention_prunes_old_copies_but_keeps_the_manifest(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive", retention_days=30)
    source = write_file(tmp_path / "stmt.sta", 10)
    old = archive.store(source, entry("2026-01-02", "a" * 64))
    recent = archive.store(source, entry("2026-03-01", "b" * 64))

    removed = archive.prune(now=datetime(2026, 3, 10, tzinfo=UTC))

    assert removed == [tmp_path / "archive" / "2026" / "01" / "02"]
    assert not old.exists()
    assert recent.read_bytes() == source.read_bytes()
    events = [line["event"] for line in archive.entries()]
    assert events == ["archived", "archived", "pruned"]
    assert archive.entries()[0]["metadata"] == {"format": "mt940@1.0.0", "config_sha256": "f00"}
