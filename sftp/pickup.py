"""Pickup: every complete inbox file reaches the consumer once, and is archived first.

One run, under an inbox lock:
1. finish what an earlier run left between download and close (ledger ``unfinished``);
2. list the inbox, refuse unsafe names, keep files that match the patterns and are complete
   (done marker, or size and mtime unchanged across ``stable_seconds`` and old enough);
3. in groups (up to ``GROUP_FILES`` files or ``GROUP_BYTES`` bytes), a group commit: per
   file, claim in the ledger, download to a local temp file (hashing on the way), check the
   size, spot the same bytes picked up before under another name, archive; then the
   group's barrier (a ``SyncBatch`` sync of the downloads, archive copies and manifest
   lines), the renames into the target folder (their entries synced too) and one fsynced
   ledger commit recording the group; then per file, hand to the consumer, then move the
   remote file to ``done/`` (or ``error/`` if the consumer refused it), delete it, or leave
   it, as the endpoint's ``pickup.after`` (taken) and ``pickup.after_failure`` (refused) say.

Each step commits to the ledger before the next side effect, so a crash anywhere is finished
by the next run without fetching or handing over a file twice. One window remains, as in
every system without a shared transaction: a crash after the consumer returned but before the
ledger recorded it hands the file over again, flagged ``redelivered=True``; consumers key
their own effects by ``sha256`` or ``ledger_id`` to stay idempotent there.
"""

from __future__ import annotations

import fnmatch
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .archive import utc_now
from .deliver import GROUP_BYTES, GROUP_FILES
from .durable import HashingWriter, SyncBatch, copy_durably, file_sha256
from .errors import (
    LocalFileError,
    RemotePermissionError,
    SftpError,
    TargetExistsError,
    UnsafeRemoteNameError,
    VerificationError,
)
from .ledger import Download, PickupKey, PickupRow, PickupState
from .link import EndpointAgent
from .lock import InboxLock
from .remote import RemoteEntry, RemoteFS, check_remote_name, join


@dataclass(frozen=True, slots=True)
class PickedFile:
    ledger_id: int
    endpoint: str
    remote_path: str
    local_path: Path
    size: int
    sha256: str
    archived_path: Path
    redelivered: bool = False  # handed over before, but a crash hid the outcome

    def to_dict(self) -> dict[str, Any]:
        return {
            "ledger_id": self.ledger_id,
            "remote_path": self.remote_path,
            "local_path": str(self.local_path),
            "size": self.size,
            "sha256": self.sha256,
            "archived_path": str(self.archived_path),
            "redelivered": self.redelivered,
        }


@dataclass(frozen=True, slots=True)
class PassedOver:
    """A remote file this run did not take, and why."""

    remote_path: str
    reason: str


@dataclass
class PickupReport:
    picked: list[PickedFile] = field(default_factory=list)
    rejected: list[PassedOver] = field(default_factory=list)  # the consumer refused them
    duplicates: list[PassedOver] = field(default_factory=list)
    waiting: list[PassedOver] = field(default_factory=list)  # not complete yet
    refused: list[PassedOver] = field(default_factory=list)  # unsafe names, failed fetches
    remote_outcomes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def listed(items: list[PassedOver]) -> list[dict[str, str]]:
            return [{"remote_path": item.remote_path, "reason": item.reason} for item in items]

        return {
            "picked": [item.to_dict() for item in self.picked],
            "rejected": listed(self.rejected),
            "duplicates": listed(self.duplicates),
            "waiting": listed(self.waiting),
            "refused": listed(self.refused),
            "remote_outcomes": dict(self.remote_outcomes),
        }


Consumer = Callable[[PickedFile], None]
"""Processes a picked file; raising refuses it (the remote file then goes to ``error/``),
except ``RetryLater``."""


class RetryLater(Exception):
    """Raised by a consumer that cannot take a file now (its database is down, say): the file
    is neither refused nor acknowledged. The pickup stops with this error, the file stays in
    the inbox, and the next run hands it over again (``redelivered=True``)."""


@dataclass(frozen=True, slots=True)
class _Fetched:
    """A file downloaded to its temp name (``picked.local_path`` until it lands)."""

    picked: PickedFile
    key: PickupKey
    name: str
    temp: Path


@dataclass
class _Group:
    """One group commit of a pickup: files fetched and archived (durable once ``batch`` is
    synced) and duplicates found, waiting for the barrier before they land, are recorded,
    handed over or moved."""

    batch: SyncBatch
    fetched: list[_Fetched] = field(default_factory=list)
    duplicates: list[tuple[int, str, int]] = field(default_factory=list)  # row, sha256, of
    keys: dict[int, PickupKey] = field(default_factory=dict)  # of the duplicates
    first_with_content: dict[str, int] = field(default_factory=dict)  # sha256: row id


class Picker(EndpointAgent):
    """Picks up complete files from one endpoint's inbox."""

    _folders_made: set[str]

    def pick_up(
        self,
        to_folder: Path,
        consumer: Consumer | None = None,
        *,
        metadata: Mapping[str, str] | None = None,
    ) -> PickupReport:
        """Take every complete file; without a consumer, landing in ``to_folder`` is the
        hand-over."""
        report = PickupReport()
        self._folders_made = set()
        inbox = self._endpoint.folders.inbox
        to_folder.mkdir(parents=True, exist_ok=True)
        with InboxLock(self._ledger.path.parent / "locks", self._endpoint.name, inbox), self._link:
            for row in self._ledger.unfinished(self._endpoint.name):
                self._continue(row, consumer, report)
            group: list[RemoteEntry] = []
            for entry in self._complete_files(report):
                if group and (
                    len(group) >= GROUP_FILES
                    or sum(item.size for item in group) + entry.size > GROUP_BYTES
                ):
                    self._take_group(group, to_folder, consumer, metadata or {}, report)
                    group = []
                group.append(entry)
            self._take_group(group, to_folder, consumer, metadata or {}, report)
        self._archive.prune()
        return report

    # --- finding complete files -----------------------------------------------------------

    def _complete_files(self, report: PickupReport) -> list[RemoteEntry]:
        settings = self._endpoint.pickup
        entries = self._list_inbox()
        names = {entry.name for entry in entries}
        now = self._clock()
        candidates = []
        for entry in entries:
            if not entry.is_file or not self._wanted(entry.name, report):
                continue
            path = join(self._endpoint.folders.inbox, entry.name)
            if entry.size < settings.min_size:
                report.waiting.append(PassedOver(path, f"smaller than {settings.min_size} bytes"))
            elif settings.done_marker is not None:
                if settings.done_marker.format(name=entry.name) in names:
                    candidates.append(entry)
                else:
                    report.waiting.append(PassedOver(path, "no done marker yet"))
            elif now - entry.mtime < settings.min_age_seconds:
                report.waiting.append(PassedOver(path, "younger than min_age_seconds"))
            else:
                candidates.append(entry)
        if settings.done_marker is not None or settings.stable_seconds == 0 or not candidates:
            return candidates
        # Size and mtime must hold still across an interval: one quick re-poll is not enough
        # for a writer that appends in bursts.
        self._sleep(settings.stable_seconds)
        again = {entry.name: entry for entry in self._list_inbox()}
        stable = []
        for entry in candidates:
            later = again.get(entry.name)
            if later is not None and (later.size, later.mtime) == (entry.size, entry.mtime):
                stable.append(entry)
            else:
                path = join(self._endpoint.folders.inbox, entry.name)
                report.waiting.append(PassedOver(path, "still changing"))
        return stable

    def _list_inbox(self) -> list[RemoteEntry]:
        entries = self._link.run(lambda fs, _: fs.list_folder(self._endpoint.folders.inbox))
        return sorted(entries, key=lambda entry: (entry.mtime, entry.name))

    def _wanted(self, name: str, report: PickupReport) -> bool:
        settings = self._endpoint.pickup
        try:
            check_remote_name(name, host=self._endpoint.label)
        except UnsafeRemoteNameError as error:
            report.refused.append(PassedOver(name, error.message))
            return False
        ignored = [self._endpoint.delivery.temp_pattern.format(name="*")]
        if settings.done_marker is not None:
            ignored.append(settings.done_marker.format(name="*"))
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in ignored):
            return False
        return any(fnmatch.fnmatchcase(name, p) for p in settings.include) and not any(
            fnmatch.fnmatchcase(name, p) for p in settings.exclude
        )

    # --- taking a group of files ----------------------------------------------------------

    def _take_group(
        self,
        entries: list[RemoteEntry],
        to_folder: Path,
        consumer: Consumer | None,
        metadata: Mapping[str, str],
        report: PickupReport,
    ) -> None:
        """Fetch, archive and land every file of the group, pass one durability barrier,
        then hand each over and finish it on the server."""
        with SyncBatch() as batch:
            group = _Group(batch)
            try:
                for entry in entries:
                    self._take(entry, to_folder, metadata, report, group)
            except SftpError:
                # The server went away: what landed before is still handed over.
                self._hand_over_group(group, consumer, report)
                raise
            self._hand_over_group(group, consumer, report)

    def _hand_over_group(
        self, group: _Group, consumer: Consumer | None, report: PickupReport
    ) -> None:
        # The barrier: the archive copies and manifest lines (and the fetched bytes) reach
        # the disk; only then do the files appear in the target folder, whose new entries
        # are synced too; then one fsynced commit records the group (without a consumer,
        # the landing was the hand-over: its rows go straight to "processed").
        group.batch.sync()
        landed: list[tuple[Download, PickedFile, PickupKey]] = []
        with SyncBatch() as landing:
            for fetched in group.fetched:
                target = fetched.temp.parent / fetched.name
                local = _move_into_place(fetched.temp, target, fetched.picked.sha256, landing)
                self._step("landed", fetched.picked.remote_path)
                picked = replace(fetched.picked, local_path=local)
                download = Download(picked.ledger_id, picked.sha256, local, picked.archived_path)
                landed.append((download, picked, fetched.key))
            landing.sync()
        if landed or group.duplicates:
            state: PickupState = "downloaded" if consumer is not None else "processed"
            downloads = [download for download, _, _ in landed]
            self._ledger.record_group(downloads, group.duplicates, state=state)
        for _, picked, _ in landed:
            self._step("recorded", picked.remote_path)
        for _, picked, key in landed:
            self._hand_over(picked, key, consumer, report, seen_now=True, recorded=True)
        for row_id, _, _ in group.duplicates:
            self._finish_remote(row_id, group.keys[row_id], "duplicate", report, seen_now=True)

    def _take(
        self,
        entry: RemoteEntry,
        to_folder: Path,
        metadata: Mapping[str, str],
        report: PickupReport,
        group: _Group,
    ) -> None:
        """Claim, fetch, archive, land and record one file (durable once the group's batch
        is synced); adds it to the group's landed files or duplicates."""
        endpoint = self._endpoint
        remote_path = join(endpoint.folders.inbox, entry.name)
        key = PickupKey(endpoint.name, remote_path, entry.size, entry.mtime)
        row = self._ledger.pickup(key)
        if row is not None and row.state != "claimed":
            return  # taken before (and left in place, or finished above)
        row = row or self._ledger.claim(key)
        self._step("claimed", remote_path)
        started_at = utc_now()
        temp = to_folder / f".{entry.name}.{row.id}.partial"
        try:
            fingerprint, sha256 = self._link.run(lambda fs, _: self._fetch(fs, entry, key, temp))
        except SftpError as error:
            temp.unlink(missing_ok=True)
            self._ledger.release(row.id)
            if error.retryable:
                raise  # the server is unreachable: the rest of the inbox must wait too
            report.refused.append(PassedOver(remote_path, str(error)))
            return
        self._step("fetched", remote_path)
        earlier = group.first_with_content.get(sha256) or self._ledger.first_with_content(
            endpoint.name, sha256, other_than=row.id
        )
        if earlier is not None:
            temp.unlink()
            self._step("duplicate", remote_path)
            report.duplicates.append(
                PassedOver(remote_path, f"same bytes as ledger entry {earlier}")
            )
            group.duplicates.append((row.id, sha256, earlier))
            group.keys[row.id] = key
            return
        # The archive copy is made from the temp file, in the background; the file lands
        # in the target folder (the hand-over, without a consumer) only after the barrier.
        archived = self._archive_file(
            temp,
            direction="in",
            remote_path=remote_path,
            size=entry.size,
            sha256=sha256,
            fingerprint=fingerprint,
            started_at=started_at,
            metadata=metadata,
            batch=group.batch,
        )
        self._step("archived", remote_path)
        picked = PickedFile(row.id, endpoint.name, remote_path, temp, entry.size, sha256, archived)
        group.fetched.append(_Fetched(picked, key, entry.name, temp))
        group.first_with_content.setdefault(sha256, row.id)

    def _fetch(
        self, fs: RemoteFS, entry: RemoteEntry, key: PickupKey, temp: Path
    ) -> tuple[str | None, str]:
        progress = self._progress_for(key.remote_path)
        try:
            with (
                fs.deadline(self._endpoint.timeouts.deadline),
                open(temp, "wb") as sink,
                HashingWriter(sink) as hasher,
            ):
                fs.read(key.remote_path, hasher, progress, size=entry.size)
        except OSError as exc:
            raise LocalFileError(
                f"cannot write {temp}: {exc.strerror or exc}", operation="download"
            ) from exc
        now = fs.stat(key.remote_path)
        unchanged = now is not None and (now.size, now.mtime) == (entry.size, entry.mtime)
        if hasher.size != entry.size or not unchanged:
            raise VerificationError(
                f"got {hasher.size} bytes of {entry.size}; the file changed while downloading",
                host=fs.label,
                operation="download",
                remote_path=key.remote_path,
                hint="the producer may still be writing it; it is tried again next run",
            )
        return fs.host_key_fingerprint, hasher.hexdigest()

    # --- after the download -------------------------------------------------------------

    def _continue(self, row: PickupRow, consumer: Consumer | None, report: PickupReport) -> None:
        """Carry a row an earlier run left unfinished to its end."""
        if row.state in ("downloaded", "processing"):
            # A row reaches "downloaded" only together with these three.
            assert row.sha256 is not None
            assert row.local_path is not None
            assert row.archived_path is not None
            local = Path(row.local_path)
            if not local.exists():
                copy_durably(Path(row.archived_path), local)
            picked = PickedFile(
                row.id,
                row.key.endpoint,
                row.key.remote_path,
                local,
                row.key.size,
                row.sha256,
                Path(row.archived_path),
                redelivered=row.state == "processing",
            )
            self._hand_over(picked, row.key, consumer, report, seen_now=False)
        else:
            self._finish_remote(row.id, row.key, row.state, report, seen_now=False)

    def _hand_over(
        self,
        picked: PickedFile,
        key: PickupKey,
        consumer: Consumer | None,
        report: PickupReport,
        *,
        seen_now: bool,
        recorded: bool = False,
    ) -> None:
        """``recorded``: the group's barrier recorded it (without a consumer: processed)."""
        state: PickupState = "processed"
        if consumer is not None:
            self._ledger.set_state(picked.ledger_id, "processing")
            self._step("processing", key.remote_path)
            try:
                consumer(picked)
            except RetryLater:
                raise
            except Exception as exc:  # the consumer's refusal, whatever its type
                state = "rejected"
                self._ledger.set_state(picked.ledger_id, state, error=str(exc))
                report.rejected.append(PassedOver(key.remote_path, str(exc)))
            self._step("consumed", key.remote_path)
        if state == "processed":
            # Without a consumer the hand-over was the landing, which a rerun redoes harmlessly.
            if consumer is not None or not recorded:
                self._ledger.set_state(picked.ledger_id, state, durable=consumer is not None)
            report.picked.append(picked)
        self._step(state, key.remote_path)
        self._finish_remote(picked.ledger_id, key, state, report, seen_now=seen_now)

    def _finish_remote(
        self,
        row_id: int,
        key: PickupKey,
        state: PickupState,
        report: PickupReport,
        *,
        seen_now: bool,
    ) -> None:
        """Move, delete or leave the remote file: ``after`` for a file taken, ``after_failure``
        for a refused one. Best effort: the ledger already guarantees it is not taken again,
        so a read-only inbox only earns a note."""
        refused = state == "rejected"
        settings = self._endpoint.pickup
        after = settings.after_refusal if refused else settings.after
        folders = self._endpoint.folders
        if after == "leave":
            outcome = "left"
        else:
            target_folder = folders.error if refused else folders.done
            try:
                outcome = self._link.run(
                    lambda fs, attempt: self._move_or_delete(
                        fs, key, after, target_folder, seen_now=seen_now and attempt == 1
                    )
                )
            except RemotePermissionError:
                outcome = "left: the server refused to move or delete it"
        self._ledger.close_pickup(row_id, outcome)
        report.remote_outcomes[key.remote_path] = outcome
        self._step("closed", key.remote_path)

    def _move_or_delete(
        self, fs: RemoteFS, key: PickupKey, after: str, folder: str, *, seen_now: bool
    ) -> str:
        # A file left over from an earlier run may have been moved (or replaced by a new
        # one of the same name) since: look before touching it.
        if not seen_now:
            found = fs.stat(key.remote_path)
            if found is None or (found.size, found.mtime) != (key.size, key.mtime):
                return "gone: moved or replaced before this run"
        name = key.remote_path.rsplit("/", 1)[-1]
        marker_pattern = self._endpoint.pickup.done_marker
        marker = marker_pattern.format(name=name) if marker_pattern else None
        if after == "delete":
            fs.remove(key.remote_path)
            outcome = "deleted"
        else:
            target_folder = join(self._endpoint.folders.inbox, folder)
            if target_folder not in self._folders_made:
                fs.make_folders(target_folder)
                self._folders_made.add(target_folder)
            target = join(target_folder, name)
            try:
                fs.rename(key.remote_path, target)
            except TargetExistsError:
                target = f"{target}.{_unique_suffix()}"
                fs.rename(key.remote_path, target)
            outcome = f"moved to {target}"
        if marker is not None:
            marker_path = join(self._endpoint.folders.inbox, marker)
            if fs.stat(marker_path) is not None:
                fs.remove(marker_path)
        return outcome


def _move_into_place(temp: Path, target: Path, sha256: str, batch: SyncBatch) -> Path:
    """Rename the fetched temp file to its name in the target folder, never over another
    file: the same bytes already there (a retried step) are kept, a different file gets a
    unique suffix. Durable (data and folder entry) once ``batch`` is synced."""
    candidate = target
    while True:
        try:
            os.link(temp, candidate)
        except FileExistsError:
            if file_sha256(candidate)[1] == sha256:
                break
            candidate = target.with_name(f"{target.name}.{_unique_suffix()}")
            continue
        except OSError as exc:
            raise LocalFileError(
                f"cannot place {candidate}: {exc.strerror or exc}", operation="download"
            ) from exc
        break
    temp.unlink()
    batch.add(candidate)
    return candidate


def _unique_suffix() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
