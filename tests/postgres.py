"""A real PostgreSQL server for tests, started on a temporary folder and a free port.

``initdb`` and ``pg_ctl`` from the Debian package (``/usr/lib/postgresql/N/bin``) or PATH.
PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` user
the package creates. Connections over TCP need the password (scram-sha-256), so the tests
go the way production does: user in the URL, password from the environment.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

USER = "erengine"
PASSWORD = "test-only-secret"  # a throwaway cluster on 127.0.0.1
PASSWORD_ENV = "ERENGINE_TEST_PG_PASSWORD"


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, newest major version first; None if absent."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    folder: Path
    binaries: Path
    port: int = field(default_factory=free_port)

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def admin_url(self, database: str = "postgres") -> str:
        """With the password inline: for the tests' own set-up, never for a job."""
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        password_file = self.folder / "pwfile"
        password_file.write_text(PASSWORD + "\n")
        self._own(self.folder, password_file)
        self._as_server_user(
            [
                str(self.binaries / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                USER,
                f"--pwfile={password_file}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-instructions",
            ]
        )

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.folder} -c fsync=off "
            "-c max_connections=50"
        )
        self._as_server_user(
            [
                str(self.binaries / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.folder / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        self._wait_ready()

    def stop(self, mode: str = "fast") -> None:
        """``fast`` for a clean stop; ``immediate`` is the crash a database outage looks like."""
        self._as_server_user(
            [str(self.binaries / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"],
            check=False,
        )

    def create_database(self, name: str) -> str:
        """A fresh database ``name``; its URL (without password)."""
        with psycopg.connect(self.admin_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.admin_url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _own(self, *paths: Path) -> None:
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            for path in paths:
                os.chown(path, account.pw_uid, account.pw_gid)

    def _as_server_user(self, command: list[str], *, check: bool = True) -> None:
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if check and completed.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({completed.returncode}):\n"
                f"{completed.stdout}{completed.stderr}"
            )
