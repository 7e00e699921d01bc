"""MT940 read: erengine beside a hand-written compiled-regex loop and the `mt940` package.

Run by hand (not part of the test run); the `mt940` package must be installed in the venv
(``.venv/bin/pip install mt940``)::

    .venv/bin/python bench/mt940_bench.py [--sizes 100000 1000000] [--json FILE]
        [--wolph-path DIR]   # WoLpH's parser: pip install --target DIR mt-940

For each size one MT940 file is generated (statements of ``ENTRIES_PER_STATEMENT`` :61:
lines, each with a two-line :86:). Each reader then runs in a fresh subprocess, so its peak
RSS is its own; the seconds cover reading only (not interpreter start, imports or the
engine's format compilation). All three must agree on the number of entries and their sum.

- erengine: ``Engine.from_folders().format("mt940@^1").read(stream)``, streaming entries
  (Decimal amounts, dates, references, :86: text, the balance check per statement);
- regex: a hand-written loop, one compiled expression per line shape, the same values;
- mt940: the PyPI package named ``mt940`` (B2CK, ``mt940.MT940(path)``);
- mt-940: WoLpH's parser (``mt940.parse(path)``), whose results sit beside the corpus files;
  it has the same import name as the other, so it runs from its own folder (``--wolph-path``).

Targets, reported and not asserted: erengine at least 2x the `mt940` package's throughput
and at least 0.4x the regex loop's, and its peak RSS flat (largest size at most 1.3x smallest).
Ratios are given by wall time and by CPU time (the reader's process alone): on a shared
machine other work stretches the wall time of whichever case it meets, the CPU time far less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ENTRIES_PER_STATEMENT = 500
DEFAULT_SIZES = (100_000, 1_000_000)
CASES = ("erengine", "regex", "mt940")
PACKAGE_TARGET = 2.0
REGEX_TARGET = 0.4
RSS_GROWTH_TARGET = 1.3


def generate(path: Path, entries: int) -> None:
    """An MT940 file of ``entries`` :61: lines whose balances add up."""
    day = dt.date(2024, 1, 2)
    with path.open("w", encoding="ascii", newline="") as out:
        written, number, balance = 0, 1, Decimal("1000.00")
        while written < entries:
            count = min(ENTRIES_PER_STATEMENT, entries - written)
            out.write(f":20:STMT{number}\r\n:25:NL91ABNA0417164300\r\n:28C:{number % 99999}/1\r\n")
            out.write(f":60F:C{day:%y%m%d}EUR{_swift(balance)}\r\n")
            for index in range(count):
                amount = Decimal(written + index) % 9973 + Decimal("0.37")
                mark = "C" if index % 3 else "D"
                balance += amount if mark == "C" else -amount
                out.write(
                    f":61:{day:%y%m%d}{day:%m%d}{mark}{_swift(amount)}NTRFREF{index}//B{number}X{index}\r\n"
                    f":86:/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/NAME/CUSTOMER {index}\r\n"
                    f"/REMI/INVOICE {number}-{index}/EREF/E2E{number}X{index}\r\n"
                )
            mark = "C" if balance >= 0 else "D"
            out.write(f":62F:{mark}{day:%y%m%d}EUR{_swift(abs(balance))}\r\n-\r\n")
            written += count
            number += 1


def _swift(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


# --- The readers, each run in its own process ----------------------------------------------


def read_erengine(path: Path) -> tuple[int, Decimal]:
    # Imported in the measuring process only, so each case pays only its own imports.
    from erengine.engine import Engine  # noqa: PLC0415

    compiled = Engine.from_folders().format("mt940@^1")
    started = _start()
    count, total = 0, Decimal(0)
    with path.open("rb") as stream:
        for item in compiled.read(stream, file_name=path.name):
            if item.list_path == ("statements", "entries"):
                entry = item.item
                count += 1
                total += entry["amount"] if entry["credit_debit"] == "credit" else -entry["amount"]
    _report(started)
    return count, total


def read_regex(path: Path) -> tuple[int, Decimal]:
    tag = re.compile(r":(\d\d[A-Z]?):(.*)")
    line_61 = re.compile(
        r"(\d{6})(\d{4})?(RC|RD|C|D)([A-Z])?(\d+,\d*)([A-Z])([A-Z0-9]{3})([^/]{1,16})(?://(.{1,16}))?"
    )
    started = _start()
    count, total = 0, Decimal(0)
    entry: dict[str, Any] | None = None
    current = ""
    with path.open(encoding="ascii", newline="") as text:
        for raw in text:
            line = raw.rstrip("\r\n")
            found = tag.match(line)
            if found is None:
                if current == "86" and entry is not None:
                    entry["information"] += line
                continue
            current, value = found.group(1), found.group(2)
            if current == "61":
                parts = line_61.match(value)
                if parts is None:
                    raise ValueError(f"bad :61: {value!r}")
                value_date = dt.datetime.strptime(parts.group(1), "%y%m%d").date()
                amount = Decimal(parts.group(5).replace(",", "."))
                debit = parts.group(3) in ("D", "RC")
                entry = {
                    "value_date": value_date,
                    "amount": amount,
                    "reference": parts.group(8),
                    "bank_reference": parts.group(9),
                    "information": "",
                }
                count += 1
                total += -amount if debit else amount
            elif current == "86" and entry is not None:
                entry["information"] = value
    _report(started)
    return count, total


def read_mt940_package(path: Path) -> tuple[int, Decimal]:
    import mt940  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: PLC0415

    started = _start()
    parsed = mt940.MT940(str(path), encoding="ascii")
    count, total = 0, Decimal(0)
    for statement in parsed.statements:
        for transaction in statement.transactions:
            count += 1
            total += transaction.amount
    _report(started)
    return count, total


def _start() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _report(started: tuple[float, float]) -> None:
    seconds = time.perf_counter() - started[0]
    cpu = time.process_time() - started[1]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb}), file=sys.stderr)


def read_wolph_package(path: Path) -> tuple[int, Decimal]:
    import mt940  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: PLC0415

    started = _start()
    count, total = 0, Decimal(0)
    for transaction in mt940.parse(str(path)):
        count += 1
        total += transaction.data["amount"].amount
    _report(started)
    return count, total


READERS = {
    "erengine": read_erengine,
    "regex": read_regex,
    "mt940": read_mt940_package,
    "mt-940": read_wolph_package,
}


def run_case(case: str, path: Path, wolph_path: Path | None) -> dict[str, Any]:
    environment = dict(os.environ)
    if case == "mt-940" and wolph_path is not None:
        environment["PYTHONPATH"] = str(wolph_path)
    completed = subprocess.run(
        [sys.executable, __file__, "--run", case, str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
    )
    figures: dict[str, Any] = json.loads(completed.stderr.strip().splitlines()[-1])
    count, total = completed.stdout.split()
    figures.update(entries=int(count), total=total)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--wolph-path", type=Path, help="folder holding WoLpH's mt-940")
    parser.add_argument("--run", nargs=2, metavar=("CASE", "FILE"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.run:
        case, file = options.run
        count, total = READERS[case](Path(file))
        print(count, total)
        return
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in options.sizes:
            path = Path(folder) / f"statement-{size}.sta"
            generate(path, size)
            megabytes = path.stat().st_size / 1e6
            cases = CASES + (("mt-940",) if options.wolph_path else ())
            row = {case: run_case(case, path, options.wolph_path) for case in cases}
            sums = {(figures["entries"], figures["total"]) for figures in row.values()}
            if len(sums) != 1:
                raise SystemExit(f"the readers disagree at {size}: {row}")
            for case, figures in row.items():
                rate = size / figures["seconds"]
                print(
                    f"{size:>9} entries ({megabytes:6.1f} MB)  {case:9} "
                    f"{figures['seconds']:7.2f} s (CPU {figures['cpu']:6.2f} s)  "
                    f"{rate:>9,.0f} entries/s  peak {figures['peak_mb']:7.1f} MB"
                )
            for clock in ("seconds", "cpu"):
                ours = row["erengine"][clock]
                packages = ", ".join(
                    f"{row[name][clock] / ours:.2f}x {name}"
                    for name in ("mt940", "mt-940")
                    if name in row
                )
                print(
                    f"{'':>9} ratios ({'wall' if clock == 'seconds' else 'CPU'}): erengine "
                    f"{packages} (target >= {PACKAGE_TARGET}), {row['regex'][clock] / ours:.2f}x "
                    f"the regex loop (target >= {REGEX_TARGET})"
                )
            results[str(size)] = row
    sizes = [str(size) for size in options.sizes]
    growth = results[sizes[-1]]["erengine"]["peak_mb"] / results[sizes[0]]["erengine"]["peak_mb"]
    print(
        f"erengine peak RSS growth {sizes[0]} -> {sizes[-1]}: {growth:.2f}x "
        f"(target <= {RSS_GROWTH_TARGET})"
    )
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
