"""How sessions are set up: the cipher asked for, and the acknowledgements while setting up."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from typing import Any, cast

import pytest
from erengine_sftp import SftpSession
from erengine_sftp.connect import _QuickAckSocket

from ..unavailable import unavailable
from .conftest import Rig, write_file
from .sshd import SshServer

pytestmark = pytest.mark.sshd

MIB = 1 << 20


def test_sessions_ask_for_aes_gcm_first(rig: Rig) -> None:
    session = SftpSession(rig.endpoint())
    try:
        transport = cast(Any, session._transport)  # the stubs omit the negotiated names
        assert transport.remote_cipher == "aes128-gcm@openssh.com"
        assert transport.local_cipher == "aes128-gcm@openssh.com"
    finally:
        session.close()


def test_a_server_without_aes_gcm_gets_the_next_cipher(rig: Rig, ctr_only_sshd: SshServer) -> None:
    endpoint = rig.endpoint(ctr_only_sshd)
    session = SftpSession(endpoint)
    try:
        assert cast(Any, session._transport).remote_cipher == "aes128-ctr"
    finally:
        session.close()
    payment = write_file(rig.scratch / "pay.xml", 3 * MIB + 17)
    statement = write_file(rig.inbox / "stmt.sta", 5 * MIB + 3, seed=4)
    expected = statement.read_bytes()

    [receipt] = rig.courier(endpoint).deliver([payment])
    [picked] = rig.picker(endpoint).pick_up(rig.scratch / "landed").picked

    assert receipt.status == "delivered"
    assert (rig.outbox / "pay.xml").read_bytes() == payment.read_bytes()
    assert picked.local_path.read_bytes() == expected
    assert picked.sha256 == hashlib.sha256(expected).hexdigest()


def test_acks_are_quick_until_the_session_is_open_then_delayed_again(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not hasattr(socket, "TCP_QUICKACK"):
        unavailable(
            "TCP_QUICKACK is Linux-only; elsewhere sessions keep delayed ACKs",
            why_ci_needs_it="CI runs on Linux, where the quick ACKs must be tested",
        )
    quick_acks: list[str] = []
    setsockopt = _QuickAckSocket.setsockopt

    def counting(sock: socket.socket, level: int, option: int, value: int) -> None:
        if option == socket.TCP_QUICKACK:
            quick_acks.append("set")
        setsockopt(sock, level, option, value)

    monkeypatch.setattr(_QuickAckSocket, "setsockopt", counting)
    session = SftpSession(rig.endpoint())
    try:
        assert isinstance(session._transport.sock, _QuickAckSocket)
        during_set_up = len(quick_acks)
        assert during_set_up > 0
        assert session.list_folder(f"{rig.remote_dir}/in") == []
        assert session.stat(f"{rig.remote_dir}/in/missing") is None
        assert len(quick_acks) == during_set_up
    finally:
        session.close()


def test_a_large_pull_lands_and_archives_every_byte(rig: Rig) -> None:
    # Bigger than the hashing writer's blocks and its write-back steps, not a multiple of them.
    statement = write_file(rig.inbox / "big.sta", 21 * MIB + 5, seed=9)
    expected = statement.read_bytes()

    [picked] = rig.picker().pick_up(rig.scratch / "landed").picked

    assert picked.local_path.read_bytes() == expected
    assert Path(picked.archived_path).read_bytes() == expected
    assert picked.sha256 == hashlib.sha256(expected).hexdigest()
