"""The picker dies at every step of a pickup; the next run finishes the job, once per file.

In-process: a step hook raises ``SimulatedCrash`` (a ``BaseException``, so no clean-up code
runs), the ledger is reopened as by a new process. Out of process: a child picker SIGKILLs
itself at the step, against the real sshd.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from erengine_sftp import Archive, Ledger, PickedFile, Picker, SftpEndpoint, deliver, pickup
from erengine_sftp.durable import file_sha256
from erengine_sftp.endpoint import LocalEndpoint
from erengine_sftp.errors import TargetExistsError

from .conftest import Rig, write_file

STEPS = [
    "claimed",
    "fetched",
    "archived",
    "landed",  # after the group's barrier
    "recorded",  # the group's barrier passed, nothing handed over or moved yet
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


def run_until_killed(
    script: str, rig: Rig, step: str, target: Path, endpoint: SftpEndpoint | None = None
) -> None:
    """Run ``script`` in a child process that SIGKILLs itself at ``step``."""
    arguments = [
        (endpoint or rig.endpoint()).model_dump(mode="json"),
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


@pytest.mark.sshd
@pytest.mark.parametrize("step", STEPS[:6])  # up to the first remote delete
def test_sigkill_never_deletes_a_file_before_it_is_archived(step: str, rig: Rig) -> None:
    endpoint = rig.endpoint(pickup={"stable_seconds": 0, "min_age_seconds": 0, "after": "delete"})
    originals = {
        name: write_file(rig.inbox / name, 3000, seed=i).read_bytes()
        for i, name in enumerate(NAMES)
    }
    landed = rig.scratch / "landed"

    run_until_killed(_CHILD, rig, step, landed, endpoint)

    archived = {
        str(entry["sha256"]): Path(str(entry["archived_path"]))
        for entry in rig.archive.entries()
        if entry["event"] == "archived"
    }
    for name, content in originals.items():
        if not (rig.inbox / name).exists():
            copy = archived[hashlib.sha256(content).hexdigest()]
            assert copy.read_bytes() == content
    rig.picker(endpoint).pick_up(landed)
    assert os.listdir(rig.inbox) == []
    assert {name: (landed / name).read_bytes() for name in NAMES} == originals
    assert len({str(entry["archived_path"]) for entry in rig.archive.entries()}) == len(NAMES)


@pytest.mark.sshd
def test_many_files_are_picked_up_in_groups_each_landed_before_any_is_moved(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pickup, "GROUP_FILES", 4)
    names = [f"p{i:02d}.sta" for i in range(10)]
    for i, name in enumerate(names):
        write_file(rig.inbox / name, 2000, seed=i)
    # The same bytes again under another name, in the same group as the first: a duplicate.
    (rig.inbox / "p01z.sta").write_bytes((rig.inbox / "p01.sta").read_bytes())
    for path in rig.inbox.iterdir():
        os.utime(path, (1_700_000_000, 1_700_000_000))  # listed in name order
    steps: list[str] = []
    handed: list[str] = []

    report = rig.picker(step_hook=lambda at, _: steps.append(at)).pick_up(
        rig.scratch / "landed", lambda picked: handed.append(picked.local_path.name)
    )

    assert handed == names  # each once, in order
    assert [d.remote_path for d in report.duplicates] == [f"{rig.remote_dir}/in/p01z.sta"]
    assert sorted(os.listdir(rig.inbox / "done")) == sorted([*names, "p01z.sta"])
    assert sorted(os.listdir(rig.scratch / "landed")) == names
    # Per group: everything archived, then recorded (the barrier), then handed over and moved.
    phases = [at for at in steps if at in ("archived", "recorded", "closed")]
    runs = [at for index, at in enumerate(phases) if index == 0 or phases[index - 1] != at]
    assert runs == ["archived", "recorded", "closed"] * 3


_DELIVERY_CHILD = textwrap.dedent(
    """
    import os, signal, sys, json
    from pathlib import Path
    from erengine_sftp import Archive, Courier, Ledger, parse_endpoint

    endpoint_data, step, ledger_path, archive_path, payments = json.loads(sys.argv[1])

    def die(at, remote_path):
        if at == step and remote_path.endswith("/b.xml"):
            os.kill(os.getpid(), signal.SIGKILL)

    def die_halfway(remote_path):
        def on_progress(done, total):
            if step == "mid-upload" and remote_path.endswith("/b.xml") and done >= total // 2:
                os.kill(os.getpid(), signal.SIGKILL)
        return on_progress

    with Ledger(Path(ledger_path)) as ledger:
        Courier(parse_endpoint(endpoint_data, source="child.yaml"), ledger=ledger,
                archive=Archive(Path(archive_path)), step_hook=die,
                progress=die_halfway).deliver([Path(p) for p in payments.split(",")])
    """
)
PAYMENTS = ["a.xml", "b.xml", "c.xml"]
# In order, for b.xml of one group of three: before the barrier (a staged, b on its way),
# then after it (a published or not, b about to be or just published).
DELIVERY_STEPS = ["sending", "mid-upload", "staged", "archived", "publishing", "published"]


@pytest.mark.sshd
@pytest.mark.parametrize("bank_takes", [True, False], ids=["bank-takes", "bank-waits"])
@pytest.mark.parametrize("step", DELIVERY_STEPS)
def test_sigkill_during_a_group_delivery_never_sends_twice(
    step: str, bank_takes: bool, rig: Rig
) -> None:
    payments = [write_file(rig.scratch / name, 1 << 20, seed=i) for i, name in enumerate(PAYMENTS)]
    target = Path(",".join(str(path) for path in payments))

    run_until_killed(_DELIVERY_CHILD, rig, step, target)

    # No half file under a final name; then the bank takes whatever was published (so the
    # server can no longer tell the next run what was sent: only the ledger can), or not.
    published = sorted(name for name in os.listdir(rig.outbox) if not name.startswith("."))
    for name in published:
        assert (rig.outbox / name).read_bytes() == (rig.scratch / name).read_bytes()
    expected = {
        "sending": [],
        "mid-upload": [],
        "staged": [],
        "archived": [],
        "publishing": ["a.xml"],
        "published": ["a.xml", "b.xml"],
    }[step]
    assert published == expected
    taken = rig.scratch / "bank"
    taken.mkdir()
    for name in published if bank_takes else []:
        (rig.outbox / name).rename(taken / name)

    receipts = rig.courier().deliver(payments)
    again = rig.courier().deliver(payments)

    sent_now = sorted(os.listdir(rig.outbox))  # no temp files left either
    assert sorted(os.listdir(taken) + sent_now) == PAYMENTS  # each exactly once
    for name in sent_now:
        assert (rig.outbox / name).read_bytes() == (rig.scratch / name).read_bytes()
    # Past the barrier, the whole group was committed to: the next run publishes (settles)
    # what the crash left before looking at the files it is given.
    committed = step in ("publishing", "published")
    assert [r.status for r in receipts] == ["already_delivered" if committed else "delivered"] * 3
    assert [r.status for r in again] == ["already_delivered"] * 3
    # Every file sent is archived, the copy holding its bytes.
    copies = {
        str(entry["sha256"]): Path(str(entry["archived_path"]))
        for entry in rig.archive.entries()
        if entry["event"] == "archived"
    }
    assert sorted(path.name.split("-", 1)[1] for path in copies.values()) == PAYMENTS
    for sha256, copy in copies.items():
        assert file_sha256(copy)[1] == sha256
    assert {row.state for row in rig.ledger.pickups("testbank")} == set()


@pytest.mark.sshd
def test_a_refused_rename_in_a_group_loses_and_doubles_nothing(rig: Rig) -> None:
    payments = [write_file(rig.scratch / name, 5000, seed=i) for i, name in enumerate(PAYMENTS)]
    write_file(rig.outbox / "b.xml", 300, seed=9)  # another file already has b's name

    with pytest.raises(TargetExistsError):
        rig.courier().deliver(payments)

    assert sorted(os.listdir(rig.outbox)) == PAYMENTS  # a and c published, no temp left
    assert (rig.outbox / "a.xml").read_bytes() == payments[0].read_bytes()
    assert (rig.outbox / "b.xml").stat().st_size == 300
    assert (rig.outbox / "c.xml").read_bytes() == payments[2].read_bytes()
    events = [(entry["event"], entry["remote_path"]) for entry in rig.archive.entries()]
    assert sorted(events) == [("archived", f"{rig.remote_dir}/out/{name}") for name in PAYMENTS] + [
        ("not_delivered", f"{rig.remote_dir}/out/b.xml")
    ]

    (rig.outbox / "b.xml").unlink()  # the operator clears the name
    receipts = rig.courier().deliver(payments)
    assert [r.status for r in receipts] == ["already_delivered", "delivered", "already_delivered"]
    assert (rig.outbox / "b.xml").read_bytes() == payments[1].read_bytes()


@pytest.mark.sshd
def test_many_files_go_in_groups_each_staged_before_any_is_published(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deliver, "GROUP_FILES", 4)
    payments = [write_file(rig.scratch / f"p{i:02d}.xml", 3000, seed=i) for i in range(10)]
    steps: list[tuple[str, str]] = []

    receipts = rig.courier(step_hook=lambda at, path: steps.append((at, path))).deliver(payments)

    assert [r.status for r in receipts] == ["delivered"] * 10
    assert sorted(os.listdir(rig.outbox)) == [path.name for path in payments]
    phases = [at for at, _ in steps if at in ("archived", "published")]
    groups = [["archived"] * 4 + ["published"] * 4] * 2 + [["archived"] * 2 + ["published"] * 2]
    assert phases == [at for group in groups for at in group]
