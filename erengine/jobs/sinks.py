"""SQL sinks of inbound jobs: each statement's rows inserted into a table exactly once.

An output ``{type: sql, url, table, rows, columns}`` turns every item of the model list at
``rows`` (e.g. ``statements.entries``) into one row; ``columns`` maps each column to a model
path from the root, inside the item or in an item it lies in (``statements.account.iban``,
``message_id``). Values are bound as parameters: typed in SQLite (text for amounts and
dates, so they stay exact), text in PostgreSQL, which casts it to the column's type.

**Exactly once.** A statement's rows are inserted in one transaction together with a marker
row in ``erengine_statements`` of the same database (job, target table, sha256 of the
statement file; a primary key). A marker already there means the statement was written:
nothing is inserted again. That is what makes a crash between the database commit and the
run ledger's commit safe: the transport hands the file over again and the marker answers.

**Nothing half-published.** The inbound consumer writes its file outputs to temporary files,
then commits the SQL outputs, then renames the files into place: a failure before the commit
publishes nothing. A database that cannot be reached (TRN301-303) is not the statement's
fault: ``DatabaseUnavailable`` is the transport's ``RetryLater``, not a refusal; the file
stays on the server, the run fails (exit 5), and the next run hands it over again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from erengine.config.schema.job import SqlOutputSpec
from erengine.errors import ConfigError, TransportError
from erengine.jobs.database import Database, DatabaseUrl, Dialect, connect
from erengine.jobs.definition import JobDefinition
from erengine.jobs.ledger import utc_now
from erengine.model.leaves import (
    BooleanType,
    DateTimeType,
    DateType,
    DecimalType,
    IntegerType,
    LeafType,
)
from erengine.model.plan import ModelPlan
from erengine.model.shapes import ListOf, RecordRef

MARKERS_TABLE = """CREATE TABLE IF NOT EXISTS erengine_statements (
    job TEXT NOT NULL,
    target TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    remote_path TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    written_at TEXT NOT NULL,
    PRIMARY KEY (job, target, sha256)
)"""

ConfigPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    level: int  # 0: the root record; n: the item of the n-th list on the way to the rows
    inside: tuple[str, ...]  # the path inside that record
    leaf: LeafType


@dataclass(frozen=True, slots=True)
class SqlSink:
    """One ``type: sql`` output, checked against the model its statements read into."""

    spec: SqlOutputSpec
    url: DatabaseUrl
    segments: tuple[tuple[str, ...], ...]  # the rows path, cut after each list
    columns: tuple[_Column, ...]
    tables_ready: set[str] = field(default_factory=set, compare=False)
    """Tables found or created in this run: looked for once, not once per statement."""
    opened: list[Database] = field(default_factory=list, compare=False)
    """The run's connection, opened by the first statement and kept until ``close``."""

    @property
    def target(self) -> str:
        return f"sql:{self.url.label}#{self.spec.table}"

    def rows(self, data: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
        """The typed values of each row, in column order."""
        for chain in _items(data, self.segments, (data,)):
            yield tuple(_get(chain[column.level], column.inside) for column in self.columns)

    def write(self, data: dict[str, Any], *, job: str, sha256: str, remote_path: str) -> int:
        """Insert the statement's rows with its marker, in one transaction; the number of
        rows, or -1 when the marker shows it was written before.

        One connection serves the run's statements; after a failure it is closed (its
        state is unknown) and the next statement connects again."""
        if not self.opened:
            self.opened.append(
                connect(self.url, password_env=self.spec.password_env, create=self.spec.create)
            )
        try:
            return self._insert(
                self.opened[0], data, job=job, sha256=sha256, remote_path=remote_path
            )
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the run's connection, if one is open."""
        while self.opened:
            self.opened.pop().close()

    def _insert(
        self, database: Database, data: dict[str, Any], *, job: str, sha256: str, remote_path: str
    ) -> int:
        if not self.tables_ready:
            _create_missing(database, "erengine_statements", MARKERS_TABLE)
            if self.spec.create:
                _create_missing(database, self.spec.table, self._create_table(database.dialect))
            self.tables_ready.add(self.spec.table)
        rows = [
            [
                _bound(value, column.leaf, database.dialect)
                for value, column in zip(row, self.columns, strict=True)
            ]
            for row in self.rows(data)
        ]
        names = ", ".join(_quoted(column.name) for column in self.columns)
        with database.transaction():
            marker = database.execute(
                "SELECT row_count FROM erengine_statements "
                "WHERE job = ? AND target = ? AND sha256 = ?",
                (job, self.spec.table, sha256),
            ).fetchone()
            if marker is not None:
                return -1
            database.execute_many(  # names: the schema's identifier pattern, quoted
                f"INSERT INTO {_quoted(self.spec.table)} ({names}) "  # noqa: S608
                f"VALUES ({', '.join('?' * len(self.columns))})",
                rows,
            )
            database.execute(
                "INSERT INTO erengine_statements (job, target, sha256, remote_path, row_count, "
                "written_at) VALUES (?, ?, ?, ?, ?, ?)",
                (job, self.spec.table, sha256, remote_path, len(rows), utc_now()),
            )
        return len(rows)

    def _create_table(self, dialect: Dialect) -> str:
        columns = ", ".join(
            f"{_quoted(column.name)} {_column_type(column.leaf, dialect)}"
            for column in self.columns
        )
        return f"CREATE TABLE IF NOT EXISTS {_quoted(self.spec.table)} ({columns})"


def sql_sinks(job: JobDefinition, model: ModelPlan) -> list[SqlSink]:
    """The job's SQL outputs, each checked against ``model``; mistakes located in the job."""
    spec = job.inbound
    assert spec is not None
    return [
        _compile(job, output, model, ("outputs", index))
        for index, output in enumerate(spec.outputs)
        if isinstance(output, SqlOutputSpec)
    ]


def _compile(
    job: JobDefinition, spec: SqlOutputSpec, model: ModelPlan, where: ConfigPath
) -> SqlSink:
    url = job.database_url(spec.url, (*where, "url"))

    def error(message: str, at: ConfigPath, hint: str | None = None) -> ConfigError:
        return ConfigError(
            "CFG213",
            message,
            span=job.document.span((*where, *at)),
            config_path=".".join(map(str, (*where, *at))),
            hint=hint,
        )

    lists = _list_prefixes(model, spec.rows)
    if lists is None or not lists or lists[-1] != spec.rows:
        raise error(f"{spec.rows!r} is not a list of records of model {model.name}", ("rows",))
    segments: list[tuple[str, ...]] = []
    start = 0
    for prefix in lists:
        end = prefix.count(".") + 1
        segments.append(tuple(spec.rows.split(".")[start:end]))
        start = end
    columns = []
    for name, path in spec.columns.items():
        at = ("columns", name)
        column_lists = _list_prefixes(model, path)
        if column_lists is None:
            raise error(f"{path!r} is not in model {model.name}", at)
        leaf = model.field_at(path).shape
        if not isinstance(leaf, LeafType):
            raise error(f"{path!r} is not a single value", at, f"name a field: {path}.FIELD")
        if any(prefix not in lists for prefix in column_lists):
            raise error(
                f"{path!r} is not inside the rows ({spec.rows}) or an item they lie in",
                at,
                hint="one row per item of `rows`: a column takes one value per row",
            )
        level = len(column_lists)
        skip = column_lists[-1].count(".") + 1 if column_lists else 0
        columns.append(_Column(name, level, tuple(path.split(".")[skip:]), leaf))
    return SqlSink(spec, url, tuple(segments), tuple(columns))


def _list_prefixes(model: ModelPlan, path: str) -> list[str] | None:
    """The prefixes of ``path`` that are lists of records; None if it is not in the model."""
    parts = path.split(".")
    found = []
    for end in range(1, len(parts) + 1):
        prefix = ".".join(parts[:end])
        try:
            shape = model.field_at(prefix).shape
        except KeyError:
            return None
        if isinstance(shape, ListOf) and isinstance(shape.item, RecordRef):
            found.append(prefix)
    return found


def _items(
    node: dict[str, Any], segments: tuple[tuple[str, ...], ...], chain: tuple[Any, ...]
) -> Iterator[tuple[Any, ...]]:
    """Each item of the last list, with the items of every list above it (and the root)."""
    if not segments:
        yield chain
        return
    *holders, name = segments[0]
    holder = _get(node, tuple(holders))
    for item in (holder or {}).get(name) or ():
        yield from _items(item, segments[1:], (*chain, item))


def _get(record: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(record, dict):
            return None
        record = record.get(part)
    return record


def _bound(value: Any, leaf: LeafType, dialect: Dialect) -> Any:
    """A parameter for ``value``: its JSON form in SQLite (exact text for amounts and dates,
    numbers and booleans as such), text in PostgreSQL (cast to the column's type there)."""
    if value is None:
        return None
    return leaf.to_json(value) if dialect == "sqlite" else leaf.to_text(value)


def _column_type(leaf: LeafType, dialect: Dialect) -> str:
    """The column type ``create: true`` gives a leaf: exact types in PostgreSQL; in SQLite,
    INTEGER for integers and booleans and TEXT for the rest (NUMERIC would go through REAL)."""
    if isinstance(leaf, IntegerType | BooleanType):
        if dialect == "sqlite":
            return "INTEGER"
        return "BIGINT" if isinstance(leaf, IntegerType) else "BOOLEAN"
    if dialect == "sqlite":
        return "TEXT"
    if isinstance(leaf, DecimalType):
        return "NUMERIC"
    if isinstance(leaf, DateType):
        return "DATE"
    if isinstance(leaf, DateTimeType) and leaf.timezone != "any":
        return "TIMESTAMPTZ" if leaf.timezone == "aware" else "TIMESTAMP"
    return "TEXT"


def _create_missing(database: Database, table: str, create: str) -> None:
    """Create ``table`` only when it is not there: in a database the DBA keeps, erengine may
    insert and select, not create (PostgreSQL checks that right even for IF NOT EXISTS)."""
    try:
        database.execute(f"SELECT 1 FROM {_quoted(table)} WHERE 1 = 0")  # noqa: S608
    except TransportError as error:
        if error.code != "TRN310":
            raise
        database.execute(create)


def _quoted(name: str) -> str:
    return ".".join(f'"{part}"' for part in name.split("."))
