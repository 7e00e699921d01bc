"""Push, pull and archive against the real OpenSSH server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from erengine_sftp.errors import TargetExistsError

from .conftest import Rig, write_file

pytestmark = pytest.mark.sshd


def test_push_publishes_under_final_name_and_archives(rig: Rig) -> None:
    payment = write_file(rig.scratch / "pay-001.xml", 70_000)

    [receipt] = rig.courier().deliver([payment], metadata={"format": "pain.001@1.0.0"})

    assert receipt.status == "delivered"
    assert receipt.published_by == "rename"
    assert (rig.outbox / "pay-001.xml").read_bytes() == payment.read_bytes()
    assert sorted(p.name for p in rig.outbox.iterdir()) == ["pay-001.xml"]
    [line] = rig.archive.entries()
    assert line["direction"] == "out"
    assert line["sha256"] == receipt.sha256
    assert line["host_key_fingerprint"] == rig.sshd.fingerprint
    assert line["metadata"] == {"format": "pain.001@1.0.0"}
    assert Path(str(line["archived_path"])).read_bytes() == payment.read_bytes()


def test_push_twice_sends_once(rig: Rig) -> None:
    payment = write_file(rig.scratch / "pay.xml", 1000)
    courier = rig.courier()
    courier.deliver([payment])
    # The bank took the file away; the ledger still knows it was delivered.
    (rig.outbox / "pay.xml").unlink()

    [again] = courier.deliver([payment])

    assert again.status == "already_delivered"
    assert not (rig.outbox / "pay.xml").exists()


def test_push_never_overwrites_a_different_file(rig: Rig) -> None:
    existing = rig.outbox / "pay.xml"
    existing.write_bytes(b"yesterday's batch")
    payment = write_file(rig.scratch / "pay.xml", 1000)

    with pytest.raises(TargetExistsError) as caught:
        rig.courier().deliver([payment])

    assert caught.value.code == "TRN133"
    assert existing.read_bytes() == b"yesterday's batch"
    assert sorted(p.name for p in rig.outbox.iterdir()) == ["pay.xml"]


def test_replace_when_told(rig: Rig) -> None:
    (rig.outbox / "pay.xml").write_bytes(b"old")
    payment = write_file(rig.scratch / "pay.xml", 1000)
    endpoint = rig.endpoint(delivery={"publish": "replace", "verify_sha256": True})

    [receipt] = rig.courier(endpoint).deliver([payment])

    assert receipt.published_by == "replace"
    assert (rig.outbox / "pay.xml").read_bytes() == payment.read_bytes()


def test_pull_lands_archives_and_moves_to_done(rig: Rig) -> None:
    expected = {
        name: write_file(rig.inbox / name, 5000 + seed, seed=seed).read_bytes()
        for seed, name in enumerate(["stmt-1.sta", "stmt-2.sta"])
    }
    picker = rig.picker()

    report = picker.pick_up(rig.scratch / "landed", metadata={"job": "statements"})

    assert {p.local_path.name: p.local_path.read_bytes() for p in report.picked} == expected
    assert sorted(p.name for p in (rig.inbox / "done").iterdir()) == sorted(expected)
    assert [p.name for p in rig.inbox.iterdir()] == ["done"]
    assert {line["remote_path"] for line in rig.archive.entries()} == {
        f"{rig.remote_dir}/in/{name}" for name in expected
    }
    assert json.dumps(report.to_dict())  # serialisable for --json
    assert picker.pick_up(rig.scratch / "landed").picked == []
