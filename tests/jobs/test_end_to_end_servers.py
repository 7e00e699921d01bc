"""Issue 6's end-to-end runs against real servers: PostgreSQL and OpenSSH's sshd.

- A payment job reads approved payables from a PostgreSQL table, writes an XSD-valid
  pain.001 and delivers it to the bank's SFTP server; its run ledger is on PostgreSQL too.
- A pickup job takes camt.053 and MT940 files from the server (format detected per file) and
  books their entries as rows of a PostgreSQL table.

Each is broken at every step: the process SIGKILLed, the SSH server killed, the database
down. Afterwards the bank holds exactly one payment file per batch, with the bytes the
ledger recorded, and every statement's entries are booked exactly once.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
import yaml
from lxml import etree

from erengine.engine import Engine
from erengine.errors import TransportError
from erengine.jobs import RunContext, load_job, run_inbound, run_outbound
from erengine.jobs.database import Database, DatabaseUrl, connect

from ..postgres import PASSWORD_ENV, PostgresServer, free_port
from ..sftp.conftest import sshd_folder  # noqa: F401  (fixture, reused)
from ..sftp.sshd import SshServer
from .conftest import SAMPLES, camt053_of, run_killed_at

pytestmark = [pytest.mark.sshd, pytest.mark.postgres]

PERIOD = "2024-03-04"
MT940 = (SAMPLES / "jobs" / "bank-drop" / "stmt-0301.sta").read_bytes()

# The ERP's table, typed as an ERP keeps it (NUMERIC money, DATE), and three approved rows.
PAYABLES = """
CREATE TABLE payables (
    id SERIAL PRIMARY KEY,
    invoice TEXT NOT NULL,
    supplier TEXT NOT NULL,
    iban TEXT NOT NULL,
    bic TEXT,
    amount NUMERIC(12, 2) NOT NULL,
    currency TEXT NOT NULL,
    due DATE NOT NULL,
    approved BOOLEAN NOT NULL
)
"""
ROWS = [
    ("INV-2024-117", "Müller & Söhne GmbH", "DE89370400440532013000", "COBADEFFXXX", "12500.00"),
    ("INV-2024-121", "Zoë Café SARL", "FR1420041010050500013M02606", "BNPAFRPP", "1234.56"),
    ("INV-2024-130", "Ørsted A/S", "DK5000400440116243", None, "980.00"),
]

MAPPING = """\
kind: mapping
name: erp-sql-payables
version: 1.0.0
description: The ERP's payables table (typed columns) onto the payments model
model: payments@^1
source: {type: csv}
group_by:
  batches: "{{ row.due }}"
fields:
  message_id: ERP-PAYABLES  # the job sets its own (output.message_id)
  created_at: "{{ now() }}"
  initiating_party.name: ACME GmbH
  batches.batch_id: "PMT-{{ row.due }}"
  batches.service_level: SEPA
  batches.requested_date: "{{ row.due }}"
  batches.debtor.name: ACME GmbH
  batches.debtor_account.iban: DE02120300000000202051
  batches.debtor_agent.bic: BYLADEM1001
  batches.charge_bearer: SLEV
  batches.payments.end_to_end_id: "{{ row.invoice }}"
  batches.payments.amount: "{{ row.amount }}"
  batches.payments.currency: "{{ row.currency }}"
  batches.payments.creditor.name: "{{ row.supplier }}"
  batches.payments.creditor_account.iban: "{{ row.iban }}"
  batches.payments.creditor_agent.bic: "{{ row.bic or '' }}"
  batches.payments.remittance.unstructured: "Invoice {{ row.invoice }}"
"""

COLUMNS = {
    "iban": "statements.account.iban",
    "statement_id": "statements.statement_id",
    "amount": "statements.entries.amount",
    "currency": "statements.entries.currency",
    "credit_debit": "statements.entries.credit_debit",
    "booking_date": "statements.entries.booking_date",
}


@dataclass
class World:
    """The bank's server, the company's databases and the two jobs pointing at them."""

    server: SshServer
    remote: Path  # the per-test folder on the server: out/ for payments, in/ for statements
    erp: Database
    books: Database
    payment_job: Path
    pickup_job: Path
    data_dir: Path
    ledger_url: DatabaseUrl
    on_step: Callable[[str], None] = lambda _step: None
    """What a test does when a run reaches a step (kill the server, stop the database)."""

    def context_for(self) -> RunContext:
        """A fresh context, as a new process would have, over the same state."""
        return RunContext(
            data_dir=self.data_dir,
            started_by=f"{getpass.getuser()} (test)",
            step_hook=lambda step: self.on_step(step),  # noqa: PLW0108 (read at each step)
            ledger_url=self.ledger_url,
            ledger_password_env=PASSWORD_ENV,
        )

    def at_step(self, step: str, action: Callable[[], object]) -> None:
        """Do ``action`` once, when a run reaches ``step``."""

        def hook(reached: str) -> None:
            if reached == step:
                self.on_step = lambda _step: None
                action()

        self.on_step = hook

    def reconnect(self) -> None:
        """New database connections: the old ones died with the server."""
        for database in (self.erp, self.books):
            database.close()
        self.erp = connect(self.erp.url, password_env=PASSWORD_ENV)
        self.books = connect(self.books.url, password_env=PASSWORD_ENV)

    def sent(self) -> list[Path]:
        return sorted(p for p in (self.remote / "out").iterdir() if not p.name.startswith("."))

    def drop(self, name: str, content: bytes) -> None:
        (self.remote / "in" / name).write_bytes(content)

    def booked(self) -> list[tuple[str, Decimal]]:
        rows = self.books.query("SELECT statement_id, amount FROM bank_entries")
        return sorted((str(row["statement_id"]), Decimal(row["amount"])) for row in rows)

    def pay(self, **options: Any) -> Any:
        return run_outbound(load_job(str(self.payment_job)), self.context_for(), **options)

    def pick_up(self) -> Any:
        return run_inbound(load_job(str(self.pickup_job)), self.context_for())


@pytest.fixture
def bank_server(sshd_folder: Path) -> Iterator[SshServer]:  # noqa: F811
    """A server of its own (the shared key and root): these tests stop and restart it."""
    server = SshServer(folder=sshd_folder, root=sshd_folder / "root")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def world(
    tmp_path: Path,
    bank_server: SshServer,
    postgres: PostgresServer,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    monkeypatch.setenv("ERENGINE_SCHEMA_PATH", str(corpus / "xsd"))  # the job checks its XSD
    tag = f"{free_port()}_{uuid.uuid4().hex[:6]}"
    remote_name = f"e2e-{tag}"
    remote = bank_server.root / remote_name
    (remote / "out").mkdir(parents=True)
    (remote / "in").mkdir()
    erp_url = postgres.create_database(f"erp_{tag}")
    books_url = postgres.create_database(f"books_{tag}")
    ledger_url = DatabaseUrl.parse(postgres.create_database(f"ledger_{tag}"))

    jobs = tmp_path / "jobs"
    (jobs / "catalog").mkdir(parents=True)
    (jobs / "catalog" / "erp-sql-payables.yaml").write_text(MAPPING, encoding="utf-8")
    endpoint = bank_server.endpoint_data(
        name="bank", folders={"outbox": f"{remote_name}/out", "inbox": f"{remote_name}/in"}
    )
    (jobs / "bank.yaml").write_text(yaml.safe_dump(endpoint), encoding="utf-8")
    payment_job = jobs / "payments.yaml"
    payment_job.write_text(_payment_job(erp_url), encoding="utf-8")
    pickup_job = jobs / "statements.yaml"
    pickup_job.write_text(_pickup_job(books_url), encoding="utf-8")

    world = World(
        bank_server,
        remote,
        connect(DatabaseUrl.parse(erp_url), password_env=PASSWORD_ENV),
        connect(DatabaseUrl.parse(books_url), password_env=PASSWORD_ENV),
        payment_job,
        pickup_job,
        tmp_path / "data",
        ledger_url,
    )
    world.erp.execute(PAYABLES)
    for invoice, supplier, iban, bic, amount in ROWS:
        world.erp.execute(
            "INSERT INTO payables (invoice, supplier, iban, bic, amount, currency, due, "
            "approved) VALUES (?, ?, ?, ?, ?, 'EUR', ?, true)",
            (invoice, supplier, iban, bic, Decimal(amount), dt.date(2024, 3, 4)),
        )
    yield world
    world.erp.close()
    world.books.close()


def _payment_job(erp_url: str) -> str:
    return dedent(
        f"""\
        kind: job
        name: e2e-payments
        version: 1.0.0
        direction: outbound
        catalog: [catalog]
        source:
          sql:
            url: {erp_url}
            password_env: {PASSWORD_ENV}
            query: >-
              SELECT invoice, supplier, iban, bic, amount, currency, due FROM payables
              WHERE approved AND due <= CAST(:period AS date) ORDER BY id
          mapping: erp-sql-payables@^1
          records: batches.payments
          record_key: end_to_end_id
        format: pain.001.001.03@^1
        output:
          name: "acme-{{period}}-{{sequence:03d}}.xml"
          message_id: "ACME-{{period}}-{{sequence}}"
          folder: ../generated
        deliver: [bank.yaml]
        """
    )


def _pickup_job(books_url: str) -> str:
    job = {
        "kind": "job",
        "name": "e2e-statements",
        "version": "1.0.0",
        "direction": "inbound",
        "endpoint": "bank.yaml",
        "detect": {"formats": ["camt.053.001.02@^1", "mt940@^1"]},
        "outputs": [
            {
                "type": "sql",
                "url": books_url,
                "password_env": PASSWORD_ENV,
                "table": "bank_entries",
                "rows": "statements.entries",
                "create": True,
                "columns": COLUMNS,
            }
        ],
    }
    return yaml.safe_dump(job, sort_keys=False)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_one_valid_pain001(world: World, corpus: Path) -> Path:
    (sent,) = world.sent()
    schema = etree.XMLSchema(etree.parse(str(corpus / "xsd" / "pain.001.001.03.xsd")))
    document = etree.parse(str(sent))
    assert schema.validate(document), schema.error_log
    with world.context_for().open_run_ledger() as ledger:
        (run,) = ledger.runs("e2e-payments")
    assert run.generated is not None
    assert _sha256(sent) == run.generated.sha256
    return sent


# --- payments ---------------------------------------------------------------------------


def test_a_payment_job_sends_the_table_as_one_valid_pain001(world: World, corpus: Path) -> None:
    first = world.pay(period=PERIOD)
    again = world.pay(period=PERIOD)

    assert first.status == "delivered"
    assert again.status == "already_delivered"
    sent = _assert_one_valid_pain001(world, corpus)
    text = sent.read_text(encoding="utf-8")
    assert "<NbOfTxs>3</NbOfTxs>" in text
    assert "<CtrlSum>14714.56</CtrlSum>" in text
    (delivery,) = first.deliveries
    assert delivery["host_key_fingerprint"] == world.server.fingerprint

    # A new approved row: the next period pays it alone, never the three again.
    world.erp.execute(
        "INSERT INTO payables (invoice, supplier, iban, bic, amount, currency, due, approved) "
        "VALUES ('INV-2024-140', 'Nordlicht AG', 'DE89370400440532013000', NULL, 50, 'EUR', "
        "'2024-03-05', true)"
    )
    later = world.pay(period="2024-03-05")
    assert later.status == "delivered"
    assert later.file is not None
    assert later.file.read_text(encoding="utf-8").count("<EndToEndId>") == 1


OUTBOUND_STEPS = [
    "generated",
    "archived",
    "transport sending",
    "transport published",
    "transport archived",
    "delivered bank",
    "delivered",
]


@pytest.mark.parametrize("step", OUTBOUND_STEPS)
def test_a_payment_run_killed_at_any_step_delivers_one_file(
    step: str, world: World, corpus: Path
) -> None:
    run_killed_at(
        step,
        world.payment_job,
        world.context_for(),
        f"run_outbound(job, context, period={PERIOD!r})",
    )
    resumed = world.pay(period=PERIOD)
    again = world.pay(period=PERIOD)

    assert resumed.status in ("delivered", "already_delivered")
    assert again.status == "already_delivered"
    _assert_one_valid_pain001(world, corpus)


def test_a_payment_run_outlives_the_ssh_server_dying(world: World, corpus: Path) -> None:
    # The server dies just as the file is being sent: every retry of the run is refused.
    world.at_step("transport sending", world.server.stop)
    with pytest.raises(TransportError):
        world.pay(period=PERIOD)
    assert world.sent() == []

    world.server.start()
    resumed = world.pay(period=PERIOD)
    assert resumed.status == "delivered"
    _assert_one_valid_pain001(world, corpus)


def test_a_payment_run_outlives_its_sessions_being_killed_after_publishing(
    world: World, corpus: Path
) -> None:
    # The answer to the rename is lost: the retry finds the bytes there and sends nothing.
    world.at_step("transport published", world.server.kill_sessions)
    result = world.pay(period=PERIOD)
    assert result.status == "delivered"
    _assert_one_valid_pain001(world, corpus)


def test_a_payment_run_with_the_database_down_sends_nothing_and_then_once(
    world: World, postgres: PostgresServer, corpus: Path
) -> None:
    postgres.stop("immediate")
    try:
        with pytest.raises(TransportError) as down:
            world.pay(period=PERIOD)
    finally:
        postgres.start()
    assert down.value.code in ("TRN301", "TRN303")
    assert world.sent() == []

    world.reconnect()
    assert world.pay(period=PERIOD).status == "delivered"
    _assert_one_valid_pain001(world, corpus)


def test_a_payment_run_whose_ledger_goes_down_mid_run_never_sends_twice(
    world: World, postgres: PostgresServer, corpus: Path
) -> None:
    # The ledger (on PostgreSQL) goes away after the file was generated and archived.
    world.at_step("archived", lambda: postgres.stop("immediate"))
    try:
        with pytest.raises(TransportError):
            world.pay(period=PERIOD)
    finally:
        postgres.start()

    world.reconnect()
    resumed = world.pay(period=PERIOD)
    again = world.pay(period=PERIOD)
    assert resumed.status == "delivered"
    assert again.status == "already_delivered"
    _assert_one_valid_pain001(world, corpus)


# --- statements -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def statements() -> dict[str, bytes]:
    """An MT940 and a camt.053 holding another statement (`:20:` becomes `CPAGE1`)."""
    camt = camt053_of(MT940.replace(b":20:", b":20:C", 1))
    return {"stmt-0301.sta": MT940, "camt-0301.xml": camt}


def _entries(statements: dict[str, bytes]) -> list[tuple[str, Decimal]]:
    """What booking the files must give: every entry of every statement, once."""
    engine = Engine.from_folders()
    formats = {".sta": "mt940@^1", ".xml": "camt.053.001.02@^1"}
    found = []
    for name, content in statements.items():
        compiled = engine.format(formats[Path(name).suffix])
        data, _ = compiled.read_document(io.BytesIO(content))
        for statement in data["statements"]:
            found += [(statement["statement_id"], e["amount"]) for e in statement["entries"]]
    return sorted(found)


def _drop(world: World, statements: dict[str, bytes]) -> None:
    for name, content in statements.items():
        world.drop(name, content)


def test_a_pickup_job_books_camt_and_mt940_entries_once(
    world: World, statements: dict[str, bytes]
) -> None:
    _drop(world, statements)
    first = world.pick_up()
    again = world.pick_up()

    assert first.status == "finished"
    assert len(first.written) == 2
    assert again.written == []
    assert world.booked() == _entries(statements)
    assert {statement for statement, _ in world.booked()} == {"PAGE1", "CPAGE1"}
    assert sorted(p.name for p in (world.remote / "in" / "done").iterdir()) == [
        "camt-0301.xml",
        "stmt-0301.sta",
    ]


INBOUND_STEPS = [
    "transport claimed",
    "transport fetched",
    "transport archived",
    "transport landed",
    "transport recorded",
    "transport processing",
    "outputs written",
    "statement recorded",
    "transport consumed",
    "transport processed",
    "transport closed",
]


@pytest.mark.parametrize("step", INBOUND_STEPS)
def test_a_pickup_killed_at_any_step_books_each_statement_once(
    step: str, world: World, statements: dict[str, bytes]
) -> None:
    _drop(world, statements)
    run_killed_at(step, world.pickup_job, world.context_for(), "run_inbound(job, context)")
    world.pick_up()
    world.pick_up()

    assert world.booked() == _entries(statements)
    assert len(list((world.remote / "in" / "done").iterdir())) == 2


def test_a_pickup_outlives_the_ssh_server_dying_mid_download(
    world: World, statements: dict[str, bytes]
) -> None:
    _drop(world, statements)
    world.at_step("transport claimed", world.server.stop)
    with pytest.raises(TransportError):
        world.pick_up()
    world.server.start()
    world.pick_up()
    world.pick_up()

    assert world.booked() == _entries(statements)


def test_a_pickup_with_the_books_down_leaves_the_files_for_the_next_run(
    world: World, postgres: PostgresServer, statements: dict[str, bytes]
) -> None:
    _drop(world, statements)
    world.at_step("transport processing", lambda: postgres.stop("immediate"))
    try:
        with pytest.raises(TransportError):
            world.pick_up()
    finally:
        postgres.start()
    assert not list((world.remote / "in").glob("error/*")), list((world.remote / "in").glob("*/*"))

    world.reconnect()
    world.pick_up()
    assert world.booked() == _entries(statements)
