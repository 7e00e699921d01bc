"""Pickup rules, on a local drop folder (the same code path as SFTP behind ``RemoteFS``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from erengine_sftp import Archive, Ledger, LocalFolder, PickedFile, Picker, durable
from erengine_sftp.endpoint import LocalEndpoint
from erengine_sftp.errors import InboxLockedError, RemotePermissionError
from erengine_sftp.lock import InboxLock
from erengine_sftp.remote import ByteSink, Progress, RemoteEntry

from ..unavailable import unavailable
from .conftest import with_settings, write_file


def inbox_of(endpoint: LocalEndpoint) -> Path:
    return endpoint.root / "in"


def test_done_marker_gates_the_file_and_goes_with_it(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    endpoint = with_settings(local_endpoint, "pickup", done_marker="{name}.ok")
    inbox = inbox_of(endpoint)
    write_file(inbox / "stmt.sta", 100)
    picker = Picker(endpoint, ledger=ledger, archive=archive)

    waiting = picker.pick_up(tmp_path / "landed")
    (inbox / "stmt.sta.ok").touch()
    taken = picker.pick_up(tmp_path / "landed")

    assert [w.reason for w in waiting.waiting] == ["no done marker yet"]
    assert [p.remote_path for p in taken.picked] == ["in/stmt.sta"]
    assert sorted(os.listdir(inbox)) == ["done"]


def test_a_file_still_growing_is_left_for_later(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    endpoint = with_settings(local_endpoint, "pickup", stable_seconds=5)
    growing = write_file(inbox_of(endpoint) / "stmt.sta", 100)
    write_file(inbox_of(endpoint) / "steady.sta", 100, seed=1)

    def writer_appends(seconds: float) -> None:
        with open(growing, "ab") as sink:
            sink.write(b"more")
        os.utime(growing, (time.time() + 2, time.time() + 2))

    report = Picker(endpoint, ledger=ledger, archive=archive, sleep=writer_appends).pick_up(
        tmp_path / "landed"
    )

    assert [p.remote_path for p in report.picked] == ["in/steady.sta"]
    assert [(w.remote_path, w.reason) for w in report.waiting] == [
        ("in/stmt.sta", "still changing")
    ]


def test_young_empty_temp_and_excluded_files_are_not_taken(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    endpoint = with_settings(local_endpoint, "pickup", min_age_seconds=60, exclude=("*.tmp",))
    inbox = inbox_of(endpoint)
    old = time.time() - 120
    for name, size in (("ok.sta", 10), ("empty.sta", 0), (".x.sta.part", 10), ("n.tmp", 10)):
        write_file(inbox / name, size)
        os.utime(inbox / name, (old, old))
    write_file(inbox / "young.sta", 10)

    report = Picker(endpoint, ledger=ledger, archive=archive).pick_up(tmp_path / "landed")

    assert [p.remote_path for p in report.picked] == ["in/ok.sta"]
    assert sorted(w.remote_path for w in report.waiting) == ["in/empty.sta", "in/young.sta"]
    assert sorted(os.listdir(inbox)) == [".x.sta.part", "done", "empty.sta", "n.tmp", "young.sta"]


def test_same_statement_dropped_again_under_another_name_is_a_duplicate(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    inbox = inbox_of(local_endpoint)
    seen: list[str] = []
    picker = Picker(local_endpoint, ledger=ledger, archive=archive)
    write_file(inbox / "stmt-0601.sta", 500)
    picker.pick_up(tmp_path / "landed", lambda picked: seen.append(picked.remote_path))
    write_file(inbox / "stmt-0601-resent.sta", 500)

    report = picker.pick_up(tmp_path / "landed", lambda picked: seen.append(picked.remote_path))

    assert seen == ["in/stmt-0601.sta"]
    assert [d.remote_path for d in report.duplicates] == ["in/stmt-0601-resent.sta"]
    assert sorted(os.listdir(inbox / "done")) == ["stmt-0601-resent.sta", "stmt-0601.sta"]


def test_refused_file_goes_to_error_and_collisions_get_a_suffix(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    inbox = inbox_of(local_endpoint)
    write_file(inbox / "error" / "bad.sta", 10, seed=9)  # an earlier failure with the same name
    write_file(inbox / "bad.sta", 100)

    def refuse(picked: PickedFile) -> None:
        raise ValueError("PRS301 line 3: not an MT940 statement")

    report = Picker(local_endpoint, ledger=ledger, archive=archive).pick_up(
        tmp_path / "landed", refuse
    )

    assert [r.reason for r in report.rejected] == ["PRS301 line 3: not an MT940 statement"]
    earlier, moved = sorted(os.listdir(inbox / "error"))
    assert earlier == "bad.sta"
    assert moved.startswith("bad.sta.")
    assert report.picked == []


def test_delete_after_pickup_and_nothing_is_deleted_before_it_is_archived(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    endpoint = with_settings(local_endpoint, "pickup", after="delete")
    source = write_file(inbox_of(endpoint) / "stmt.sta", 100)
    content = source.read_bytes()

    Picker(endpoint, ledger=ledger, archive=archive).pick_up(tmp_path / "landed")

    assert os.listdir(inbox_of(endpoint)) == []
    [entry] = archive.entries()
    assert Path(str(entry["archived_path"])).read_bytes() == content


def test_two_pickers_on_one_inbox_are_refused(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    write_file(inbox_of(local_endpoint) / "stmt.sta", 100)
    lock = InboxLock(ledger.path.parent / "locks", local_endpoint.name, "in")

    with lock, pytest.raises(InboxLockedError) as caught:
        Picker(local_endpoint, ledger=ledger, archive=archive).pick_up(tmp_path / "landed")

    assert caught.value.code == "TRN141"
    assert os.listdir(inbox_of(local_endpoint)) == ["stmt.sta"]


class HostileListing(LocalFolder):
    """A server whose listing holds names that try to escape the inbox."""

    def list_folder(self, folder: str) -> list[RemoteEntry]:
        hostile = [RemoteEntry(name, 10, 0, True) for name in ("../../etc/passwd", "/abs", "a\nb")]
        return hostile + super().list_folder(folder)


def test_path_traversal_names_are_refused(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    write_file(inbox_of(local_endpoint) / "stmt.sta", 100)
    picker = Picker(
        local_endpoint,
        ledger=ledger,
        archive=archive,
        opener=lambda: HostileListing(local_endpoint.root),
    )

    report = picker.pick_up(tmp_path / "landed")

    assert sorted(r.remote_path for r in report.refused) == ["../../etc/passwd", "/abs", "a\nb"]
    assert [p.remote_path for p in report.picked] == ["in/stmt.sta"]
    assert os.listdir(tmp_path / "landed") == ["stmt.sta"]


def test_local_folder_refuses_paths_outside_its_root(local_endpoint: LocalEndpoint) -> None:
    folder = LocalFolder(local_endpoint.root)

    with pytest.raises(Exception, match="leaves the endpoint folder"):
        folder.stat("../outside")


def test_a_landed_file_never_overwrites_a_different_local_file(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    landed = tmp_path / "landed"
    write_file(landed / "stmt.sta", 10, seed=5)
    write_file(inbox_of(local_endpoint) / "stmt.sta", 100)

    [picked] = Picker(local_endpoint, ledger=ledger, archive=archive).pick_up(landed).picked

    assert picked.local_path.name.startswith("stmt.sta.")
    assert (landed / "stmt.sta").stat().st_size == 10


class RefusesOne(LocalFolder):
    """A server that will not let us read one file (its permissions, say)."""

    def read(
        self, path: str, sink: ByteSink, progress: Progress | None, *, size: int | None = None
    ) -> int:
        if path.endswith("/b.sta"):
            raise RemotePermissionError("permission denied", operation="download")
        return super().read(path, sink, progress, size=size)


def test_a_failed_fetch_in_a_group_loses_and_doubles_nothing(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    inbox = inbox_of(local_endpoint)
    for i, name in enumerate(("a.sta", "b.sta", "c.sta")):
        write_file(inbox / name, 500, seed=i)
    handed: list[str] = []
    refusing = Picker(
        local_endpoint,
        ledger=ledger,
        archive=archive,
        opener=lambda: RefusesOne(local_endpoint.root),
    )

    first = refusing.pick_up(tmp_path / "landed", lambda picked: handed.append(picked.remote_path))
    later = Picker(local_endpoint, ledger=ledger, archive=archive).pick_up(
        tmp_path / "landed", lambda picked: handed.append(picked.remote_path)
    )

    assert [r.remote_path for r in first.refused] == ["in/b.sta"]
    assert handed == ["in/a.sta", "in/c.sta", "in/b.sta"]
    assert [p.remote_path for p in later.picked] == ["in/b.sta"]
    assert sorted(os.listdir(inbox / "done")) == ["a.sta", "b.sta", "c.sta"]
    assert sorted(os.listdir(tmp_path / "landed")) == ["a.sta", "b.sta", "c.sta"]


def fsynced_paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths ``os.fsync`` is called on from now on (it still syncs them)."""
    paths: list[str] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        paths.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    return paths


def test_without_syncfs_each_file_and_folder_is_fsynced(
    tmp_path: Path,
    local_endpoint: LocalEndpoint,
    ledger: Ledger,
    archive: Archive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(durable, "_SYNCFS", None)  # as on macOS or before Linux 5.8
    synced = fsynced_paths(monkeypatch)
    write_file(inbox_of(local_endpoint) / "stmt.sta", 100)

    Picker(local_endpoint, ledger=ledger, archive=archive).pick_up(tmp_path / "landed")

    [entry] = archive.entries()
    assert str(tmp_path / "landed" / "stmt.sta") in synced
    assert str(entry["archived_path"]) in synced
    assert str(archive.folder / "manifest.jsonl") in synced
    assert str(tmp_path / "landed") in synced
    assert str(Path(str(entry["archived_path"])).parent) in synced


def test_a_group_of_many_files_is_made_durable_by_one_syncfs_per_barrier(
    tmp_path: Path,
    local_endpoint: LocalEndpoint,
    ledger: Ledger,
    archive: Archive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_syncfs = durable._SYNCFS
    if real_syncfs is None:
        unavailable(
            "no syncfs(2) with error reporting here (Linux 5.8 or later)",
            why_ci_needs_it="CI's kernel has it, and the group barrier must be tested there",
        )
    calls: list[str] = []

    def syncfs(descriptor: int) -> int:
        calls.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        return real_syncfs(descriptor)

    monkeypatch.setattr(durable, "_SYNCFS", syncfs)
    fsynced = fsynced_paths(monkeypatch)
    for index in range(20):
        write_file(inbox_of(local_endpoint) / f"s{index:02d}.sta", 100, seed=index)

    report = Picker(local_endpoint, ledger=ledger, archive=archive).pick_up(tmp_path / "landed")

    assert len(report.picked) == 20
    # The archive copies and manifest lines, then the landed files: one call each, and no
    # fsync of any single file on our side (the drop folder, standing for the server, fsyncs
    # its own renames).
    assert len(calls) == 2
    ours = (str(tmp_path / "landed"), str(archive.folder))
    assert [path for path in fsynced if path.startswith(ours)] == []
