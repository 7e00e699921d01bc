"""Outbound jobs reading a SQL query (SQLite and a real PostgreSQL): rows through the sample
mapping or as flat model rows, typed values kept, each row's payment sent once."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from erengine.errors import ConfigError, ErrorGroup, TransportError, ValidationError, flatten
from erengine.io.flat import flat_layout
from erengine.jobs import JobDefinition, RunContext, RunLedger, load_job, run_outbound
from erengine.jobs.database import Database, DatabaseUrl, connect

from ..postgres import PASSWORD_ENV, PostgresServer, free_port
from .conftest import SAMPLES, Bank

# The sample export's columns (samples/erp-payables.csv), as an ERP's table would hold them.
COLUMNS = ("Pay Date", "Vendor", "Vendor No", "Bank Routing", "Account", "Acct Type", "Amount")
ROWS = [
    ("03/04/2024", "Harbor Freight Ltd", "V-2001", "121000248", "7001", "C", "4.200,00", "H-1"),
    ("03/04/2024", "Blue Ink Printing", "V-2002", "026009593", "7002", "S", "89,95", "H-2"),
    ("03/05/2024", "Northwind Cleaning", "V-2003", "011000015", "7003", "C", "1.000,10", "H-3"),
]
QUERY = (
    'SELECT "Pay Date", "Vendor", "Vendor No", "Bank Routing", "Account", "Acct Type", '
    '"Amount", "Invoice" FROM payables WHERE approved = 1 AND due <= :period ORDER BY id'
)


@dataclass
class ErpDatabase:
    url: str  # as the job file names it
    database: Database

    def add(self, row: tuple[str, ...], *, due: str = "2024-03-01", approved: int = 1) -> None:
        names = ", ".join(f'"{name}"' for name in (*COLUMNS, "Invoice"))
        self.database.execute(
            f"INSERT INTO payables ({names}, due, approved) VALUES ({', '.join('?' * 10)})",
            (*row, due, approved),
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def erp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ErpDatabase]:
    """The ERP's payables table with the three rows above, approved and due by 2024-03-01."""
    if request.param == "sqlite":
        text = "sqlite:///../erp.db"  # relative to the job file in tmp_path/jobs
        opened = connect(DatabaseUrl.parse(text, tmp_path / "jobs"), create=True)
        key = "id INTEGER PRIMARY KEY"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        text = server.create_database(f"erp_{free_port()}")
        opened = connect(DatabaseUrl.parse(text), password_env=PASSWORD_ENV)
        key = "id SERIAL PRIMARY KEY"
    with opened:
        columns = ", ".join(f'"{name}" TEXT' for name in (*COLUMNS, "Invoice"))
        opened.execute(f"CREATE TABLE payables ({key}, {columns}, due DATE, approved INTEGER)")
        erp = ErpDatabase(text, opened)
        for row in ROWS:
            erp.add(row)
        yield erp


def write_job(tmp_path: Path, source: str) -> Path:
    """A job over ``source`` (the lines under `source:`), delivering to the drop folder."""
    head = dedent(
        f"""\
        kind: job
        name: sql-payables
        version: 1.0.0
        direction: outbound
        catalog: [{SAMPLES / "catalog"}, catalog]
        source:
        """
    )
    tail = dedent(
        """\
        format: nacha@^1
        output:
          name: "acme-{batch}-{sequence:03d}.ach"
          folder: ../generated
        deliver: [endpoints/bank.yaml]
        """
    )
    path = tmp_path / "jobs" / "sql-payables.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"{head}{source}\n{tail}", encoding="utf-8")
    return path


def sql_source(
    url: str,
    query: str = QUERY,
    mapping: str | None = "acme-erp-payables@^1",
    record_key: str | None = "addenda",
) -> str:
    quoted = query.replace("'", "''")
    lines = [
        f"  sql: {{url: '{url}', password_env: {PASSWORD_ENV}, query: '{quoted}'}}",
        *([f"  mapping: {mapping}"] if mapping else []),
        "  records: batches.payments",
        *([f"  record_key: {record_key}"] if record_key else []),
    ]
    return "\n".join(lines)


def payments_of(job: JobDefinition, path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as stream:
        data, _ = job.engine.format("nacha@^1").read_document(stream)
    return [payment for batch in data["batches"] for payment in batch["payments"]]


def recorded_sources(context: RunContext) -> list[tuple[str, str]]:
    with sqlite3.connect(context.run_ledger_path) as ledger:
        return [
            (str(path), str(sha))
            for path, sha in ledger.execute("SELECT path, sha256 FROM run_sources")
        ]


def test_query_rows_go_through_the_sample_mapping_once(
    tmp_path: Path, erp: ErpDatabase, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    job = load_job(str(write_job(tmp_path, sql_source(erp.url))))
    first = run_outbound(job, context_for(), period="2024-03-04", batch="B1")
    again = run_outbound(job, context_for(), period="2024-03-04", batch="B2")

    assert first.status == "delivered"
    assert again.status == "nothing_to_send"
    assert again.note == "no new source rows"
    (delivered,) = bank.delivered()
    payments = payments_of(job, delivered)
    assert [(p["addenda"], p["amount"]) for p in payments] == [
        ("H-1", Decimal("4200.00")),
        ("H-2", Decimal("89.95")),
        ("H-3", Decimal("1000.10")),
    ]
    ((label, _sha256),) = recorded_sources(context_for())
    assert label == f"sql:{DatabaseUrl.parse(erp.url, tmp_path / 'jobs').label}"


def test_a_record_already_paid_is_left_out_of_the_next_batch(
    tmp_path: Path, erp: ErpDatabase, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    job = load_job(str(write_job(tmp_path, sql_source(erp.url))))
    run_outbound(job, context_for(), period="2024-03-04")
    erp.add(("03/06/2024", "Late Supplier", "V-2004", "121000248", "7004", "C", "7,00", "H-4"))
    erp.add((*ROWS[0][:-1], "H-5"), approved=0)  # not approved: not selected

    second = run_outbound(job, context_for(), period="2024-03-05")

    assert second.status == "delivered"
    assert second.file is not None
    assert [p["addenda"] for p in payments_of(job, second.file)] == ["H-4"]


def test_the_query_takes_the_run_period(
    tmp_path: Path, erp: ErpDatabase, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    job = load_job(str(write_job(tmp_path, sql_source(erp.url))))
    early = run_outbound(job, context_for(), period="2024-02-28")  # nothing due yet
    assert early.status == "nothing_to_send"
    assert bank.delivered() == []


TYPED_MAPPING = """\
kind: mapping
name: typed-payables
version: 1.0.0
model: payments@^1
source: {type: csv}
group_by: {batches: "{{ row.pay_date }}"}
fields:
  created_at: "{{ now() }}"
  origin.id: "1234567890"
  origin.name: ACME CORP
  destination.id: "021000021"
  destination.name: JPMORGAN CHASE
  batches.local_instrument: CCD
  batches.description: SUPPLIERS
  batches.requested_date: "{{ row.pay_date }}"
  batches.debtor.name: ACME CORP
  batches.debtor.id: "1234567890"
  batches.debtor_agent.routing_number: "021000021"
  batches.payments.amount: "{{ row.amount }}"
  batches.payments.currency: USD
  batches.payments.creditor.name: "{{ row.vendor }}"
  batches.payments.creditor_account.number: "{{ row.account }}"
  batches.payments.creditor_account.type: checking
  batches.payments.creditor_agent.routing_number: "121000248"
  batches.payments.addenda: "{{ row.invoice }}"
"""


@pytest.mark.postgres
def test_numeric_and_date_columns_keep_their_types_through_a_mapping(
    tmp_path: Path, postgres: PostgresServer, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    url = postgres.create_database(f"typed_{free_port()}")
    with connect(DatabaseUrl.parse(url), password_env=PASSWORD_ENV) as database:
        database.execute(
            "CREATE TABLE open_items (invoice TEXT, vendor TEXT, account TEXT, "
            "amount NUMERIC(14, 2), pay_date DATE)"
        )
        database.execute(
            "INSERT INTO open_items VALUES ('T-1', 'Exact Cents Inc', '9001', "
            "98765432.10, DATE '2024-03-04')"
        )
    (tmp_path / "jobs" / "catalog").mkdir()
    (tmp_path / "jobs" / "catalog" / "typed.yaml").write_text(TYPED_MAPPING, encoding="utf-8")
    query = "SELECT * FROM open_items WHERE pay_date <= :today"
    job = load_job(str(write_job(tmp_path, sql_source(url, query, "typed-payables@^1"))))

    result = run_outbound(job, context_for(), period="2024-03-04")

    assert result.file is not None
    (payment,) = payments_of(job, result.file)
    assert payment["amount"] == Decimal("98765432.10")


def test_flat_model_rows_need_no_mapping(
    tmp_path: Path, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    source = sql_source(
        "sqlite:///../flat.db", "SELECT * FROM payments", mapping=None, record_key=None
    )
    job = load_job(str(write_job(tmp_path, source)))
    compiled = job.engine.format("nacha@^1")
    expected = job.engine.load_input(compiled, SAMPLES / "payments.json")
    layout = flat_layout(compiled.model)
    with connect(DatabaseUrl.parse("sqlite:///flat.db", tmp_path), create=True) as database:
        names = ", ".join(f'"{header}"' for header in layout.headers)
        database.execute(f"CREATE TABLE payments ({names})")
        database.execute_many(
            f"INSERT INTO payments VALUES ({', '.join('?' * len(layout.headers))})",
            [[cell or None for cell in row] for row in layout.rows(expected)],
        )

    result = run_outbound(job, context_for(), period="2024-03-04")

    assert result.status == "delivered"
    assert result.file is not None
    assert [(p["amount"], p["creditor"]) for p in payments_of(job, result.file)] == [
        (p["amount"], p["creditor"]) for b in expected["batches"] for p in b["payments"]
    ]


def test_a_float_amount_is_refused_and_nothing_is_recorded(
    tmp_path: Path, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    with connect(DatabaseUrl.parse("sqlite:///typed.db", tmp_path), create=True) as database:
        database.execute(
            "CREATE TABLE open_items (invoice TEXT, vendor TEXT, account TEXT, "
            "amount REAL, pay_date TEXT)"
        )
        database.execute(
            "INSERT INTO open_items VALUES ('T-1', 'Float Co', '9001', 0.1, '2024-03-04')"
        )
    (tmp_path / "jobs" / "catalog").mkdir()
    (tmp_path / "jobs" / "catalog" / "typed.yaml").write_text(TYPED_MAPPING, encoding="utf-8")
    source = sql_source("sqlite:///../typed.db", "SELECT * FROM open_items", "typed-payables@^1")
    job = load_job(str(write_job(tmp_path, source)))

    with pytest.raises(ValidationError) as caught:
        run_outbound(job, context_for(), period="2024-03-04")

    assert caught.value.code == "VAL191"
    assert "'amount'" in caught.value.message
    assert "CAST(amount AS TEXT)" in (caught.value.hint or "")
    with RunLedger(context_for().run_ledger_path) as ledger:
        assert ledger.runs() == []


def test_a_database_that_is_down_fails_the_run_and_the_next_run_sends(
    tmp_path: Path, erp: ErpDatabase, bank: Bank, context_for: Callable[[], RunContext]
) -> None:
    down = (
        "sqlite:///../missing.db"  # not created for reading: as if its volume were gone
        if erp.url.startswith("sqlite")
        else f"postgresql://erengine@127.0.0.1:{free_port()}/erp"
    )
    job_file = write_job(tmp_path, sql_source(down))

    with pytest.raises(TransportError) as caught:
        run_outbound(load_job(str(job_file)), context_for(), period="2024-03-04")

    assert caught.value.code == "TRN301"
    with RunLedger(context_for().run_ledger_path) as ledger:
        assert ledger.runs() == []
    assert bank.delivered() == []
    job_file.write_text(job_file.read_text().replace(down, erp.url))
    assert run_outbound(load_job(str(job_file)), context_for(), period="2024-03-04").status == (
        "delivered"
    )


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ("due <= :period", "source.sql.query", "the query uses :perod"),
        ("sqlite:///../erp.db", "source.sql.url", "sqlite:///relative"),
    ],
)
def test_query_parameters_and_urls_are_checked_when_the_job_loads(
    tmp_path: Path, change: str, path: str, message: str
) -> None:
    source = sql_source("sqlite:///../erp.db")
    wrong = {"due <= :period": "due <= :perod", "sqlite:///../erp.db": "sqlite://h/erp.db"}
    job_file = write_job(tmp_path, source.replace(change, wrong[change]))

    with pytest.raises(ConfigError) as caught:
        load_job(str(job_file))

    assert caught.value.code == "CFG213"
    assert caught.value.config_path == path
    assert message in caught.value.message
    assert caught.value.span is not None
    assert caught.value.span.line == 7


def test_a_source_has_files_or_sql_not_both(tmp_path: Path) -> None:
    source = sql_source("sqlite:///../erp.db") + "\n  files: [x.csv]"
    with pytest.raises(ErrorGroup) as caught:
        load_job(str(write_job(tmp_path, source)))
    (error,) = flatten(caught.value)
    assert isinstance(error, ConfigError)
    assert "exactly one of `files` and `sql`" in error.message
    assert error.config_path == "source"
