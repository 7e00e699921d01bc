"""Outbound runs: one payment file per batch, generated once, archived, delivered at most once.

A run is keyed by job and batch (the business period, or an explicit batch id):

1. **generated** — the source files or query rows are read (through the mapping, if any),
   records already in an earlier batch are left out, the file is written atomically into the
   job's folder and checked (against its XSD where one is on the schema path); its name,
   message id, sha256, sources and records are committed in one transaction;
2. **archived** — the generated file is copied into the archive with a manifest line, before
   anything leaves;
3. **delivered** — the file goes to each endpoint in order; each delivery is recorded.

A rerun of a delivered batch does nothing. A rerun of a failed one resumes at the failed step
with the stored file: the same name and the same bytes (checked by sha256), never a new
generation. The transport adds its own guarantees underneath (same bytes never sent twice to
an endpoint, the final name checked after a lost connection).
"""

from __future__ import annotations

import datetime as dt
import glob
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from erengine_sftp import (
    Courier,
    Ledger,
    LocalEndpoint,
    ManifestEntry,
    SftpEndpoint,
    load_endpoint,
)
from erengine_sftp.durable import file_sha256

from erengine.config.schema.job import OutboundJobDocument
from erengine.engine import CompiledFormat
from erengine.errors import ConfigError
from erengine.io.durable import durable_output
from erengine.io.mapping import Row
from erengine.jobs.context import JobError, RunContext, transport_errors
from erengine.jobs.definition import JobDefinition
from erengine.jobs.files import job_lock
from erengine.jobs.ledger import (
    DeliveryRecord,
    GeneratedFile,
    Run,
    RunIdentity,
    RunLedger,
    SourceRecord,
    utc_now,
)
from erengine.jobs.records import content_sha256, select_new_records
from erengine.jobs.sources import query_source
from erengine.validate.xsd import check_against_schema, schema_folders

OutboundStatus = Literal["delivered", "already_delivered", "nothing_to_send", "dry_run"]


@dataclass(frozen=True, slots=True)
class OutboundResult:
    status: OutboundStatus
    batch: str
    run: Run | None = None
    file: Path | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "batch": self.batch,
            "run": self.run.to_dict() if self.run else None,
            "file": str(self.file) if self.file else None,
            "deliveries": self.deliveries,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class _Batch:
    """What one generation needs to know about the batch it writes."""

    period: str
    key: str
    now: dt.datetime


def run_outbound(
    job: JobDefinition,
    context: RunContext,
    *,
    period: str | None = None,
    batch: str | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> OutboundResult:
    """Run ``job`` for a business period (default: today) or an explicit batch id."""
    spec = job.outbound
    if spec is None:
        raise JobError("JOB102", f"job {job.label} is not outbound")
    moment = now or dt.datetime.now().replace(microsecond=0)
    chosen_period = period or moment.date().isoformat()
    the_batch = _Batch(chosen_period, batch or chosen_period, moment)
    compiled = job.engine.format(spec.format)
    identity = RunIdentity(
        job.name, job.version, job.sha256, compiled.label, compiled.sha256, context.started_by
    )
    with transport_errors():
        endpoints = [load_endpoint(job.path(text)) for text in spec.deliver]
    run_ledger, transport_ledger = context.open_ledgers()
    with run_ledger, job_lock(run_ledger, job.name), transport_ledger:
        runner = _OutboundRunner(job, spec, compiled, identity, context, run_ledger, the_batch)
        if dry_run:
            return runner.dry_run()
        run = run_ledger.find(job.name, "outbound", the_batch.key)
        if run is None:
            run = runner.generate()
            if run is None:
                return OutboundResult("nothing_to_send", the_batch.key, note=runner.empty_reason)
        elif run.state == "delivered":
            context.log({"event": "already_delivered", "job": job.name, "run": run.id})
            return OutboundResult(
                "already_delivered",
                the_batch.key,
                run,
                run.generated.stored_path if run.generated else None,
                run_ledger.deliveries(run.id),
            )
        else:
            runner.note_resume(run)
        try:
            with transport_errors():
                runner.finish(run, endpoints, transport_ledger)
        except Exception as exc:
            run_ledger.fail(run.id, str(exc))
            context.log({"event": "failed", "job": job.name, "run": run.id, "error": str(exc)})
            raise
        finished = run_ledger.get(run.id)
        assert finished is not None
        assert finished.generated is not None
        return OutboundResult(
            "delivered",
            the_batch.key,
            finished,
            finished.generated.stored_path,
            run_ledger.deliveries(run.id),
        )


@dataclass
class _OutboundRunner:
    job: JobDefinition
    spec: OutboundJobDocument
    compiled: CompiledFormat
    identity: RunIdentity
    context: RunContext
    ledger: RunLedger
    batch: _Batch
    empty_reason: str | None = None

    # --- step 1: generate ---------------------------------------------------------------

    def dry_run(self) -> OutboundResult:
        """Write and check the file this run would send, into ``dry-run/``; record nothing."""
        prepared = self._prepare()
        if prepared is None:
            return OutboundResult("nothing_to_send", self.batch.key, note=self.empty_reason)
        generated = self._write(prepared, self._folder() / "dry-run")
        self._log("dry_run", file=str(generated.stored_path), sha256=generated.sha256)
        return OutboundResult("dry_run", self.batch.key, file=generated.stored_path)

    def generate(self) -> Run | None:
        prepared = self._prepare()
        if prepared is None:
            self._log("nothing_to_send", reason=self.empty_reason)
            return None
        generated = self._write(prepared, self._folder())
        run = self.ledger.record_generated(
            self.identity,
            self.batch.key,
            generated,
            [(source.label, source.sha256) for source in prepared.sources],
            prepared.records,
        )
        self._log("generated", run=run.id, **_described(generated))
        self.context.step_hook("generated")
        return run

    def _prepare(self) -> _Prepared | None:
        sources = self._new_sources()
        if not sources:
            self.empty_reason = (
                "no new source rows" if self.spec.source.sql else "no new source files"
            )
            return None
        sequence = self.ledger.next_sequence(self.job.name)
        names = {
            "job": self.job.name,
            "period": self.batch.period,
            "batch": self.batch.key,
            "sequence": sequence,
            "date": self.batch.now.strftime("%Y%m%d"),
        }
        template = self.spec.output.message_id
        message_id = template.format(**names) if template else None
        expression_context: dict[str, Any] = {
            "now": self.batch.now,
            "today": self.batch.now.date(),
            "period": self.batch.period,
            "batch": self.batch.key,
            **self.spec.context,
        }
        data = self._read_sources(sources, expression_context)
        records: list[SourceRecord] = []
        if self.spec.source.records:
            records = select_new_records(
                data,
                self.spec.source.records,
                self.spec.source.record_key,
                self.ledger.taken_record_ids(self.job.name),
            )
            if not records:
                self.empty_reason = "every source record is in an earlier batch"
                return None
        if message_id is not None:
            self._check_message_id_field()
            data["message_id"] = message_id
            expression_context["message_id"] = message_id
        return _Prepared(
            sequence=sequence,
            file_name=self.spec.output.name.format(**names),
            message_id=message_id,
            data=data,
            expression_context=expression_context,
            sources=sources,
            records=records,
        )

    def _new_sources(self) -> list[_Source]:
        """Source files matching the patterns (or the query's rows), except content already
        in an earlier batch."""
        taken = self.ledger.taken_source_hashes(self.job.name)
        if self.spec.source.sql is not None:
            queried = query_source(
                self.job,
                {
                    "period": self.batch.period,
                    "batch": self.batch.key,
                    "today": self.batch.now.date().isoformat(),
                    "job": self.job.name,
                },
            )
            if not queried.rows or queried.sha256 in taken:
                return []
            return [_Source(queried.label, queried.sha256, rows=queried.rows)]
        found: dict[Path, str] = {}
        for pattern in self.spec.source.files or ():
            for text in sorted(glob.glob(str(self.job.path(pattern)))):
                path = Path(text)
                if path.is_file() and path not in found:
                    with transport_errors():
                        found[path] = file_sha256(path)[1]
        return [
            _Source(str(path), sha256, path=path)
            for path, sha256 in found.items()
            if sha256 not in taken
        ]

    def _read_sources(
        self, sources: list[_Source], expression_context: dict[str, Any]
    ) -> dict[str, Any]:
        """The model data of every source: the first one's values, every one's lists."""
        merged: dict[str, Any] = {}
        mapping = self.spec.source.mapping
        for source in sources:
            if source.path is not None:
                data = self.job.engine.load_input(
                    self.compiled, source.path, mapping=mapping, context=expression_context
                )
            else:
                data = self.job.engine.load_rows(
                    self.compiled,
                    source.rows,
                    source=source.label,
                    mapping=mapping,
                    context=expression_context,
                )
            for key, value in data.items():
                if isinstance(value, list) and isinstance(merged.get(key), list):
                    merged[key].extend(value)
                else:
                    merged.setdefault(key, value)
        return merged

    def _check_message_id_field(self) -> None:
        try:
            self.compiled.model.field_at("message_id")
        except KeyError:
            raise ConfigError(
                "CFG801",
                f"model {self.compiled.model_document.label} has no `message_id` to set",
                span=self.job.document.span(("output", "message_id")),
                config_path="output.message_id",
                hint="remove `output.message_id`; the file name alone names the batch",
            ) from None

    def _write(self, prepared: _Prepared, folder: Path) -> GeneratedFile:
        path = folder / prepared.file_name
        with durable_output(path) as temporary:
            with temporary.open("wb") as sink:
                self.compiled.write(prepared.data, sink, context=prepared.expression_context)
            schema_name = getattr(self.compiled.plan, "schema_file", None)
            if schema_name is not None:
                # The XSD is only checked where one is on the schema path, as `generate` does.
                check_against_schema(
                    temporary, schema_name, schema_folders(), file_name=prepared.file_name
                )
        with transport_errors():
            size, sha256 = file_sha256(path)
        digest = content_sha256([source.sha256 for source in prepared.sources])
        return GeneratedFile(
            prepared.sequence, prepared.file_name, prepared.message_id, path, sha256, size, digest
        )

    def _folder(self) -> Path:
        folder = self.spec.output.folder
        return self.job.path(folder) if folder else self.context.job_folder(self.job.name)

    # --- steps 2 and 3: archive, deliver ------------------------------------------------

    def note_resume(self, run: Run) -> None:
        self._log("resuming", run=run.id, state=run.state, earlier_error=run.error)
        if run.job_sha256 != self.identity.job_sha256:
            self._log(
                "config_changed",
                run=run.id,
                note="the job changed since this batch was generated; its stored file is sent",
            )

    def finish(
        self,
        run: Run,
        endpoints: list[SftpEndpoint | LocalEndpoint],
        transport_ledger: Ledger,
    ) -> None:
        generated = run.generated
        assert generated is not None
        self._verify_stored(generated)
        metadata = {
            "job": f"{self.job.name}@{run.job_version}",
            "batch": run.batch,
            "message_id": generated.message_id or "",
            "format": run.format,
            "config_sha256": run.format_sha256,
        }
        if run.state == "generated":
            archive = self.context.archive_for(endpoints[0])
            stamp = utc_now()
            archived = archive.store(
                generated.stored_path,
                ManifestEntry(
                    direction="out",
                    endpoint=self.job.name,
                    host="generated",
                    remote_path=generated.file_name,
                    size=generated.size,
                    sha256=generated.sha256,
                    host_key_fingerprint=None,
                    started_at=stamp,
                    finished_at=stamp,
                    metadata=metadata,
                ),
            )
            self.ledger.advance(run.id, "archived", {"archived_path": str(archived)})
            self._log("archived", run=run.id, archived_path=str(archived))
            self.context.step_hook("archived")
        done = self.ledger.delivered_endpoints(run.id)
        for endpoint in endpoints:
            if endpoint.name in done:
                continue
            archive = self.context.archive_for(endpoint)
            courier = Courier(
                endpoint,
                ledger=transport_ledger,
                archive=archive,
                step_hook=lambda step, _path: self.context.step_hook(f"transport {step}"),
            )
            (receipt,) = courier.deliver([generated.stored_path], metadata=metadata)
            stored_entry = archive.last_entry
            delivery = DeliveryRecord(
                endpoint=endpoint.name,
                remote_path=receipt.remote_path,
                status=receipt.status,
                archived_path=str(receipt.archived_path) if receipt.archived_path else None,
                host_key_fingerprint=stored_entry.host_key_fingerprint if stored_entry else None,
            )
            self.ledger.record_delivery(run.id, delivery)
            self._log("delivered", run=run.id, endpoint=endpoint.name, **receipt.to_dict())
            self.context.step_hook(f"delivered {endpoint.name}")
        self.ledger.advance(run.id, "delivered", {"endpoints": [e.name for e in endpoints]})
        self.context.step_hook("delivered")

    def _verify_stored(self, generated: GeneratedFile) -> None:
        """The stored file must hold the bytes the ledger recorded: never send anything else."""
        path = generated.stored_path
        if not path.is_file():
            raise JobError(
                "JOB103",
                f"the generated file {path} is gone; it was recorded with sha256 "
                f"{generated.sha256[:12]}",
                hint="restore it from the archive (same sha256); it is never regenerated",
            )
        with transport_errors():
            size, sha256 = file_sha256(path)
        if sha256 != generated.sha256 or size != generated.size:
            raise JobError(
                "JOB104",
                f"the generated file {path} changed since it was recorded (sha256 "
                f"{sha256[:12]}, recorded {generated.sha256[:12]})",
                hint="restore the recorded bytes from the archive; it is never regenerated",
            )

    def _log(self, event: str, **values: Any) -> None:
        self.context.log({"event": event, "job": self.job.name, "batch": self.batch.key, **values})


@dataclass(frozen=True, slots=True)
class _Source:
    """One source of a batch: a file, or a query's rows; recorded by label and sha256."""

    label: str
    sha256: str
    path: Path | None = None
    rows: list[Row] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Prepared:
    sequence: int
    file_name: str
    message_id: str | None
    data: dict[str, Any]
    expression_context: dict[str, Any]
    sources: list[_Source]
    records: list[SourceRecord]


def _described(generated: GeneratedFile) -> Mapping[str, Any]:
    return {
        "file": str(generated.stored_path),
        "sha256": generated.sha256,
        "size": generated.size,
        "message_id": generated.message_id,
        "sequence": generated.sequence,
    }
