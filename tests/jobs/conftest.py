"""Fixtures for job tests: a drop-folder bank, job files over the samples, a run context.

Every job here uses a ``type: local`` endpoint (a folder with the same atomic publish, ledger
and archive as SFTP), so the runs are real end to end without a server. The run ledger is
SQLite; a test marked ``@BOTH_LEDGERS`` runs again with a PostgreSQL ledger (a fresh
database on the session's server).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from erengine.engine import Engine
from erengine.jobs import RunContext
from erengine.jobs.database import DatabaseUrl

from ..postgres import PASSWORD_ENV, PostgresServer

REPOSITORY = Path(__file__).resolve().parents[2]
SAMPLES = REPOSITORY / "samples"
MT940_CASES = REPOSITORY / "tests" / "formats" / "swift" / "cases"


class Crash(BaseException):
    """A simulated crash: not an ``Exception``, so nothing on the way catches it as a
    refusal, as a killed process would not be caught."""


BOTH_LEDGERS = pytest.mark.parametrize(
    "ledger_backend",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
"""Run the test with a SQLite and with a PostgreSQL run ledger."""


def run_killed_at(step: str, job: Path, context: RunContext, call: str) -> None:
    """Run a job in a new process that SIGKILLs itself at ``step``: no cleanup of any kind,
    as when the machine loses power or the OOM killer strikes. The process uses the data
    folder and run ledger of ``context``. ``call`` is the run function with its extra
    arguments, e.g. ``run_outbound(job, context, period="2024-03-01")``."""
    at_step = "os.kill(os.getpid(), signal.SIGKILL)"
    script = _job_script(step, at_step, job, context, call)
    killed = subprocess.run([sys.executable, "-c", script], check=False, timeout=120)
    assert killed.returncode == -signal.SIGKILL


def start_paused_at(
    step: str, job: Path, context: RunContext, call: str, gate: Path
) -> subprocess.Popen[bytes]:
    """Start a job in a new process that stops at ``step`` (holding what a run holds there)
    until ``gate / "go"`` exists; returns once it is there (``gate / "paused"``)."""
    at_step = (
        f"Path({str(gate / 'paused')!r}).touch()\n"
        f"        while not Path({str(gate / 'go')!r}).exists(): time.sleep(0.05)"
    )
    script = _job_script(step, at_step, job, context, call)
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while not (gate / "paused").exists():
        assert process.poll() is None, f"the run ended with {process.returncode} before {step}"
        assert time.monotonic() < deadline, f"the run did not reach {step}"
        time.sleep(0.05)
    return process


def _job_script(step: str, at_step: str, job: Path, context: RunContext, call: str) -> str:
    """A Python script that runs ``call`` with the data folder and run ledger of ``context``
    and runs ``at_step`` (statements; a second line indented by 8) when it reaches ``step``."""
    return dedent(
        f"""\
        import os, signal, time
        from pathlib import Path
        from erengine.jobs import RunContext, load_job, run_inbound, run_outbound
        from erengine.jobs.database import DatabaseUrl

        def at(step):
            if step == {step!r}:
                {{at_step}}

        context = RunContext(
            data_dir=Path({str(context.data_dir)!r}),
            step_hook=at,
            ledger_url={context.ledger_url!r},
            ledger_password_env={context.ledger_password_env!r},
        )
        job = load_job({str(job)!r})
        {call}
        """
    ).replace("{at_step}", at_step)


def camt053_of(mt940: bytes) -> bytes:
    """The statement of an MT940 file as camt.053.001.02, written by erengine itself, with
    what camt carries and MT940 does not (message id, creation times; no interim balances)."""
    engine = Engine.from_folders()
    data, _ = engine.format("mt940@^1").read_document(io.BytesIO(mt940))
    created = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)
    data.update(message_id="CAMT-TEST-1", created_at=created)
    for statement in data["statements"]:
        statement["created_at"] = created
        kept = ("opening", "closing")
        statement["balances"] = [b for b in statement["balances"] if b["type"] in kept]
    written = io.BytesIO()
    engine.format("camt.053.001.02@^1").write(data, written)
    return written.getvalue()


@dataclass
class Bank:
    """A drop-folder bank: the endpoint file and its folders."""

    root: Path
    endpoint_file: Path

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    def delivered(self) -> list[Path]:
        return sorted(p for p in self.outbox.iterdir() if not p.name.startswith("."))


@dataclass
class Events:
    """The events a run logged, and a step hook that crashes once at a chosen step."""

    logged: list[dict[str, Any]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    crash_at: str | None = None

    def log(self, event: Mapping[str, Any]) -> None:
        self.logged.append(dict(event))

    def hook(self, step: str) -> None:
        self.steps.append(step)
        if step == self.crash_at:
            self.crash_at = None
            raise Crash(step)

    def named(self, event: str) -> list[dict[str, Any]]:
        return [item for item in self.logged if item["event"] == event]


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    root = tmp_path / "bank"
    (root / "outbox").mkdir(parents=True)
    (root / "inbox").mkdir()
    endpoint_file = tmp_path / "jobs" / "endpoints" / "bank.yaml"
    endpoint_file.parent.mkdir(parents=True)
    endpoint_file.write_text(
        dedent(
            f"""\
            type: local
            name: test-bank
            root: {root}
            folders: {{outbox: outbox, inbox: inbox}}
            pickup: {{stable_seconds: 0, min_age_seconds: 0}}
            """
        ),
        encoding="utf-8",
    )
    return Bank(root, endpoint_file)


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def ledger_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` unless the test is parametrized with ``BOTH_LEDGERS``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def ledger_url(request: pytest.FixtureRequest, ledger_backend: str) -> DatabaseUrl | None:
    """The run ledger of the test's contexts: None (runs.sqlite in the data folder), or a
    fresh PostgreSQL database named after the test."""
    if ledger_backend == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres")
    slug = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:40]
    digest = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:8]
    return DatabaseUrl.parse(server.create_database(f"ledger_{slug}_{digest}"))


@pytest.fixture
def context_for(
    tmp_path: Path, events: Events, ledger_url: DatabaseUrl | None
) -> Callable[[], RunContext]:
    """A fresh context (as a new process would have) over the same data folder and ledger."""

    def make() -> RunContext:
        return RunContext(
            data_dir=tmp_path / "data",
            started_by="test",
            log=events.log,
            step_hook=events.hook,
            ledger_url=ledger_url,
            ledger_password_env=PASSWORD_ENV if ledger_url else None,
        )

    return make


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    """A folder of ERP exports, starting with a copy of the sample one."""
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(SAMPLES / "erp-payables.csv", folder / "payables-1.csv")
    return folder


@pytest.fixture
def outbound_job(tmp_path: Path, bank: Bank, exports: Path) -> Path:
    path = tmp_path / "jobs" / "payables.yaml"
    path.write_text(
        dedent(
            f"""\
            kind: job
            name: test-payables
            version: 1.0.0
            direction: outbound
            catalog: [{SAMPLES / "catalog"}]
            source:
              files: ["{exports}/*.csv"]
              mapping: acme-erp-payables@^1
              records: batches.payments
            format: nacha@^1
            output:
              name: "acme-{{period}}-{{sequence:03d}}.ach"
              folder: ../generated
            deliver: [endpoints/bank.yaml]
            """
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def inbound_job(tmp_path: Path, bank: Bank) -> Path:
    path = tmp_path / "jobs" / "statements.yaml"
    path.write_text(
        dedent(
            """\
            kind: job
            name: test-statements
            version: 1.0.0
            direction: inbound
            endpoint: endpoints/bank.yaml
            include: ["*.sta"]
            format: mt940@^1
            outputs:
              - {type: json, folder: ../statements}
              - {type: avro, folder: ../statements-avro}
            """
        ),
        encoding="utf-8",
    )
    return path
