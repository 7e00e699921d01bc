"""A real OpenSSH sshd on 127.0.0.1 for tests and the benchmark (recipe: SFTP-NOTES.md §2).

Several instances may share one host key and one sftp root, each with its own port and
``internal-sftp`` flags (``-R`` read-only, ``-P rename,posix-rename``), so a test can remove
a fault by switching the endpoint's port.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SSHD = Path("/usr/sbin/sshd")

_CONFIG = """\
ListenAddress 127.0.0.1
HostKey {folder}/host_ed25519
{extra_host_keys}PidFile {folder}/sshd-{port}.pid
AuthorizedKeysFile {folder}/authorized_keys
AllowUsers {user}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AllowTcpForwarding no
X11Forwarding no
PermitTTY no
LogLevel VERBOSE
Subsystem sftp internal-sftp -d {root} {sftp_flags}
{extra_config}"""


def keygen(path: Path, key_type: str = "ed25519") -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", key_type, "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fingerprint_of(public_key_file: Path) -> str:
    output = subprocess.run(
        ["ssh-keygen", "-lf", str(public_key_file), "-E", "sha256"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return output.split()[1]


@dataclass
class SshServer:
    """One sshd listener; ``folder`` holds keys and configs, ``root`` is the sftp start dir."""

    folder: Path
    root: Path
    sftp_flags: str = ""
    extra_host_keys: tuple[Path, ...] = ()
    extra_config: str = ""  # sshd_config lines, e.g. "Ciphers aes128-ctr"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.folder / "host_ed25519.pub")

    @property
    def client_key(self) -> Path:
        return self.folder / "client_ed25519"

    def start(self) -> None:
        if os.geteuid() == 0:
            # sshd's compiled-in privilege separation directory; only root needs it.
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        config = self.folder / f"sshd_config-{self.port}"
        config.write_text(
            _CONFIG.format(
                folder=self.folder,
                port=self.port,
                user=getpass.getuser(),
                root=self.root,
                sftp_flags=self.sftp_flags,
                extra_host_keys="".join(f"HostKey {key}\n" for key in self.extra_host_keys),
                extra_config=self.extra_config,
            )
        )
        log = open(self.folder / f"sshd-{self.port}.log", "ab")  # noqa: SIM115 (lives with sshd)
        self.process = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config), "-p", str(self.port)],
            stdout=log,
            stderr=log,
        )
        log.close()
        self._wait_for_banner()

    def stop(self) -> None:
        """Stop the listener and every session: sessions call setsid() and outlive it."""
        if self.process is None:
            return
        self.kill_sessions()
        self.process.terminate()
        self.process.wait(timeout=5)
        self.process = None

    def kill_sessions(self) -> None:
        """SIGKILL the per-connection sshd processes (the 'server died' fault)."""
        if self.process is None:
            return
        for pid in descendants(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def endpoint_data(self, **overrides: Any) -> dict[str, Any]:
        """An ``sftp`` endpoint document for this server, key-pinned, with test timeouts."""
        data: dict[str, Any] = {
            "type": "sftp",
            "name": "testbank",
            "host": "127.0.0.1",
            "port": self.port,
            "user": getpass.getuser(),
            "auth": {"key_file": str(self.client_key)},
            "host_keys": {"fingerprints": [self.fingerprint]},
            "timeouts": {"connect": 3, "operation": 2, "deadline": 15},
            "retry": {"attempts": 3, "initial_delay": 0.05, "max_delay": 0.2},
            "pickup": {"stable_seconds": 0, "min_age_seconds": 0},
        }
        data.update(overrides)
        return data

    def _wait_for_banner(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.folder / f"sshd-{self.port}.log").read_text(errors="replace")
                raise RuntimeError(f"sshd exited with {self.process.returncode}:\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    if probe.recv(64).startswith(b"SSH-2.0-"):
                        return
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"sshd did not answer on port {self.port}")


def prepare_keys(folder: Path) -> None:
    keygen(folder / "host_ed25519")
    keygen(folder / "client_ed25519")
    (folder / "authorized_keys").write_bytes((folder / "client_ed25519.pub").read_bytes())


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, found by walking ppid links in /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces; fields after its ')' are fixed.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found
