"""The delimited codec: separators, quoting, header rows, terminators, continuation records."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest

from erengine.codecs.records.read import RecordReader
from erengine.codecs.records.write import write_records
from erengine.errors import ErengineError, ErrorGroup, ParseError, flatten

from .conftest import LayoutFactory

CSV = """\
kind: format
name: supplier-csv
version: 1.0.0
model: payments@^1
file: {type: delimited, delimiter: ";", header: [type, amount, name, note], newline: "\\r\\n"}
totals:
  line_count: {count: [line]}
structure:
  - group: lines
    for_each: lines
    as: line
    structure:
      - record: line
        fields:
          - {const: "L"}
          - {bind: line.amount, format: "amount(decimals=2, implied=false, decimal_sep=',')"}
          - {bind: line.name}
          - {bind: line.note, optional: true}
  - record: total
    fields:
      - {const: "T"}
      - {value: "{{ totals.line_count }}", format: "integer()"}
      - {fill: " "}
      - {fill: " "}
"""

DATA: dict[str, Any] = {
    "lines": [
        {"amount": Decimal("12.50"), "name": "Müller; Söhne", "note": 'says "hi"'},
        {"amount": Decimal("-3.00"), "name": "Bob"},
    ]
}

EXPECTED = (
    'type;amount;name;note\r\nL;12,50;"Müller; Söhne";"says ""hi"""\r\nL;-3,00;Bob;\r\n'
    "T;2;;\r\n"  # filler cells are empty
).encode()


def read(plan: Any, data: bytes) -> dict[str, Any]:
    reader = RecordReader(plan, io.BytesIO(data), file_name="in.csv", attach=True)
    for _ in reader:
        pass
    return reader.root


def test_write_quotes_what_needs_quoting(layout: LayoutFactory) -> None:
    sink = io.BytesIO()
    write_records(layout(CSV), DATA, sink)
    assert sink.getvalue() == EXPECTED


def test_read_gives_back_the_data(layout: LayoutFactory) -> None:
    assert read(layout(CSV), EXPECTED) == DATA


def test_the_header_row_is_checked(layout: LayoutFactory) -> None:
    with pytest.raises(ErrorGroup) as caught:
        read(layout(CSV), EXPECTED.replace(b"type;amount", b"kind;amount"))
    error = flatten(caught.value)[0]
    assert error.code == "PRS104" and isinstance(error, ParseError)
    assert error.position.line == 1


def test_a_wrong_count_in_the_total_record_is_reported(layout: LayoutFactory) -> None:
    with pytest.raises(ErrorGroup) as caught:
        read(layout(CSV), EXPECTED.replace(b"T;2", b"T;3"))
    error = flatten(caught.value)[0]
    assert isinstance(error, ParseError)
    assert (error.code, error.position.line, error.expected, error.found) == (
        "PRS110",
        4,
        "2",
        "3",
    )


def test_unterminated_quote_is_a_parse_error(layout: LayoutFactory) -> None:
    with pytest.raises(ErengineError) as caught:
        read(layout(CSV), b'type;amount;name;note\r\nL;1,00;"Bob\r\n')
    assert {e.code for e in flatten(caught.value)} & {"PRS103", "PRS104"}


BAI_LIKE = """\
kind: format
name: bai-like
version: 1.0.0
model: payments@^1
file: {type: delimited, delimiter: ",", record_terminator: "/", continuation: "88", newline: "\\n"}
structure:
  - group: accounts
    for_each: accounts
    as: account
    structure:
      - record: account
        fields:
          - {const: "03"}
          - {bind: account.number}
          - {bind: account.currency}
          - {bind: account.text}
"""


def test_continuation_records_extend_the_previous_record(layout: LayoutFactory) -> None:
    text = b"03,0975312468,GBP/\n88,free text/\n03,1,EUR,x/\n"
    assert read(layout(BAI_LIKE), text) == {
        "accounts": [
            {"number": "0975312468", "currency": "GBP", "text": "free text"},
            {"number": "1", "currency": "EUR", "text": "x"},
        ]
    }
    sink = io.BytesIO()
    write_records(layout(BAI_LIKE), read(layout(BAI_LIKE), text), sink)
    assert sink.getvalue() == b"03,0975312468,GBP,free text/\n03,1,EUR,x/\n"
