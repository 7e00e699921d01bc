"""Delivery: each file arrives once, complete, under its final name, or not at all.

Per file: hash it; if the ledger shows these bytes already delivered to this endpoint, stop
(the bank may have taken the file away already). Otherwise upload to a temp name, check the
size the server holds (paramiko drops write errors reported at close) and, where configured
or after a resume, the sha256 read back; then publish with a rename that never overwrites
(or a posix-rename when replacing was asked for, or a direct write plus done marker where the
server forbids renames). After a dropped connection the next attempt first looks at the final
name: the same bytes there mean the rename succeeded and only its answer was lost.

Files go in groups (up to ``GROUP_FILES`` files or ``GROUP_BYTES`` bytes), a group commit:
every file of the group is uploaded under its temp name and copied to the archive without
waiting for the disk; one barrier (a ``SyncBatch`` sync, then one fsynced ledger commit
marking the group ``publishing``) makes all of that durable; only then are the files renamed
to their final names, the act the bank sees. A crash before the barrier leaves temp files
the next run resumes; after it, rows the next run settles (``_settle``) without sending
anything twice.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from .archive import utc_now
from .durable import HashingWriter, SyncBatch, file_sha256
from .errors import (
    LocalFileError,
    RemotePermissionError,
    SftpError,
    TargetExistsError,
    VerificationError,
)
from .link import EndpointAgent
from .remote import RemoteFS, check_remote_name, join

Publication = Literal["rename", "replace", "direct", "already_there"]

GROUP_FILES = 100
"""Files per group commit: one barrier for this many archive copies and ledger rows."""
GROUP_BYTES = 64 << 20
"""Bytes per group commit: a group holds at most this much unsynced data (one bigger file
makes a group of its own)."""


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    local_path: Path
    remote_path: str
    size: int
    sha256: str
    status: Literal["delivered", "already_delivered"]
    published_by: Publication | None
    archived_path: Path | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "local_path": str(self.local_path),
            "remote_path": self.remote_path,
            "size": self.size,
            "sha256": self.sha256,
            "status": self.status,
            "published_by": self.published_by,
            "archived_path": str(self.archived_path) if self.archived_path else None,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class _Parcel:
    local_path: Path
    size: int
    sha256: str
    final: str
    temp: str
    marker: str

    def receipt(
        self,
        status: Literal["delivered", "already_delivered"],
        published_by: Publication | None,
        archived_path: Path | None,
        note: str | None = None,
    ) -> DeliveryReceipt:
        return DeliveryReceipt(
            self.local_path,
            self.final,
            self.size,
            self.sha256,
            status,
            published_by,
            archived_path,
            note,
        )

    @property
    def row(self) -> tuple[str, str]:
        return (self.final, self.sha256)


@dataclass(frozen=True, slots=True)
class _Staged:
    """A file of the group whose bytes are complete on the server and copied to the archive
    (durable once the group's batch is synced)."""

    parcel: _Parcel
    archived: Path
    already_there: bool  # the final name held our bytes already: nothing to publish


_Action = Callable[[RemoteFS, int], Publication]


class Courier(EndpointAgent):
    """Delivers files to one endpoint, recording each in the ledger and the archive."""

    _settled: dict[tuple[str, str], str | None]  # (final name, sha256): the server's key

    def deliver(
        self,
        files: Sequence[Path],
        *,
        metadata: Mapping[str, str] | None = None,
        force: bool = False,
    ) -> list[DeliveryReceipt]:
        """Deliver ``files`` in order; stops at the first error (earlier files stay
        delivered: the staged files of its group are published before the error is raised).

        ``force`` sends bytes the ledger says were delivered before (still never overwriting
        a different file on the server unless the endpoint says ``publish: replace``).
        """
        receipts: list[DeliveryReceipt] = []
        group: list[_Parcel] = []
        with self._link:
            self._settle()
            for path in files:
                try:
                    parcel = self._parcel(path)
                except SftpError:
                    receipts += self._deliver_group(group, metadata or {}, force)
                    raise
                if group and not _fits(group, parcel):
                    receipts += self._deliver_group(group, metadata or {}, force)
                    group = []
                group.append(parcel)
            receipts += self._deliver_group(group, metadata or {}, force)
        self._archive.prune()
        return receipts

    def _parcel(self, path: Path) -> _Parcel:
        endpoint = self._endpoint
        size, sha256 = file_sha256(path)
        name = check_remote_name(path.name, host=endpoint.label)
        return self._parcel_for(path, name, size, sha256)

    def _parcel_for(self, path: Path, name: str, size: int, sha256: str) -> _Parcel:
        folders, delivery = self._endpoint.folders, self._endpoint.delivery
        return _Parcel(
            local_path=path,
            size=size,
            sha256=sha256,
            final=join(folders.outbox, name),
            temp=join(folders.temp or folders.outbox, delivery.temp_pattern.format(name=name)),
            marker=join(folders.outbox, delivery.done_marker.format(name=name)),
        )

    def _deliver_group(
        self, group: list[_Parcel], metadata: Mapping[str, str], force: bool
    ) -> list[DeliveryReceipt]:
        """Stage every file of ``group``, pass one durability barrier, publish them all."""
        receipts: dict[int, DeliveryReceipt] = {}
        staged: dict[int, _Staged] = {}
        with SyncBatch() as batch:
            self._stage_group(group, metadata, force, batch, staged=staged, receipts=receipts)
            self._publish_group(staged, batch, receipts)
        return [receipts[index] for index in sorted(receipts)]

    def _stage_group(
        self,
        group: list[_Parcel],
        metadata: Mapping[str, str],
        force: bool,
        batch: SyncBatch,
        *,
        staged: dict[int, _Staged],
        receipts: dict[int, DeliveryReceipt],
    ) -> None:
        try:
            for index, parcel in enumerate(group):
                if parcel.row in self._settled:
                    receipts[index] = self._settled_receipt(parcel, metadata, batch)
                    continue
                earlier = self._ledger.delivered_content(self._endpoint.name, parcel.sha256)
                if earlier is not None and not force:
                    receipts[index] = parcel.receipt(
                        "already_delivered",
                        None,
                        None,
                        note=f"the same bytes were delivered as {earlier.remote_path} "
                        f"at {earlier.delivered_at}; not sent again",
                    )
                    continue
                staged[index] = self._stage(parcel, metadata, batch)
        except SftpError:
            # Stop at this file, but what was staged before it is still published.
            self._publish_group(staged, batch, receipts)
            raise

    def _stage(self, parcel: _Parcel, metadata: Mapping[str, str], batch: SyncBatch) -> _Staged:
        """Upload to the temp name (or, for ``publish: direct``, the final name without its
        marker), verified, and copy to the archive (durable once ``batch`` is synced)."""
        endpoint = self._endpoint
        was_sending = self._ledger.begin_delivery(
            endpoint.name, parcel.final, parcel.sha256, parcel.size
        )
        started_at = utc_now()
        fingerprints: list[str | None] = []

        def attempt(fs: RemoteFS, number: int) -> bool:
            fingerprints.append(fs.host_key_fingerprint)
            with fs.deadline(endpoint.timeouts.deadline):
                return self._upload(fs, parcel, resume=was_sending or number > 1)

        self._step("sending", parcel.final)
        already_there = self._link.run(attempt)
        self._step("staged", parcel.final)
        archived = self._archive_parcel(parcel, fingerprints[-1], started_at, metadata, batch)
        self._step("archived", parcel.final)
        return _Staged(parcel, archived, already_there)

    def _archive_parcel(
        self,
        parcel: _Parcel,
        fingerprint: str | None,
        started_at: str,
        metadata: Mapping[str, str],
        batch: SyncBatch,
    ) -> Path:
        return self._archive_file(
            parcel.local_path,
            direction="out",
            remote_path=parcel.final,
            size=parcel.size,
            sha256=parcel.sha256,
            fingerprint=fingerprint,
            started_at=started_at,
            metadata=metadata,
            batch=batch,
        )

    def _publish_group(
        self, staged: dict[int, _Staged], batch: SyncBatch, receipts: dict[int, DeliveryReceipt]
    ) -> None:
        """The barrier, then the renames; fills ``receipts`` for what was published."""
        batch.sync()
        if not staged:
            return
        endpoint = self._endpoint
        self._ledger.mark_publishing(endpoint.name, [item.parcel.row for item in staged.values()])
        done: list[tuple[str, str]] = []
        refused: SftpError | None = None
        try:
            for index, item in staged.items():
                parcel = item.parcel
                self._step("publishing", parcel.final)
                if item.already_there:
                    published_by: Publication = "already_there"
                else:
                    try:
                        published_by = self._link.run(self._publisher(parcel, settling=False))
                    except SftpError as error:
                        if error.retryable:
                            raise  # the rest stay ``publishing``: the next run settles them
                        # Refused (a different file has the name, renames forbidden, the
                        # temp file gone): not published, so back to ``sending``. The others
                        # of the group are archived and committed to: publish them.
                        self._ledger.back_to_sending(endpoint.name, *parcel.row)
                        self._archive.withdraw(item.archived, parcel.final, str(error))
                        refused = refused or error
                        continue
                done.append(parcel.row)
                self._step("published", parcel.final)
                if published_by == "already_there":
                    receipts[index] = parcel.receipt(
                        "already_delivered",
                        published_by,
                        item.archived,
                        note="the server already held these bytes",
                    )
                else:
                    receipts[index] = parcel.receipt("delivered", published_by, item.archived)
        except Exception:
            # The renames before the error are delivered. (A crash records nothing: the
            # rows stay ``publishing`` and the next run settles them.)
            if done:
                self._ledger.finish_deliveries(endpoint.name, done)
            raise
        if done:
            self._ledger.finish_deliveries(endpoint.name, done)
        if refused is not None:
            raise refused

    def _settled_receipt(
        self, parcel: _Parcel, metadata: Mapping[str, str], batch: SyncBatch
    ) -> DeliveryReceipt:
        """A file of this push that ``_settle`` found published by an interrupted run: it is
        archived again (the copy is there already: one more manifest line, with this run's
        host key) and reported as delivered before."""
        archived = self._archive_parcel(
            parcel, self._settled[parcel.row], utc_now(), metadata, batch
        )
        return parcel.receipt(
            "already_delivered",
            "already_there",
            archived,
            note="published by an interrupted run; not sent again",
        )

    def _settle(self) -> None:
        """Finish deliveries a crash left between their publishing mark and their record;
        remembers them (with the server's key) in ``_settled``."""
        endpoint = self._endpoint
        self._settled = {}
        for row in self._ledger.publishing(endpoint.name):
            name = row.remote_path.rsplit("/", 1)[-1]
            parcel = replace(
                self._parcel_for(Path(name), name, row.size, row.sha256), final=row.remote_path
            )
            fingerprints: list[str | None] = []
            try:
                self._link.run(self._publisher(parcel, settling=True, keys=fingerprints))
            except SftpError as error:
                if error.retryable:
                    raise
                # Back to ``sending``: the next push of that file meets the error again.
                self._ledger.back_to_sending(endpoint.name, parcel.final, parcel.sha256)
                continue
            self._ledger.finish_deliveries(endpoint.name, [parcel.row])
            self._settled[parcel.row] = fingerprints[-1]
            self._step("settled", parcel.final)

    def _publisher(
        self, parcel: _Parcel, *, settling: bool, keys: list[str | None] | None = None
    ) -> _Action:
        """The link action publishing ``parcel``; a retry settles (looks before renaming).
        ``keys`` collects the host key of each session used."""

        def publish(fs: RemoteFS, number: int) -> Publication:
            if keys is not None:
                keys.append(fs.host_key_fingerprint)
            return self._publish(fs, parcel, settling=settling or number > 1)

        return publish

    def _upload(self, fs: RemoteFS, parcel: _Parcel, *, resume: bool) -> bool:
        """Put the complete, verified bytes on the server; True when the final name holds
        them already (a publish whose record a crash lost)."""
        settings = self._endpoint.delivery
        # A fresh plain-rename send skips this look (one round trip per file): the rename
        # itself refuses an existing name, and the collision is examined then.
        fresh_rename = settings.publish == "rename" and not resume
        if not fresh_rename and self._already_there(fs, parcel, resume=resume):
            return True
        target = parcel.final if settings.publish == "direct" else parcel.temp
        self._upload_verified(fs, parcel, target, resume=resume)
        return False

    def _publish(self, fs: RemoteFS, parcel: _Parcel, *, settling: bool) -> Publication:
        """Make a staged file visible under its final name. ``settling``: a crash or a lost
        answer may have published it already, so look first."""
        settings = self._endpoint.delivery
        endpoint = self._endpoint.name
        may_write_direct = settings.publish == "direct" or settings.on_rename_forbidden == "direct"
        with fs.deadline(self._endpoint.timeouts.deadline):
            if settling:
                found = fs.stat(parcel.final)
                ours = (
                    found is not None
                    and found.size == parcel.size
                    and remote_sha256(fs, parcel.final) == parcel.sha256
                )
                if ours:
                    if settings.publish != "direct":
                        _remove_quietly(fs, parcel.temp)
                    if may_write_direct and fs.stat(parcel.marker) is None:
                        _write_bytes(fs, parcel.marker, b"")
                    return "already_there"
                if settings.publish == "direct":
                    if found is None:
                        return "direct"  # written and verified before the mark: taken since
                    raise TargetExistsError(
                        f"a different file ({found.size} bytes) now has this name",
                        host=fs.label,
                        operation="deliver",
                        remote_path=parcel.final,
                        hint="the done marker was not written; check the file with the bank",
                    )
                if fs.stat(parcel.temp) is None:
                    # The temp file was complete when the row was marked and only our rename
                    # removes it: it happened, and the bank has taken the file since. (Never
                    # sending a payment twice weighs more than the rare other explanation.)
                    return settings.publish
            if settings.publish == "direct":
                _write_bytes(fs, parcel.marker, b"")
                return "direct"
            try:
                if settings.publish == "replace":
                    fs.replace(parcel.temp, parcel.final)
                    return "replace"
                fs.rename(parcel.temp, parcel.final)
            except RemotePermissionError:
                self._ledger.back_to_sending(endpoint, parcel.final, parcel.sha256)
                if settings.on_rename_forbidden != "direct":
                    raise
                _remove_quietly(fs, parcel.temp)
                # The fresh send skipped the look at the final name; a direct write must
                # not land on another file.
                if self._already_there(fs, parcel, resume=False):
                    return "already_there"
                self._write_direct(fs, parcel, resume=False)
                return "direct"
            except TargetExistsError:
                # The name was taken before our rename: by our own earlier send, or by
                # another file.
                self._ledger.back_to_sending(endpoint, parcel.final, parcel.sha256)
                _remove_quietly(fs, parcel.temp)
                if self._already_there(fs, parcel, resume=False):
                    return "already_there"
                raise
            return "rename"

    def _already_there(self, fs: RemoteFS, parcel: _Parcel, *, resume: bool) -> bool:
        """True when the final name holds our bytes (a rename whose answer was lost)."""
        settings = self._endpoint.delivery
        may_write_direct = settings.publish == "direct" or settings.on_rename_forbidden == "direct"
        found = fs.stat(parcel.final)
        if found is None:
            return False
        if found.size == parcel.size and remote_sha256(fs, parcel.final) == parcel.sha256:
            _remove_quietly(fs, parcel.temp)
            # A direct write that completed just before a crash still needs its marker (an
            # extra marker beside a renamed file is harmless: it, too, is complete).
            if may_write_direct and fs.stat(parcel.marker) is None:
                _write_bytes(fs, parcel.marker, b"")
            return True
        if settings.publish == "replace":
            return False
        if may_write_direct and resume and fs.stat(parcel.marker) is None:
            return False  # our own unfinished direct write (the ledger says we were sending)
        raise TargetExistsError(
            f"a different file ({found.size} bytes) already has this name",
            host=fs.label,
            operation="deliver",
            remote_path=parcel.final,
            hint="rename the file, or set delivery.publish: replace to replace it deliberately",
        )

    def _write_direct(self, fs: RemoteFS, parcel: _Parcel, *, resume: bool) -> None:
        self._upload_verified(fs, parcel, parcel.final, resume=resume)
        _write_bytes(fs, parcel.marker, b"")

    def _upload_verified(self, fs: RemoteFS, parcel: _Parcel, remote: str, *, resume: bool) -> None:
        offset = 0
        if resume:
            partial = fs.stat(remote)
            if partial is not None and partial.size <= parcel.size:
                offset = partial.size
        progress = self._progress_for(parcel.final)
        try:
            with open(parcel.local_path, "rb") as source:
                source.seek(offset)
                fs.write(remote, source, offset=offset, size=parcel.size, progress=progress)
        except OSError as exc:
            raise LocalFileError(
                f"cannot read {parcel.local_path}: {exc.strerror or exc}", operation="deliver"
            ) from exc
        arrived = fs.stat(remote)
        problem = None
        if arrived is None or arrived.size != parcel.size:
            problem = (
                f"the server holds {arrived.size if arrived else 0} bytes, we sent {parcel.size}"
            )
        elif (self._endpoint.delivery.verify_sha256 or offset > 0) and remote_sha256(
            fs, remote
        ) != parcel.sha256:
            problem = "the sha256 read back differs from the file sent"
        if problem is not None:
            # Never resume onto bytes we know are wrong: the next run starts afresh.
            _remove_quietly(fs, remote)
            raise VerificationError(
                problem,
                host=fs.label,
                operation="verify",
                remote_path=remote,
                hint="the server may be out of disk space or quota",
            )


def _fits(group: list[_Parcel], parcel: _Parcel) -> bool:
    """Whether ``parcel`` may join ``group``: within its bounds, and neither its bytes nor its
    name already in it (the second of two equal files must see the first delivered; two
    files of one name would share a temp file)."""
    return (
        len(group) < GROUP_FILES
        and sum(item.size for item in group) + parcel.size <= GROUP_BYTES
        and all(item.sha256 != parcel.sha256 and item.final != parcel.final for item in group)
    )


def remote_sha256(fs: RemoteFS, path: str) -> str:
    with HashingWriter(None) as hasher:
        fs.read(path, hasher, None)
    return hasher.hexdigest()


def _write_bytes(fs: RemoteFS, path: str, data: bytes) -> None:
    fs.write(path, io.BytesIO(data), offset=0, size=len(data), progress=None)


def _remove_quietly(fs: RemoteFS, path: str) -> None:
    """Clean-up that must not hide the error being reported."""
    with suppress(SftpError):
        if fs.stat(path) is not None:
            fs.remove(path)
