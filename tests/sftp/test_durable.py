"""The hashing writer and the archive's copy: same bytes and digest whatever the pieces,
and the disk is handed every byte in order while the file is written."""

from __future__ import annotations

import errno
import hashlib
import io
import os
from pathlib import Path

import pytest
from erengine_sftp import durable
from erengine_sftp.durable import HashingWriter, copy_durably
from erengine_sftp.errors import LocalFileError
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import write_file

pieces = st.lists(st.binary(max_size=300), max_size=40)


@pytest.fixture
def small_steps(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Blocks of 64 bytes, write-back every 256: many steps from a small file. Returns the
    (offset, length) ranges handed to the disk."""
    monkeypatch.setattr(HashingWriter, "BLOCK", 64)
    monkeypatch.setattr(durable, "WRITEBACK_EVERY", 256)
    handed: list[tuple[int, int]] = []
    start_writeback = durable.start_writeback

    def recording(descriptor: int, offset: int, length: int) -> None:
        handed.append((offset, length))
        start_writeback(descriptor, offset, length)

    monkeypatch.setattr(durable, "start_writeback", recording)
    return handed


def _contiguous_from_zero(ranges: list[tuple[int, int]]) -> int:
    """The end of ``ranges`` if each starts where the one before ended, from 0."""
    end = 0
    for offset, length in ranges:
        assert offset == end
        end += length
    return end


@settings(max_examples=60)
@given(chunks=pieces)
def test_any_pieces_give_the_bytes_size_and_sha256_of_the_whole(chunks: list[bytes]) -> None:
    sink = io.BytesIO()
    with HashingWriter(sink) as writer:
        for chunk in chunks:
            assert writer.write(chunk) == len(chunk)
    whole = b"".join(chunks)
    assert sink.getvalue() == whole
    assert writer.size == len(whole)
    assert writer.hexdigest() == hashlib.sha256(whole).hexdigest()


def test_without_a_sink_it_only_hashes(small_steps: list[tuple[int, int]]) -> None:
    with HashingWriter(None) as writer:
        for _ in range(10):
            writer.write(b"x" * 50)
    assert writer.hexdigest() == hashlib.sha256(b"x" * 500).hexdigest()
    assert small_steps == []


def test_a_file_sink_is_handed_to_the_disk_in_order_as_it_grows(
    tmp_path: Path, small_steps: list[tuple[int, int]]
) -> None:
    data = bytes(range(256)) * 7 + b"tail"
    with open(tmp_path / "file", "wb") as sink, HashingWriter(sink) as writer:
        for start in range(0, len(data), 30):
            writer.write(data[start : start + 30])
    assert (tmp_path / "file").read_bytes() == data
    assert len(small_steps) >= 5
    assert all(length >= 256 for _, length in small_steps)
    # The tail (less than one step) is left to the fsync.
    assert len(data) - 256 < _contiguous_from_zero(small_steps) <= len(data)


def _write_then_lose_the_link(writer: HashingWriter) -> None:
    with writer:
        writer.write(b"partial")
        raise ConnectionError("link lost")


def test_an_error_inside_leaves_the_last_block_unwritten() -> None:
    sink = io.BytesIO()
    writer = HashingWriter(sink)
    with pytest.raises(ConnectionError):
        _write_then_lose_the_link(writer)
    assert sink.getvalue() == b""
    with pytest.raises(AssertionError, match="block ended"):
        writer.hexdigest()


@pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 3000])
def test_the_archive_copy_is_exact_and_handed_to_the_disk_piece_by_piece(
    tmp_path: Path, small_steps: list[tuple[int, int]], size: int
) -> None:
    source = write_file(tmp_path / "source", size, seed=size)
    copy_durably(source, tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == source.read_bytes()
    if durable._SYNC_FILE_RANGE is not None:
        assert _contiguous_from_zero(small_steps) == size
    assert not list(tmp_path.glob(".*.tmp"))


def test_without_sync_file_range_the_copy_is_a_plain_one(
    tmp_path: Path, small_steps: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(durable, "_SYNC_FILE_RANGE", None)
    source = write_file(tmp_path / "source", 3000)
    copy_durably(source, tmp_path / "copy")
    with open(tmp_path / "file", "wb") as sink, HashingWriter(sink) as writer:
        writer.write(b"y" * 3000)
    assert (tmp_path / "copy").read_bytes() == source.read_bytes()
    assert os.path.getsize(tmp_path / "file") == 3000
    assert small_steps == []


def _sendfile_fails(monkeypatch: pytest.MonkeyPatch, number: int) -> None:
    def fail(*_: object) -> int:
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(os, "sendfile", fail)


def test_where_sendfile_cannot_copy_the_archive_copy_is_made_by_reading_and_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sendfile_fails(monkeypatch, errno.EINVAL)
    source = write_file(tmp_path / "source", 3000)
    copy_durably(source, tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == source.read_bytes()


def test_a_full_disk_while_copying_is_an_error_and_leaves_no_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sendfile_fails(monkeypatch, errno.ENOSPC)
    source = write_file(tmp_path / "source", 3000)
    with pytest.raises(LocalFileError, match="No space left"):
        copy_durably(source, tmp_path / "copy")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["source"]
