"""Delivery rules, on a local drop folder (the same code path as SFTP behind ``RemoteFS``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from erengine_sftp import Archive, Courier, Ledger, LocalFolder
from erengine_sftp.durable import file_sha256
from erengine_sftp.endpoint import LocalEndpoint
from erengine_sftp.errors import ConnectionLostError, TargetExistsError

from .conftest import with_settings, write_file


class LostAnswer(LocalFolder):
    """The rename happens, then the link drops before its answer arrives (once)."""

    dropped: list[str] = []  # noqa: RUF012 (shared across the reconnects of one test)

    def rename(self, source: str, target: str) -> None:
        super().rename(source, target)
        if not self.dropped:
            self.dropped.append(target)
            raise ConnectionLostError("connection lost (EOFError)", operation="rename")


def test_lost_rename_answer_is_not_sent_twice(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    payment = write_file(tmp_path / "pay.xml", 5000)
    LostAnswer.dropped = []
    courier = Courier(
        local_endpoint,
        ledger=ledger,
        archive=archive,
        opener=lambda: LostAnswer(local_endpoint.root),
        sleep=lambda seconds: None,
    )

    [receipt] = courier.deliver([payment])

    assert LostAnswer.dropped == ["out/pay.xml"]
    assert receipt.status == "already_delivered"
    assert receipt.note == "the server already held these bytes"
    assert os.listdir(local_endpoint.root / "out") == ["pay.xml"]
    assert len(archive.entries()) == 1


def test_direct_publish_writes_a_done_marker(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    endpoint = with_settings(
        local_endpoint, "delivery", publish="direct", done_marker="{name}.ready"
    )
    payment = write_file(tmp_path / "pay.xml", 5000)

    [receipt] = Courier(endpoint, ledger=ledger, archive=archive).deliver([payment])

    assert receipt.published_by == "direct"
    assert sorted(os.listdir(endpoint.root / "out")) == ["pay.xml", "pay.xml.ready"]


def test_direct_publish_resumes_its_own_unfinished_write(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    endpoint = with_settings(local_endpoint, "delivery", publish="direct")
    payment = write_file(tmp_path / "pay.xml", 5000)
    # A previous run died mid-write: the ledger says "sending", half the bytes are there.
    ledger.begin_delivery(endpoint.name, "out/pay.xml", file_sha256(payment)[1], 5000)
    (endpoint.root / "out" / "pay.xml").write_bytes(payment.read_bytes()[:2500])

    [receipt] = Courier(endpoint, ledger=ledger, archive=archive).deliver([payment])

    assert receipt.status == "delivered"
    assert (endpoint.root / "out" / "pay.xml").read_bytes() == payment.read_bytes()
    assert sorted(os.listdir(endpoint.root / "out")) == ["pay.xml", "pay.xml.done"]


def test_a_different_file_under_the_final_name_is_never_replaced(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    existing = write_file(local_endpoint.root / "out" / "pay.xml", 5000, seed=1)
    payment = write_file(tmp_path / "pay.xml", 5000, seed=2)

    with pytest.raises(TargetExistsError):
        Courier(local_endpoint, ledger=ledger, archive=archive).deliver([payment])

    assert existing.read_bytes() != payment.read_bytes()
    assert os.listdir(local_endpoint.root / "out") == ["pay.xml"]


def test_same_bytes_under_a_new_name_are_not_sent_again_unless_forced(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    courier = Courier(local_endpoint, ledger=ledger, archive=archive)
    courier.deliver([write_file(tmp_path / "pay-1.xml", 100)])

    [again] = courier.deliver([write_file(tmp_path / "copy" / "pay-1-copy.xml", 100)])
    [forced] = courier.deliver([tmp_path / "copy" / "pay-1-copy.xml"], force=True)

    assert again.status == "already_delivered"
    assert again.note is not None
    assert "out/pay-1.xml" in again.note
    assert forced.status == "delivered"
    assert sorted(os.listdir(local_endpoint.root / "out")) == ["pay-1-copy.xml", "pay-1.xml"]
