"""Databases jobs read from and write to (SQL sources, SQL sinks, the run ledger), by URL.

One small layer over ``sqlite3`` and ``psycopg`` so the jobs speak one way to both:

- **URLs.** ``sqlite:///exports/erp.db`` (a path relative to the job file),
  ``sqlite:////var/lib/erp.db`` (absolute), ``postgresql://user@host:5432/dbname`` (any
  libpq URL). A password never sits in a configuration file: ``password_env`` names the
  environment variable that holds it; libpq's own ``PGPASSWORD`` and ``~/.pgpass`` work too.
- **Parameters.** Statements are written with ``?`` (positional) or ``:name`` (named)
  placeholders and translated to the driver's style, outside string literals, quoted
  identifiers and comments (PostgreSQL's ``::`` casts are left alone). Values are always
  passed as parameters, never formatted into the text.
- **Errors.** A database that cannot be reached, or goes away during a statement, is a
  ``DatabaseUnavailable`` (a ``TransportError``, ``TRN301``-``TRN303``, exit 5: the run can
  be retried as it stands; a pickup's consumer that meets it leaves the file on the server
  for the next run, as the transport's ``RetryLater`` says); a statement the database
  refuses (an unknown column, a constraint) is ``TRN310`` with its message.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import psycopg
from erengine_sftp import RetryLater

from erengine.errors import TransportError

Dialect = Literal["sqlite", "postgresql"]
Parameters = Sequence[Any] | Mapping[str, Any]

_CONNECT_SECONDS = 10


class DatabaseUnavailable(TransportError, RetryLater):
    """The database cannot be reached, went away, or its password is not in the environment:
    nothing is wrong with the work at hand, which can be done again once it is back."""


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """A parsed database URL: which driver, and what it connects to (never a password)."""

    dialect: Dialect
    target: str  # the SQLite file path, or the libpq URL
    label: str  # what errors and logs show: scheme://user@host:port/dbname or the file

    @classmethod
    def parse(cls, text: str, base: Path | None = None) -> DatabaseUrl:
        """Parse ``text``; a relative SQLite path is taken against ``base``. ValueError when
        the URL is not one of the documented shapes or carries a password."""
        parts = urlsplit(text)
        if parts.scheme == "sqlite":
            if parts.netloc:
                raise ValueError("a SQLite URL is sqlite:///relative/path or sqlite:////absolute")
            relative = parts.path.removeprefix("/")
            if not relative:
                raise ValueError("the SQLite URL names no file")
            path = Path(relative)
            if not path.is_absolute() and base is not None:
                path = base / path
            return cls("sqlite", str(path), str(path))
        if parts.scheme in ("postgresql", "postgres"):
            if parts.password is not None:
                raise ValueError(
                    "the URL holds a password: name its environment variable in "
                    "`password_env` instead"
                )
            if not parts.path.strip("/"):
                raise ValueError("the PostgreSQL URL names no database (…/DBNAME)")
            label = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            return cls("postgresql", text, label)
        raise ValueError(
            f"unknown database URL scheme {parts.scheme!r}: use sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DBNAME"
        )


class Database:
    """One open connection. Statements commit alone unless inside ``transaction()``."""

    def __init__(self, url: DatabaseUrl, connection: Any) -> None:
        self.url = url
        self.dialect: Dialect = url.dialect
        self._connection = connection

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        # Closing a connection the server already dropped: nothing is left to free.
        with suppress(sqlite3.Error, psycopg.Error):
            self._connection.close()

    def execute(self, sql: str, parameters: Parameters = ()) -> Any:
        """Run one statement; the driver's cursor (iterate it, or ``fetchone()``)."""
        text = translate_placeholders(sql, self.dialect, named=isinstance(parameters, Mapping))
        with database_errors(self.url, "execute"):
            return self._connection.execute(text, parameters)

    def execute_many(self, sql: str, rows: Sequence[Parameters]) -> None:
        if not rows:
            return
        named = isinstance(rows[0], Mapping)
        text = translate_placeholders(sql, self.dialect, named=named)
        with database_errors(self.url, "execute"):
            if self.dialect == "sqlite":
                self._connection.executemany(text, rows)
            else:
                with self._connection.cursor() as cursor:
                    cursor.executemany(text, rows)

    def query(self, sql: str, parameters: Parameters = ()) -> Iterator[dict[str, Any]]:
        """The rows of a query as dicts keyed by column name, fetched as they are read."""
        cursor = self.execute(sql, parameters)
        names = [column[0] for column in cursor.description or ()]
        with database_errors(self.url, "read"):
            for row in cursor:
                yield dict(zip(names, row, strict=True))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together (durably) or not at all."""
        with database_errors(self.url, "commit"):
            if self.dialect == "sqlite":
                self._connection.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    self._connection.execute("ROLLBACK")
                    raise
                self._connection.execute("COMMIT")
            else:
                with self._connection.transaction():
                    yield


def connect(url: DatabaseUrl, *, password_env: str | None = None, create: bool = False) -> Database:
    """Open ``url``. A SQLite file must exist unless ``create``; a PostgreSQL password comes
    from the environment variable ``password_env`` when one is named."""
    with database_errors(url, "connect"):
        if url.dialect == "sqlite":
            path = Path(url.target)
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            mode = "rwc" if create else "rw"
            # Autocommit: transactions are explicit (transaction()), as with psycopg below.
            sqlite = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode={mode}",
                uri=True,
                isolation_level=None,
                timeout=30.0,
            )
            sqlite.execute("PRAGMA journal_mode=WAL")
            sqlite.execute("PRAGMA synchronous=FULL")  # a commit precedes acts not taken back
            return Database(url, sqlite)
        # psycopg takes keyword settings on top of the URL; the password only from the env.
        settings: dict[str, Any] = {"connect_timeout": _CONNECT_SECONDS}
        password = _password(url, password_env)
        if password is not None:
            settings["password"] = password
        postgres = psycopg.connect(url.target, autocommit=True, **settings)
        return Database(url, postgres)


def _password(url: DatabaseUrl, variable: str | None) -> str | None:
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise DatabaseUnavailable(
            "TRN302",
            f"the environment variable {variable} (the database password) is not set",
            host=url.label,
            operation="connect",
            hint=f"export {variable}=... in the environment of the run or the scheduler",
        )
    return value


@contextmanager
def database_errors(url: DatabaseUrl, operation: str) -> Iterator[None]:
    """The drivers' errors as ``TransportError`` naming the database and the operation."""
    try:
        yield
    except (psycopg.OperationalError, sqlite3.OperationalError) as exc:
        refused = _refused_statement(exc)
        raise (TransportError if refused else DatabaseUnavailable)(
            "TRN310" if refused else ("TRN301" if operation == "connect" else "TRN303"),
            f"{'the database refused the statement' if refused else 'database unavailable'}: "
            f"{_first_line(exc)}",
            host=url.label,
            operation=operation,
            hint=None if refused else "the run can be repeated once the database is back",
        ) from exc
    except (psycopg.Error, sqlite3.Error) as exc:
        raise TransportError(
            "TRN310",
            f"the database refused the statement: {_first_line(exc)}",
            host=url.label,
            operation=operation,
        ) from exc


def _refused_statement(exc: Exception) -> bool:
    """SQLite reports a bad statement (no such table, syntax) as OperationalError too."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        return not any(word in text for word in ("locked", "unable to open", "disk I/O", "busy"))
    return False


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def placeholder_names(sql: str) -> list[str]:
    """The ``:name`` placeholders of a statement, in order of first use."""
    names: list[str] = []
    for kind, text in _tokens(sql):
        if kind == "named" and text not in names:
            names.append(text)
    return names


def translate_placeholders(sql: str, dialect: Dialect, *, named: bool) -> str:
    """``?`` / ``:name`` into the driver's style; for psycopg, a literal ``%`` doubled."""
    if dialect == "sqlite":
        return sql
    out: list[str] = []
    for kind, text in _tokens(sql):
        if kind == "positional" and not named:
            out.append("%s")
        elif kind == "named" and named:
            out.append(f"%({text})s")
        elif kind == "named":
            out.append(f":{text}")
        else:
            out.append(text.replace("%", "%%"))
    return "".join(out)


_QUOTES = {"'": "'", '"': '"'}


def _tokens(sql: str) -> Iterator[tuple[Literal["text", "positional", "named"], str]]:
    """Split a statement into text and placeholders, skipping quotes and comments."""
    start = index = 0
    length = len(sql)
    while index < length:
        char = sql[index]
        if char in _QUOTES:
            end = sql.find(_QUOTES[char], index + 1)
            index = length if end < 0 else end + 1
        elif sql.startswith("--", index):
            end = sql.find("\n", index)
            index = length if end < 0 else end + 1
        elif sql.startswith("/*", index):
            end = sql.find("*/", index + 2)
            index = length if end < 0 else end + 2
        elif sql.startswith("::", index):
            index += 2
        elif char == "?":
            yield "text", sql[start:index]
            yield "positional", "?"
            index += 1
            start = index
        elif (
            char == ":"
            and index + 1 < length
            and (sql[index + 1].isalpha() or sql[index + 1] == "_")
        ):
            end = index + 1
            while end < length and (sql[end].isalnum() or sql[end] == "_"):
                end += 1
            yield "text", sql[start:index]
            yield "named", sql[index + 1 : end]
            index = start = end
        else:
            index += 1
    yield "text", sql[start:]
