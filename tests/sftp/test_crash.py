"""The picker dies at every step of a pickup; the next run finishes the job, once per file.

In-process: a step hook raises ``SimulatedCrash`` (a ``BaseException``, so no clean-up code
runs), the ledger is reopened as by a new process. Out of process: a child picker SIGKILLs
itself at the step, against the real sshd.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from erengine_sftp import Archive, Ledger, PickedFile, Picker
from erengine_sftp.endpoint import LocalEndpoint

from .conftest import Rig, write_file

STEPS = [
    "claimed",
    "fetched",
    "archived",
    "landed",
    "recorded",
    "processing",
    "consumed",
    "processed",
    "closed",
]
NAMES = ["a.sta", "b.sta", "c.sta"]


class SimulatedCrash(BaseException):
    """Stands for the process dying: nothing catches it."""


class IdempotentConsumer:
    """Books each statement once, keyed by its sha256, as a real importer would key by
    statement id; remembers every call to show what the picker handed over."""

    def __init__(self, database: Path) -> None:
        self._db = sqlite3.connect(database, isolation_level=None)
        self._db.execute("CREATE TABLE IF NOT EXISTS booked (sha256 TEXT PRIMARY KEY)")
        self.calls: list[tuple[str, bool]] = []

    def __call__(self, picked: PickedFile) -> None:
        self.calls.append((picked.local_path.name, picked.redelivered))
        self._db.execute("INSERT OR IGNORE INTO booked VALUES (?)", (picked.sha256,))

    def booked(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM booked").fetchone()[0])


def assert_each_file_processed_once(
    inbox: Path, landed: Path, originals: dict[str, bytes], archive: Archive
) -> None:
    assert sorted(os.listdir(landed)) == NAMES  # no temp files, no suffixed copies
    assert {name: (landed / name).read_bytes() for name in NAMES} == originals
    assert sorted(os.listdir(inbox)) == ["done"]
    assert sorted(os.listdir(inbox / "done")) == NAMES
    archived = {str(entry["archived_path"]) for entry in archive.entries()}
    assert len(archived) == len(NAMES)


@pytest.mark.parametrize("step", STEPS)
def test_crash_at_each_step_in_process(
    step: str, tmp_path: Path, local_endpoint: LocalEndpoint, archive: Archive
) -> None:
    inbox = local_endpoint.root / "in"
    originals = {
        name: write_file(inbox / name, 2000, seed=i).read_bytes() for i, name in enumerate(NAMES)
    }
    landed = tmp_path / "landed"
    ledger_path = tmp_path / "data" / "ledger.sqlite"
    consumer = IdempotentConsumer(tmp_path / "booked.sqlite")

    def crash(at: str, remote_path: str) -> None:
        if at == step and remote_path == "in/b.sta":
            raise SimulatedCrash(step)

    with Ledger(ledger_path) as ledger, pytest.raises(SimulatedCrash):
        Picker(local_endpoint, ledger=ledger, archive=archive, step_hook=crash).pick_up(
            landed, consumer
        )
    with Ledger(ledger_path) as ledger:
        Picker(local_endpoint, ledger=ledger, archive=archive).pick_up(landed, consumer)

    assert_each_file_processed_once(inbox, landed, originals, archive)
    assert consumer.booked() == 3
    handed = Counter(name for name, _ in consumer.calls)
    if step == "consumed":
        # The one window no ledger can close: the consumer ran, the crash hid its answer.
        assert handed == {"a.sta": 1, "b.sta": 2, "c.sta": 1}
        assert consumer.calls[-2] == ("b.sta", True)
    else:
        assert handed == {"a.sta": 1, "b.sta": 1, "c.sta": 1}


_CHILD = textwrap.dedent(
    """
    import os, signal, sys, json
    from pathlib import Path
    from erengine_sftp import Archive, Ledger, Picker, parse_endpoint

    endpoint_data, step, ledger_path, archive_path, landed = json.loads(sys.argv[1])

    def die(at, remote_path):
        if at == step and remote_path.endswith("/b.sta"):
            os.kill(os.getpid(), signal.SIGKILL)

    with Ledger(Path(ledger_path)) as ledger:
        Picker(parse_endpoint(endpoint_data, source="child.yaml"), ledger=ledger,
               archive=Archive(Path(archive_path)), step_hook=die).pick_up(
            Path(landed), lambda picked: None)
    """
)


def run_until_killed(script: str, rig: Rig, step: str, target: Path) -> None:
    """Run ``script`` in a child process that SIGKILLs itself at ``step``."""
    arguments = [
        rig.endpoint().model_dump(mode="json"),
        step,
        str(rig.ledger.path),
        str(rig.archive.folder),
        str(target),
    ]
    child = subprocess.run(
        [sys.executable, "-c", script, json.dumps(arguments)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == -9, child.stderr.decode()


@pytest.mark.sshd
@pytest.mark.parametrize("step", STEPS)
def test_sigkill_at_each_step_against_sshd(step: str, rig: Rig) -> None:
    originals = {
        name: write_file(rig.inbox / name, 3000, seed=i).read_bytes()
        for i, name in enumerate(NAMES)
    }
    landed = rig.scratch / "landed"

    run_until_killed(_CHILD, rig, step, landed)

    rig.picker().pick_up(landed)
    rows = rig.ledger.pickups("testbank")
    assert_each_file_processed_once(rig.inbox, landed, originals, rig.archive)
    assert [row.state for row in rows] == ["processed"] * 3
    assert all(row.outcome and row.outcome.startswith("moved to") for row in rows)


_DELIVERY_CHILD = textwrap.dedent(
    """
    import os, signal, sys, json
    from pathlib import Path
    from erengine_sftp import Archive, Courier, Ledger, parse_endpoint

    endpoint_data, step, ledger_path, archive_path, payment = json.loads(sys.argv[1])

    def die(at, remote_path):
        if at == step:
            os.kill(os.getpid(), signal.SIGKILL)

    def die_halfway(remote_path):
        def on_progress(done, total):
            if step == "mid-upload" and done >= total // 2:
                os.kill(os.getpid(), signal.SIGKILL)
        return on_progress

    with Ledger(Path(ledger_path)) as ledger:
        Courier(parse_endpoint(endpoint_data, source="child.yaml"), ledger=ledger,
                archive=Archive(Path(archive_path)), step_hook=die,
                progress=die_halfway).deliver([Path(payment)])
    """
)


@pytest.mark.sshd
@pytest.mark.parametrize("step", ["sending", "mid-upload", "published", "archived"])
def test_sigkill_during_delivery_never_sends_twice(step: str, rig: Rig) -> None:
    payment = write_file(rig.scratch / "pay.bin", 1 << 20)

    run_until_killed(_DELIVERY_CHILD, rig, step, payment)

    [receipt] = rig.courier().deliver([payment])
    [again] = rig.courier().deliver([payment])
    assert sorted(os.listdir(rig.outbox)) == ["pay.bin"]
    assert (rig.outbox / "pay.bin").read_bytes() == payment.read_bytes()
    published_before_the_crash = step in ("published", "archived")
    assert receipt.status == ("already_delivered" if published_before_the_crash else "delivered")
    assert again.status == "already_delivered"
    assert {entry["sha256"] for entry in rig.archive.entries()} == {receipt.sha256}
