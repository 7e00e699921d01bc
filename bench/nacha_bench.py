"""NACHA write and read: erengine beside a hand-written slicing/formatting loop, same run.

Run by hand (not part of the test run)::

    .venv/bin/python bench/nacha_bench.py [--sizes 100000 1000000] [--quick] [--json FILE]

For each size the engine writes the file, the hand-written loop writes the same data and
must produce the same bytes (sha256), then both read the engine's file back into dicts
(Decimal amounts, dates) checking batch and file control totals, and must agree on the
totals. Each case runs in a fresh subprocess, so its peak RSS is its own; the seconds cover
the write or read only (not interpreter start, imports or the engine's format compilation).

Targets, reported and not asserted: erengine at least 0.4x the hand-written loop's
throughput, and erengine's peak RSS at the largest size at most 1.3x that at the smallest.

The data is built from ``samples/payments.json`` (file header and the first batch's
fields) with generated payments: credits and some debits to checking and savings accounts,
varied amounts, names and routing numbers, an addenda on every tenth payment. Batches hold
``ENTRIES_PER_BATCH`` entries because a NACHA batch control counts entries and addenda in six
digits: a single batch cannot hold a million entries.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from erengine.engine import CompiledFormat

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "payments.json"
ENTRIES_PER_BATCH = 10_000
DEFAULT_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
THROUGHPUT_TARGET = 0.4
RSS_GROWTH_TARGET = 1.3
CASES = ("engine-write", "hand-write", "engine-read", "hand-read")
WRITE_CONTEXT = {"now": dt.datetime(2024, 3, 1, 10, 30), "today": dt.date(2024, 3, 1)}

ModelPath = tuple[str, ...]
BATCH_PATH: ModelPath = ("batches",)
PAYMENT_PATH: ModelPath = ("batches", "payments")

# --- Generated data ------------------------------------------------------------------------

NAMES = (
    "Jane Doe",
    "John Smith",
    "Widget Supply Co",
    "Bright Retail LLC",
    "Maria Garcia-Lopez",
    "Ahmed Al-Farsi",
    "Chen Wei",
    "Olivia Brown",
    "Northwind Traders",
    "Kowalski & Sons Inc",
    "Amelia O'Connor",
)
# Prime pool lengths, so the combinations of name, amount and bank repeat rarely.
AMOUNTS = tuple(Decimal(cents).scaleb(-2) for cents in range(1, 250_000, 2_503))  # 100
DFI_PREFIXES = tuple(f"{(1_100_001 + 3_217_393 * k) % 32_000_000:08d}" for k in range(101))


def aba_check_digit(first_eight: str) -> int:
    """The ninth digit of an ABA routing number (weights 3, 7, 1), as the engine computes it."""
    d = [ord(c) - 48 for c in first_eight]
    return -(3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5]) % 10


def aba_valid(routing: str) -> bool:
    d = [ord(c) - 48 for c in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]) % 10 == 0


ROUTING_NUMBERS = tuple(prefix + str(aba_check_digit(prefix)) for prefix in DFI_PREFIXES)


def generated_payments(first: int, count: int) -> Iterator[dict[str, Any]]:
    """Payments ``first`` .. ``first + count - 1``, each a fresh dict (writers may fill in)."""
    for number in range(first, first + count):
        payment: dict[str, Any] = {
            "amount": AMOUNTS[number % 97],
            "currency": "USD",
            "direction": "debit" if number % 20 == 19 else "credit",
            "creditor": {"name": NAMES[number % 11], "id": f"EMP-{number:07d}"},
            "creditor_account": {
                "number": str(10_000 + number * 7_919 % 999_999_999),
                "type": "savings" if number % 3 == 2 else "checking",
            },
            "creditor_agent": {"routing_number": ROUTING_NUMBERS[number % 101]},
        }
        if number % 10 == 0:
            payment["addenda"] = f"Invoice {number:08d} settled, thank you"
        yield payment


def file_data(header: Mapping[str, Any], entries: int) -> dict[str, Any]:
    """Typed model data of a file with ``entries`` payments, batches and payments generated.

    ``header`` is typed sample data; its first batch is the template of every batch.
    """
    template = {key: value for key, value in header["batches"][0].items() if key != "payments"}

    def batches() -> Iterator[dict[str, Any]]:
        for first in range(0, entries, ENTRIES_PER_BATCH):
            count = min(ENTRIES_PER_BATCH, entries - first)
            yield {**template, "payments": generated_payments(first, count)}

    return {**{k: v for k, v in header.items() if k != "batches"}, "batches": batches()}


def typed_sample_by_hand() -> dict[str, Any]:
    """The sample in model form without the engine, so the hand-written cases never import it.

    Only what the NACHA layout uses is converted; the byte-identical output proves it agrees
    with the engine's ``model.from_json``.
    """
    sample: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    sample["created_at"] = dt.datetime.fromisoformat(sample["created_at"])
    for batch in sample["batches"]:
        batch["requested_date"] = dt.date.fromisoformat(batch["requested_date"])
    return sample


def engine_format() -> CompiledFormat:
    # Imported here so the hand-written cases' subprocesses do not load the engine.
    from erengine.engine import Engine  # noqa: PLC0415

    return Engine.from_folders().format("nacha@^1")


def typed_sample(fmt: CompiledFormat) -> dict[str, Any]:
    typed: dict[str, Any] = fmt.model.from_json(json.loads(SAMPLE.read_text(encoding="utf-8")))
    return typed


# --- The hand-written loop -----------------------------------------------------------------

TRANSACTION_CODES: dict[tuple[str, str, bool | None], str] = {
    ("credit", "checking", None): "22",
    ("credit", "checking", True): "23",
    ("debit", "checking", None): "27",
    ("debit", "checking", True): "28",
    ("credit", "savings", None): "32",
    ("credit", "savings", True): "33",
    ("debit", "savings", None): "37",
    ("debit", "savings", True): "38",
    ("credit", "general_ledger", None): "42",
    ("credit", "general_ledger", True): "43",
    ("debit", "general_ledger", None): "47",
    ("debit", "general_ledger", True): "48",
    ("credit", "loan", None): "52",
    ("credit", "loan", True): "53",
    ("debit", "loan", None): "55",
}
TRANSACTION_TYPES = {code: key for key, code in TRANSACTION_CODES.items()}
RECORD_WIDTH = 94
BLOCKING_FACTOR = 10
FILLER_RECORD = "9" * RECORD_WIDTH


class NachaLoopError(ValueError):
    """Data the hand-written loop refuses, as the engine would."""


def _routing(value: Any) -> str:
    if not (isinstance(value, str) and len(value) == 9 and value.isdigit() and aba_valid(value)):
        raise NachaLoopError(f"not a routing number with a valid check digit: {value!r}")
    return value


def _cents(amount: Decimal) -> int:
    scaled = amount.scaleb(2)
    cents = int(scaled)
    if cents != scaled or cents < 0:
        raise NachaLoopError(f"not a positive amount with at most 2 decimals: {amount}")
    return cents


def _checked(record: str) -> str:
    # Fields are padded, not cut, so a value too long for its field shows as a long record.
    if len(record) != RECORD_WIDTH:
        raise NachaLoopError(f"a value does not fit its field: {record!r}")
    return record


def hand_write(data: Mapping[str, Any], sink: BinaryIO) -> None:
    """Write the NACHA file of ``data`` with f-strings, one buffered write per batch."""
    destination, origin = data["destination"], data["origin"]
    sink.write(
        _checked(
            f"101{destination['id']:>10}{origin['id']:>10}{data['created_at']:%y%m%d%H%M}"
            f"{data.get('file_id_modifier') or 'A'}094101{destination.get('name') or '':<23}"
            f"{origin.get('name') or '':<23}{data.get('reference_code') or '':<8}"
        ).encode("ascii")
        + b"\n"
    )
    records = 1
    batch_count = entry_count = entry_addenda_count = file_hash = 0
    file_debit = file_credit = 0
    for batch in data["batches"]:
        batch_count += 1
        odfi = _routing(batch["debtor_agent"]["routing_number"])[:8]
        batch_id = batch.get("batch_id") or f"{batch_count:07d}"
        lines = [""]  # the batch header, once the entries tell the service class
        debit_count = credit_count = batch_hash = debit = credit = 0
        for payment in batch["payments"]:
            entry_count += 1
            if payment.get("currency", "USD") != "USD":
                raise NachaLoopError(f"NACHA amounts are USD: {payment['currency']!r}")
            account, creditor = payment["creditor_account"], payment["creditor"]
            direction = payment["direction"]
            code = TRANSACTION_CODES[direction, account["type"], payment.get("prenote") or None]
            rdfi = _routing(payment["creditor_agent"]["routing_number"])
            cents = _cents(payment["amount"])
            trace = payment.get("trace_number") or f"{odfi}{entry_count:07d}"
            if not (trace.isascii() and trace.isdigit()):
                raise NachaLoopError(f"trace number is not digits: {trace!r}")
            addenda = payment.get("addenda")
            lines.append(
                _checked(
                    f"6{code}{rdfi}{account['number']:<17}{cents:010d}"
                    f"{creditor.get('id') or '':<15}{creditor['name']:<22.22}"
                    f"{payment.get('discretionary_data') or '':<2}"
                    f"{'0' if addenda is None else '1'}{trace:0>15}"
                )
            )
            if addenda is not None:
                lines.append(_checked(f"705{addenda:<80}0001{trace[8:]:0>7}"))
            batch_hash += int(rdfi[:8])
            if direction == "debit":
                debit_count += 1
                debit += cents
            else:
                credit_count += 1
                credit += cents
        entry_addenda = len(lines) - 1
        if not entry_addenda:
            raise NachaLoopError(f"batch {batch_count} has no payments")
        service_class = batch.get("service_class_code") or (
            "220" if debit_count == 0 else "225" if credit_count == 0 else "200"
        )
        debtor = batch["debtor"]
        lines[0] = _checked(
            f"5{service_class}{debtor['name']:<16}{batch.get('discretionary_data') or '':<20}"
            f"{debtor['id']:<10}{batch['local_instrument']:<3}{batch['description']:<10}"
            f"{batch.get('descriptive_date') or '':<6}{batch['requested_date']:%y%m%d}   1"
            f"{odfi}{batch_id:0>7}"
        )
        lines.append(
            _checked(
                f"8{service_class}{entry_addenda:06d}{batch_hash % 10**10:010d}{debit:012d}"
                f"{credit:012d}{debtor['id']:<10}{'':25}{odfi}{batch_id:0>7}"
            )
        )
        lines.append("")  # the final newline
        sink.write("\n".join(lines).encode("ascii"))
        records += entry_addenda + 2
        entry_addenda_count += entry_addenda
        file_hash += batch_hash
        file_debit += debit
        file_credit += credit
    block_count = (records + BLOCKING_FACTOR) // BLOCKING_FACTOR
    trailer = _checked(
        f"9{batch_count:06d}{block_count:06d}{entry_addenda_count:08d}"
        f"{file_hash % 10**10:010d}{file_debit:012d}{file_credit:012d}{'':39}"
    )
    fillers = -(records + 1) % BLOCKING_FACTOR
    sink.write("\n".join([trailer] + [FILLER_RECORD] * fillers + [""]).encode("ascii"))


class HandReader:
    """Read a NACHA file by slicing, yielding (list path, item) like the engine's reader.

    Checks what the engine checks for this layout: record width, constants, routing check
    digits, digits in numeric fields, addenda indicators and sequence numbers, and batch and
    file control totals. ``root`` holds the file header's fields once iteration ends.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.root: dict[str, Any] = {}

    def __iter__(self) -> Iterator[tuple[ModelPath, dict[str, Any]]]:
        batch: dict[str, Any] | None = None
        payment: dict[str, Any] | None = None
        indicator = ""
        has_addenda = ended = False
        records = batch_count = entry_addenda_count = file_hash = file_debit = file_credit = 0
        entries = batch_addenda = batch_hash = debit = credit = 0
        number = 0
        for number, line in enumerate(io.TextIOWrapper(self.stream, encoding="ascii"), 1):
            record = line.rstrip("\r\n")
            if len(record) != RECORD_WIDTH:
                if not record.strip():
                    continue  # blank lines some systems append
                raise NachaLoopError(f"line {number}: record is {len(record)} characters")
            kind = record[0]
            if ended:
                if record != FILLER_RECORD:
                    raise NachaLoopError(f"line {number}: data after the file control record")
                continue
            records += 1
            if kind == "7" and payment is not None and not has_addenda:
                if record[1:3] != "05" or record[83:87] != "0001":
                    raise NachaLoopError(f"line {number}: not an addenda 05 numbered 0001")
                if record[87:94] != payment["trace_number"][8:]:
                    raise NachaLoopError(f"line {number}: addenda of another trace number")
                text = record[3:83].rstrip(" ")
                if text:
                    payment["addenda"] = text
                has_addenda = True
                batch_addenda += 1
                continue
            if payment is not None:
                if indicator != ("1" if has_addenda else "0"):
                    raise NachaLoopError(f"line {number}: the addenda indicator is {indicator}")
                yield PAYMENT_PATH, payment
                payment = None
            if kind == "6" and batch is not None:
                payment, cents = self.entry(record, number)
                indicator = record[78]
                has_addenda = False
                entries += 1
                batch_hash += int(record[3:11])
                if payment["direction"] == "debit":
                    debit += cents
                else:
                    credit += cents
            elif kind == "8" and batch is not None and entries:
                odfi = batch["debtor_agent"]["routing_number"][:8]
                expected = (
                    f"8{batch['service_class_code']}{entries + batch_addenda:06d}"
                    f"{batch_hash % 10**10:010d}{debit:012d}{credit:012d}"
                    f"{batch['debtor']['id']:<10}{'':25}{odfi}{batch['batch_id']}"
                )
                if record != expected:
                    raise NachaLoopError(f"line {number}: batch control should be {expected!r}")
                yield BATCH_PATH, batch
                batch = None
                entry_addenda_count += entries + batch_addenda
                file_hash += batch_hash
                file_debit += debit
                file_credit += credit
            elif kind == "5" and batch is None and self.root:
                batch = self.batch_header(record, number)
                batch_count += 1
                entries = batch_addenda = batch_hash = debit = credit = 0
            elif kind == "9" and batch is None and batch_count:
                blocks = (records - 1 + BLOCKING_FACTOR) // BLOCKING_FACTOR
                expected = (
                    f"9{batch_count:06d}{blocks:06d}{entry_addenda_count:08d}"
                    f"{file_hash % 10**10:010d}{file_debit:012d}{file_credit:012d}{'':39}"
                )
                if record != expected:
                    raise NachaLoopError(f"line {number}: file control should be {expected!r}")
                ended = True
            elif kind == "1" and not self.root:
                self.root = self.file_header(record, number)
            else:
                raise NachaLoopError(f"line {number}: record type {kind!r} is not expected here")
        if not ended:
            raise NachaLoopError(f"line {number}: the file ends before its file control record")

    @staticmethod
    def entry(record: str, number: int) -> tuple[dict[str, Any], int]:
        """An entry detail record as a payment dict, and its amount in cents."""
        direction, account_type, prenote = TRANSACTION_TYPES.get(record[1:3], ("", "", None))
        rdfi, amount_text, trace = record[3:12], record[29:39], record[79:94]
        if not direction:
            raise NachaLoopError(f"line {number}: unknown transaction code {record[1:3]!r}")
        if not (rdfi.isascii() and rdfi.isdigit() and aba_valid(rdfi)):
            raise NachaLoopError(f"line {number}: bad routing number {rdfi!r}")
        if not (amount_text.isascii() and amount_text.isdigit()):
            raise NachaLoopError(f"line {number}: amount is not digits: {amount_text!r}")
        if not (trace.isascii() and trace.isdigit()):
            raise NachaLoopError(f"line {number}: trace number is not digits: {trace!r}")
        creditor = {"name": record[54:76].rstrip(" ")}
        individual_id = record[39:54].rstrip(" ")
        if individual_id:
            creditor["id"] = individual_id
        payment = {
            "direction": direction,
            "creditor_account": {"type": account_type, "number": record[12:29].rstrip(" ")},
            "creditor_agent": {"routing_number": rdfi},
            "amount": Decimal(amount_text).scaleb(-2),
            "creditor": creditor,
            "trace_number": trace,
            "currency": "USD",
        }
        discretionary = record[76:78].rstrip(" ")
        if discretionary:
            payment["discretionary_data"] = discretionary
        if prenote is not None:
            payment["prenote"] = prenote
        return payment, int(amount_text)

    @staticmethod
    def file_header(record: str, number: int) -> dict[str, Any]:
        if record[1:3] != "01" or record[34:40] != "094101":
            raise NachaLoopError(f"line {number}: not a file header of 94-character records")
        root: dict[str, Any] = {
            "destination": {"id": record[3:13].lstrip(" ")},
            "origin": {"id": record[13:23].lstrip(" ")},
            "created_at": dt.datetime.strptime(record[23:33], "%y%m%d%H%M"),
            "file_id_modifier": record[33],
        }
        for text, owner, key in (
            (record[40:63], root["destination"], "name"),
            (record[63:86], root["origin"], "name"),
            (record[86:94], root, "reference_code"),
        ):
            if text.rstrip(" "):
                owner[key] = text.rstrip(" ")
        return root

    @staticmethod
    def batch_header(record: str, number: int) -> dict[str, Any]:
        odfi, batch_id = record[79:87], record[87:94]
        if record[78] != "1" or not (odfi.isdigit() and batch_id.isdigit()):
            raise NachaLoopError(f"line {number}: batch header needs status 1 and digits")
        batch: dict[str, Any] = {
            "service_class_code": record[1:4],
            "debtor": {"name": record[4:20].rstrip(" "), "id": record[40:50].rstrip(" ")},
            "local_instrument": record[50:53].rstrip(" "),
            "description": record[53:63].rstrip(" "),
            "requested_date": dt.datetime.strptime(record[69:75], "%y%m%d").date(),
            "debtor_agent": {"routing_number": odfi + str(aba_check_digit(odfi))},
            "batch_id": batch_id,
        }
        for text, key in (
            (record[20:40], "discretionary_data"),
            (record[63:69], "descriptive_date"),
        ):
            if text.rstrip(" "):
                batch[key] = text.rstrip(" ")
        return batch


# --- Cases -------------------------------------------------------------------------------


@dataclass
class ReadSummary:
    """What a consumer of the read items adds up; the engine and the loop must agree."""

    batches: int = 0
    entries: int = 0
    addenda: int = 0
    debit_total: Decimal = Decimal(0)
    credit_total: Decimal = Decimal(0)
    entry_hash: int = 0


def summarize(items: Iterable[tuple[ModelPath, dict[str, Any]]]) -> ReadSummary:
    summary = ReadSummary()
    for path, item in items:
        if path == BATCH_PATH:
            summary.batches += 1
            continue
        summary.entries += 1
        summary.addenda += "addenda" in item
        summary.entry_hash += int(item["creditor_agent"]["routing_number"][:8])
        if item["direction"] == "debit":
            summary.debit_total += item["amount"]
        else:
            summary.credit_total += item["amount"]
    return summary


def engine_items(
    fmt: CompiledFormat, stream: BinaryIO
) -> Iterator[tuple[ModelPath, dict[str, Any]]]:
    return ((item.list_path, item.item) for item in fmt.read(stream, file_name="bench.ach"))


@dataclass(frozen=True)
class CaseResult:
    case: str
    entries: int
    seconds: float
    peak_rss_mb: float
    summary: ReadSummary | None  # read cases only

    @property
    def entries_per_second(self) -> float:
        return self.entries / self.seconds


def run_in_process(case: str, entries: int, path: Path) -> tuple[float, ReadSummary | None]:
    """Run one case here; return its seconds (the write or read alone) and a read's totals."""
    fmt = engine_format() if case.startswith("engine") else None
    summary = None
    if case.endswith("write"):
        data = file_data(typed_sample(fmt) if fmt else typed_sample_by_hand(), entries)
        with path.open("wb") as sink:
            started = time.perf_counter()
            if fmt:
                fmt.write(data, sink, context=WRITE_CONTEXT)
            else:
                hand_write(data, sink)
            sink.flush()
            seconds = time.perf_counter() - started
    else:
        with path.open("rb") as stream:
            started = time.perf_counter()
            summary = summarize(engine_items(fmt, stream) if fmt else HandReader(stream))
            seconds = time.perf_counter() - started
    return seconds, summary


def run_child(case: str, entries: int, path: Path) -> None:
    seconds, summary = run_in_process(case, entries, path)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(
        json.dumps({"seconds": seconds, "peak_rss_kb": peak_kb, "summary": summary_json(summary)})
    )


def run_case(case: str, entries: int, path: Path) -> CaseResult:
    """Run one case in a fresh interpreter, so its peak RSS is its own."""
    print(f"  {case} {entries:,} ...", file=sys.stderr, flush=True)
    command = [sys.executable, __file__, "--child", case, str(entries), str(path)]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    if child.returncode:
        raise SystemExit(f"{case} {entries} failed:\n{child.stderr}")
    output = json.loads(child.stdout)
    return CaseResult(
        case,
        entries,
        output["seconds"],
        output["peak_rss_kb"] / 1024,
        summary_from_json(output["summary"]),
    )


def summary_json(summary: ReadSummary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {
        key: str(value) if isinstance(value, Decimal) else value
        for key, value in dataclasses.asdict(summary).items()
    }


def summary_from_json(figures: dict[str, Any] | None) -> ReadSummary | None:
    if figures is None:
        return None
    return ReadSummary(
        **{
            **figures,
            "debit_total": Decimal(figures["debit_total"]),
            "credit_total": Decimal(figures["credit_total"]),
        }
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def run_size(entries: int, folder: Path) -> list[CaseResult]:
    engine_file, hand_file = folder / f"engine-{entries}.ach", folder / f"hand-{entries}.ach"
    results = [
        run_case("engine-write", entries, engine_file),
        run_case("hand-write", entries, hand_file),
    ]
    if sha256_of(engine_file) != sha256_of(hand_file):
        raise SystemExit(f"{entries}: the hand-written loop's file differs from the engine's")
    hand_file.unlink()
    # Both read the engine's file: what the engine writes is what it must read.
    reads = [
        run_case("engine-read", entries, engine_file),
        run_case("hand-read", entries, engine_file),
    ]
    if reads[0].summary != reads[1].summary:
        raise SystemExit(f"{entries}: the reads disagree: {reads[0].summary} != {reads[1].summary}")
    engine_file.unlink()
    return results + reads


# --- Report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratios:
    throughput: dict[str, float]  # "write 100000": engine / hand-written entries per second
    rss_growth: dict[str, float]  # "write": engine peak RSS at the largest size / smallest


def ratios(results: list[CaseResult]) -> Ratios:
    by_case = {(r.case, r.entries): r for r in results}
    sizes = sorted({r.entries for r in results})
    throughput = {
        f"{verb} {n}": by_case[f"engine-{verb}", n].entries_per_second
        / by_case[f"hand-{verb}", n].entries_per_second
        for n in sizes
        for verb in ("write", "read")
    }
    rss_growth = {
        verb: by_case[f"engine-{verb}", sizes[-1]].peak_rss_mb
        / by_case[f"engine-{verb}", sizes[0]].peak_rss_mb
        for verb in ("write", "read")
        if len(sizes) > 1
    }
    return Ratios(throughput, rss_growth)


def report(results: list[CaseResult]) -> str:
    found = ratios(results)
    lines = [
        f"{'case':<13} {'entries':>9} {'seconds':>8} {'entries/s':>10} {'peak RSS MB':>11} "
        f"{'engine/hand':>11}"
    ]
    for r in results:
        ratio = found.throughput.get(f"{r.case.removeprefix('engine-')} {r.entries}")
        shown = f"{ratio:.2f}x" if r.case.startswith("engine") and ratio else ""
        lines.append(
            f"{r.case:<13} {r.entries:>9,} {r.seconds:>8.2f} {r.entries_per_second:>10,.0f} "
            f"{r.peak_rss_mb:>11.1f} {shown:>11}"
        )
    lines.append("")
    for key, ratio in found.throughput.items():
        verdict = "met" if ratio >= THROUGHPUT_TARGET else "MISSED"
        lines.append(
            f"throughput engine/hand {key}: {ratio:.2f}x "
            f"(target >= {THROUGHPUT_TARGET}x, {verdict})"
        )
    sizes = sorted({r.entries for r in results})
    for verb, growth in found.rss_growth.items():
        verdict = "met" if growth <= RSS_GROWTH_TARGET else "MISSED"
        lines.append(
            f"engine peak RSS {verb} {sizes[-1]}/{sizes[0]}: {growth:.2f}x "
            f"(target <= {RSS_GROWTH_TARGET}x, {verdict})"
        )
    return "\n".join(lines)


def figures(results: list[CaseResult]) -> dict[str, Any]:
    found = ratios(results)
    return {
        "cases": [
            {
                "case": r.case,
                "entries": r.entries,
                "seconds": r.seconds,
                "entries_per_second": r.entries_per_second,
                "peak_rss_mb": r.peak_rss_mb,
                "summary": summary_json(r.summary),
            }
            for r in results
        ],
        "throughput_engine_over_hand": found.throughput,
        "engine_rss_growth_largest_over_smallest": found.rss_growth,
        "targets": {
            "throughput_at_least": THROUGHPUT_TARGET,
            "rss_growth_at_most": RSS_GROWTH_TARGET,
        },
        "python": sys.version,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES} (smoke run)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--child", nargs=3, metavar=("CASE", "ENTRIES", "FILE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        case, entries, path = args.child
        if case not in CASES:
            parser.error(f"unknown case {case!r}")
        run_child(case, int(entries), Path(path))
        return 0
    sizes = sorted(QUICK_SIZES if args.quick else args.sizes)
    results: list[CaseResult] = []
    with tempfile.TemporaryDirectory(prefix="nacha-bench-") as folder:
        for entries in sizes:
            results += run_size(entries, Path(folder))
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(figures(results), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
