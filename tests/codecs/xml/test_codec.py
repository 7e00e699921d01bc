"""The XML codec on small formats: each element kind both ways, order, choices, totals."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from erengine.engine import CompiledFormat
from erengine.errors import ErengineError, flatten

from .conftest import FormatFactory

SMALL = """
kind: format
name: small-xml
version: 1.0.0
model: payments@^1
file: {type: xml, namespace: "urn:test", root: Doc, indent: ""}
totals:
  count: {count: [tx]}
  total: {sum: "{{ payment.amount }}", records: [tx]}
structure:
  - {element: Id, bind: message_id}
  - {element: At, bind: created_at, format: "datetime()"}
  - {element: Count, value: "{{ totals.count }}", format: "integer()"}
  - {element: Sum, value: "{{ totals.total }}", format: "decimal()"}
  - {element: Kind, const: "CT"}
  - element: Batch
    name: batch
    for_each: batches
    structure:
      - {element: Date, bind: batch.requested_date, format: "date()"}
      - {element: Debtor, bind: batch.debtor.name}
      - element: Tx
        name: tx
        for_each: batch.payments
        as: payment
        key: payment.end_to_end_id
        structure:
          - {element: E2E, bind: payment.end_to_end_id}
          - element: Amt
            bind: payment.amount
            format: "decimal(max_decimals=2)"
            attributes: [{attribute: Ccy, bind: payment.currency}]
          - element: Acct
            choice: true
            structure:
              - {element: IBAN, bind: payment.creditor_account.iban, format: "iban()"}
              - {element: Nb, bind: payment.creditor_account.number}
          - {element: Cdtr, bind: payment.creditor.name}
          - element: Rmt
            optional: true
            structure:
              - {element: Ustrd, bind: payment.remittance.unstructured}
"""


def payment(e2e: str, amount: str, **account: str) -> dict[str, Any]:
    return {
        "end_to_end_id": e2e,
        "amount": Decimal(amount),
        "currency": "EUR",
        "direction": "credit",
        "creditor": {"name": "Zoe"},
        "creditor_account": account or {"iban": "DE89370400440532013000"},
    }


def data(*payments: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": "M1",
        "created_at": datetime(2024, 1, 2, 3, 4, 5),
        "batches": [
            {
                "payment_method": "TRF",
                "requested_date": date(2024, 1, 3),
                "debtor": {"name": "Acme & Co <Ltd>"},
                "payments": list(payments),
            }
        ],
    }


EXPECTED = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<Doc xmlns="urn:test"><Id>M1</Id><At>2024-01-02T03:04:05</At>'
    "<Count>2</Count><Sum>13.50</Sum><Kind>CT</Kind>"
    "<Batch><Date>2024-01-03</Date><Debtor>Acme &amp; Co &lt;Ltd&gt;</Debtor>"
    '<Tx><E2E>A</E2E><Amt Ccy="EUR">12.50</Amt><Acct><IBAN>DE89370400440532013000</IBAN>'
    "</Acct><Cdtr>Zoe</Cdtr></Tx>"
    '<Tx><E2E>B</E2E><Amt Ccy="EUR">1.00</Amt><Acct><Nb>12345</Nb></Acct><Cdtr>Zoe</Cdtr></Tx>'
    "</Batch></Doc>\n"
)


@pytest.fixture
def small(xml_format: FormatFactory) -> CompiledFormat:
    return xml_format(SMALL)


def write(compiled: CompiledFormat, model: dict[str, Any]) -> bytes:
    sink = io.BytesIO()
    compiled.write(model, sink)
    return sink.getvalue()


def read(compiled: CompiledFormat, text: str | bytes) -> dict[str, Any]:
    raw = text.encode() if isinstance(text, str) else text
    document, _ = compiled.read_document(io.BytesIO(raw), file_name="in.xml")
    return document


def codes(error: ErengineError) -> list[str]:
    return [e.code for e in flatten(error)]


def test_writes_every_kind_and_reads_it_back(small: CompiledFormat) -> None:
    model = data(payment("A", "12.50"), payment("B", "1.00", number="12345"))
    written = write(small, model)
    assert written.decode() == EXPECTED
    assert read(small, written) == model
    assert write(small, read(small, written)) == written


def test_totals_before_the_items_are_checked_after_them(small: CompiledFormat) -> None:
    with pytest.raises(ErengineError) as caught:
        read(small, EXPECTED.replace("<Sum>13.50</Sum>", "<Sum>13.60</Sum>"))
    (error,) = flatten(caught.value)
    assert error.code == "PRS209"
    assert error.to_dict()["position"] == {
        "file": "in.xml",
        "line": 2,
        "xpath": "/Doc/Sum",
        "field": "sum",
    }
    assert (error.to_dict()["expected"], error.to_dict()["found"]) == ("13.50", "13.60")


def test_a_computed_element_may_warn_instead(xml_format: FormatFactory) -> None:
    lenient = xml_format(
        SMALL.replace('format: "integer()"}', 'format: "integer()", severity: warning}')
    )
    document, report = lenient.read_document(
        io.BytesIO(EXPECTED.replace("<Count>2</Count>", "<Count>7</Count>").encode()),
        file_name="in.xml",
    )
    assert len(document["batches"][0]["payments"]) == 2
    assert report.warnings == [
        "in.xml:2 /Doc/Count: `Count` does not match the document's contents: expected 2, "
        "found 7 (all of it read on; writing computes the figure)"
    ]
    # Writing computes the figure, whatever was read.
    assert write(lenient, document) == EXPECTED.encode()


def test_only_computed_elements_have_a_severity(xml_format: FormatFactory) -> None:
    with pytest.raises(ErengineError) as caught:
        xml_format(SMALL.replace("bind: message_id}", "bind: message_id, severity: warning}"))
    assert "`severity` goes with `value`" in str(flatten(caught.value)[0])


def test_equal_values_in_another_notation_pass_the_check(small: CompiledFormat) -> None:
    assert read(small, EXPECTED.replace("<Sum>13.50</Sum>", "<Sum>13.5</Sum>"))


def test_generators_are_refused_where_totals_need_two_passes(small: CompiledFormat) -> None:
    model = data(payment("A", "1.00"))
    model["batches"] = iter(model["batches"])
    with pytest.raises(ErengineError) as caught:
        write(small, model)
    assert codes(caught.value) == ["VAL210"]


def test_a_reiterable_streams_through_both_passes(small: CompiledFormat) -> None:
    class Batches:
        def __iter__(self) -> Any:
            return iter(
                data(payment("A", "12.50"), payment("B", "1.00", number="12345"))["batches"]
            )

    model = data()
    model["batches"] = Batches()
    assert write(small, model).decode() == EXPECTED


def test_write_errors_name_the_item_its_key_the_field_and_json_path(small: CompiledFormat) -> None:
    bad = payment("B", "1.00", iban="DE89370400440532013001")
    with pytest.raises(ErengineError) as caught:
        write(small, data(payment("A", "1.00"), bad, payment("A", "2.00")))
    errors = flatten(caught.value)
    assert [e.code for e in errors] == ["VAL104", "VAL212"]
    position = errors[0].to_dict()["position"]
    assert position["record"] == "tx#2 (B)"
    assert position["json_path"] == "$.batches[0].payments[1].creditor_account.iban"
    assert position["xpath"] == "/Doc/Batch[1]/Tx[2]/Acct/IBAN"
    assert errors[1].to_dict()["position"]["record"] == "tx#3 (A)"


def test_read_errors_name_line_xpath_expected_and_found(small: CompiledFormat) -> None:
    broken = EXPECTED.replace('<Amt Ccy="EUR">1.00</Amt>', '<Amt Ccy="EUR">1,00</Amt>')
    broken = broken.replace("<Kind>CT</Kind>", "<Kind>DD</Kind>")
    with pytest.raises(ErengineError) as caught:
        read(small, broken.replace("><", ">\n<"))
    errors = {e.code: e.to_dict() for e in flatten(caught.value)}
    # The sum cannot count the unreadable amount, so the control sum is reported too.
    assert set(errors) == {"PRS208", "PRS206", "PRS209"}
    assert errors["PRS206"]["position"]["xpath"] == "/Doc/Batch[1]/Tx[2]/Amt"
    assert errors["PRS206"]["found"] == "1,00"
    assert errors["PRS208"]["position"]["line"] == 7


def test_order_missing_and_unknown_elements_are_errors(small: CompiledFormat) -> None:
    swapped = EXPECTED.replace(
        "<Id>M1</Id><At>2024-01-02T03:04:05</At>", "<At>2024-01-02T03:04:05</At><Id>M1</Id>"
    )
    with pytest.raises(ErengineError) as caught:
        read(small, swapped)
    assert "PRS204" in codes(caught.value)
    missing = EXPECTED.replace("<Cdtr>Zoe</Cdtr></Tx><Tx>", "</Tx><Tx>")
    with pytest.raises(ErengineError) as caught:
        read(small, missing)
    assert codes(caught.value) == ["PRS202"]
    unknown = EXPECTED.replace("<Kind>CT</Kind>", "<Kind>CT</Kind><Extra/>")
    with pytest.raises(ErengineError) as caught:
        read(small, unknown)
    assert codes(caught.value) == ["PRS203"]


def test_a_choice_takes_exactly_one(small: CompiledFormat) -> None:
    both = EXPECTED.replace("</IBAN></Acct>", "</IBAN><Nb>1</Nb></Acct>")
    with pytest.raises(ErengineError) as caught:
        read(small, both)
    assert codes(caught.value) == ["PRS206"]
    neither = payment("A", "1.00")
    neither["creditor_account"] = {"currency": "EUR"}
    with pytest.raises(ErengineError) as caught:
        write(small, data(neither))
    assert codes(caught.value) == ["VAL102"]


def test_an_optional_container_without_data_is_left_out(small: CompiledFormat) -> None:
    with_note = payment("A", "1.00")
    with_note["remittance"] = {"unstructured": "Invoice 7"}
    written = write(small, data(with_note, payment("B", "2.00")))
    assert written.count(b"<Rmt>") == 1
    assert read(small, written)["batches"][0]["payments"][0]["remittance"] == {
        "unstructured": "Invoice 7"
    }


def test_streaming_read_yields_items_as_they_complete(small: CompiledFormat) -> None:
    written = write(small, data(payment("A", "12.50"), payment("B", "1.00", number="12345")))
    items = list(small.read(io.BytesIO(written)))
    assert [(item.list_path, item.index) for item in items] == [
        (("batches", "payments"), 0),
        (("batches", "payments"), 1),
        (("batches",), 0),
    ]
    assert "payments" not in items[-1].item  # not attached while streaming


def test_undeclared_elements_can_be_skipped_with_a_warning(xml_format: FormatFactory) -> None:
    lenient = xml_format(SMALL.replace('indent: ""}', 'indent: "", unknown_elements: ignore}'))
    document, report = lenient.read_document(
        io.BytesIO(
            EXPECTED.replace("<Kind>CT</Kind>", "<Kind>CT</Kind><Extra><X/></Extra>").encode()
        )
    )
    assert document["message_id"] == "M1"
    assert len(report.warnings) == 1
    assert "/Doc/Extra" in report.warnings[0]


def test_other_namespaces_are_refused_unless_accepted(small: CompiledFormat) -> None:
    with pytest.raises(ErengineError) as caught:
        read(small, EXPECTED.replace("urn:test", "urn:other"))
    assert codes(caught.value) == ["PRS202"]


def test_a_total_of_something_not_a_number_is_an_error_naming_the_item(
    small: CompiledFormat,
) -> None:
    """Data that skipped the model check (a library caller) must not end in a TypeError."""
    bad = {**payment("B", "1.00"), "amount": "12.x"}
    with pytest.raises(ErengineError) as caught:
        write(small, data(payment("A", "1.00"), bad))
    errors = flatten(caught.value)
    assert "VAL101" in [e.code for e in errors]
    total = next(e for e in errors if e.code == "VAL101")
    assert "total `total`" in total.message
    position = total.to_dict()["position"]
    assert position["record"] == "tx#2"
    assert position["json_path"] == "$.batches[0].payments[1]"
    assert total.to_dict()["found"] == "'12.x'"


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1f", "\ufffe", "\ud800"])
def test_a_character_xml_forbids_is_an_error_naming_the_field(
    small: CompiledFormat, character: str
) -> None:
    bad = {**payment("B", "1.00"), "creditor": {"name": f"Zo{character}e"}}
    with pytest.raises(ErengineError) as caught:
        write(small, data(payment("A", "1.00"), bad))
    (error,) = flatten(caught.value)
    assert error.code == "VAL104"
    assert error.to_dict()["position"]["xpath"] == "/Doc/Batch[1]/Tx[2]/Cdtr"
    assert "characters XML allows" in str(error)
