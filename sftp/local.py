"""A local folder as an endpoint (a shared drop folder), with the same semantics as SFTP.

Renames refuse an existing target like OpenSSH does (hard link + unlink, which fails when the
target exists), replaces are ``os.replace``, and written files are fsynced, so delivery and
pickup keep their guarantees without a server.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import BinaryIO

from .durable import fsync_folder
from .errors import (
    RemoteFailureError,
    RemoteNotFoundError,
    RemotePermissionError,
    SftpError,
    TargetExistsError,
    UnsafeRemoteNameError,
)
from .remote import ByteSink, Progress, RemoteEntry, RemoteStat, copy_chunks


class LocalFolder:
    """``RemoteFS`` over the folder ``root``; paths may not leave it."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        if not self._root.is_dir():
            raise RemoteNotFoundError(
                "the endpoint folder does not exist", host=self.label, operation="open"
            )

    @property
    def label(self) -> str:
        return f"local:{self._root}"

    @property
    def host_key_fingerprint(self) -> str | None:
        return None

    def stat(self, path: str) -> RemoteStat | None:
        with self._translate("stat", path):
            try:
                result = self._path(path).stat()
            except FileNotFoundError:
                return None
        return RemoteStat(size=result.st_size, mtime=int(result.st_mtime))

    def list_folder(self, folder: str) -> list[RemoteEntry]:
        with self._translate("list", folder):
            entries = []
            for entry in os.scandir(self._path(folder)):
                result = entry.stat(follow_symlinks=False)
                entries.append(
                    RemoteEntry(
                        name=entry.name,
                        size=result.st_size,
                        mtime=int(result.st_mtime),
                        is_file=entry.is_file(follow_symlinks=False),
                    )
                )
        return entries

    def write(
        self, path: str, source: BinaryIO, *, offset: int, size: int, progress: Progress | None
    ) -> None:
        with self._translate("write", path):
            target = self._path(path)
            with open(target, "r+b" if offset else "wb") as sink:
                sink.seek(offset)
                copy_chunks(source, sink, done=offset, total=size, progress=progress)
                sink.flush()
                os.fsync(sink.fileno())

    def read(
        self, path: str, sink: ByteSink, progress: Progress | None, *, size: int | None = None
    ) -> int:
        with self._translate("read", path), open(self._path(path), "rb") as source:
            total = os.fstat(source.fileno()).st_size if size is None else size
            return copy_chunks(
                source, sink, done=0, total=total, progress=progress, stop_at_total=True
            )

    def rename(self, source: str, target: str) -> None:
        # An existing target makes link() raise FileExistsError: TargetExistsError below.
        with self._translate("rename", target):
            try:
                os.link(self._path(source), self._path(target))
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP):
                    raise
                # No hard links on this file system (e.g. some SMB mounts): check, then
                # rename; racy like OpenSSH's own fallback, but never a silent overwrite.
                if self._path(target).exists():
                    raise FileExistsError(target) from None
                os.rename(self._path(source), self._path(target))
                fsync_folder(self._path(target).parent)
                return
            os.unlink(self._path(source))
            fsync_folder(self._path(target).parent)

    def replace(self, source: str, target: str) -> None:
        with self._translate("replace", target):
            os.replace(self._path(source), self._path(target))
            fsync_folder(self._path(target).parent)

    def remove(self, path: str) -> None:
        with self._translate("remove", path):
            os.unlink(self._path(path))

    def make_folders(self, folder: str) -> None:
        with self._translate("mkdir", folder):
            self._path(folder).mkdir(parents=True, exist_ok=True)

    def deadline(self, seconds: float) -> AbstractContextManager[None]:
        # Local file operations cannot black-hole the way a network link can.
        return nullcontext()

    def close(self) -> None:
        """Nothing to release."""

    def _path(self, path: str) -> Path:
        resolved = (self._root / path).resolve()
        if resolved != self._root and self._root not in resolved.parents:
            raise UnsafeRemoteNameError(
                "the path leaves the endpoint folder", host=self.label, remote_path=path
            )
        return resolved

    @contextmanager
    def _translate(self, operation: str, path: str) -> Iterator[None]:
        where = {"host": self.label, "operation": operation, "remote_path": path}
        try:
            yield
        except SftpError:
            raise
        except FileExistsError as exc:
            raise TargetExistsError("the target name already exists", **where) from exc
        except FileNotFoundError as exc:
            raise RemoteNotFoundError("no such file or folder", **where) from exc
        except PermissionError as exc:
            raise RemotePermissionError("permission denied", **where) from exc
        except OSError as exc:
            raise RemoteFailureError(f"{exc.strerror or exc}", **where) from exc
