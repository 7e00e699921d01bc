"""The small interface that delivery and pickup use, whatever the endpoint type.

``SftpSession`` (connect.py) speaks it over SSH; ``LocalFolder`` (local.py) over a local
folder. Every method raises ``SftpError`` subclasses only. Paths are POSIX strings relative
to the session's start folder.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from .errors import UnsafeRemoteNameError

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while a file moves."""


CHUNK = 32768  # paramiko's largest SFTP read/write request


class ByteSink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class ByteSource(Protocol):
    def read(self, size: int, /) -> bytes: ...


def copy_chunks(
    source: ByteSource,
    sink: ByteSink,
    *,
    done: int,
    total: int,
    progress: Progress | None,
    stop_at_total: bool = False,
) -> int:
    """Copy ``source`` to its end (or, with ``stop_at_total``, until ``total`` bytes) in
    ``CHUNK`` pieces, reporting (done, total) after each; ``done`` is where the copy starts
    (non-zero when resuming). Returns the final ``done``."""
    while not (stop_at_total and done >= total) and (chunk := source.read(CHUNK)):
        sink.write(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    return done


@dataclass(frozen=True, slots=True)
class RemoteStat:
    size: int
    mtime: int  # whole seconds: SFTPv3 has no finer mtime


@dataclass(frozen=True, slots=True)
class RemoteEntry:
    name: str
    size: int
    mtime: int
    is_file: bool


class RemoteFS(Protocol):
    """What delivery and pickup need from an endpoint."""

    @property
    def label(self) -> str:
        """host:port or local:/path, for messages and the archive."""

    @property
    def host_key_fingerprint(self) -> str | None:
        """The verified server key (``SHA256:…``), None for a local folder."""

    def stat(self, path: str) -> RemoteStat | None:
        """Size and mtime, or None when nothing is there."""

    def list_folder(self, folder: str) -> list[RemoteEntry]: ...

    def write(
        self, path: str, source: BinaryIO, *, offset: int, size: int, progress: Progress | None
    ) -> None:
        """Write ``source`` (positioned at ``offset``) into ``path`` from ``offset`` on;
        ``offset == 0`` truncates. Success says nothing about what arrived: stat it."""

    def read(
        self, path: str, sink: ByteSink, progress: Progress | None, *, size: int | None = None
    ) -> int:
        """Copy ``path`` into ``sink``; returns the number of bytes. With ``size`` (from a
        listing) the file is not asked for its size and the copy stops there: a file that
        grew or shrank since is the caller's to notice (stat it afterwards)."""

    def rename(self, source: str, target: str) -> None:
        """Rename, refusing an existing target (``TargetExistsError``)."""

    def replace(self, source: str, target: str) -> None:
        """Rename, atomically replacing an existing target."""

    def remove(self, path: str) -> None: ...

    def make_folders(self, folder: str) -> None: ...

    def deadline(self, seconds: float) -> AbstractContextManager[None]:
        """Abort whatever is in progress after ``seconds`` (a black-holed link may ignore
        socket timeouts); the session is unusable afterwards."""

    def close(self) -> None: ...


def join(folder: str, name: str) -> str:
    return name if folder in ("", ".") else posixpath.join(folder, name)


def check_remote_name(name: str, *, host: str | None = None) -> str:
    """Refuse a name from a server listing that could escape the folder we asked for."""
    bad = (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or any(ord(char) < 32 or ord(char) == 127 for char in name)
    )
    if bad:
        raise UnsafeRemoteNameError(
            f"refusing remote name {name!r}: path separators, '..', or control characters",
            host=host,
            operation="list",
            remote_path=name,
        )
    return name
