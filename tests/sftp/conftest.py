"""Fixtures for the transport tests: real sshd instances, fault proxy, endpoints, ledgers.

Without ``/usr/sbin/sshd`` the sshd tests fail when ``CI`` is set (they must run there) and
are skipped with the reason otherwise.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from erengine_sftp import Archive, Courier, Ledger, Picker, SftpEndpoint, parse_endpoint
from erengine_sftp.endpoint import LocalEndpoint

from ..unavailable import unavailable
from .faultproxy import FaultProxy
from .sshd import SSHD, SshServer, prepare_keys


def _require_sshd() -> None:
    if SSHD.exists():
        return
    unavailable(
        f"{SSHD} is missing: install openssh-server (apt-get install -y openssh-server)",
        why_ci_needs_it="sshd tests must run in CI",
    )


@pytest.fixture(scope="session")
def sshd_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require_sshd()
    folder = tmp_path_factory.mktemp("sshd")
    prepare_keys(folder)
    (folder / "root").mkdir()
    return folder


def _server(folder: Path, flags: str = "", extra_config: str = "") -> Iterator[SshServer]:
    server = SshServer(
        folder=folder, root=folder / "root", sftp_flags=flags, extra_config=extra_config
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sshd(sshd_folder: Path) -> Iterator[SshServer]:
    """The ordinary server; other instances share its host key and root."""
    yield from _server(sshd_folder)


@pytest.fixture(scope="session")
def readonly_sshd(sshd_folder: Path) -> Iterator[SshServer]:
    yield from _server(sshd_folder, "-R")


@pytest.fixture(scope="session")
def norename_sshd(sshd_folder: Path) -> Iterator[SshServer]:
    yield from _server(sshd_folder, "-P rename,posix-rename")


@pytest.fixture(scope="session")
def ctr_only_sshd(sshd_folder: Path) -> Iterator[SshServer]:
    """A server that offers no AES-GCM, as older bank servers may."""
    yield from _server(sshd_folder, extra_config="Ciphers aes128-ctr,aes256-ctr\n")


@pytest.fixture
def remote_dir(sshd: SshServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh folder under the sftp root for one test, as a path relative to the root."""
    name = request.node.name.replace("[", "_").replace("]", "")[:80]
    folder = sshd.root / name
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "out").mkdir(parents=True)
    (folder / "in").mkdir()
    yield name
    shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Rig:
    """One test's corner of the real server: its folders, ledger and archive, and builders
    for endpoints (test timeouts, pinned key) and for couriers and pickers using them."""

    sshd: SshServer
    remote_dir: str
    ledger: Ledger
    archive: Archive
    scratch: Path

    @property
    def outbox(self) -> Path:
        return self.sshd.root / self.remote_dir / "out"

    @property
    def inbox(self) -> Path:
        return self.sshd.root / self.remote_dir / "in"

    def endpoint(self, server: SshServer | None = None, **overrides: Any) -> SftpEndpoint:
        """An endpoint for ``server`` (default: the ordinary one) aimed at this test's folders."""
        data = (server or self.sshd).endpoint_data(
            folders={"outbox": f"{self.remote_dir}/out", "inbox": f"{self.remote_dir}/in"}
        )
        data.update(overrides)
        endpoint = parse_endpoint(data, source="test.yaml")
        assert isinstance(endpoint, SftpEndpoint)
        return endpoint

    def courier(self, endpoint: SftpEndpoint | None = None, **options: Any) -> Courier:
        endpoint = endpoint or self.endpoint()
        return Courier(endpoint, ledger=self.ledger, archive=self.archive, **options)

    def picker(self, endpoint: SftpEndpoint | None = None, **options: Any) -> Picker:
        endpoint = endpoint or self.endpoint()
        return Picker(endpoint, ledger=self.ledger, archive=self.archive, **options)

    def deliver_once(self, payment: Path, **overrides: Any) -> None:
        """Deliver ``payment`` (the fault removed) and check that exactly it arrived."""
        [receipt] = self.courier(self.endpoint(**overrides)).deliver([payment])
        assert receipt.status == "delivered"
        assert (self.outbox / payment.name).read_bytes() == payment.read_bytes()


@pytest.fixture
def rig(sshd: SshServer, remote_dir: str, ledger: Ledger, archive: Archive, tmp_path: Path) -> Rig:
    return Rig(sshd, remote_dir, ledger, archive, tmp_path)


@pytest.fixture
def proxy(sshd: SshServer) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(sshd.port)
    yield fault_proxy
    fault_proxy.close()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "data" / "ledger.sqlite") as opened:
        yield opened


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path / "archive")


@pytest.fixture
def local_endpoint(tmp_path: Path) -> LocalEndpoint:
    drop = tmp_path / "drop"
    (drop / "out").mkdir(parents=True)
    (drop / "in").mkdir()
    endpoint = parse_endpoint(
        {
            "type": "local",
            "name": "dropfolder",
            "root": str(drop),
            "folders": {"outbox": "out", "inbox": "in"},
            "pickup": {"stable_seconds": 0, "min_age_seconds": 0},
        },
        source=str(tmp_path / "drop.yaml"),
    )
    assert isinstance(endpoint, LocalEndpoint)
    return endpoint


def with_settings(endpoint: LocalEndpoint, section: str, **settings: object) -> LocalEndpoint:
    """A copy of ``endpoint`` with some settings of one section (``delivery``, ``pickup``)
    changed."""
    changed = getattr(endpoint, section).model_copy(update=settings)
    return endpoint.model_copy(update={section: changed})


def write_file(path: Path, size: int, seed: int = 0) -> Path:
    """A file of ``size`` pseudo-random bytes (distinct per seed)."""
    block = bytes((index * 31 + seed * 17) % 251 for index in range(4096))
    prefix = f"seed={seed};".encode()
    data = (prefix + block * (size // len(block) + 1))[:size]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
