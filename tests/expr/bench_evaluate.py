"""Microseconds per ``Expression.evaluate`` for the shapes the NACHA format evaluates per entry,
on Jinja's code and on the closures (``erengine/expr/fast.py``), in the same run.

Run by hand (not part of the test run)::

    .venv/bin/python tests/expr/bench_evaluate.py [--number 300000] [--repeat 3]

Each figure is the best of ``--repeat`` runs of ``--number`` calls, divided by ``--number``.
"""

from __future__ import annotations

import argparse
import timeit
from decimal import Decimal
from typing import Any

from erengine.expr import Expression, ExpressionCompiler

SCOPE: dict[str, Any] = {
    "record": {"amount": Decimal("1234.56"), "rdfi_routing": "021000021"},
    "payment": {"direction": "credit", "amount": Decimal("1234.56")},
    "batch": {"debtor_agent": {"routing_number": "021000021"}},
    "totals": {
        "file_entry_count": 41,
        "batch_entry_count": 3,
        "batch_entry_hash": 123456789012,
        "file_records": 57,
    },
    "n": 3,
    "total": Decimal("1234.56"),
}
SHAPES = [
    "{{ record.amount }}",
    "{{ payment.direction == 'debit' }}",
    "{{ record.rdfi_routing[:8] | int }}",
    "{{ 1 if payment.addenda is defined else 0 }}",
    "{{ lpad(totals.file_entry_count + 1, 7, '0') }}",
    "{{ batch.debtor_agent.routing_number[:8] ~ lpad(totals.batch_entry_count, 7, '0') }}",
    "{{ totals.batch_entry_hash % 10000000000 }}",
    "{{ (totals.file_records + 10) // 10 }}",
    "T{{ n }}/{{ total }}",
]


def microseconds(expression: Expression, number: int, repeat: int) -> float:
    timer = timeit.Timer(
        "evaluate(scope)", globals={"evaluate": expression.evaluate, "scope": SCOPE}
    )
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    closures = ExpressionCompiler()
    jinja = ExpressionCompiler()
    jinja._use_closures = False
    print("| expression | Jinja µs | closures µs |")
    print("|---|---:|---:|")
    for source in SHAPES:
        fast = closures.compile(source)
        slow = jinja.compile(source)
        assert fast.evaluate(SCOPE) == slow.evaluate(SCOPE)
        before = microseconds(slow, options.number, options.repeat)
        after = microseconds(fast, options.number, options.repeat)
        path = "" if fast._on_closures else " (on Jinja)"
        shown = source.replace("|", "\\|")
        print(f"| `{shown}`{path} | {before:.2f} | {after:.2f} |")


if __name__ == "__main__":
    main()
