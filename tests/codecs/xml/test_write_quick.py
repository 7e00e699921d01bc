"""The XML writer's quick path on a small format with every element feature, and its escaping.

Every feature an item can have (attributes bound, optional, constant; a leaf with ``absent``,
a default, a computed value; a constant; a choice with a constant alternative; an element
with ``when``; ``implies``; a repeatable leaf split into pieces; an optional container;
totals it feeds, counted and summed, some only ``when``) is written from drawn data, ordinary
or not, with and without the quick paths: the bytes or the errors must be the same. The
escaping must be lxml's for any text.
"""

from __future__ import annotations

import copy
import dataclasses
import io
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from erengine.codecs.records.fast import Careful
from erengine.codecs.xml.codec import XmlFormat
from erengine.codecs.xml.plan import XmlFormatPlan
from erengine.codecs.xml.write import XmlWriter
from erengine.codecs.xml.write_quick import escape_attribute, escape_text, quick_paths
from erengine.errors import ErengineError, flatten
from erengine.validate.unique import UniqueKeys

from .conftest import FormatFactory

FEATURES = """
kind: format
name: quick-xml
version: 1.0.0
model: payments@^1
file: {type: xml, namespace: "urn:test", PREFIX root: Doc}
totals:
  count: {count: [tx]}
  total: {sum: "{{ payment.amount }}", records: [tx]}
structure:
  - {element: Id, bind: message_id}
  - {element: Count, value: "{{ totals.count }}", format: "integer()"}
  - {element: Sum, value: "{{ totals.total }}", format: "decimal()", optional: true}
  - element: Batch
    name: batch
    for_each: batches
    totals:
      urgent: {count: [tx], when: "{{ (payment.purpose | default('')) == 'URGP' }}"}
      credits:
        sum: "{{ payment.amount }}"
        records: [tx]
        when: "{{ (payment.direction | default('credit')) == 'credit' }}"
    structure:
      - {element: Urgent, value: "{{ totals.urgent }}", format: "integer()"}
      - {element: Credits, value: "{{ totals.credits }}", format: "decimal()", optional: true}
      - element: Tx
        name: tx
        for_each: batch.payments
        as: payment
        key: payment.end_to_end_id
        implies: {payment.direction: credit}
        attributes: [{attribute: Kind, const: "a&b\\"c\\t"}]
        structure:
          - {element: E2E, bind: payment.end_to_end_id, absent: "NOT&PROVIDED"}
          - element: Amt
            bind: payment.amount
            format: "decimal(max_decimals=2)"
            attributes:
              - {attribute: Ccy, bind: payment.currency}
              - {attribute: Instr, bind: payment.instruction_id, optional: true}
          - {element: Twice, value: "{{ payment.amount * 2 }}", format: "decimal()", optional: true}
          - {element: Fixed, const: "<&>"}
          - element: Acct
            choice: true
            structure:
              - {element: IBAN, bind: payment.creditor_account.iban, format: "iban()"}
              - {element: Nb, bind: payment.creditor_account.number}
              - element: Unknown
                structure: [{element: Id, const: NOTPROVIDED}]
          - element: Urgent
            when: "{{ (payment.purpose | default('')) == 'URGP' }}"
            structure: [{element: Cd, bind: payment.purpose}]
          - {element: Nm, bind: payment.creditor.name, default: "{{ batch.debtor.name }}"}
          - {element: Purp, bind: payment.purpose, optional: true}
          - element: Rmt
            optional: true
            structure:
              - element: Ustrd
                bind: payment.remittance.unstructured
                optional: true
                repeatable: true
                format: "text(max_length=10)"
"""
PREFIXES = {"default namespace": "", "prefixed": "prefix: t,"}
INDENTS = ["  ", "", "\t"]

# Mostly ordinary values, now and then one that is not (the quick path gives the item back).
ordinary = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=25)
markup = st.text("ab &<>\"'\r\n\t", max_size=25)
texts = st.one_of(*[ordinary, markup] * 4, st.text(max_size=25))
payments = st.fixed_dictionaries(
    {
        "amount": st.one_of(
            *[st.decimals(places=2, min_value=-1000, max_value=1000)] * 5,
            st.sampled_from([None, Decimal("1.005")] * 2 + ["12"]),
        ),
        "currency": st.sampled_from(["EUR"] * 8 + ["A&B", "E\x01"]),
    },
    optional={
        "end_to_end_id": st.sampled_from(["A", "B", "C", "<&>"]),
        "instruction_id": texts,
        "direction": st.sampled_from(["credit"] * 5 + ["debit"]),
        "creditor_account": st.sampled_from(
            [{"iban": "DE89370400440532013000"}, {"iban": "DE00"}, {"number": "1 & 2"}, {}, [1]]
        ),
        "purpose": st.sampled_from(["URGP", "SALA", "URGP", "SALA", "A\x0bB"]) | texts,
        "creditor": st.fixed_dictionaries({"name": texts}) | st.just({}),
        "remittance": st.fixed_dictionaries({}, optional={"unstructured": texts}),
    },
)
files = st.fixed_dictionaries(
    {
        "message_id": st.just("M1"),
        "batches": st.lists(
            st.fixed_dictionaries(
                {
                    "payments": st.lists(payments, max_size=4),
                    "debtor": st.fixed_dictionaries({"name": ordinary | markup}) | st.just({}),
                },
            ),
            min_size=1,
            max_size=2,
        ),
    }
)


def outcome(plan: XmlFormatPlan, data: dict[str, Any], quick: Any) -> tuple[Any, ...]:
    sink = io.BytesIO()
    try:
        XmlWriter(plan, sink, quick=quick).write(copy.deepcopy(data))
    except ErengineError as error:
        return ("errors", [single.to_dict() for single in flatten(error)])
    # Anything else escaping (lxml refusing a character, a TypeError) fails the test: bad data
    # is an erengine error with its place.
    return ("bytes", sink.getvalue())


@pytest.fixture(params=sorted(PREFIXES))
def features(request: pytest.FixtureRequest, xml_format: FormatFactory) -> XmlFormatPlan:
    compiled = xml_format(FEATURES.replace("PREFIX", PREFIXES[request.param])).plan
    assert isinstance(compiled, XmlFormat)
    return compiled.plan


def test_the_repeated_element_of_the_features_format_has_a_quick_writer_and_sum(
    features: XmlFormatPlan,
) -> None:
    paths = quick_paths(features)
    assert len(paths.writers) == 1
    assert len(paths.sums) == 1


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=files, indent=st.sampled_from(INDENTS))
@example(
    data={"message_id": "M1", "batches": [{"payments": [{"amount": Decimal("1.50")}] * 2}]},
    indent="",
)
def test_every_element_feature_writes_the_same_bytes_or_errors_on_both_paths(
    features: XmlFormatPlan, data: dict[str, Any], indent: str
) -> None:
    plan = dataclasses.replace(features, file=features.file.model_copy(update={"indent": indent}))
    generic = outcome(plan, data, None)
    event(f"{generic[0]}{'' if generic[0] != 'errors' else ' ' + generic[1][0]['code']}")
    assert outcome(plan, data, quick_paths(plan)) == generic


def test_an_ordinary_item_is_written_by_its_quick_writer(features: XmlFormatPlan) -> None:
    (writer,) = quick_paths(features).writers.values()
    payment = {
        "amount": Decimal("2.50"),
        "currency": "EUR",
        "end_to_end_id": "E1",
        "creditor_account": {"number": "7"},
        "purpose": "URGP",
        "creditor": {"name": "Zoe & Co"},
        "remittance": {"unstructured": "one two three"},
    }
    scope = {"payment": payment, "batch": {}, "totals": {}, "context": {}}
    text, elements = writer(scope, UniqueKeys())
    assert elements == 14
    assert "<Nm>Zoe &amp; Co</Nm>" in text.replace("t:", "")
    assert text.replace("t:", "").count("<Ustrd>") == 2


def test_an_item_with_a_missing_value_is_given_back(features: XmlFormatPlan) -> None:
    (writer,) = quick_paths(features).writers.values()
    with pytest.raises(Careful):
        writer({"payment": {"currency": "EUR"}, "batch": {}, "totals": {}}, UniqueKeys())


def lxml_writes(text: str) -> bytes | None:
    """``<a b="text">text</a>`` as lxml's ``xmlfile`` writes it; None where it refuses."""
    sink = io.BytesIO()
    try:
        with etree.xmlfile(sink, encoding="utf-8") as out, out.element("a", {"b": text}):
            out.write(text)
    except ValueError:
        return None
    return sink.getvalue()


@settings(max_examples=500)
@given(text=st.text(st.characters(codec=None)) | st.text("&<>\"'\r\n\t\x00\x1f\ufffe a"))
@example(text="\ud800")
@example(text="]]>")
def test_escaping_is_lxml_s_or_refuses_what_lxml_refuses(text: str) -> None:
    expected = lxml_writes(text)
    try:
        ours = f'<a b="{escape_attribute(text)}">{escape_text(text)}</a>'.encode()
    except Careful:
        assert expected is None
        return
    assert ours == expected
