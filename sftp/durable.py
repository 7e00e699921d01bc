"""Local file steps that must survive a crash: fsync the data, then the folder entry."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO

from .errors import LocalFileError

BUFFER = 1 << 20


class HashingWriter:
    """Writes through to ``sink`` (if any) while computing sha256 and counting bytes."""

    def __init__(self, sink: BinaryIO | None) -> None:
        self._sink = sink
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        if self._sink is not None:
            self._sink.write(data)
        return len(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


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


def fsync_folder(folder: Path) -> None:
    """Make a rename or new entry durable: the folder must reach the disk too."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def copy_durably(source: Path, target: Path) -> None:
    """Copy through a temp name, fsynced, so ``target`` is either complete or absent."""
    temp = target.with_name(f".{target.name}.tmp")
    try:
        shutil.copyfile(source, temp)  # in-kernel copy (sendfile) where the OS has one
        with open(temp, "rb") as copied:
            os.fsync(copied.fileno())
        os.replace(temp, target)
        fsync_folder(target.parent)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise LocalFileError(
            f"cannot copy {source} to {target}: {exc.strerror or exc}", operation="archive"
        ) from exc


def data_folder() -> Path:
    """The user's data folder for the ledger and archive: ``ERENGINE_DATA_DIR``, else
    ``$XDG_DATA_HOME/erengine``, else ``~/.local/share/erengine``."""
    explicit = os.environ.get("ERENGINE_DATA_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "erengine"
