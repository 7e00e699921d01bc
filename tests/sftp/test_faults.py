"""The fault matrix (SFTP-NOTES.md §3) against the real server.

Each fault ends in a clear ``SftpError``, leaves nothing partial under a final name, and once
the fault is gone a retry delivers exactly one file.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from erengine_sftp.errors import (
    ConnectFailedError,
    ConnectionLostError,
    OperationTimeoutError,
    RemoteFailureError,
    RemotePermissionError,
    SftpError,
    TargetExistsError,
    VerificationError,
)
from erengine_sftp.remote import Progress

from ..unavailable import unavailable
from .conftest import Rig, write_file
from .faultproxy import FaultProxy
from .sshd import SshServer, fingerprint_of, keygen

pytestmark = pytest.mark.sshd

MIB = 1 << 20
NO_RETRY = {"attempts": 1}
# paramiko's prefetch thread dies with the link it reads from; the download itself reports
# the fault to its caller, which is what these tests check.
PREFETCH_THREAD_DIES = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnhandledThreadExceptionWarning"
)


def names_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def kill_after(server: SshServer, threshold: int) -> Callable[[object], Progress]:
    """A progress factory that kills the server's sessions once ``threshold`` bytes moved."""
    fired: list[bool] = []

    def factory(_: object) -> Progress:
        def on_progress(done: int, total: int) -> None:
            if done >= threshold and not fired:
                fired.append(True)
                server.kill_sessions()

        return on_progress

    return factory


def counting(retries: list[int]) -> Callable[[SftpError, int, float], None]:
    return lambda error, attempt, delay: retries.append(attempt)


# --- A: the server dies -----------------------------------------------------------------


def test_server_killed_mid_upload_then_resumed(rig: Rig) -> None:
    payment = write_file(rig.scratch / "pay.bin", 4 * MIB)
    courier = rig.courier(rig.endpoint(retry=NO_RETRY), progress=kill_after(rig.sshd, MIB))

    with pytest.raises(ConnectionLostError) as caught:
        courier.deliver([payment])

    assert caught.value.code == "TRN121"
    assert names_in(rig.outbox) == [".pay.bin.part"]
    assert (rig.outbox / ".pay.bin.part").stat().st_size < 4 * MIB
    rig.deliver_once(payment)
    assert names_in(rig.outbox) == ["pay.bin"]
    assert len(rig.archive.entries()) == 1


def test_server_killed_mid_upload_recovers_within_one_run(rig: Rig) -> None:
    payment = write_file(rig.scratch / "pay.bin", 4 * MIB)
    retries: list[int] = []
    courier = rig.courier(progress=kill_after(rig.sshd, MIB), on_retry=counting(retries))

    [receipt] = courier.deliver([payment])

    assert retries == [2]
    assert receipt.status == "delivered"
    assert names_in(rig.outbox) == ["pay.bin"]
    assert (rig.outbox / "pay.bin").read_bytes() == payment.read_bytes()


@PREFETCH_THREAD_DIES
def test_server_killed_mid_download(rig: Rig) -> None:
    expected = write_file(rig.inbox / "stmt.sta", 8 * MIB).read_bytes()
    landed = rig.scratch / "landed"
    picker = rig.picker(rig.endpoint(retry=NO_RETRY), progress=kill_after(rig.sshd, MIB // 2))

    with pytest.raises(ConnectionLostError):
        picker.pick_up(landed)

    assert names_in(landed) == []
    assert rig.ledger.pickups("testbank") == []  # the claim was released
    report = rig.picker().pick_up(landed)
    assert [p.local_path.read_bytes() == expected for p in report.picked] == [True]
    assert names_in(landed) == ["stmt.sta"]
    assert names_in(rig.inbox / "done") == ["stmt.sta"]


# --- B: the link breaks -----------------------------------------------------------------


def test_connection_dropped_mid_upload(rig: Rig, proxy: FaultProxy) -> None:
    payment = write_file(rig.scratch / "pay.bin", MIB)
    proxy.arm("drop", after_bytes=300_000)

    with pytest.raises(ConnectionLostError):
        rig.courier(rig.endpoint(port=proxy.port, retry=NO_RETRY)).deliver([payment])

    assert "pay.bin" not in names_in(rig.outbox)
    rig.deliver_once(payment, port=proxy.port)
    assert names_in(rig.outbox) == ["pay.bin"]


@PREFETCH_THREAD_DIES
def test_connection_dropped_mid_download(rig: Rig, proxy: FaultProxy) -> None:
    expected = write_file(rig.inbox / "stmt.sta", 2 * MIB).read_bytes()
    landed = rig.scratch / "landed"
    proxy.arm("drop", after_bytes=500_000)

    with pytest.raises(ConnectionLostError):
        rig.picker(rig.endpoint(port=proxy.port, retry=NO_RETRY)).pick_up(landed)

    assert names_in(landed) == []
    report = rig.picker(rig.endpoint(port=proxy.port)).pick_up(landed)
    assert [p.local_path.read_bytes() == expected for p in report.picked] == [True]
    assert names_in(landed) == ["stmt.sta"]


def test_black_holed_upload_times_out(rig: Rig, proxy: FaultProxy) -> None:
    payment = write_file(rig.scratch / "pay.bin", MIB)
    proxy.arm("stall", after_bytes=100_000)
    endpoint = rig.endpoint(
        port=proxy.port, retry=NO_RETRY, timeouts={"connect": 3, "operation": 1, "deadline": 15}
    )
    started = time.monotonic()

    with pytest.raises(OperationTimeoutError) as caught:
        rig.courier(endpoint).deliver([payment])

    assert time.monotonic() - started < 6
    assert caught.value.retryable
    assert "pay.bin" not in names_in(rig.outbox)
    rig.deliver_once(payment, port=proxy.port)
    assert names_in(rig.outbox) == ["pay.bin"]


@PREFETCH_THREAD_DIES
def test_black_holed_download_is_cut_by_the_deadline(rig: Rig, proxy: FaultProxy) -> None:
    write_file(rig.inbox / "stmt.sta", 2 * MIB)
    proxy.arm("stall", after_bytes=400_000)
    # A long per-reply timeout: only the outer deadline can end this.
    endpoint = rig.endpoint(
        port=proxy.port, retry=NO_RETRY, timeouts={"connect": 3, "operation": 60, "deadline": 2}
    )
    started = time.monotonic()

    with pytest.raises(OperationTimeoutError) as caught:
        rig.picker(endpoint).pick_up(rig.scratch / "landed")

    assert time.monotonic() - started < 6
    assert "deadline" in caught.value.message
    report = rig.picker(rig.endpoint(port=proxy.port)).pick_up(rig.scratch / "landed")
    assert len(report.picked) == 1


def test_stall_before_the_banner_fails_to_connect(rig: Rig, proxy: FaultProxy) -> None:
    proxy.arm("stall", after_bytes=0)
    endpoint = rig.endpoint(port=proxy.port, retry=NO_RETRY, timeouts={"connect": 1})
    payment = write_file(rig.scratch / "pay.xml", 10)

    with pytest.raises(ConnectFailedError):
        rig.courier(endpoint).deliver([payment])

    assert names_in(rig.outbox) == []
    rig.deliver_once(payment, port=proxy.port)
    assert names_in(rig.outbox) == ["pay.xml"]


# --- C: the server refuses --------------------------------------------------------------


def test_read_only_server_refuses_delivery_without_retrying(
    rig: Rig, readonly_sshd: SshServer
) -> None:
    payment = write_file(rig.scratch / "pay.xml", 5000)
    retries: list[int] = []

    with pytest.raises(RemotePermissionError) as caught:
        rig.courier(rig.endpoint(readonly_sshd), on_retry=counting(retries)).deliver([payment])

    assert caught.value.code == "TRN130"
    assert retries == []
    assert names_in(rig.outbox) == []
    rig.deliver_once(payment)
    assert names_in(rig.outbox) == ["pay.xml"]


def test_read_only_inbox_is_picked_up_once_and_left(rig: Rig, readonly_sshd: SshServer) -> None:
    write_file(rig.inbox / "stmt.sta", 3000)
    picker = rig.picker(rig.endpoint(readonly_sshd))

    first = picker.pick_up(rig.scratch / "landed")
    second = picker.pick_up(rig.scratch / "landed")

    assert len(first.picked) == 1
    assert first.remote_outcomes[f"{rig.remote_dir}/in/stmt.sta"].startswith("left")
    assert second.picked == []
    assert names_in(rig.inbox) == ["stmt.sta"]


def test_rename_forbidden_fails_clearly_then_falls_back_when_configured(
    rig: Rig, norename_sshd: SshServer
) -> None:
    payment = write_file(rig.scratch / "pay.xml", 5000)

    with pytest.raises(RemotePermissionError) as caught:
        rig.courier(rig.endpoint(norename_sshd)).deliver([payment])

    assert caught.value.operation == "rename"
    assert "pay.xml" not in names_in(rig.outbox)
    fallback = {"on_rename_forbidden": "direct"}
    rig.deliver_once(payment, port=norename_sshd.port, delivery=fallback)
    assert names_in(rig.outbox) == ["pay.xml", "pay.xml.done"]


def test_rename_fallback_never_writes_over_another_file(rig: Rig, norename_sshd: SshServer) -> None:
    existing = rig.outbox / "pay.xml"
    existing.write_bytes(b"yesterday's batch")
    payment = write_file(rig.scratch / "pay.xml", 5000)
    endpoint = rig.endpoint(norename_sshd, delivery={"on_rename_forbidden": "direct"})

    with pytest.raises(TargetExistsError):
        rig.courier(endpoint).deliver([payment])

    assert existing.read_bytes() == b"yesterday's batch"
    assert names_in(rig.outbox) == ["pay.xml"]


@pytest.fixture
def tiny_outbox(rig: Rig) -> Iterator[Path]:
    """The test's outbox on a 1 MiB tmpfs (needs root and mount permission)."""
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(rig.outbox)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        unavailable(
            f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}",
            why_ci_needs_it="the disk-full test must run in CI (as root)",
        )
    yield rig.outbox
    if os.path.ismount(rig.outbox):
        subprocess.run(["umount", str(rig.outbox)], check=True)


def test_disk_full_is_caught_even_when_paramiko_swallows_it(rig: Rig, tiny_outbox: Path) -> None:
    filler = write_file(tiny_outbox / "filler", 900_000)
    # 300 kB is inside the window where paramiko drops the server's write errors at close.
    payment = write_file(rig.scratch / "pay.xml", 300_000)

    with pytest.raises(VerificationError) as caught:
        rig.courier(rig.endpoint(retry=NO_RETRY)).deliver([payment])

    assert caught.value.remote_path is not None
    assert names_in(tiny_outbox) == ["filler"]  # no final name, and the partial temp removed
    filler.unlink()
    rig.deliver_once(payment)
    assert names_in(tiny_outbox) == ["pay.xml"]


def test_disk_full_on_a_large_file(rig: Rig, tiny_outbox: Path) -> None:
    payment = write_file(rig.scratch / "pay.bin", 3 * MIB)

    with pytest.raises(SftpError) as caught:
        rig.courier().deliver([payment])

    assert isinstance(caught.value, RemoteFailureError | VerificationError)
    assert "pay.bin" not in names_in(tiny_outbox)
    subprocess.run(["umount", str(tiny_outbox)], check=True)  # the disk grows
    rig.deliver_once(payment)
    assert names_in(tiny_outbox) == ["pay.bin"]


# --- D: identities ------------------------------------------------------------------------


def test_changed_host_key_is_refused_with_its_fingerprint(rig: Rig) -> None:
    keygen(rig.scratch / "other")
    other = fingerprint_of(rig.scratch / "other.pub")
    payment = write_file(rig.scratch / "pay.xml", 100)

    with pytest.raises(SftpError) as caught:
        rig.courier(rig.endpoint(host_keys={"fingerprints": [other]})).deliver([payment])

    assert caught.value.code == "TRN111"
    assert rig.sshd.fingerprint in str(caught.value)
    assert other in str(caught.value)
    assert names_in(rig.outbox) == []
    # Rotation: the old and the new key pinned side by side.
    rig.deliver_once(payment, host_keys={"fingerprints": [other, rig.sshd.fingerprint]})


def test_unknown_host_is_refused_and_known_hosts_pins_work(rig: Rig) -> None:
    known_hosts = rig.scratch / "known_hosts"
    known_hosts.write_text("")
    pinned_by_file = {"known_hosts": str(known_hosts)}
    payment = write_file(rig.scratch / "pay.xml", 100)

    with pytest.raises(SftpError) as caught:
        rig.courier(rig.endpoint(host_keys=pinned_by_file)).deliver([payment])

    assert caught.value.code == "TRN110"
    assert caught.value.fingerprint == rig.sshd.fingerprint
    key_type, key = (rig.sshd.folder / "host_ed25519.pub").read_text().split()[:2]
    known_hosts.write_text(f"[127.0.0.1]:{rig.sshd.port} {key_type} {key}\n")
    rig.deliver_once(payment, host_keys=pinned_by_file)


def test_a_server_with_several_keys_is_asked_for_the_pinned_one(rig: Rig) -> None:
    rsa = rig.scratch / "host_rsa"
    keygen(rsa, "rsa")
    server = SshServer(folder=rig.sshd.folder, root=rig.sshd.root, extra_host_keys=(rsa,))
    server.start()
    try:
        known_hosts = rig.scratch / "known_hosts"
        key_type, key = rsa.with_suffix(".pub").read_text().split()[:2]
        known_hosts.write_text(f"[127.0.0.1]:{server.port} {key_type} {key}\n")

        rig.deliver_once(
            write_file(rig.scratch / "pay.xml", 100),
            port=server.port,
            host_keys={"known_hosts": str(known_hosts)},
        )
    finally:
        server.stop()


def test_unauthorised_client_key_is_refused_without_retrying(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    keygen(rig.scratch / "stranger")
    monkeypatch.setenv("BANK_PASSWORD", "hunter2-very-secret")
    endpoint = rig.endpoint(
        auth={"key_file": str(rig.scratch / "stranger"), "password_env": "BANK_PASSWORD"}
    )
    retries: list[int] = []
    payment = write_file(rig.scratch / "pay.xml", 100)

    with pytest.raises(SftpError) as caught:
        rig.courier(endpoint, on_retry=counting(retries)).deliver([payment])

    assert caught.value.code == "TRN112"
    assert retries == []
    assert "hunter2" not in str(caught.value) + repr(caught.value.to_dict())
    rig.deliver_once(payment)
