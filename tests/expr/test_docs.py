"""docs/expressions.md: every library function is documented, and every example runs.

An example is a line ``{{ expression }}  ->  repr of the result`` in a code block under the
function's ``#### name`` heading; the scope is the one the page shows.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from erengine.expr import LIBRARY, ExpressionCompiler

DOC = Path(__file__).resolve().parents[2] / "docs" / "expressions.md"
SCOPE = {
    "payments": [
        {"amount": Decimal("10.10"), "name": "Müller & Söhne", "iban": "DE89370400440532013000"},
        {"amount": Decimal("0.90"), "name": "Zoë Café", "iban": None},
    ],
    "batch": {"sec_code": "CCD", "effective": dt.date(2024, 2, 29), "routing": "02100002"},
    "context": {"now": dt.datetime(2024, 2, 29, 13, 5, 9)},
}
_EXAMPLE = re.compile(r"^(\{\{.*\}\})\s+->\s+(.+)$")


def _examples_by_function() -> dict[str, list[tuple[str, str]]]:
    examples: dict[str, list[tuple[str, str]]] = {}
    heading = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#### "):
            heading = line[5:].strip()
            examples[heading] = []
        elif heading and (match := _EXAMPLE.match(line)):
            examples[heading].append((match.group(1), match.group(2)))
    return examples


EXAMPLES = _examples_by_function()


def test_every_function_has_a_documented_example() -> None:
    undocumented = sorted(name for name in LIBRARY if not EXAMPLES.get(name))
    assert undocumented == []
    assert sorted(EXAMPLES) == sorted(LIBRARY)


@pytest.mark.parametrize(
    ("source", "expected"),
    [example for examples in EXAMPLES.values() for example in examples],
)
def test_documented_example_gives_the_documented_result(
    compiler: ExpressionCompiler, source: str, expected: str
) -> None:
    assert repr(compiler.compile(source).evaluate(SCOPE)) == expected
