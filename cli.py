"""The `erengine` command line: parses arguments, calls the library, renders results.

Installed as ``erengine_cli.cli``; nothing in the library imports it. Each command group
registers itself in ``build_parser``; handlers return an exit code. Errors the library
raises are rendered here, as text or as JSON (``--errors json``); anything else is a bug and
says so, with its own exit code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from erengine.config.json_schema import json_schema
from erengine.config.versions import format_version
from erengine.detect import choose, detect
from erengine.engine import Engine
from erengine.errors import ErengineError, ErrorGroup, flatten
from erengine.io import write_data
from erengine.io.durable import durable_output
from erengine.kinds import document_schemas
from erengine.validate.xsd import SCHEMA_PATH_ENV, check_against_schema, schema_folders

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_DATA = 4
EXIT_TRANSPORT = 5
EXIT_INTERNAL = 70

_EXIT_BY_KIND = {
    "config": EXIT_CONFIG,
    "parse": EXIT_DATA,
    "validation": EXIT_DATA,
    "expression": EXIT_DATA,
    "transport": EXIT_TRANSPORT,
}

Handler = Callable[[argparse.Namespace], int]


# --- output helpers ---------------------------------------------------------------------


class ProgressStream(io.RawIOBase):
    """A file wrapper that shows on stderr how far a long read or write has got.

    Codec-independent: it counts bytes, so every format gets it. Shown only when stderr is a
    terminal, at most five times a second, and cleared at the end.
    """

    def __init__(self, inner: BinaryIO, label: str, total: int | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.label = label
        self.total = total
        self.done = 0
        self.enabled = sys.stderr.isatty()
        self.shown = 0.0

    def readable(self) -> bool:
        return self.inner.readable()

    def writable(self) -> bool:
        return self.inner.writable()

    def seekable(self) -> bool:
        return self.inner.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.inner.seek(offset, whence)

    def tell(self) -> int:
        return self.inner.tell()

    def readinto(self, buffer: Any) -> int:
        count = self.inner.readinto(buffer)  # type: ignore[attr-defined]
        self._advance(count or 0)
        return int(count or 0)

    def write(self, data: Any) -> int:
        count = self.inner.write(data)
        self._advance(count)
        return count

    def _advance(self, count: int) -> None:
        self.done += count
        if self.enabled and time.monotonic() - self.shown > 0.2:
            self.shown = time.monotonic()
            share = f" ({100 * self.done // self.total}%)" if self.total else ""
            sys.stderr.write(f"\r{self.label}: {self.done / 1e6:,.1f} MB{share}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.shown:
            sys.stderr.write("\r\033[K")
        super().close()


def render_errors(error: ErengineError, style: str) -> str:
    if style == "json":
        return json.dumps(error.to_dict(), indent=2, default=str)
    lines = [str(single) for single in flatten(error)]
    if isinstance(error, ErrorGroup) and error.truncated:
        lines.append("… stopped after the error limit; fix these and run again")
    return "\n".join(lines)


def engine_for(args: argparse.Namespace) -> Engine:
    return Engine.from_folders(tuple(Path(folder) for folder in args.catalog))


# --- commands ---------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    engine = engine_for(args)
    failures: list[Exception] = []
    checked = 0
    for path in _config_files(args.paths):
        checked += 1
        if _is_endpoint_file(path):
            failures += _validate_endpoint(path)
            continue
        try:
            document = engine.catalog.resolve_path(path)
            if document.entry.kind == "format":
                engine.compile_format(document)
            elif document.entry.kind == "model":
                engine.model(document)
            elif document.entry.kind == "job":
                # What only a loaded job checks: its cron, query parameters, overlays.
                from erengine.jobs import load_job  # noqa: PLC0415

                load_job(str(path), [Path(folder) for folder in args.catalog])
            print(f"ok   {path} ({document.label}, sha256 {document.sha256[:12]})")
        except ErengineError as error:
            failures.append(error)
            print(f"FAIL {path}", file=sys.stderr)
            print(render_errors(error, args.errors), file=sys.stderr)
    if not checked:
        print("no configuration files found", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_CONFIG if failures else EXIT_OK


ENDPOINT_TYPES = ("sftp", "local")  # the transport's endpoint kinds (docs/sftp.md)


def _is_endpoint_file(path: Path) -> bool:
    """An endpoint file of the transport (docs/sftp.md): `type` and no `kind`. Job folders
    keep them beside the jobs, so `validate` checks them too, with the transport's rules."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False  # the configuration loader reports what is wrong with it
    return isinstance(data, dict) and "kind" not in data and data.get("type") in ENDPOINT_TYPES


def _validate_endpoint(path: Path) -> list[Exception]:
    from erengine_sftp import SftpError, load_endpoint  # noqa: PLC0415

    try:
        endpoint = load_endpoint(path)
    except SftpError as error:
        print(f"FAIL {path}", file=sys.stderr)
        print(str(error), file=sys.stderr)
        return [error]
    print(f"ok   {path} (endpoint {endpoint.name}, {endpoint.type})")
    return []


def _config_files(paths: Sequence[str]) -> list[Path]:
    found: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        else:
            found.append(path)
    return found


def cmd_generate(args: argparse.Namespace) -> int:
    engine = engine_for(args)
    compiled = engine.format(args.format)
    context = _context(args)
    data = engine.load_input(compiled, Path(args.input), mapping=args.mapping, context=context)
    output = Path(args.output)
    with durable_output(output) as temporary:
        with (
            temporary.open("wb") as raw,
            ProgressStream(raw, f"writing {output.name}") as sink,
        ):
            report = compiled.write(data, sink, context=context)  # type: ignore[arg-type]
        schema_note = _validate_against_schema(compiled, temporary, output, args.schema_dir)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if schema_note:
        print(schema_note, file=sys.stderr)
    print(
        f"wrote {output}: {report.records} records, {report.bytes_written} bytes "
        f"({compiled.label}, config sha256 {compiled.sha256[:12]})"
    )
    return EXIT_OK


def _validate_against_schema(
    compiled: Any, written: Path, output: Path, schema_dirs: Sequence[str]
) -> str | None:
    """Validate against the format's XSD when one is on the schema path; say which, or why not."""
    schema_name = getattr(compiled.plan, "schema_file", None)
    if schema_name is None:
        return None
    folders = schema_folders([Path(folder) for folder in schema_dirs])
    used = check_against_schema(written, schema_name, folders, file_name=str(output))
    if used is None:
        return (
            f"warning: not validated against an XSD: no {schema_name} on the schema path "
            f"(--schema-dir, {SCHEMA_PATH_ENV})"
        )
    return f"valid against {used}"


def _context(args: argparse.Namespace) -> dict[str, Any]:
    now = (
        dt.datetime.fromisoformat(args.now)
        if args.now
        else dt.datetime.now().replace(microsecond=0)
    )
    context: dict[str, Any] = {"now": now, "today": now.date()}
    for item in args.set or ():
        key, _, value = item.partition("=")
        context[key] = value
    return context


def cmd_parse(args: argparse.Namespace) -> int:
    engine = engine_for(args)
    if args.detect:
        # `parse --detect FILE` or `parse --detect VARIANT FILE` (a bank's overlay)
        source = Path(args.file or args.format)
        detection = detect(engine.catalog, source)
        print(f"{source}: {detection.message}: {', '.join(detection.formats)}")
        if args.output is None:
            return EXIT_OK
        reference = choose(detection, args.format if args.file else None, engine.catalog)
    elif args.format is None or args.file is None or args.output is None:
        print("parse needs FORMAT FILE --output PATH (or --detect FILE)", file=sys.stderr)
        return EXIT_USAGE
    else:
        reference, source = args.format, Path(args.file)
    compiled = engine.format(reference)
    with (
        source.open("rb") as raw,
        ProgressStream(raw, f"reading {source.name}", source.stat().st_size) as stream,
    ):
        data, report = compiled.read_document(io.BufferedReader(stream), file_name=str(source))
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    output = Path(args.output)
    with durable_output(output) as temporary:
        write_data(compiled.model, data, temporary, args.to)
    print(f"wrote {output} ({args.to})", file=sys.stderr)
    print(_summary(compiled.label, report.records, data), file=sys.stderr)
    return EXIT_OK


def _summary(label: str, records: int, data: dict[str, Any]) -> str:
    counts: dict[str, int] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            counts[path] = counts.get(path, 0) + len(node)
            for item in node:
                walk(item, path)

    walk(data, "")
    lists = ", ".join(f"{count} {path}" for path, count in counts.items())
    return f"read {records} records with {label}: {lists or 'no lists'}"


def cmd_formats_list(args: argparse.Namespace) -> int:
    engine = engine_for(args)
    entries = engine.catalog.list(args.kind)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "kind": e.kind,
                        "name": e.name,
                        "version": format_version(e.version),
                        "path": str(e.path),
                        "shipped": e.shipped,
                        "description": e.description,
                    }
                    for e in entries
                ],
                indent=2,
            )
        )
    else:
        for e in entries:
            origin = "shipped" if e.shipped else str(e.path)
            print(f"{e.kind:8} {e.name:32} {format_version(e.version):10} {origin}")
    for problem in engine.catalog.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return EXIT_OK


def cmd_formats_show(args: argparse.Namespace) -> int:
    engine = engine_for(args)
    kinds = [args.kind] if args.kind else ["format", "model", "mapping"]
    name = args.reference.partition("@")[0]
    kind = next((k for k in kinds if any(e.name == name for e in engine.catalog.list(k))), kinds[0])
    document = engine.catalog.resolve(args.reference, kind)
    print(f"# {document.label} ({kind})")
    print(f"# sha256: {document.sha256}")
    for step in document.lineage:
        print(f"# from:   {step}")
    print(json.dumps(document.data, indent=2, ensure_ascii=False, default=str))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(document_schemas()), indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return EXIT_OK


# --- sftp commands ----------------------------------------------------------------------
# The transport (erengine_sftp, with paramiko) is imported inside the handlers (hence the
# PLC0415 exemptions): it costs ~0.2 s, which every other command would pay at start-up.

_SFTP_PROGRESS_MIN_BYTES = 1 << 20


def _add_sftp_commands(subparsers: Any) -> None:
    sftp = subparsers.add_parser("sftp", help="deliver and pick up files (SFTP or drop folder)")
    actions = sftp.add_subparsers(dest="sftp_command", required=True, metavar="ACTION")

    def endpoint_command(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        command: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
        command.add_argument("endpoint", metavar="ENDPOINT", help="endpoint YAML file, or a name")
        command.add_argument(
            "--endpoints",
            metavar="DIR",
            type=Path,
            help="folder of endpoint files to find ENDPOINT by name (also ERENGINE_ENDPOINTS)",
        )
        command.add_argument(
            "--ledger", type=Path, help="ledger file (default: in the user's data folder)"
        )
        command.add_argument("--json", action="store_true", help="print results as JSON")
        command.set_defaults(handler=handler)
        return command

    push = endpoint_command("push", "deliver files, each exactly once", _cmd_sftp_push)
    push.add_argument("files", nargs="+", metavar="FILE", type=Path)
    push.add_argument(
        "--force", action="store_true", help="send bytes the ledger says were delivered before"
    )
    push.add_argument(
        "--meta", action="append", default=[], metavar="KEY=VALUE", help="archive metadata"
    )
    pull = endpoint_command("pull", "pick up complete inbox files, each once", _cmd_sftp_pull)
    pull.add_argument("--to", type=Path, default=Path("."), metavar="DIR", help="target folder")
    pull.add_argument(
        "--meta", action="append", default=[], metavar="KEY=VALUE", help="archive metadata"
    )
    listing = endpoint_command("ls", "list a remote folder", _cmd_sftp_ls)
    listing.add_argument("--folder", choices=("inbox", "outbox"), default="inbox")

    fingerprint = actions.add_parser("fingerprint", help="show a server's host key, to pin it")
    fingerprint.add_argument("address", metavar="HOST[:PORT]", type=_sftp_host_port)
    fingerprint.add_argument("--timeout", type=float, default=10.0, help="seconds")
    fingerprint.add_argument("--json", action="store_true", help="print results as JSON")
    fingerprint.set_defaults(handler=_cmd_sftp_fingerprint)


def _sftp_host_port(address: str) -> tuple[str, int]:
    """HOST, HOST:PORT or [IPV6]:PORT."""
    host, port = address, "22"
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port = rest.removeprefix(":") or port
    elif address.count(":") == 1:
        host, _, port = address.partition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"not HOST[:PORT]: {address!r}")
    return host, int(port)


def _sftp_errors(handler: Handler) -> Handler:
    """Render transport errors like engine errors: text, or JSON with --json."""

    def run(args: argparse.Namespace) -> int:
        from erengine_sftp import SftpError  # noqa: PLC0415

        try:
            return handler(args)
        except SftpError as error:
            if args.json:
                print(json.dumps({"error": error.to_dict()}, indent=2), file=sys.stderr)
            else:
                print(str(error), file=sys.stderr)
            return EXIT_TRANSPORT

    return run


def _sftp_context(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """The endpoint, its ledger and its archive."""
    from erengine_sftp import Archive, Ledger, find_endpoint  # noqa: PLC0415

    endpoint = find_endpoint(args.endpoint, args.endpoints)
    return endpoint, Ledger(args.ledger or Ledger.default_path()), Archive.for_endpoint(endpoint)


def _sftp_metadata(items: Sequence[str]) -> dict[str, str]:
    pairs = [item.partition("=") for item in items]
    return {key: value for key, _, value in pairs}


def _byte_progress(label: str) -> Callable[[int, int], None] | None:
    """Percent done on stderr for files of 1 MiB and more, when stderr is a terminal;
    redrawn at most five times a second (callbacks come every 32 KiB)."""
    if not sys.stderr.isatty():
        return None
    last_drawn = [0.0]

    def show(done: int, total: int) -> None:
        finished = done >= total
        if total < _SFTP_PROGRESS_MIN_BYTES or (
            not finished and time.monotonic() - last_drawn[0] < 0.2
        ):
            return
        last_drawn[0] = time.monotonic()
        line = f"\r{label}: {done * 100 // total:3d}% of {total:,} bytes"
        print(line, end="\n" if finished else "", file=sys.stderr)

    return show


def _sftp_retry_notice(error: Any, attempt: int, delay: float) -> None:
    print(f"retrying (attempt {attempt}) in {delay:.1f} s after: {error}", file=sys.stderr)


@_sftp_errors
def _cmd_sftp_push(args: argparse.Namespace) -> int:
    from erengine_sftp import Courier  # noqa: PLC0415

    endpoint, ledger, archive = _sftp_context(args)
    with ledger:
        courier = Courier(
            endpoint,
            ledger=ledger,
            archive=archive,
            on_retry=_sftp_retry_notice,
            progress=lambda remote: _byte_progress(f"sending {remote}"),
        )
        receipts = courier.deliver(args.files, metadata=_sftp_metadata(args.meta), force=args.force)
    if args.json:
        print(json.dumps([receipt.to_dict() for receipt in receipts], indent=2))
    for receipt in receipts if not args.json else ():
        note = f" ({receipt.note})" if receipt.note else ""
        print(f"{receipt.status:17} {receipt.local_path} -> {receipt.remote_path}{note}")
    return EXIT_OK


@_sftp_errors
def _cmd_sftp_pull(args: argparse.Namespace) -> int:
    from erengine_sftp import Picker  # noqa: PLC0415

    endpoint, ledger, archive = _sftp_context(args)
    with ledger:
        picker = Picker(
            endpoint,
            ledger=ledger,
            archive=archive,
            on_retry=_sftp_retry_notice,
            progress=lambda remote: _byte_progress(f"fetching {remote}"),
        )
        report = picker.pick_up(args.to, metadata=_sftp_metadata(args.meta))
    # Files refused (unsafe names, fetches the server denied) need an operator: a scheduler
    # sees them in the exit code, while everything else picked up stays picked up.
    exit_code = EXIT_TRANSPORT if report.refused else EXIT_OK
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return exit_code
    for picked in report.picked:
        outcome = report.remote_outcomes.get(picked.remote_path, "")
        print(f"picked up  {picked.remote_path} -> {picked.local_path} ({outcome})")
    for label, items in (
        ("duplicate", report.duplicates),
        ("waiting", report.waiting),
        ("refused", report.refused),
    ):
        for item in items:
            print(f"{label:10} {item.remote_path}: {item.reason}")
    if not report.picked:
        print("nothing to pick up")
    return exit_code


@_sftp_errors
def _cmd_sftp_ls(args: argparse.Namespace) -> int:
    from erengine_sftp.link import opener_for  # noqa: PLC0415

    endpoint = _sftp_context(args)[0]
    folder = endpoint.folders.inbox if args.folder == "inbox" else endpoint.folders.outbox
    session = opener_for(endpoint)()
    try:
        entries = sorted(session.list_folder(folder), key=lambda entry: entry.name)
    finally:
        session.close()
    if args.json:
        fields = ("name", "size", "mtime", "is_file")
        listing = [{name: getattr(entry, name) for name in fields} for entry in entries]
        print(json.dumps(listing, indent=2))
        return EXIT_OK
    for entry in entries:
        when = dt.datetime.fromtimestamp(entry.mtime, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        kind = "" if entry.is_file else "/"
        print(f"{entry.size:>12,}  {when}  {entry.name}{kind}")
    return EXIT_OK


@_sftp_errors
def _cmd_sftp_fingerprint(args: argparse.Namespace) -> int:
    from erengine_sftp import fetch_host_key  # noqa: PLC0415

    host, port = args.address
    info = fetch_host_key(host, port, timeout=args.timeout)
    if args.json:
        fields = ("key_type", "fingerprint", "known_hosts_line")
        print(json.dumps({name: getattr(info, name) for name in fields}, indent=2))
        return EXIT_OK
    print(f"{info.key_type} {info.fingerprint}")
    print(f"known_hosts line: {info.known_hosts_line}")
    print(
        "Check this fingerprint with the bank over another channel before pinning it "
        "(host_keys.fingerprints in the endpoint file).",
        file=sys.stderr,
    )
    return EXIT_OK


# --- end sftp commands ------------------------------------------------------------------


# --- job commands -----------------------------------------------------------------------
# erengine.jobs pulls in the transport (paramiko): imported inside the handlers, as for sftp.


def _add_job_commands(subparsers: Any) -> None:
    run = subparsers.add_parser("run", help="run a job: send one batch, or pick up statements")
    run.add_argument("job", metavar="JOB", help="job YAML file, or NAME[@RANGE] in the catalog")
    run.add_argument("--period", help="business period of an outbound run (default: today)")
    run.add_argument("--batch", help="an explicit batch id, instead of the period, as the key")
    run.add_argument(
        "--dry-run", action="store_true", help="write and check the file; record and send nothing"
    )
    run.add_argument("--now", help="creation time to use (ISO 8601; default: now)")
    _job_options(run)
    run.set_defaults(handler=_cmd_run)

    jobs = subparsers.add_parser("jobs", help="list jobs; show their runs and history")
    actions = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the jobs in the catalog and their last run")
    _job_options(listing)
    listing.set_defaults(handler=_cmd_jobs_list)
    status = actions.add_parser("status", help="the last run of each job")
    status.add_argument("job", metavar="JOB", nargs="?", help="only this job (its name)")
    _job_options(status)
    status.set_defaults(handler=_cmd_jobs_status)
    history = actions.add_parser("history", help="every run with its steps and deliveries")
    history.add_argument("job", metavar="JOB", nargs="?", help="only this job (its name)")
    history.add_argument("--limit", type=int, default=50, help="newest N runs (default: 50)")
    _job_options(history)
    history.set_defaults(handler=_cmd_jobs_history)

    scheduler = subparsers.add_parser(
        "scheduler", help="run jobs on their cron schedules until stopped (SIGTERM)"
    )
    scheduler.add_argument(
        "jobs",
        nargs="*",
        metavar="JOB",
        help="job files or names (default: every job with a schedule in the catalog folders)",
    )
    _job_options(scheduler)
    scheduler.set_defaults(handler=_cmd_scheduler)


def _job_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--data-dir",
        type=Path,
        help="folder of the run ledger, transport ledger and archive "
        "(default: ERENGINE_DATA_DIR, else the user's data folder)",
    )
    command.add_argument(
        "--ledger",
        metavar="URL",
        help="the run ledger: postgresql://USER@HOST:PORT/DBNAME or sqlite:///PATH (default: "
        f"{LEDGER_URL_ENV}, else runs.sqlite in the data folder); the PostgreSQL password "
        f"from the variable {LEDGER_PASSWORD_ENV} names, or libpq's PGPASSWORD",
    )
    command.add_argument("--json", action="store_true", help="print results as JSON")
    _common(command)


LEDGER_URL_ENV = "ERENGINE_LEDGER_URL"
LEDGER_PASSWORD_ENV = "ERENGINE_LEDGER_PASSWORD_ENV"  # noqa: S105 (a variable name)


def _job_context(args: argparse.Namespace, *, with_log: bool = False) -> Any:
    """The run context of a job command; its events name the run ledger (never a password)."""
    from erengine.jobs import RunContext  # noqa: PLC0415
    from erengine.jobs.database import DatabaseUrl  # noqa: PLC0415

    context = RunContext()
    if args.data_dir is not None:
        context.data_dir = args.data_dir
    url = args.ledger or os.environ.get(LEDGER_URL_ENV)
    if url:
        try:
            context.ledger_url = DatabaseUrl.parse(url, Path.cwd())
        except ValueError as exc:  # a bad option: exit as argparse does
            print(
                f"erengine: --ledger / {LEDGER_URL_ENV}: {exc} (the ledger's password comes "
                f"from the variable {LEDGER_PASSWORD_ENV} names)",
                file=sys.stderr,
            )
            raise SystemExit(EXIT_USAGE) from None
        context.ledger_password_env = os.environ.get(LEDGER_PASSWORD_ENV)
    if with_log:
        label = context.run_ledger_url.label
        context.log = lambda event: _log_json_line({**event, "ledger": label})
    return context


def _log_json_line(event: Any) -> None:
    """A run's events as JSON lines on stderr, for journald, cron mail or a log shipper."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    print(json.dumps({"time": stamp, **event}, default=str), file=sys.stderr, flush=True)


def _cmd_run(args: argparse.Namespace) -> int:
    from erengine.jobs import load_job, run_inbound, run_outbound  # noqa: PLC0415

    job = load_job(args.job, [Path(folder) for folder in args.catalog])
    context = _job_context(args, with_log=True)
    if job.inbound is not None:
        if args.period or args.batch or args.dry_run:
            print("--period, --batch and --dry-run are for outbound jobs", file=sys.stderr)
            return EXIT_USAGE
        inbound = run_inbound(job, context)
        if args.json:
            print(json.dumps(inbound.to_dict(), indent=2, default=str))
        else:
            for item in inbound.written:
                print(f"written    {item['remote_path']} -> {', '.join(item['outputs'])}")
            for label in ("rejected", "duplicates", "refused"):
                for passed in getattr(inbound, label):
                    print(f"{label:10} {passed['remote_path']}: {passed['reason']}")
            if not inbound.written:
                print("no new statements")
        return EXIT_TRANSPORT if inbound.status != "finished" else EXIT_OK
    now = dt.datetime.fromisoformat(args.now) if args.now else None
    outbound = run_outbound(
        job, context, period=args.period, batch=args.batch, dry_run=args.dry_run, now=now
    )
    if args.json:
        print(json.dumps(outbound.to_dict(), indent=2, default=str))
        return EXIT_OK
    note = f" ({outbound.note})" if outbound.note else ""
    print(f"{outbound.status:17} batch {outbound.batch}{note}")
    if outbound.file is not None:
        print(f"file              {outbound.file}")
    for delivery in outbound.deliveries:
        print(f"{delivery['status']:17} {delivery['endpoint']}: {delivery['remote_path']}")
    return EXIT_OK


def _cmd_jobs_list(args: argparse.Namespace) -> int:
    from erengine.jobs import list_jobs  # noqa: PLC0415

    jobs = list_jobs([Path(folder) for folder in args.catalog])
    with _job_context(args).open_run_ledger() as ledger:
        rows: list[dict[str, Any]] = []
        for job in jobs:
            last = ledger.runs(job.name, limit=1)
            rows.append(
                {
                    "job": job.label,
                    "direction": job.spec.direction,
                    "format": job.spec.format or "detect",
                    "path": str(job.document.entry.path),
                    "last_run": last[0].to_dict() if last else None,
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for row in rows:
        last_run = row["last_run"]
        state = f"{last_run['state']} {last_run['batch']}" if last_run else "never run"
        print(f"{row['job']:40} {row['direction']:9} {row['format']:24} {state}")
    if not rows:
        print("no jobs in the catalog (add folders with --catalog or ERENGINE_PATH)")
    return EXIT_OK


def _cmd_jobs_status(args: argparse.Namespace) -> int:
    with _job_context(args).open_run_ledger() as ledger:
        latest: dict[str, Any] = {}
        for run in ledger.runs(args.job):  # newest first: the first of each job is its last
            latest.setdefault(run.job, run)
    if args.json:
        print(json.dumps([run.to_dict() for run in latest.values()], indent=2))
        return EXIT_OK
    for run in latest.values():
        error = f"  error: {run.error}" if run.error else ""
        print(
            f"{run.job:32} {run.direction:9} {run.batch:32} {run.state:10} {run.updated_at}{error}"
        )
    if not latest:
        print("no runs recorded")
    return EXIT_OK


def _cmd_jobs_history(args: argparse.Namespace) -> int:
    with _job_context(args).open_run_ledger() as ledger:
        runs = [
            {
                **run.to_dict(),
                "ledger": ledger.url.label,
                "steps": ledger.steps(run.id),
                "deliveries": ledger.deliveries(run.id),
            }
            for run in ledger.runs(args.job, limit=args.limit)
        ]
    if args.json:
        print(json.dumps(runs, indent=2))
        return EXIT_OK
    print(f"ledger {ledger.url.label}")
    for run in runs:
        print(
            f"run {run['id']} {run['job']}@{run['job_version']} {run['batch']}: {run['state']} "
            f"({run['format']}, config sha256 {run['format_sha256'][:12]}) by {run['started_by']}"
        )
        if run.get("file_name"):
            print(f"  file {run['file_name']} sha256 {run['output_sha256'][:12]}")
        for step in run["steps"]:
            read_by = (
                f" {step['remote_path']} ({step['format']}, config sha256 "
                f"{step['format_sha256'][:12]})"
                if step.get("format")
                else ""
            )
            print(f"  {step['at']}  {step['step']}{read_by}")
        for delivery in run["deliveries"]:
            print(f"  -> {delivery['endpoint']}: {delivery['remote_path']} ({delivery['status']})")
    if not runs:
        print("no runs recorded")
    return EXIT_OK


def _cmd_scheduler(args: argparse.Namespace) -> int:
    import signal  # noqa: PLC0415

    from erengine.jobs import Scheduler, list_jobs, load_job  # noqa: PLC0415

    folders = [Path(folder) for folder in args.catalog]
    jobs = [load_job(job, folders) for job in args.jobs] if args.jobs else list_jobs(folders)
    scheduler = Scheduler(jobs, _job_context(args, with_log=True))
    if not scheduler.jobs:
        print("no job has a schedule", file=sys.stderr)
        return EXIT_USAGE
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda _number, _frame: scheduler.request_stop())
    scheduler.run_forever()
    return EXIT_OK


# --- end job commands -------------------------------------------------------------------


# --- parser -----------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        action="append",
        default=[],
        metavar="DIR",
        help="extra folder of configurations (repeatable; also ERENGINE_PATH)",
    )
    parser.add_argument(
        "--errors", choices=("human", "json"), default="human", help="how errors are printed"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="erengine",
        description="Write and read bank and tax files from versioned YAML formats.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_sftp_commands(sub)
    _add_job_commands(sub)

    validate = sub.add_parser("validate", help="check configuration files, all errors at once")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    _common(validate)
    validate.set_defaults(handler=cmd_validate)

    generate = sub.add_parser("generate", help="write a file in a format from model data")
    generate.add_argument("format", metavar="FORMAT[@RANGE]")
    generate.add_argument("--input", required=True, help="JSON, YAML or CSV input")
    generate.add_argument("--mapping", help="mapping NAME[@RANGE] for the input's own columns")
    generate.add_argument("--output", required=True, help="file to write (atomically)")
    generate.add_argument("--now", help="creation time to use (ISO 8601; default: now)")
    generate.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="a context value for expressions"
    )
    generate.add_argument(
        "--schema-dir",
        action="append",
        default=[],
        metavar="DIR",
        help=f"folder of XSD files, searched first (repeatable; also {SCHEMA_PATH_ENV})",
    )
    _common(generate)
    generate.set_defaults(handler=cmd_generate)

    parse = sub.add_parser("parse", help="read a file in a format into model data")
    parse.add_argument("format", metavar="FORMAT[@RANGE]", nargs="?")
    parse.add_argument("file", metavar="FILE", nargs="?")
    parse.add_argument(
        "--detect",
        action="store_true",
        help="recognise the message (XML namespace, SWIFT tags) and print the formats that "
        "read it; with --output, read it with the first, or with FORMAT when given (a bank "
        "variant)",
    )
    parse.add_argument("--output", help="file to write (atomically)")
    parse.add_argument("--to", choices=("json", "csv", "avro"), default="json")
    _common(parse)
    parse.set_defaults(handler=cmd_parse)

    formats = sub.add_parser("formats", help="list and show configurations in the catalog")
    formats_sub = formats.add_subparsers(dest="formats_command", required=True, metavar="ACTION")
    listing = formats_sub.add_parser("list", help="every configuration and version")
    listing.add_argument("--kind", choices=("format", "model", "mapping", "job"))
    listing.add_argument("--json", action="store_true")
    _common(listing)
    listing.set_defaults(handler=cmd_formats_list)
    show = formats_sub.add_parser("show", help="a resolved configuration, with its sha256")
    show.add_argument("reference", metavar="NAME[@RANGE]")
    show.add_argument("--kind", choices=("format", "model", "mapping", "job"))
    _common(show)
    show.set_defaults(handler=cmd_formats_show)

    schema = sub.add_parser("schema", help="JSON Schema of the configuration language")
    schema.add_argument("--output", help="file to write (default: standard output)")
    schema.set_defaults(handler=cmd_schema, errors="human")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ErengineError as error:
        print(render_errors(error, getattr(args, "errors", "human")), file=sys.stderr)
        return _EXIT_BY_KIND.get(error.kind, EXIT_DATA)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a file named on the command line cannot be read or written
        print(f"cannot use {exc.filename or 'a file'}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_DATA
    except Exception as exc:  # anything else is a bug: say so, keep the details
        print(
            f"internal error, please report: {type(exc).__name__}: {exc}\n"
            "(run with ERENGINE_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        if os.environ.get("ERENGINE_DEBUG"):
            raise
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
