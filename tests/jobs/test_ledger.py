"""The run ledger's statements: which format read each one; a ledger from before that opens."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from erengine.errors import JobError
from erengine.jobs import RunLedger
from erengine.jobs.ledger import SCHEMA_VERSION, RunIdentity

IDENTITY = RunIdentity("statements", "1.0.0", "j" * 64, "mt940@1.0.0", "f" * 64, "test")


def test_a_statement_records_the_format_that_read_it(tmp_path: Path) -> None:
    with RunLedger(tmp_path / "runs.sqlite") as ledger:
        run = ledger.start_pickup(IDENTITY)
        ledger.record_statement(
            run.id,
            job="statements",
            sha256="s" * 64,
            endpoint="bank",
            remote_path="inbox/a.xml",
            outputs=["out/a.json"],
            format_label="camt.053.001.02@1.0.0",
            format_sha256="c" * 64,
        )
        (step,) = [step for step in ledger.steps(run.id) if step["step"] == "statement written"]

    assert step["format"] == "camt.053.001.02@1.0.0"
    assert step["format_sha256"] == "c" * 64
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        row = db.execute("SELECT format, format_sha256 FROM statements").fetchone()
    db.close()
    assert row == ("camt.053.001.02@1.0.0", "c" * 64)


def test_a_ledger_without_the_format_columns_gets_them_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as db:  # the statements table as the first release made it
        db.execute(
            "CREATE TABLE statements (job TEXT NOT NULL, sha256 TEXT NOT NULL, "
            "endpoint TEXT NOT NULL, remote_path TEXT NOT NULL, run_id INTEGER NOT NULL, "
            "outputs TEXT NOT NULL, at TEXT NOT NULL, UNIQUE (job, sha256))"
        )
        db.execute(
            "INSERT INTO statements VALUES ('statements', 'old', 'bank', 'inbox/old.sta', 1, "
            "'[\"out/old.json\"]', '2024-03-01T00:00:00+00:00')"
        )
    db.close()

    with RunLedger(path) as ledger:
        assert ledger.statement_outputs("statements", "old") == ["out/old.json"]
        run = ledger.start_pickup(IDENTITY)
        ledger.record_statement(
            run.id,
            job="statements",
            sha256="new",
            endpoint="bank",
            remote_path="inbox/new.sta",
            outputs=["out/new.json"],
            format_label="mt940@1.0.0",
            format_sha256="f" * 64,
        )
    with RunLedger(path):  # opening again adds nothing twice
        pass

    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT sha256, format FROM statements ORDER BY sha256").fetchall()
    db.close()
    assert rows == [("new", "mt940@1.0.0"), ("old", None)]


def test_the_schema_version_is_recorded_and_a_newer_ledger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    with RunLedger(path):
        pass
    with sqlite3.connect(path) as db:
        (version,) = db.execute("SELECT version FROM ledger_schema").fetchone()
        db.execute("UPDATE ledger_schema SET version = ?", (SCHEMA_VERSION + 1,))
    db.close()

    with pytest.raises(JobError) as refused:
        RunLedger(path)

    assert version == SCHEMA_VERSION
    assert refused.value.code == "JOB107"
    assert str(path) in refused.value.message
