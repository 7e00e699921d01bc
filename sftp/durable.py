"""Local file steps that must survive a crash: fsync the data, then the folder entry.

``SyncBatch`` is the group commit: many files are written without waiting for the disk,
then one barrier (``sync()``) makes all of them, and their folder entries, durable at once.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import platform
import shutil
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import BinaryIO

from .errors import LocalFileError

BUFFER = 1 << 20


class HashingWriter:
    """Writes through to ``sink`` (if any) while computing sha256 and counting bytes.

    Use it as a context manager: writes are gathered into ``BLOCK``-sized pieces and the
    last piece goes out on exit. Each hash update and file write lets go of the GIL, and
    during a download, with paramiko's thread busy, taking it back costs more than hashing
    or writing 32 KiB. A file sink has its bytes handed to the disk as they come
    (``start_writeback``), so the fsync that makes the file durable waits for the tail only.
    """

    BLOCK = 1 << 20

    def __init__(self, sink: BinaryIO | None) -> None:
        self._sink = sink
        self._descriptor = _descriptor_of(sink)
        self._hash = hashlib.sha256()
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._written_back = 0
        self.size = 0

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self._flush()

    def write(self, data: bytes) -> int:
        self._pending.append(data)
        self._pending_size += len(data)
        self.size += len(data)
        if self._pending_size >= self.BLOCK:
            self._flush()
        return len(data)

    def hexdigest(self) -> str:
        assert not self._pending, "hexdigest() before the writer's block ended"
        return self._hash.hexdigest()

    def _flush(self) -> None:
        if not self._pending:
            return
        block = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        self._hash.update(block)
        if self._sink is None:
            return
        self._sink.write(block)
        if self._descriptor is not None and self.size - self._written_back >= WRITEBACK_EVERY:
            self._sink.flush()
            start_writeback(self._descriptor, self._written_back, self.size - self._written_back)
            self._written_back = self.size


def file_sha256(path: Path) -> tuple[int, str]:
    """Size and sha256 of a local file."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as reader:
            while chunk := reader.read(BUFFER):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        message = f"cannot read {path}: {exc.strerror or exc}"
        raise LocalFileError(message, operation="read") from exc
    return size, digest.hexdigest()


def _sync_file_range_function() -> Callable[[int, int, int, int], int] | None:
    """libc's ``sync_file_range(2)`` on Linux, else None."""
    if sys.platform != "linux":
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    typed: Callable[[int, int, int, int], int] = function
    return typed


_SYNC_FILE_RANGE = _sync_file_range_function()
_SYNC_FILE_RANGE_WRITE = 2

WRITEBACK_EVERY = 8 << 20
"""Bytes written between two ``start_writeback`` calls of a ``HashingWriter``."""


def start_writeback(descriptor: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing these bytes to the disk, without waiting for it.

    The disk is otherwise idle while a file arrives, and the fsync at the end then has
    little left to wait for. Best effort: where this is missing or fails, the fsync does
    all the work, and it is the fsync that reports write errors.
    """
    if _SYNC_FILE_RANGE is not None:
        _SYNC_FILE_RANGE(descriptor, offset, length, _SYNC_FILE_RANGE_WRITE)


def _descriptor_of(sink: BinaryIO | None) -> int | None:
    if sink is None or _SYNC_FILE_RANGE is None:
        return None
    try:
        return sink.fileno()
    except (OSError, ValueError):  # in-memory sinks: io.UnsupportedOperation
        return None


def fsync_path(path: Path) -> None:
    """Make a file's bytes (a folder's entries) durable."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_folder(folder: Path) -> None:
    """Make a rename or new entry durable: the folder must reach the disk too."""
    fsync_path(folder)


def copy_durably(source: Path, target: Path, batch: SyncBatch | None = None) -> None:
    """Copy through a temp name, so ``target`` is complete or absent after a process crash;
    durable at once, or, with ``batch``, once the batch is synced."""
    temp = target.with_name(f".{target.name}.tmp")
    try:
        _copy_file(source, temp)
        if batch is None:
            fsync_path(temp)
        os.replace(temp, target)
        if batch is None:
            fsync_folder(target.parent)
        else:
            batch.add(target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise LocalFileError(
            f"cannot copy {source} to {target}: {exc.strerror or exc}", operation="archive"
        ) from exc


def _copy_file(source: Path, target: Path) -> None:
    """An in-kernel copy (sendfile) that hands each piece to the disk as it goes, where the
    kernel can: the fsync that follows then has the tail left to wait for."""
    if _SYNC_FILE_RANGE is None:
        shutil.copyfile(source, target)  # sendfile too, where the OS has it
        return
    with open(source, "rb") as reader, open(target, "wb") as writer:
        offset = 0
        try:
            while piece := os.sendfile(writer.fileno(), reader.fileno(), offset, WRITEBACK_EVERY):
                start_writeback(writer.fileno(), offset, piece)
                offset += piece
        except OSError as exc:
            if offset or exc.errno == errno.ENOSPC:
                raise
            shutil.copyfileobj(reader, writer)  # a file system sendfile cannot copy on


def _syncfs_function() -> Callable[[int], int] | None:
    """libc's ``syncfs(2)`` where it reports write-back errors (Linux 5.8 and later), else
    None (then each file is fsynced)."""
    if sys.platform != "linux":
        return None
    try:
        major, minor = (int(part) for part in platform.release().split(".")[:2])
        if (major, minor) < (5, 8):
            return None
        function: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
    except (ValueError, OSError, AttributeError):
        return None
    return function


_SYNCFS = _syncfs_function()


SYNCFS_FROM = 8
"""Files in a batch from which one ``syncfs`` beats an fsync each. For fewer (a large file,
a single payment) the fsyncs flush only our own data, while ``syncfs`` also waits for
whatever else is pending on that file system."""

WORKERS = 4
"""Threads writing a batch's files in the background. Creating a file waits on the file
system's journal far longer than it uses the CPU; a few at once overlap those waits with
each other and with the network."""


class SyncBatch:
    """Files written without fsync, made durable together by ``sync()``: a group commit.

    ``add`` notes a file (complete under its final name) and, with it, its folder entry.
    ``submit`` runs a job that writes such files in a background thread; ``before_sync``
    queues a step (in the caller's thread) that runs once those jobs are done. ``sync``
    waits for the jobs (raising the first error), runs the queued steps, then makes every
    noted file durable: one ``syncfs(2)`` per file system touched where the kernel offers
    it (one journal commit however many files) and the batch has ``SYNCFS_FROM`` files or
    more, else an fsync of each file and each folder.
    Nothing that depends on these files may happen before ``sync`` returns. ``close``
    (also on the way out of an error) waits for jobs still running and stops the threads.
    """

    def __init__(self) -> None:
        self._files: dict[Path, None] = {}  # insertion-ordered set
        self._jobs: list[Future[None]] = []
        self._steps: list[Callable[[], None]] = []
        self._pool: ThreadPoolExecutor | None = None
        self.syncs = 0  # barriers passed, for tests and the benchmark

    def add(self, path: Path) -> None:
        self._files[path] = None  # a single dict store: safe from the worker threads

    def submit(self, job: Callable[[], None]) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="erengine-sync")
        self._jobs.append(self._pool.submit(job))

    def before_sync(self, step: Callable[[], None]) -> None:
        self._steps.append(step)

    def __len__(self) -> int:
        return len(self._files)

    def __enter__(self) -> SyncBatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def sync(self) -> None:
        self._wait()
        steps, self._steps = self._steps, []
        for step in steps:
            step()
        if not self._files:
            return
        try:
            if _SYNCFS is not None and len(self._files) >= SYNCFS_FROM:
                self._syncfs(_SYNCFS)
            else:
                self._fsync_each()
        except OSError as exc:
            raise LocalFileError(
                f"cannot make files durable: {exc.strerror or exc}", operation="sync"
            ) from exc
        self._files.clear()
        self.syncs += 1

    def close(self) -> None:
        jobs, self._jobs = self._jobs, []
        wait(jobs)
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _wait(self) -> None:
        jobs, self._jobs = self._jobs, []
        wait(jobs)
        for job in jobs:
            error = job.exception()
            if error is not None:
                raise error

    def _syncfs(self, syncfs: Callable[[int], int]) -> None:
        devices: dict[int, Path] = {}
        for path in self._files:
            devices.setdefault(os.stat(path.parent).st_dev, path.parent)
        for folder in devices.values():
            descriptor = os.open(folder, os.O_RDONLY)
            try:
                if syncfs(descriptor) != 0:
                    number = ctypes.get_errno()
                    raise OSError(number, os.strerror(number), str(folder))
            finally:
                os.close(descriptor)

    def _fsync_each(self) -> None:
        for path in self._files:
            fsync_path(path)
        for folder in dict.fromkeys(path.parent for path in self._files):
            fsync_folder(folder)


def data_folder() -> Path:
    """The user's data folder for the ledger and archive: ``ERENGINE_DATA_DIR``, else
    ``$XDG_DATA_HOME/erengine``, else ``~/.local/share/erengine``."""
    explicit = os.environ.get("ERENGINE_DATA_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "erengine"
