"""Schema of job documents (`kind: job`): what a run reads, writes and moves. See docs/jobs.md.

An outbound job turns source files or the rows of a SQL query into one payment file per
business period (or explicit batch id) and delivers it; an inbound job picks up statements
from an endpoint and writes them as data files or rows of a SQL table, reading each with one
format (and bank overlay) or the one detection picks among candidates. Relative paths are
relative to the job file; database URLs never hold a password (`password_env`).
"""

from __future__ import annotations

import string
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from erengine.config.schema.base import DocumentHeader, Strict
from erengine.config.schema.mapping import MODEL_PATH

FILE_NAME_FIELDS = ("job", "period", "batch", "sequence", "date")
"""Placeholders of an outbound file name and message id (str.format, e.g. `{sequence:04d}`)."""

OUTPUT_NAME_FIELDS = ("stem", "name", "sha256", "type")
"""Placeholders of an inbound output name."""

# Both schemas accept both words: the kind registry picks the schema by this key, and a wrong
# word checked against either schema then gets a hint naming both.
Direction = Literal["outbound", "inbound"]


def _check_placeholders(template: str, allowed: tuple[str, ...]) -> str:
    try:
        fields = [part[1] for part in string.Formatter().parse(template) if part[1] is not None]
    except ValueError as exc:
        raise ValueError(f"not a valid name template: {exc}") from None
    for name in fields:
        if name not in allowed:
            raise ValueError(
                f"unknown placeholder {{{name}}}; use {', '.join('{' + a + '}' for a in allowed)}"
            )
    if "/" in template or "\\" in template:
        raise ValueError("a file name, not a path: no / or \\")
    return template


def _exactly_one(spec: Strict, first: str, second: str) -> None:
    """Two alternative keys of one block: one must be given, not both."""
    if (getattr(spec, first) is None) == (getattr(spec, second) is None):
        raise ValueError(f"give exactly one of `{first}` and `{second}`")


class ScheduleSpec(Strict):
    """When `erengine scheduler` starts the job."""

    cron: str = Field(
        description="Five cron fields: minute hour day month weekday, e.g. `0 14 * * 1-5`."
    )
    timezone: str = Field(default="UTC", description="IANA zone, e.g. `Europe/Berlin`.")
    misfire: Literal["run_once", "run_all", "skip"] = Field(
        default="run_once",
        description="Firings missed while the scheduler was down: run once for the latest "
        "(`run_once`), run each in order (`run_all`, each with its own period), or drop "
        "those older than `grace_seconds` (`skip`).",
    )
    grace_seconds: int = Field(
        default=300, ge=0, description="How late a firing may start and still count as on time."
    )


QUERY_PARAMETERS = ("period", "batch", "today", "job")
"""Named parameters a source query may use (`:period`): the run's period, batch id, run date
(ISO text) and job name."""


class SqlQuerySpec(Strict):
    """Rows of a query against SQLite or PostgreSQL: the source's own columns."""

    url: str = Field(
        description="`sqlite:///relative/to/job.db`, `sqlite:////absolute.db` or "
        "`postgresql://user@host:port/dbname` (never a password: see `password_env`)."
    )
    password_env: str | None = Field(
        default=None,
        description="Environment variable that holds the database password "
        "(libpq's `PGPASSWORD` and `~/.pgpass` work too).",
    )
    query: str = Field(
        description="A SELECT; named parameters: "
        + ", ".join(":" + name for name in QUERY_PARAMETERS)
        + ". Order the rows (`ORDER BY`): the same rows in the same order are not read twice."
    )


class SourceSpec(Strict):
    """Model data (or an ERP export, through a mapping) from files or from a SQL query."""

    files: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Glob patterns, relative to the job file (e.g. `exports/payables-*.csv`). "
        "Every match is read; the lists of several files are joined.",
    )
    sql: SqlQuerySpec | None = Field(
        default=None, description="A query whose rows are read instead of files."
    )
    mapping: str | None = Field(
        default=None,
        description="`NAME@RANGE` of a mapping for the source's own columns (without one, "
        "rows must be the model's flat CSV form).",
    )
    records: Annotated[str, Field(pattern=MODEL_PATH)] | None = Field(
        default=None,
        description="Dotted model path of the items that are paid (e.g. `batches.payments`): "
        "each is recorded when its batch is delivered and left out of later batches.",
    )
    record_key: Annotated[str, Field(pattern=MODEL_PATH)] | None = Field(
        default=None,
        description="Dotted path inside an item that identifies it (e.g. an invoice number); "
        "without it, an item is identified by the sha256 of its content.",
    )

    @model_validator(mode="after")
    def _files_or_sql(self) -> SourceSpec:
        _exactly_one(self, "files", "sql")
        return self


class OutboundFileSpec(Strict):
    """Where the generated file is kept and what it is called."""

    name: str = Field(
        description="File name, e.g. `acme-{period}-{sequence:03d}.ach`; placeholders: "
        + ", ".join("{" + f + "}" for f in FILE_NAME_FIELDS)
    )
    message_id: str | None = Field(
        default=None,
        description="Template of the message id written into the model's `message_id` "
        "(same placeholders as `name`); fixed when the run first generates.",
    )
    folder: str | None = Field(
        default=None,
        description="Folder for generated files, relative to the job file "
        "(default: runs/JOB inside the data folder).",
    )

    @field_validator("name", "message_id")
    @classmethod
    def _known_placeholders(cls, value: str | None) -> str | None:
        return None if value is None else _check_placeholders(value, FILE_NAME_FIELDS)


class JobHeader(DocumentHeader):
    """What both directions of job share."""

    kind: Literal["job"]
    direction: Direction
    catalog: list[str] = Field(
        default_factory=list,
        description="Extra catalog folders (mappings, formats), relative to the job file.",
    )
    schedule: ScheduleSpec | None = None


class OutboundJobDocument(JobHeader):
    """A job that writes a payment file per batch and delivers it at most once."""

    source: SourceSpec
    format: str = Field(description="`NAME@RANGE` of the format to write.")
    output: OutboundFileSpec
    context: dict[str, str] = Field(
        default_factory=dict, description="Extra values for expressions (`context.KEY`)."
    )
    deliver: list[str] = Field(
        min_length=1,
        description="Endpoint YAML files (relative to the job file), delivered in this order.",
    )


class DataOutputSpec(Strict):
    """One data file per statement, written atomically into a folder."""

    type: Literal["json", "csv", "avro"] = Field(
        description="`csv` only for models with one list per level (not `statement`)."
    )
    folder: str = Field(description="Target folder, relative to the job file.")
    name: str = Field(
        default="{stem}-{sha256:.12}.{type}",
        description="File name; placeholders: "
        + ", ".join("{" + f + "}" for f in OUTPUT_NAME_FIELDS),
    )

    @field_validator("name")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        return _check_placeholders(value, OUTPUT_NAME_FIELDS)


SQL_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
SQL_TABLE = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$"


class SqlOutputSpec(Strict):
    """Rows in a SQL table: one per item of a model list, inserted in one transaction with
    the statement's marker, so a statement is written once (docs/jobs.md, SQL sink)."""

    type: Literal["sql"]
    url: str = Field(
        description="`sqlite:///relative/to/job.db`, `sqlite:////absolute.db` or "
        "`postgresql://user@host:port/dbname` (never a password: see `password_env`)."
    )
    password_env: str | None = Field(
        default=None, description="Environment variable that holds the database password."
    )
    table: str = Field(
        pattern=SQL_TABLE,
        description="Table, optionally `schema.table`; names are quoted as written (in "
        "PostgreSQL, case matters).",
    )
    rows: Annotated[str, Field(pattern=MODEL_PATH)] = Field(
        description="Dotted model path of the list whose items become rows, e.g. "
        "`statements.entries`."
    )
    columns: dict[
        Annotated[str, Field(pattern=SQL_NAME)], Annotated[str, Field(pattern=MODEL_PATH)]
    ] = Field(
        min_length=1,
        description="Column -> model path from the root (list levels implicit, as in "
        "mappings): inside the row's item (`statements.entries.amount`) or of an item "
        "it lies in (`statements.account.iban`, `message_id`).",
    )
    create: bool = Field(
        default=False,
        description="Create the table (column types from the model) when it is missing; "
        "otherwise it must exist.",
    )


class DetectSpec(Strict):
    """Detect each file's message and read it with the candidate format that reads it."""

    formats: list[str] | None = Field(
        default=None,
        min_length=1,
        description="`NAME@RANGE` of each candidate format, e.g. "
        "`[camt.053.001.02@^1, mt940@^1]`; all must read into one model.",
    )
    model: str | None = Field(
        default=None,
        description="`NAME@RANGE` of a model, e.g. `statement@^1`: every format of the catalog "
        "on it is a candidate (a file detected as another model's message is refused).",
    )

    @model_validator(mode="after")
    def _formats_or_model(self) -> DetectSpec:
        _exactly_one(self, "formats", "model")
        return self


class _AfterPickupSpec(Strict):
    action: str
    folder: str | None = Field(
        default=None,
        description="For `move`: the folder inside the inbox (default: the endpoint's).",
    )

    @field_validator("folder")
    @classmethod
    def _inside_the_inbox(cls, value: str | None) -> str | None:
        if value is not None and (value.startswith("/") or ".." in value.split("/")):
            raise ValueError("a folder inside the inbox: relative, without `..`")
        return value

    @model_validator(mode="after")
    def _folder_for_move(self) -> _AfterPickupSpec:
        if self.folder is not None and self.action != "move":
            raise ValueError("`folder` only goes with `action: move`")
        return self


class AfterSuccessSpec(_AfterPickupSpec):
    """What happens to a remote file whose statement was written to every output."""

    action: Literal["move", "delete", "leave"] = Field(
        default="move", description="`move` (to `done/`), `delete` or `leave`."
    )


class AfterFailureSpec(_AfterPickupSpec):
    """What happens to a remote file the job refused (never deleted: see docs/jobs.md)."""

    action: Literal["move", "leave"] = Field(
        default="move", description="`move` (to `error/`) or `leave`."
    )


class InboundJobDocument(JobHeader):
    """A job that picks up statements and hands each to its outputs exactly once."""

    endpoint: str = Field(description="Endpoint YAML file, relative to the job file.")
    include: list[str] = Field(
        default_factory=list,
        description="File name patterns to take (default: the endpoint's `pickup.include`).",
    )
    format: str | None = Field(
        default=None,
        description="`NAME@RANGE` of the format the statements are in (or give `detect`).",
    )
    detect: DetectSpec | None = Field(
        default=None, description="Detect each file's format among candidates instead."
    )
    overlay: str | list[str] | None = Field(
        default=None,
        description="`NAME@RANGE` of a bank's variant (a format that `extends` the job's "
        "format or a candidate); with `detect`, several, each used for the message it reads.",
    )
    after_success: AfterSuccessSpec | None = Field(
        default=None, description="Overrides the endpoint's `pickup.after` and `folders.done`."
    )
    after_failure: AfterFailureSpec | None = Field(
        default=None,
        description="Overrides the endpoint's `pickup.after_failure` and `folders.error`.",
    )
    outputs: list[Annotated[DataOutputSpec | SqlOutputSpec, Field(discriminator="type")]] = Field(
        min_length=1
    )

    @model_validator(mode="after")
    def _format_or_detect(self) -> InboundJobDocument:
        _exactly_one(self, "format", "detect")
        if self.format is not None and isinstance(self.overlay, list) and len(self.overlay) > 1:
            raise ValueError("one `overlay` with an explicit `format`: it reads every file")
        return self


JobDocument = OutboundJobDocument | InboundJobDocument
