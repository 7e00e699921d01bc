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
from erengine_sftp import Archive, Courier, Ledger, Picker
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

from .conftest import EndpointFactory, write_file
from .faultproxy import FaultProxy
from .sshd import SshServer, fingerprint_of, keygen

pytestmark = pytest.mark.sshd

MIB = 1 << 20
NO_RETRY = {"attempts": 1}


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


def deliver_again(
    make_endpoint: EndpointFactory, payment: Path, ledger: Ledger, archive: Archive, **kw: object
) -> None:
    [receipt] = Courier(make_endpoint(**kw), ledger=ledger, archive=archive).deliver([payment])
    assert receipt.status == "delivered"


# --- A: the server dies -----------------------------------------------------------------


def test_server_killed_mid_upload_then_resumed(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    payment = write_file(tmp_path / "pay.bin", 4 * MIB)
    outbox = sshd.root / remote_dir / "out"
    courier = Courier(
        make_endpoint(retry=NO_RETRY),
        ledger=ledger,
        archive=archive,
        progress=kill_after(sshd, MIB),
    )

    with pytest.raises(ConnectionLostError) as caught:
        courier.deliver([payment])

    assert caught.value.code == "TRN121"
    assert names_in(outbox) == [".pay.bin.part"]
    assert (outbox / ".pay.bin.part").stat().st_size < 4 * MIB
    deliver_again(make_endpoint, payment, ledger, archive)
    assert names_in(outbox) == ["pay.bin"]
    assert (outbox / "pay.bin").read_bytes() == payment.read_bytes()
    assert len(archive.entries()) == 1


def test_server_killed_mid_upload_recovers_within_one_run(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    payment = write_file(tmp_path / "pay.bin", 4 * MIB)
    retries: list[int] = []
    courier = Courier(
        make_endpoint(),
        ledger=ledger,
        archive=archive,
        progress=kill_after(sshd, MIB),
        on_retry=lambda error, attempt, delay: retries.append(attempt),
    )

    [receipt] = courier.deliver([payment])

    outbox = sshd.root / remote_dir / "out"
    assert retries == [2]
    assert receipt.status == "delivered"
    assert names_in(outbox) == ["pay.bin"]
    assert (outbox / "pay.bin").read_bytes() == payment.read_bytes()


def test_server_killed_mid_download(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    inbox = sshd.root / remote_dir / "in"
    statement = write_file(inbox / "stmt.sta", 8 * MIB)
    expected = statement.read_bytes()
    landed = tmp_path / "landed"
    picker = Picker(
        make_endpoint(retry=NO_RETRY),
        ledger=ledger,
        archive=archive,
        progress=kill_after(sshd, MIB // 2),
    )

    with pytest.raises(ConnectionLostError):
        picker.pick_up(landed)

    assert names_in(landed) == []
    assert ledger.pickups("testbank") == []  # the claim was released
    report = Picker(make_endpoint(), ledger=ledger, archive=archive).pick_up(landed)
    assert [p.local_path.read_bytes() == expected for p in report.picked] == [True]
    assert names_in(landed) == ["stmt.sta"]
    assert names_in(inbox / "done") == ["stmt.sta"]


# --- B: the link breaks -----------------------------------------------------------------


def test_connection_dropped_mid_upload(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    proxy: FaultProxy,
    ledger: Ledger,
    archive: Archive,
) -> None:
    payment = write_file(tmp_path / "pay.bin", MIB)
    proxy.arm("drop", after_bytes=300_000)

    with pytest.raises(ConnectionLostError):
        Courier(
            make_endpoint(port=proxy.port, retry=NO_RETRY), ledger=ledger, archive=archive
        ).deliver([payment])

    outbox = sshd.root / remote_dir / "out"
    assert "pay.bin" not in names_in(outbox)
    deliver_again(make_endpoint, payment, ledger, archive, port=proxy.port)
    assert names_in(outbox) == ["pay.bin"]
    assert (outbox / "pay.bin").read_bytes() == payment.read_bytes()


def test_connection_dropped_mid_download(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    proxy: FaultProxy,
    ledger: Ledger,
    archive: Archive,
) -> None:
    statement = write_file(sshd.root / remote_dir / "in" / "stmt.sta", 2 * MIB)
    expected = statement.read_bytes()
    landed = tmp_path / "landed"
    proxy.arm("drop", after_bytes=500_000)

    with pytest.raises(ConnectionLostError):
        Picker(
            make_endpoint(port=proxy.port, retry=NO_RETRY), ledger=ledger, archive=archive
        ).pick_up(landed)

    assert names_in(landed) == []
    report = Picker(make_endpoint(port=proxy.port), ledger=ledger, archive=archive).pick_up(landed)
    assert [p.local_path.read_bytes() == expected for p in report.picked] == [True]
    assert names_in(landed) == ["stmt.sta"]


def test_black_holed_upload_times_out(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    proxy: FaultProxy,
    ledger: Ledger,
    archive: Archive,
) -> None:
    payment = write_file(tmp_path / "pay.bin", MIB)
    proxy.arm("stall", after_bytes=100_000)
    endpoint = make_endpoint(
        port=proxy.port, retry=NO_RETRY, timeouts={"connect": 3, "operation": 1, "deadline": 15}
    )
    started = time.monotonic()

    with pytest.raises(OperationTimeoutError) as caught:
        Courier(endpoint, ledger=ledger, archive=archive).deliver([payment])

    assert time.monotonic() - started < 6
    assert caught.value.retryable
    outbox = sshd.root / remote_dir / "out"
    assert "pay.bin" not in names_in(outbox)
    deliver_again(make_endpoint, payment, ledger, archive, port=proxy.port)
    assert names_in(outbox) == ["pay.bin"]


def test_black_holed_download_is_cut_by_the_deadline(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    proxy: FaultProxy,
    ledger: Ledger,
    archive: Archive,
) -> None:
    write_file(sshd.root / remote_dir / "in" / "stmt.sta", 2 * MIB)
    proxy.arm("stall", after_bytes=400_000)
    # A long per-reply timeout: only the outer deadline can end this.
    endpoint = make_endpoint(
        port=proxy.port, retry=NO_RETRY, timeouts={"connect": 3, "operation": 60, "deadline": 2}
    )
    started = time.monotonic()

    with pytest.raises(OperationTimeoutError) as caught:
        Picker(endpoint, ledger=ledger, archive=archive).pick_up(tmp_path / "landed")

    assert time.monotonic() - started < 6
    assert "deadline" in caught.value.message
    report = Picker(make_endpoint(port=proxy.port), ledger=ledger, archive=archive).pick_up(
        tmp_path / "landed"
    )
    assert len(report.picked) == 1


def test_stall_before_the_banner_fails_to_connect(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    proxy: FaultProxy,
    ledger: Ledger,
    archive: Archive,
) -> None:
    proxy.arm("stall", after_bytes=0)
    endpoint = make_endpoint(port=proxy.port, retry=NO_RETRY, timeouts={"connect": 1})

    payment = write_file(tmp_path / "pay.xml", 10)

    with pytest.raises(ConnectFailedError):
        Courier(endpoint, ledger=ledger, archive=archive).deliver([payment])

    outbox = sshd.root / remote_dir / "out"
    assert names_in(outbox) == []
    deliver_again(make_endpoint, payment, ledger, archive, port=proxy.port)
    assert names_in(outbox) == ["pay.xml"]


# --- C: the server refuses --------------------------------------------------------------


def test_read_only_server_refuses_delivery_without_retrying(
    tmp_path: Path,
    sshd: SshServer,
    readonly_sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    payment = write_file(tmp_path / "pay.xml", 5000)
    retries: list[int] = []

    with pytest.raises(RemotePermissionError) as caught:
        Courier(
            make_endpoint(readonly_sshd),
            ledger=ledger,
            archive=archive,
            on_retry=lambda *args: retries.append(1),
        ).deliver([payment])

    assert caught.value.code == "TRN130"
    assert retries == []
    outbox = sshd.root / remote_dir / "out"
    assert names_in(outbox) == []
    deliver_again(make_endpoint, payment, ledger, archive)
    assert names_in(outbox) == ["pay.xml"]


def test_read_only_inbox_is_picked_up_once_and_left(
    tmp_path: Path,
    sshd: SshServer,
    readonly_sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    write_file(sshd.root / remote_dir / "in" / "stmt.sta", 3000)
    picker = Picker(make_endpoint(readonly_sshd), ledger=ledger, archive=archive)

    first = picker.pick_up(tmp_path / "landed")
    second = picker.pick_up(tmp_path / "landed")

    assert len(first.picked) == 1
    assert first.remote_outcomes[f"{remote_dir}/in/stmt.sta"].startswith("left")
    assert second.picked == []
    assert names_in(sshd.root / remote_dir / "in") == ["stmt.sta"]


def test_rename_forbidden_fails_clearly_then_falls_back_when_configured(
    tmp_path: Path,
    sshd: SshServer,
    norename_sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    payment = write_file(tmp_path / "pay.xml", 5000)
    outbox = sshd.root / remote_dir / "out"

    with pytest.raises(RemotePermissionError) as caught:
        Courier(make_endpoint(norename_sshd), ledger=ledger, archive=archive).deliver([payment])

    assert caught.value.operation == "rename"
    assert "pay.xml" not in names_in(outbox)
    fallback = {"on_rename_forbidden": "direct"}
    deliver_again(make_endpoint, payment, ledger, archive, server=norename_sshd, delivery=fallback)
    assert names_in(outbox) == ["pay.xml", "pay.xml.done"]
    assert (outbox / "pay.xml").read_bytes() == payment.read_bytes()


def test_rename_fallback_never_writes_over_another_file(
    tmp_path: Path,
    sshd: SshServer,
    norename_sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    existing = sshd.root / remote_dir / "out" / "pay.xml"
    existing.write_bytes(b"yesterday's batch")
    payment = write_file(tmp_path / "pay.xml", 5000)
    endpoint = make_endpoint(norename_sshd, delivery={"on_rename_forbidden": "direct"})

    with pytest.raises(TargetExistsError):
        Courier(endpoint, ledger=ledger, archive=archive).deliver([payment])

    assert existing.read_bytes() == b"yesterday's batch"
    assert names_in(existing.parent) == ["pay.xml"]


@pytest.fixture
def tiny_outbox(sshd: SshServer, remote_dir: str) -> Iterator[Path]:
    """The test's outbox on a 1 MiB tmpfs (needs root and mount permission)."""
    outbox = sshd.root / remote_dir / "out"
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(outbox)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; the disk-full test must run in CI (as root)")
        pytest.skip(reason)
    yield outbox
    if os.path.ismount(outbox):
        subprocess.run(["umount", str(outbox)], check=True)


def test_disk_full_is_caught_even_when_paramiko_swallows_it(
    tmp_path: Path,
    tiny_outbox: Path,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    filler = write_file(tiny_outbox / "filler", 900_000)
    # 300 kB is inside the window where paramiko drops the server's write errors at close.
    payment = write_file(tmp_path / "pay.xml", 300_000)

    with pytest.raises(VerificationError) as caught:
        Courier(make_endpoint(retry=NO_RETRY), ledger=ledger, archive=archive).deliver([payment])

    assert caught.value.remote_path is not None
    assert names_in(tiny_outbox) == ["filler"]  # no final name, and the partial temp removed
    filler.unlink()
    deliver_again(make_endpoint, payment, ledger, archive)
    assert names_in(tiny_outbox) == ["pay.xml"]
    assert (tiny_outbox / "pay.xml").read_bytes() == payment.read_bytes()


def test_disk_full_on_a_large_file(
    tmp_path: Path,
    tiny_outbox: Path,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    payment = write_file(tmp_path / "pay.bin", 3 * MIB)

    with pytest.raises(SftpError) as caught:
        Courier(make_endpoint(), ledger=ledger, archive=archive).deliver([payment])

    assert isinstance(caught.value, RemoteFailureError | VerificationError)
    assert "pay.bin" not in names_in(tiny_outbox)
    subprocess.run(["umount", str(tiny_outbox)], check=True)  # the disk grows
    deliver_again(make_endpoint, payment, ledger, archive)
    assert names_in(tiny_outbox) == ["pay.bin"]
    assert (tiny_outbox / "pay.bin").read_bytes() == payment.read_bytes()


# --- D: identities ------------------------------------------------------------------------


def test_changed_host_key_is_refused_with_its_fingerprint(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    keygen(tmp_path / "other")
    other = fingerprint_of(tmp_path / "other.pub")
    endpoint = make_endpoint(host_keys={"fingerprints": [other]})
    payment = write_file(tmp_path / "pay.xml", 100)

    with pytest.raises(SftpError) as caught:
        Courier(endpoint, ledger=ledger, archive=archive).deliver([payment])

    assert caught.value.code == "TRN111"
    assert sshd.fingerprint in str(caught.value)
    assert other in str(caught.value)
    assert names_in(sshd.root / remote_dir / "out") == []
    # Rotation: the old and the new key pinned side by side.
    deliver_again(
        make_endpoint,
        payment,
        ledger,
        archive,
        host_keys={"fingerprints": [other, sshd.fingerprint]},
    )


def test_unknown_host_is_refused_and_known_hosts_pins_work(
    tmp_path: Path,
    sshd: SshServer,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    payment = write_file(tmp_path / "pay.xml", 100)

    with pytest.raises(SftpError) as caught:
        Courier(
            make_endpoint(host_keys={"known_hosts": str(known_hosts)}),
            ledger=ledger,
            archive=archive,
        ).deliver([payment])

    assert caught.value.code == "TRN110"
    assert caught.value.fingerprint == sshd.fingerprint
    host_key = (sshd.folder / "host_ed25519.pub").read_text().split()
    known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {host_key[0]} {host_key[1]}\n")
    deliver_again(
        make_endpoint, payment, ledger, archive, host_keys={"known_hosts": str(known_hosts)}
    )


def test_unauthorised_client_key_is_refused_without_retrying(
    tmp_path: Path,
    sshd: SshServer,
    make_endpoint: EndpointFactory,
    ledger: Ledger,
    archive: Archive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keygen(tmp_path / "stranger")
    monkeypatch.setenv("BANK_PASSWORD", "hunter2-very-secret")
    endpoint = make_endpoint(
        auth={"key_file": str(tmp_path / "stranger"), "password_env": "BANK_PASSWORD"}
    )
    retries: list[int] = []
    payment = write_file(tmp_path / "pay.xml", 100)

    with pytest.raises(SftpError) as caught:
        Courier(
            endpoint, ledger=ledger, archive=archive, on_retry=lambda *args: retries.append(1)
        ).deliver([payment])

    assert caught.value.code == "TRN112"
    assert retries == []
    assert "hunter2" not in str(caught.value) + repr(caught.value.to_dict())
    deliver_again(make_endpoint, payment, ledger, archive)
