"""Inbound runs: each statement read and written to its outputs exactly once, then acknowledged.

The transport's ``Picker`` does the pickup (claim, download, archive, ledger) and calls a
consumer per file; the remote file is moved to ``done/`` only after the consumer returns.
The consumer here reads the statement with the job's format and writes every output
atomically and durably (fsynced, folder entry included), then records the statement by its
sha256 in the run ledger. Output names are fixed by the statement (its name and sha256), so
the one redelivery the transport cannot rule out (a crash after the outputs were written but
before the answer was recorded) rewrites the same files with the same bytes, and a statement
already recorded is not written again at all. A consumer that raises (a file that does not
read in the format) refuses the file: it goes to ``error/`` on the server.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from erengine_sftp import LocalEndpoint, PickedFile, Picker, SftpEndpoint, load_endpoint

from erengine.config.schema.job import InboundJobDocument, SqlOutputSpec
from erengine.io import write_data
from erengine.io.durable import durable_output
from erengine.jobs.context import JobError, RunContext, transport_errors
from erengine.jobs.definition import JobDefinition
from erengine.jobs.files import job_lock
from erengine.jobs.ledger import Run, RunIdentity, RunLedger
from erengine.jobs.reading import InboundFormats
from erengine.jobs.sinks import SqlSink, sql_sinks


@dataclass(frozen=True, slots=True)
class InboundResult:
    run: Run
    written: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    waiting: list[dict[str, str]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)

    @property
    def status(self) -> Literal["finished", "finished_with_refusals"]:
        return "finished_with_refusals" if self.refused or self.rejected else "finished"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "run": self.run.to_dict(),
            "written": self.written,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "waiting": self.waiting,
            "refused": self.refused,
        }


def run_inbound(job: JobDefinition, context: RunContext) -> InboundResult:
    """Pick up every complete statement of the job's endpoint and write its outputs."""
    spec = job.inbound
    if spec is None:
        raise JobError("JOB102", f"job {job.label} is not inbound")
    formats = InboundFormats.load(job.document, spec, job.engine)
    identity = RunIdentity(
        job.name, job.version, job.sha256, formats.label, formats.sha256, context.started_by
    )
    with transport_errors():
        endpoint = _with_job_settings(load_endpoint(job.path(spec.endpoint)), spec)
    run_ledger, transport_ledger = context.open_ledgers()
    with run_ledger, job_lock(run_ledger, job.name), transport_ledger, ExitStack() as stack:
        run = run_ledger.start_pickup(identity)
        sinks = sql_sinks(job, job.engine.model(formats.model))
        for sink in sinks:
            stack.callback(sink.close)
        consumer = _StatementWriter(job, formats, context, run_ledger, run.id, sinks)
        picker = Picker(
            endpoint,
            ledger=transport_ledger,
            archive=context.archive_for(endpoint),
            step_hook=lambda step, _path: context.step_hook(f"transport {step}"),
        )
        metadata = {"job": job.label, "format": formats.label, "config_sha256": formats.sha256}
        try:
            with transport_errors():
                report = picker.pick_up(
                    context.job_folder(job.name) / "inbox", consumer, metadata=metadata
                )
        except Exception as exc:
            run_ledger.fail(run.id, str(exc))
            context.log({"event": "failed", "job": job.name, "run": run.id, "error": str(exc)})
            raise
        summary = report.to_dict()
        run_ledger.advance(
            run.id,
            "finished",
            {key: len(summary[key]) for key in ("picked", "rejected", "duplicates", "refused")},
        )
        finished = run_ledger.get(run.id)
        assert finished is not None
        return InboundResult(
            finished,
            consumer.written,
            summary["rejected"],
            summary["duplicates"],
            summary["waiting"],
            summary["refused"],
        )


def _with_job_settings(
    endpoint: SftpEndpoint | LocalEndpoint, spec: InboundJobDocument
) -> SftpEndpoint | LocalEndpoint:
    """The endpoint with the job's own choices (which files, what happens to them after)
    in place of its pickup settings."""
    pickup: dict[str, Any] = {}
    folders: dict[str, str] = {}
    if spec.include:
        pickup["include"] = tuple(spec.include)
    if spec.after_success is not None:
        pickup["after"] = spec.after_success.action
        if spec.after_success.folder is not None:
            folders["done"] = spec.after_success.folder
    if spec.after_failure is not None:
        pickup["after_failure"] = spec.after_failure.action
        if spec.after_failure.folder is not None:
            folders["error"] = spec.after_failure.folder
    return endpoint.model_copy(
        update={
            "pickup": endpoint.pickup.model_copy(update=pickup),
            "folders": endpoint.folders.model_copy(update=folders),
        }
    )


@dataclass
class _StatementWriter:
    """The consumer handed to the Picker: one statement in, its outputs out, recorded."""

    job: JobDefinition
    formats: InboundFormats
    context: RunContext
    ledger: RunLedger
    run_id: int
    sinks: list[SqlSink]
    written: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, picked: PickedFile) -> None:
        spec = self.job.inbound
        assert spec is not None
        earlier = self.ledger.statement_outputs(self.job.name, picked.sha256)
        if earlier is not None:
            self._log("already_written", picked, outputs=earlier)
            return
        compiled = self.formats.reader_for(picked.local_path)
        with picked.local_path.open("rb") as stream:
            data, _report = compiled.read_document(stream, file_name=picked.remote_path)
        remote_name = picked.remote_path.rsplit("/", 1)[-1]
        outputs = []
        # All outputs or none: each file is written to its temp file first, then the SQL
        # outputs commit; a failure before that removes them all (the statement is refused
        # whole, or stays for the next run: erengine.jobs.sinks), success publishes them.
        with ExitStack() as publish_on_success:
            for output in spec.outputs:
                if isinstance(output, SqlOutputSpec):
                    continue
                name = output.name.format(
                    stem=Path(remote_name).stem,
                    name=remote_name,
                    sha256=picked.sha256,
                    type=output.type,
                )
                target = self.job.path(output.folder) / name
                temporary = publish_on_success.enter_context(durable_output(target))
                write_data(compiled.model, data, temporary, kind=output.type)
                outputs.append(str(target))
            for sink in self.sinks:
                rows = sink.write(
                    data, job=self.job.name, sha256=picked.sha256, remote_path=picked.remote_path
                )
                self._log(
                    "sql_written" if rows >= 0 else "sql_already_written",
                    picked,
                    target=sink.target,
                    rows=rows,
                )
                outputs.append(sink.target)
        self.context.step_hook("outputs written")
        self.ledger.record_statement(
            self.run_id,
            job=self.job.name,
            sha256=picked.sha256,
            endpoint=picked.endpoint,
            remote_path=picked.remote_path,
            outputs=outputs,
            format_label=compiled.label,
            format_sha256=compiled.sha256,
        )
        self.written.append({"remote_path": picked.remote_path, "outputs": outputs})
        self._log(
            "written",
            picked,
            outputs=outputs,
            format=compiled.label,
            format_sha256=compiled.sha256,
        )
        self.context.step_hook("statement recorded")

    def _log(self, event: str, picked: PickedFile, **values: Any) -> None:
        self.context.log(
            {
                "event": event,
                "job": self.job.name,
                "run": self.run_id,
                "remote_path": picked.remote_path,
                "sha256": picked.sha256,
                "redelivered": picked.redelivered,
                **values,
            }
        )
