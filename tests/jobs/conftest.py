"""Fixtures for job tests: a drop-folder bank, job files over the samples, a run context.

Every job here uses a ``type: local`` endpoint (a folder with the same atomic publish, ledger
and archive as SFTP), so the runs are real end to end without a server.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from erengine.engine import Engine
from erengine.jobs import RunContext

REPOSITORY = Path(__file__).resolve().parents[2]
SAMPLES = REPOSITORY / "samples"
MT940_CASES = REPOSITORY / "tests" / "formats" / "swift" / "cases"


class Crash(BaseException):
    """A simulated crash: not an ``Exception``, so nothing on the way catches it as a
    refusal, as a killed process would not be caught."""


def run_killed_at(step: str, job: Path, data_dir: Path, call: str) -> None:
    """Run a job in a new process that SIGKILLs itself at ``step``: no cleanup of any kind,
    as when the machine loses power or the OOM killer strikes. ``call`` is the run function
    with its extra arguments, e.g. ``run_outbound(job, context, period="2024-03-01")``."""
    script = dedent(
        f"""\
        import os, signal
        from pathlib import Path
        from erengine.jobs import RunContext, load_job, run_inbound, run_outbound

        def kill_at(step):
            if step == {step!r}:
                os.kill(os.getpid(), signal.SIGKILL)

        context = RunContext(data_dir=Path({str(data_dir)!r}), step_hook=kill_at)
        job = load_job({str(job)!r})
        {call}
        """
    )
    killed = subprocess.run([sys.executable, "-c", script], check=False, timeout=120)
    assert killed.returncode == -signal.SIGKILL


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
def context_for(tmp_path: Path, events: Events) -> Callable[[], RunContext]:
    """A fresh context (as a new process would have) over the same data folder."""

    def make() -> RunContext:
        return RunContext(
            data_dir=tmp_path / "data", started_by="test", log=events.log, step_hook=events.hook
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
