"""Push, pull and archive against the real OpenSSH server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from erengine_sftp import Archive, Courier, Ledger, Picker
from erengine_sftp.errors import TargetExistsError

from .conftest import EndpointFactory, write_file
from .sshd import SshServer

pytestmark = pytest.mark.sshd


def test_push_publishes_under_final_name_and_archives(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    payment = write_file(tmp_path / "pay-001.xml", 70_000)
    courier = Courier(make_endpoint(), ledger=ledger, archive=archive)

    [receipt] = courier.deliver([payment], metadata={"format": "pain.001@1.0.0"})

    delivered = sshd.root / remote_dir / "out" / "pay-001.xml"
    assert receipt.status == "delivered"
    assert receipt.published_by == "rename"
    assert delivered.read_bytes() == payment.read_bytes()
    assert sorted(p.name for p in delivered.parent.iterdir()) == ["pay-001.xml"]
    [line] = archive.entries()
    assert line["direction"] == "out"
    assert line["sha256"] == receipt.sha256
    assert line["host_key_fingerprint"] == sshd.fingerprint
    assert line["metadata"] == {"format": "pain.001@1.0.0"}
    assert Path(str(line["archived_path"])).read_bytes() == payment.read_bytes()


def test_push_twice_sends_once(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    payment = write_file(tmp_path / "pay.xml", 1000)
    courier = Courier(make_endpoint(), ledger=ledger, archive=archive)
    courier.deliver([payment])
    # The bank took the file away; the ledger still knows it was delivered.
    (sshd.root / remote_dir / "out" / "pay.xml").unlink()

    [again] = courier.deliver([payment])

    assert again.status == "already_delivered"
    assert not (sshd.root / remote_dir / "out" / "pay.xml").exists()


def test_push_never_overwrites_a_different_file(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    existing = sshd.root / remote_dir / "out" / "pay.xml"
    existing.write_bytes(b"yesterday's batch")
    payment = write_file(tmp_path / "pay.xml", 1000)

    with pytest.raises(TargetExistsError) as caught:
        Courier(make_endpoint(), ledger=ledger, archive=archive).deliver([payment])

    assert caught.value.code == "TRN133"
    assert existing.read_bytes() == b"yesterday's batch"
    assert sorted(p.name for p in existing.parent.iterdir()) == ["pay.xml"]


def test_replace_when_told(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    existing = sshd.root / remote_dir / "out" / "pay.xml"
    existing.write_bytes(b"old")
    payment = write_file(tmp_path / "pay.xml", 1000)
    endpoint = make_endpoint(delivery={"publish": "replace", "verify_sha256": True})

    [receipt] = Courier(endpoint, ledger=ledger, archive=archive).deliver([payment])

    assert receipt.published_by == "replace"
    assert existing.read_bytes() == payment.read_bytes()


def test_pull_lands_archives_and_moves_to_done(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    inbox = sshd.root / remote_dir / "in"
    first = write_file(inbox / "stmt-1.sta", 5000, seed=1)
    write_file(inbox / "stmt-2.sta", 6000, seed=2)
    expected = {"stmt-1.sta": first.read_bytes(), "stmt-2.sta": (inbox / "stmt-2.sta").read_bytes()}
    picker = Picker(make_endpoint(), ledger=ledger, archive=archive)

    report = picker.pick_up(tmp_path / "landed", metadata={"job": "statements"})

    assert {
        Path(p.local_path).name: Path(p.local_path).read_bytes() for p in report.picked
    } == expected
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["stmt-1.sta", "stmt-2.sta"]
    assert [p.name for p in inbox.iterdir()] == ["done"]
    assert {line["remote_path"] for line in archive.entries()} == {
        f"{remote_dir}/in/stmt-1.sta",
        f"{remote_dir}/in/stmt-2.sta",
    }
    assert json.dumps(report.to_dict())  # serialisable for --json
    assert picker.pick_up(tmp_path / "landed").picked == []
