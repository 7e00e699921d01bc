"""Inbound jobs writing statements into SQL tables (SQLite and a real PostgreSQL): rows once per
statement, across a kill between the database commit and the run ledger's, and a database
that is down leaves the file on the server for the next run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from textwrap import dedent, indent
from typing import Any

import psycopg
import pytest

from erengine.errors import ConfigError, TransportError
from erengine.jobs import InboundResult, RunContext, load_job, run_inbound, sinks
from erengine.jobs.database import Database, DatabaseUrl, connect
from erengine.jobs.sinks import MARKERS_TABLE

from ..postgres import PASSWORD, PASSWORD_ENV, USER, PostgresServer, free_port
from .conftest import MT940_CASES, SAMPLES, Bank, Events, camt053_of, run_killed_at

MT940 = (SAMPLES / "jobs" / "bank-drop" / "stmt-0301.sta").read_bytes()
MT940_PAGES = (MT940_CASES / "read-page-join" / "input.sta").read_bytes()

COLUMNS = """\
iban: statements.account.iban
statement_id: statements.statement_id
message_id: message_id
amount: statements.entries.amount
currency: statements.entries.currency
credit_debit: statements.entries.credit_debit
booking_date: statements.entries.booking_date
reference: statements.entries.customer_reference
"""


@dataclass
class Sink:
    url: str  # as the job file names it
    database: Database

    def rows(self) -> list[dict[str, Any]]:
        return list(self.database.query("SELECT * FROM bank_entries ORDER BY amount"))

    def markers(self) -> list[dict[str, Any]]:
        return list(self.database.query("SELECT job, target, row_count FROM erengine_statements"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sink]:
    if request.param == "sqlite":
        text = "sqlite:///../ledger-db.sqlite"  # relative to the job file in tmp_path/jobs
        opened = connect(DatabaseUrl.parse(text, tmp_path / "jobs"), create=True)
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        text = server.create_database(f"books_{free_port()}")
        opened = connect(DatabaseUrl.parse(text), password_env=PASSWORD_ENV)
    with opened:
        yield Sink(text, opened)


def write_job(
    tmp_path: Path,
    url: str,
    *,
    format: str = "mt940@^1",
    include: str = "*.sta",
    create: bool = True,
) -> Path:
    path = tmp_path / "jobs" / "books.yaml"
    output = dedent(
        f"""\
        - {{type: json, folder: ../statements}}
        - type: sql
          url: '{url}'
          password_env: {PASSWORD_ENV}
          table: bank_entries
          rows: statements.entries
          create: {str(create).lower()}
          columns:
        """
    ) + indent(COLUMNS, "    ")
    path.write_text(
        dedent(
            f"""\
            kind: job
            name: books
            version: 1.0.0
            direction: inbound
            endpoint: endpoints/bank.yaml
            include: ["{include}"]
            format: {format}
            outputs:
            """
        )
        + indent(output, "  "),
        encoding="utf-8",
    )
    return path


def assert_written_by(result: InboundResult, tmp_path: Path, bank: Bank) -> None:
    """``stmt.sta`` was written by this run, published once, and acknowledged."""
    assert [written["remote_path"] for written in result.written] == ["inbox/stmt.sta"]
    assert len(json_outputs(tmp_path)) == 1
    assert (bank.inbox / "done" / "stmt.sta").exists()


def json_outputs(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "statements"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


@pytest.mark.parametrize(
    ("format", "name", "content_of"),
    [("mt940@^1", "stmt.sta", bytes), ("camt.053.001.02@^1", "stmt.xml", camt053_of)],
)
def test_each_entry_of_a_statement_becomes_a_row_once(
    format: str,
    name: str,
    content_of: Callable[[bytes], bytes],
    tmp_path: Path,
    sink: Sink,
    bank: Bank,
    context_for: Callable[[], RunContext],
) -> None:
    job_file = write_job(tmp_path, sink.url, format=format, include="stmt.*")
    content = content_of(MT940)
    (bank.inbox / name).write_bytes(content)

    first = run_inbound(load_job(str(job_file)), context_for())
    (bank.inbox / f"again-{name}").write_bytes(content)  # the bank drops it again
    second = run_inbound(load_job(str(job_file)), context_for())

    assert first.status == "finished"
    assert [written["outputs"][1] for written in first.written] == [
        f"sql:{DatabaseUrl.parse(sink.url, tmp_path / 'jobs').label}#bank_entries"
    ]
    assert second.written == []
    rows = sink.rows()
    assert [
        (str(row["amount"]), row["credit_debit"], str(row["booking_date"])) for row in rows
    ] == [
        ("1.00", "credit", "2024-01-04"),  # RD: the reversal of a debit
        ("5.00", "credit", "2024-01-03"),
    ]
    assert {row["iban"] for row in rows} == {"NL91ABNA0417164300"}
    assert sink.markers() == [{"job": "books", "target": "bank_entries", "row_count": 2}]
    assert len(json_outputs(tmp_path)) == 1
    assert (bank.inbox / "done" / name).exists()


def test_a_run_writes_all_its_statements_through_one_connection_and_closes_it(
    tmp_path: Path,
    sink: Sink,
    bank: Bank,
    context_for: Callable[[], RunContext],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[Database] = []

    def counting_connect(*args: Any, **kwargs: Any) -> Database:
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sinks, "connect", counting_connect)
    job_file = write_job(tmp_path, sink.url)
    for day in range(3):  # three different statements: three markers, three transactions
        (bank.inbox / f"stmt-{day}.sta").write_bytes(MT940.replace(b":20:", f":20:D{day}".encode()))

    result = run_inbound(load_job(str(job_file)), context_for())

    assert len(result.written) == 3
    assert len(sink.markers()) == 3
    assert len(opened) == 1
    with pytest.raises(TransportError):  # closed when the run ended
        opened[0].execute("SELECT 1")


@pytest.mark.postgres
def test_postgres_columns_get_the_models_types(
    tmp_path: Path, postgres: PostgresServer, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    url = postgres.create_database(f"typed_{free_port()}")
    (bank.inbox / "stmt.sta").write_bytes(MT940)

    run_inbound(load_job(str(write_job(tmp_path, url))), context_for())

    with connect(DatabaseUrl.parse(url), password_env=PASSWORD_ENV) as database:
        rows = list(database.query("SELECT amount, booking_date FROM bank_entries ORDER BY 1"))
    assert rows == [
        {"amount": Decimal("1.00"), "booking_date": dt.date(2024, 1, 4)},
        {"amount": Decimal("5.00"), "booking_date": dt.date(2024, 1, 3)},
    ]


@pytest.mark.postgres
def test_a_table_the_dba_keeps_needs_only_insert_and_select(
    tmp_path: Path, postgres: PostgresServer, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    name, clerk = f"kept_{free_port()}", f"clerk_{free_port()}"
    url = postgres.create_database(name)
    with psycopg.connect(postgres.admin_url(name), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {clerk} LOGIN PASSWORD '{PASSWORD}'")
        admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        columns = ", ".join(f"{line.split(':')[0]} TEXT" for line in COLUMNS.splitlines())
        admin.execute(f"CREATE TABLE bank_entries ({columns})")
        admin.execute(MARKERS_TABLE)
        admin.execute(f"GRANT SELECT, INSERT ON bank_entries, erengine_statements TO {clerk}")
    clerk_url = url.replace(f"//{USER}@", f"//{clerk}@")
    (bank.inbox / "stmt.sta").write_bytes(MT940)

    result = run_inbound(load_job(str(write_job(tmp_path, clerk_url, create=True))), context_for())

    assert_written_by(result, tmp_path, bank)
    with connect(DatabaseUrl.parse(url), password_env=PASSWORD_ENV) as database:
        assert len(list(database.query("SELECT * FROM bank_entries"))) == 2


def test_a_statement_killed_after_the_database_commit_is_not_inserted_twice(
    tmp_path: Path, sink: Sink, bank: Bank, context_for: Callable[[], RunContext], events: Events
) -> None:
    job_file = write_job(tmp_path, sink.url)
    (bank.inbox / "stmt.sta").write_bytes(MT940_PAGES)
    # "outputs written": rows and marker committed, files published, run ledger not yet.
    run_killed_at("outputs written", job_file, context_for(), "run_inbound(job, context)")
    committed = sink.rows()
    assert committed

    resumed = run_inbound(load_job(str(job_file)), context_for())

    assert [event["event"] for event in events.logged if "sql" in event["event"]] == [
        "sql_already_written"
    ]
    assert_written_by(resumed, tmp_path, bank)
    assert sink.rows() == committed
    assert len(sink.markers()) == 1


def test_a_database_that_is_down_leaves_the_statement_for_the_next_run(
    tmp_path: Path, sink: Sink, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    if sink.url.startswith("sqlite"):
        (tmp_path / "unreachable").mkdir()
        down = "sqlite:///../unreachable"  # a folder where the file should be: cannot open
    else:
        down = f"postgresql://erengine@127.0.0.1:{free_port()}/books"
    job_file = write_job(tmp_path, down)
    (bank.inbox / "stmt.sta").write_bytes(MT940)

    with pytest.raises(TransportError) as caught:
        run_inbound(load_job(str(job_file)), context_for())

    assert caught.value.code in ("TRN301", "TRN303")
    assert (bank.inbox / "stmt.sta").exists()
    assert not (bank.inbox / "error").exists() or not any((bank.inbox / "error").iterdir())
    assert json_outputs(tmp_path) == []
    job_file.write_text(job_file.read_text().replace(down, sink.url))

    resumed = run_inbound(load_job(str(job_file)), context_for())

    assert_written_by(resumed, tmp_path, bank)
    assert len(sink.rows()) == 2


def test_a_table_the_database_refuses_refuses_the_statement_whole(
    tmp_path: Path, sink: Sink, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    job_file = write_job(tmp_path, sink.url, create=False)  # and no table there
    (bank.inbox / "stmt.sta").write_bytes(MT940)

    result = run_inbound(load_job(str(job_file)), context_for())

    assert result.status == "finished_with_refusals"
    assert "TRN310" in result.rejected[0]["reason"]
    assert (bank.inbox / "error" / "stmt.sta").exists()
    assert json_outputs(tmp_path) == []  # its temporary file was discarded


@pytest.mark.parametrize(
    ("column", "complaint"),
    [
        ("statements.balances.amount", "not inside the rows"),
        ("statements.account", "not a single value"),
        ("statements.entries.amont", "not in model statement"),
    ],
)
def test_columns_are_checked_against_the_model_before_anything_is_picked_up(
    column: str,
    complaint: str,
    tmp_path: Path,
    bank: Bank,
    context_for: Callable[[], RunContext],
) -> None:
    job_file = write_job(tmp_path, "sqlite:///../books.sqlite")
    job_file.write_text(job_file.read_text().replace("statements.entries.currency", column))
    (bank.inbox / "stmt.sta").write_bytes(MT940)

    with pytest.raises(ConfigError) as caught:
        run_inbound(load_job(str(job_file)), context_for())

    assert complaint in caught.value.message
    assert caught.value.config_path == "outputs.1.columns.currency"
    assert caught.value.span is not None
    assert (bank.inbox / "stmt.sta").exists()
