"""Delivery: each file arrives once, complete, under its final name, or not at all.

Per file: hash it; if the ledger shows these bytes already delivered to this endpoint, stop
(the bank may have taken the file away already). Otherwise upload to a temp name, check the
size the server holds (paramiko drops write errors reported at close) and, where configured
or after a resume, the sha256 read back; then publish with a rename that never overwrites
(or a posix-rename when replacing was asked for, or a direct write plus done marker where the
server forbids renames). After a dropped connection the next attempt first looks at the final
name: the same bytes there mean the rename succeeded and only its answer was lost.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .archive import utc_now
from .durable import HashingWriter, file_sha256
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


class Courier(EndpointAgent):
    """Delivers files to one endpoint, recording each in the ledger and the archive."""

    def deliver(
        self,
        files: Sequence[Path],
        *,
        metadata: Mapping[str, str] | None = None,
        force: bool = False,
    ) -> list[DeliveryReceipt]:
        """Deliver ``files`` in order; stops at the first error (earlier files stay delivered).

        ``force`` sends bytes the ledger says were delivered before (still never overwriting
        a different file on the server unless the endpoint says ``publish: replace``).
        """
        with self._link:
            receipts = [self._deliver_one(path, metadata or {}, force) for path in files]
        self._archive.prune()
        return receipts

    def _deliver_one(self, path: Path, metadata: Mapping[str, str], force: bool) -> DeliveryReceipt:
        endpoint = self._endpoint
        size, sha256 = file_sha256(path)
        name = check_remote_name(path.name, host=endpoint.label)
        parcel = _Parcel(
            local_path=path,
            size=size,
            sha256=sha256,
            final=join(endpoint.folders.outbox, name),
            temp=join(
                endpoint.folders.temp or endpoint.folders.outbox,
                endpoint.delivery.temp_pattern.format(name=name),
            ),
            marker=join(endpoint.folders.outbox, endpoint.delivery.done_marker.format(name=name)),
        )
        earlier = self._ledger.delivered_content(endpoint.name, sha256)
        if earlier is not None and not force:
            return parcel.receipt(
                "already_delivered",
                None,
                None,
                note=f"the same bytes were delivered as {earlier.remote_path} "
                f"at {earlier.delivered_at}; not sent again",
            )
        was_sending = self._ledger.begin_delivery(endpoint.name, parcel.final, sha256, size)
        started_at = utc_now()
        fingerprints: list[str | None] = []

        def attempt(fs: RemoteFS, number: int) -> Publication:
            fingerprints.append(fs.host_key_fingerprint)
            with fs.deadline(endpoint.timeouts.deadline):
                return self._send(fs, parcel, resume=was_sending or number > 1)

        self._step("sending", parcel.final)
        published_by = self._link.run(attempt)
        self._step("published", parcel.final)
        archived = self._archive_file(
            path,
            direction="out",
            remote_path=parcel.final,
            size=size,
            sha256=sha256,
            fingerprint=fingerprints[-1],
            started_at=started_at,
            metadata=metadata,
        )
        self._step("archived", parcel.final)
        self._ledger.finish_delivery(endpoint.name, parcel.final, sha256)
        if published_by == "already_there":
            return parcel.receipt(
                "already_delivered",
                published_by,
                archived,
                note="the server already held these bytes",
            )
        return parcel.receipt("delivered", published_by, archived)

    def _send(self, fs: RemoteFS, parcel: _Parcel, *, resume: bool) -> Publication:
        settings = self._endpoint.delivery
        # A fresh plain-rename send skips this look (one round trip per file): the rename
        # itself refuses an existing name, and the collision is examined then.
        fresh_rename = settings.publish == "rename" and not resume
        if not fresh_rename and self._already_there(fs, parcel, resume=resume):
            return "already_there"
        if settings.publish == "direct":
            self._write_direct(fs, parcel, resume=resume)
            return "direct"
        self._upload_verified(fs, parcel, parcel.temp, resume=resume)
        try:
            if settings.publish == "replace":
                fs.replace(parcel.temp, parcel.final)
                return "replace"
            fs.rename(parcel.temp, parcel.final)
        except RemotePermissionError:
            if settings.on_rename_forbidden != "direct":
                raise
            _remove_quietly(fs, parcel.temp)
            # The fresh send skipped the look at the final name; a direct write must not
            # land on another file.
            if self._already_there(fs, parcel, resume=False):
                return "already_there"
            self._write_direct(fs, parcel, resume=False)
            return "direct"
        except TargetExistsError:
            # The name was taken before our rename: by our own earlier send, or by another file.
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


def remote_sha256(fs: RemoteFS, path: str) -> str:
    hasher = HashingWriter(None)
    fs.read(path, hasher, None)
    return hasher.hexdigest()


def _write_bytes(fs: RemoteFS, path: str, data: bytes) -> None:
    fs.write(path, io.BytesIO(data), offset=0, size=len(data), progress=None)


def _remove_quietly(fs: RemoteFS, path: str) -> None:
    """Clean-up that must not hide the error being reported."""
    with suppress(SftpError):
        if fs.stat(path) is not None:
            fs.remove(path)
