"""The fixed-width codec, both directions, on a small format of its own."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest

from erengine.codecs.records.plan import GroupPlan, RecordPlan
from erengine.codecs.records.read import RecordReader
from erengine.codecs.records.write import write_records
from erengine.errors import ErrorGroup, ParseError, ValidationError, flatten

from .conftest import LayoutFactory

FORMAT = """\
kind: format
name: acme
version: 1.0.0
model: payments@^1
file: {type: fixed, width: 30, encoding: ascii, newline: "\\r\\n", block: {size: 4, filler: "9"}}
totals:
  item_count: {count: [item]}
  item_sum: {sum: "{{ record.amount }}", records: [item]}
structure:
  - record: header
    fields:
      - {len: 1, const: "H"}
      - {len: 8, bind: created, format: "date('%Y%m%d')"}
      - {len: 21, bind: sender, optional: true}
  - group: items
    for_each: items
    as: item
    structure:
      - record: item
        fields:
          - {len: 1, const: "I"}
          - {len: 10, bind: item.amount, format: "amount(decimals=2)"}
          - {len: 19, bind: item.name, truncate: true}
      - record: note
        when: "{{ item.note is defined }}"
        fields:
          - {len: 1, const: "N"}
          - {len: 29, bind: item.note}
  - record: trailer
    fields:
      - {len: 1, const: "T"}
      - {len: 5, value: "{{ totals.item_count }}", format: "integer()"}
      - {len: 12, value: "{{ totals.item_sum }}", format: "amount(decimals=2)"}
      - {len: 12, fill: " "}
"""

DATA: dict[str, Any] = {
    "created": __import__("datetime").date(2024, 3, 1),
    "sender": "ACME",
    "items": [
        {"amount": Decimal("12.50"), "name": "Alice"},
        {"amount": Decimal("0.99"), "name": "Bob", "note": "thanks"},
    ],
}

EXPECTED = (
    b"H20240301ACME                 \r\n"
    b"I0000001250Alice              \r\n"
    b"I0000000099Bob                \r\n"
    b"Nthanks                       \r\n"
    b"T00002000000001349            \r\n"
    b"999999999999999999999999999999\r\n"
    b"999999999999999999999999999999\r\n"
    b"999999999999999999999999999999\r\n"
)


def write(layout: LayoutFactory, data: dict[str, Any], text: str = FORMAT) -> bytes:
    sink = io.BytesIO()
    write_records(layout(text), data, sink)
    return sink.getvalue()


def read(layout: LayoutFactory, data: bytes, text: str = FORMAT) -> dict[str, Any]:
    reader = RecordReader(layout(text), io.BytesIO(data), file_name="in.txt", attach=True)
    for _ in reader:
        pass
    return reader.root


def test_write_lays_out_records_totals_and_blocks(layout: LayoutFactory) -> None:
    assert write(layout, DATA) == EXPECTED


def test_read_gives_back_the_data_and_write_gives_back_the_bytes(layout: LayoutFactory) -> None:
    data = read(layout, EXPECTED)
    assert data == DATA
    assert write(layout, data) == EXPECTED


def test_lists_may_be_generators(layout: LayoutFactory) -> None:
    streamed = dict(DATA, items=(item for item in DATA["items"]))
    assert write(layout, streamed) == EXPECTED


def test_reading_tolerates_lf_no_final_newline_and_no_blocking(layout: LayoutFactory) -> None:
    unix = EXPECTED.replace(b"\r\n", b"\n")[: -(31 * 3) - 1]
    assert read(layout, unix) == DATA
    no_newlines = EXPECTED.replace(b"\r\n", b"")
    assert read(layout, no_newlines) == DATA


def test_a_trailer_that_does_not_match_its_items_is_reported(layout: LayoutFactory) -> None:
    bad = EXPECTED.replace(b"T00002000000001349", b"T00003000000001348")
    with pytest.raises(ErrorGroup) as caught:
        read(layout, bad)
    errors = [e for e in flatten(caught.value) if isinstance(e, ParseError)]
    assert [(e.code, e.position.line, e.position.field, e.expected, e.found) for e in errors] == [
        ("PRS110", 5, "field1", "00002", "00003"),
        ("PRS110", 5, "field2", "000000001349", "000000001348"),
    ]
    assert str(errors[0]).startswith("PRS110 in.txt:5:2-6 record trailer#1 field field1")


def test_all_field_errors_are_collected_with_positions(layout: LayoutFactory) -> None:
    bad = EXPECTED.replace(b"I0000001250", b"I00000012x0").replace(b"H20240301", b"H20241301")
    with pytest.raises(ErrorGroup) as caught:
        read(layout, bad)
    found = {
        (e.code, e.position.line, e.position.column, e.position.field)
        for e in flatten(caught.value)
        if isinstance(e, ParseError)
    }
    assert ("PRS106", 1, 2, "created") in found
    assert ("PRS106", 2, 2, "amount") in found


def test_unexpected_record_names_what_was_expected(layout: LayoutFactory) -> None:
    bad = EXPECTED.replace(b"T00002", b"X00002")
    with pytest.raises(ErrorGroup) as caught:
        read(layout, bad)
    error = flatten(caught.value)[-1]
    assert isinstance(error, ParseError)
    assert error.code == "PRS104"
    assert error.position.line == 5
    assert error.message == "record `trailer` is missing"
    assert error.expected == "record `trailer` ('T' at column 1)"


def test_truncated_file_is_reported(layout: LayoutFactory) -> None:
    with pytest.raises(ParseError) as caught:
        read(layout, EXPECTED[:70])
    assert caught.value.code == "PRS102"  # the cut line is shorter than a record
    assert caught.value.position.line == 3


def test_undecodable_bytes_are_reported_with_offset(layout: LayoutFactory) -> None:
    bad = EXPECTED.replace(b"Alice", b"Al\xe9ce")
    with pytest.raises(ParseError) as caught:
        read(layout, bad)
    assert caught.value.code == "PRS101"
    assert caught.value.position.line == 2
    assert caught.value.position.byte_offset == 32 + 13


def test_values_that_do_not_fit_are_errors_not_silently_cut(layout: LayoutFactory) -> None:
    data = dict(DATA, sender="X" * 22, items=[{"amount": Decimal("1.234"), "name": "N"}])
    with pytest.raises(ErrorGroup) as caught:
        write(layout, data)
    errors = [e for e in flatten(caught.value) if isinstance(e, ValidationError)]
    assert {(e.code, e.position.field) for e in errors} == {
        ("VAL105", "sender"),
        ("VAL103", "amount"),  # and the trailer's sum skips it rather than fail again
    }
    assert errors[1].position.json_path == "$.items[0].amount"


def test_declared_truncation_is_reported_as_a_warning(layout: LayoutFactory) -> None:
    data = dict(DATA, items=[{"amount": Decimal("1"), "name": "N" * 25}])
    sink = io.BytesIO()
    report = write_records(layout(FORMAT), data, sink)
    assert report.warnings == [
        "record item#1 field name: 'NNNNNNNNNNNNNNNNNNNNNNNNN' cut to 19 characters"
    ]


def test_characters_outside_the_encoding_are_errors(layout: LayoutFactory) -> None:
    data = dict(DATA, sender="Müller")
    with pytest.raises(ErrorGroup) as caught:
        write(layout, data)
    error = flatten(caught.value)[0]
    assert error.code == "VAL104"
    assert isinstance(error, ValidationError)
    assert error.position.field == "sender"


def test_trailing_data_after_the_structure_is_an_error(layout: LayoutFactory) -> None:
    with pytest.raises(ErrorGroup) as caught:
        read(layout, EXPECTED + b"H20240301ACME                 \r\n")
    assert flatten(caught.value)[0].code == "PRS104"


EBCDIC = """\
kind: format
name: mainframe
version: 1.0.0
model: payments@^1
file: {type: fixed, width: 12, encoding: cp037, newline: ""}
structure:
  - group: items
    for_each: items
    as: item
    structure:
      - record: item
        fields:
          - {len: 1, const: "D"}
          - {len: 6, bind: item.amount, format: "zoned(decimals=2)"}
          - {len: 5, bind: item.code}
"""


@pytest.mark.parametrize("encoding", ["cp037", "cp500"])
def test_ebcdic_fixed_length_blocks_without_newlines(layout: LayoutFactory, encoding: str) -> None:
    plan = layout(EBCDIC.replace("cp037", encoding))
    data = {
        "items": [
            {"amount": Decimal("-12.34"), "code": "AB"},
            {"amount": Decimal("5"), "code": "XYZ12"},
        ]
    }
    written = write(layout, data, EBCDIC.replace("cp037", encoding))
    assert len(written) == 24  # two 12-byte blocks, no newline
    assert written[:7] == "D00123M".encode(encoding)  # zoned: the last digit carries the sign
    reader = RecordReader(plan, io.BytesIO(written), attach=True)
    for _ in reader:
        pass
    assert reader.root == {
        "items": [
            {"amount": Decimal("-12.34"), "code": "AB"},
            {"amount": Decimal("5.00"), "code": "XYZ12"},
        ]
    }


LAZY = """\
kind: format
name: lazy
version: 1.0.0
model: payments@^1
file: {type: fixed, width: 6, newline: "\\n"}
totals:
  fees: {sum: "{{ record.fee }}", records: [item], when: "{{ item.kind == 'F' }}"}
structure:
  - group: items
    for_each: items
    as: item
    structure:
      - record: item
        fields:
          - {len: 1, const: "I"}
          - {len: 1, bind: item.kind}
          - {len: 4, bind: item.fee, format: "integer()", optional: true}
  - record: total
    fields:
      - {len: 1, const: "T"}
      - {len: 5, value: "{{ totals.fees }}", format: "integer()"}
"""


def test_a_sum_is_only_evaluated_where_its_condition_holds(layout: LayoutFactory) -> None:
    data = {"items": [{"kind": "F", "fee": 12}, {"kind": "X"}, {"kind": "F", "fee": 3}]}
    written = write(layout, data, LAZY)
    assert written == b"IF0012\nIX    \nIF0003\nT00015\n"
    assert read(layout, written, LAZY) == data


def test_configuration_text_never_becomes_generated_code(layout: LayoutFactory) -> None:
    hostile = "');__import__('os').system('false');('"
    text = f"""\
kind: format
name: hostile
version: 1.0.0
model: payments@^1
file: {{type: fixed, width: {len(hostile) + 4}, newline: "\\n"}}
structure:
  - group: items
    for_each: items
    as: item
    structure:
      - record: item
        fields:
          - {{len: {len(hostile)}, const: "{hostile}"}}
          - {{len: 4, bind: item.code, pad: "'"}}
"""
    written = write(layout, {"items": [{"code": "A"}]}, text)
    assert written == (hostile + "A'''\n").encode()


DEFERRED = """\
kind: format
name: deferred
version: 1.0.0
model: payments@^1
file: {type: fixed, width: 9, newline: "\\n"}
structure:
  - group: items
    for_each: items
    as: item
    totals:
      notes: {count: [note]}
    structure:
      - record: item
        fields:
          - {len: 1, const: "I"}
          - name: has_note
            len: 1
            deferred: true
            value: "{{ 'Y' if item.note is defined else 'N' }}"
          - {name: notes, len: 1, deferred: true, value: "{{ totals.notes }}", format: "integer()"}
          - {name: code, len: 1, deferred: true, value: "{{ item.code | default('-') }}"}
          - {len: 5, bind: item.name}
      - record: note
        when: "{{ item.note is defined }}"
        fields:
          - {len: 1, const: "N"}
          - {len: 1, bind: item.code, default: "C"}
          - {len: 7, bind: item.note}
"""


def test_deferred_fields_are_written_later_only_when_the_item_can_change_them(
    layout: LayoutFactory,
) -> None:
    # `notes` reads a total and `code` what the note's default fills in: both change until
    # the item is complete; `has_note` reads data no default fills in and is written at once.
    item = layout(DEFERRED).root.items[0]
    assert isinstance(item, GroupPlan) and isinstance(item.items[0], RecordPlan)
    later = {field.name: field.written_later for field in item.items[0].fields[1:4]}
    assert later == {"has_note": False, "notes": True, "code": True}
    data = {"items": [{"name": "Ann", "note": "hello"}, {"name": "Bob"}]}
    written = write(layout, data, DEFERRED)
    assert written == b"IY1CAnn  \nNChello  \nIN0-Bob  \n"
    assert read(layout, written, DEFERRED) == {
        "items": [{"name": "Ann", "note": "hello", "code": "C"}, {"name": "Bob"}]
    }


@pytest.mark.parametrize(
    ("bind", "rows"),
    [
        ("[direction, kind]", "{'22': ['credit', 'checking'], '27': ['debit']}"),
        ("direction", "{'22': ['credit', 'checking']}"),
    ],
)
def test_a_table_row_that_does_not_fit_its_bound_paths_is_a_config_error(
    layout: LayoutFactory, bind: str, rows: str
) -> None:
    with pytest.raises(ErrorGroup) as caught:
        layout(
            f"""\
            kind: format
            name: table-width
            version: 1.0.0
            model: payments@^1
            file: {{type: fixed, width: 2}}
            structure:
              - record: entry
                fields:
                  - {{len: 2, bind: {bind}, format: "table({rows})"}}
            """
        )
    (error,) = flatten(caught.value)
    assert error.code == "CFG618"
    assert "bound model path" in error.message
    assert str(error).startswith("CFG618 ")
    assert "format.yaml:9:" in str(error)
