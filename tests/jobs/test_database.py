"""The database layer under SQL sources, sinks and the ledger: URLs, placeholders, errors,
against SQLite and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from erengine_sftp import RetryLater

from erengine.errors import TransportError
from erengine.jobs.database import (
    Database,
    DatabaseUrl,
    connect,
    placeholder_names,
    translate_placeholders,
)

from ..postgres import PASSWORD_ENV, PostgresServer, free_port


def test_sqlite_urls_are_relative_to_the_job_folder_or_absolute(tmp_path: Path) -> None:
    assert DatabaseUrl.parse("sqlite:///erp.db", tmp_path).target == str(tmp_path / "erp.db")
    assert DatabaseUrl.parse("sqlite:////var/erp.db", tmp_path).target == "/var/erp.db"


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("postgresql://erp:secret@db/erp", "password_env"),
        ("postgresql://erp@db", "names no database"),
        ("mysql://erp@db/erp", "unknown database URL scheme"),
        ("sqlite://host/erp.db", "sqlite:///relative"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        DatabaseUrl.parse(url)


def test_the_postgres_label_never_shows_a_query_string() -> None:
    url = DatabaseUrl.parse("postgresql://erp@db:5433/erp?sslmode=require")
    assert url.label == "postgresql://erp@db:5433/erp"


def test_placeholders_outside_literals_comments_and_casts_are_translated() -> None:
    sql = (
        "SELECT ':not', \"a:b\", due::date, amount % 2 -- :comment ?\n"
        "FROM t WHERE period = :period AND x = :period /* :no */ AND y LIKE '50%'"
    )
    assert placeholder_names(sql) == ["period"]
    assert translate_placeholders(sql, "postgresql", named=True) == (
        "SELECT ':not', \"a:b\", due::date, amount %% 2 -- :comment ?\n"
        "FROM t WHERE period = %(period)s AND x = %(period)s /* :no */ AND y LIKE '50%%'"
    )
    assert translate_placeholders("a = ? AND b = ?", "postgresql", named=False) == (
        "a = %s AND b = %s"
    )
    assert translate_placeholders(sql, "sqlite", named=True) == sql


def test_a_missing_sqlite_file_is_not_created_for_reading(tmp_path: Path) -> None:
    url = DatabaseUrl.parse("sqlite:///missing.db", tmp_path)
    with pytest.raises(TransportError) as caught:
        connect(url)
    assert caught.value.code == "TRN301"
    assert isinstance(caught.value, RetryLater)  # a pickup leaves its file for the next run
    assert not (tmp_path / "missing.db").exists()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = DatabaseUrl.parse("sqlite:///test.db", tmp_path)
        opened = connect(url, create=True)
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = DatabaseUrl.parse(server.create_database("layer"))
        opened = connect(url, password_env=PASSWORD_ENV)
    with opened:
        yield opened


def test_both_dialects_run_the_same_statements(database: Database) -> None:
    database.execute("CREATE TABLE t (id INTEGER, name TEXT, note TEXT)")
    with database.transaction():
        database.execute_many(
            "INSERT INTO t (id, name, note) VALUES (?, ?, ?)",
            [(1, "a", "100%"), (2, "b", None)],
        )
    rows = list(
        database.query("SELECT id, name, note FROM t WHERE id >= :low ORDER BY id", {"low": 1})
    )
    assert rows == [{"id": 1, "name": "a", "note": "100%"}, {"id": 2, "name": "b", "note": None}]


def test_a_failed_transaction_leaves_nothing(database: Database) -> None:
    database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    with pytest.raises(TransportError) as caught, database.transaction():  # noqa: PT012
        database.execute("INSERT INTO t (id) VALUES (?)", (1,))
        database.execute("INSERT INTO t (id) VALUES (?)", (1,))  # the same key again
    assert caught.value.code == "TRN310"
    assert list(database.query("SELECT id FROM t")) == []


def test_a_refused_statement_names_the_database(database: Database) -> None:
    with pytest.raises(TransportError) as caught:
        list(database.query("SELECT nope FROM nowhere"))
    assert caught.value.code == "TRN310"
    assert not isinstance(caught.value, RetryLater)  # the statement is wrong, not the moment
    assert database.url.label in str(caught.value)


@pytest.mark.postgres
def test_a_database_that_is_down_is_a_transport_error(postgres: PostgresServer) -> None:
    url = DatabaseUrl.parse(f"postgresql://erengine@127.0.0.1:{free_port()}/x")
    with pytest.raises(TransportError) as caught:
        connect(url, password_env=PASSWORD_ENV)
    assert caught.value.code == "TRN301"
    assert "repeated" in (caught.value.hint or "")


@pytest.mark.postgres
def test_the_password_comes_only_from_the_named_variable(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = DatabaseUrl.parse(postgres.url())
    monkeypatch.delenv("PGPASSWORD", raising=False)
    with pytest.raises(TransportError) as caught:
        connect(url, password_env="ERENGINE_NOT_SET")
    assert caught.value.code == "TRN302"
    assert "ERENGINE_NOT_SET" in caught.value.message
    with pytest.raises(TransportError) as refused:
        connect(url)  # no password at all: the server's scram check refuses
    assert refused.value.code == "TRN301"
