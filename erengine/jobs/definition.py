"""A job document loaded for running: its spec, its identity, and paths made absolute.

A job is found by its file (``samples/jobs/acme-payables.yaml``) or by ``NAME[@RANGE]`` in the
catalog. Relative paths in it are relative to the job file, so a job folder can be moved
whole. The job's own ``catalog`` folders come before the caller's when formats and mappings
are resolved.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

from erengine.config.catalog import Catalog, ResolvedDocument
from erengine.config.schema.job import (
    QUERY_PARAMETERS,
    InboundJobDocument,
    JobDocument,
    OutboundJobDocument,
)
from erengine.engine import Engine
from erengine.errors import ConfigError
from erengine.jobs.cron import CronSchedule
from erengine.jobs.database import DatabaseUrl, placeholder_names
from erengine.jobs.reading import InboundFormats

ConfigPath = tuple[str | int, ...]

_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class JobDefinition:
    document: ResolvedDocument
    spec: JobDocument
    engine: Engine
    schedule: CronSchedule | None

    @property
    def name(self) -> str:
        return self.document.name

    @property
    def version(self) -> str:
        return self.document.version

    @property
    def label(self) -> str:
        return self.document.label

    @property
    def sha256(self) -> str:
        return self.document.sha256

    @property
    def folder(self) -> Path:
        return self.document.entry.path.resolve().parent

    def path(self, relative: str) -> Path:
        """A path of the job file, made absolute against the job's folder."""
        return _absolute(self.folder, relative)

    def database_url(self, text: str, where: ConfigPath) -> DatabaseUrl:
        """A database URL of the job file at ``where`` (a relative SQLite path is taken
        against the job's folder); a mistake is located in the job file."""
        try:
            return DatabaseUrl.parse(text, self.folder)
        except ValueError as exc:
            raise ConfigError(
                "CFG213",
                str(exc),
                span=self.document.span(where),
                config_path=".".join(map(str, where)),
            ) from None

    @property
    def outbound(self) -> OutboundJobDocument | None:
        return self.spec if isinstance(self.spec, OutboundJobDocument) else None

    @property
    def inbound(self) -> InboundJobDocument | None:
        return self.spec if isinstance(self.spec, InboundJobDocument) else None


def load_job(reference: str, catalog_folders: Sequence[Path] = ()) -> JobDefinition:
    """The job at a file path, or ``NAME[@RANGE]`` of kind job in the catalog."""
    catalog = Catalog.default(tuple(catalog_folders))
    as_path = Path(reference)
    if as_path.suffix in _SUFFIXES or as_path.is_file():
        document = catalog.resolve_path(as_path)
    else:
        document = catalog.resolve(reference, "job")
    if document.entry.kind != "job":
        raise ConfigError(
            "CFG310",
            f"{document.entry.path} is a {document.entry.kind}, not a job",
            span=document.span(("kind",)),
            config_path="kind",
        )
    spec = document.spec
    assert isinstance(spec, OutboundJobDocument | InboundJobDocument)
    folder = document.entry.path.resolve().parent
    own_folders = tuple(_absolute(folder, text) for text in spec.catalog)
    engine = Engine.from_folders((*own_folders, *catalog_folders))
    job = JobDefinition(document, spec, engine, _schedule(document, spec))
    _check_source_query(job)
    if isinstance(spec, InboundJobDocument):
        InboundFormats.load(document, spec, engine)  # mistakes located now, not at run time
    return job


def list_jobs(catalog_folders: Sequence[Path] = ()) -> list[JobDefinition]:
    """Every job document in the catalog folders, newest version of each name."""
    catalog = Catalog.default(tuple(catalog_folders))
    newest: dict[str, Path] = {}
    for entry in catalog.list("job"):  # sorted by name, then version: the last one wins
        newest[entry.name] = entry.path
    return [load_job(str(path), catalog_folders) for path in newest.values()]


def _schedule(document: ResolvedDocument, spec: JobDocument) -> CronSchedule | None:
    """The parsed schedule; its mistakes located like schema errors (the schema package
    cannot parse cron: it must not import the jobs layer)."""
    if spec.schedule is None:
        return None
    try:
        return CronSchedule.parse(spec.schedule.cron, spec.schedule.timezone)
    except ZoneInfoNotFoundError:
        raise ConfigError(
            "CFG213",
            f"unknown time zone {spec.schedule.timezone!r}",
            span=document.span(("schedule", "timezone")),
            config_path="schedule.timezone",
            hint="an IANA name such as `Europe/Berlin` or `UTC`",
        ) from None
    except ValueError as exc:
        raise ConfigError(
            "CFG213",
            str(exc),
            span=document.span(("schedule", "cron")),
            config_path="schedule.cron",
        ) from None


def _check_source_query(job: JobDefinition) -> None:
    """A SQL source's URL, and the named parameters its query uses (only a run's own)."""
    sql = job.outbound.source.sql if job.outbound else None
    if sql is None:
        return
    job.database_url(sql.url, ("source", "sql", "url"))
    for name in placeholder_names(sql.query):
        if name not in QUERY_PARAMETERS:
            raise ConfigError(
                "CFG213",
                f"the query uses :{name}, which a run does not give",
                span=job.document.span(("source", "sql", "query")),
                config_path="source.sql.query",
                hint="named parameters: " + ", ".join(":" + known for known in QUERY_PARAMETERS),
            )


def _absolute(folder: Path, text: str) -> Path:
    # normpath, not resolve: `..` is taken as written, a symlinked drop folder stays a link.
    return Path(os.path.normpath(folder / Path(text).expanduser()))
