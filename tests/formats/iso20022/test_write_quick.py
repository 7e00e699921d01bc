"""The XML writer's quick path against its generic walk, on every shipped format written.

Each case writes the same data twice, with the generated item writers (``write_quick.py``)
and without, and holds both to the same outcome: the same bytes, or the same errors (code,
message, XPath, JSON path, record label), or the same exception from lxml. Data comes from
the round-trip strategies, valid or spoiled in one payment, with the format's indentation,
none, or a tab; and from every corpus file that reads.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import string
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erengine.codecs.xml.codec import XmlFormat
from erengine.codecs.xml.plan import ElementPlan, XmlFormatPlan
from erengine.codecs.xml.write import XmlWriter
from erengine.codecs.xml.write_quick import QuickPaths, QuickSum, QuickWrite, quick_paths
from erengine.engine import Engine
from erengine.errors import ErengineError, flatten

from .statement_strategies import statement_files
from .strategies import payment_files
from .test_corpus import READS
from .test_pain_properties import collections, swiss_transfers

ENGINE = Engine.from_folders()
FORMATS = Path(__file__).parents[3] / "formats" / "iso20022"
CONTEXT = {"now": datetime(2024, 3, 1, 10, 30)}
PAYMENTS: dict[str, Callable[[], st.SearchStrategy[dict[str, Any]]]] = {
    "pain.001.001.03": payment_files,
    "pain.001.001.09": payment_files,
    "pain.001.002.03": payment_files,
    "pain.001.003.03": payment_files,
    "pain.001.001.03.ch.02": swiss_transfers,
    "pain.008.001.02": collections,
    "pain.008.001.08": collections,
    "pain.008.002.02": collections,
    "pain.008.003.02": collections,
    "pain.008.001.02.ch.03": collections,
}
KIND = {"052": "report", "053": "statement", "054": "notification"}
STATEMENTS = [
    f"camt.{message}.001.{version}"
    for message in ("052", "053", "054")
    for version in ("02", "04", "08")
] + ["camt.053.001.03"]
# Not written here: camt.052.001.01 is read-only; pain.002 has no strategy (the corpus has it).
ONLY_FROM_CORPUS = {
    "camt.052.001.01",
    "pain.002.001.03",
    "pain.002.001.03.ch.02",
    "pain.002.001.10",
}
INDENTS = [None, "", "\t"]  # None: the format's own


class Counted:
    """The quick paths of a plan, counting the items written and given back, and the lists
    added up and given back."""

    def __init__(self, plan: XmlFormatPlan) -> None:
        self.written = self.given_back = self.summed = self.sums_given_back = 0
        paths = quick_paths(plan)
        self.paths = QuickPaths(
            {key: self.counting(writer) for key, writer in paths.writers.items()},
            {key: self.summing(sum_up) for key, sum_up in paths.sums.items()},
        )

    def summing(self, sum_up: QuickSum) -> QuickSum:
        def count(*arguments: Any) -> None:
            try:
                sum_up(*arguments)
            except Exception:
                self.sums_given_back += 1
                raise
            self.summed += 1

        return count

    def counting(self, writer: QuickWrite) -> QuickWrite:
        def count(scope: dict[str, Any], seen: Any) -> tuple[str, int]:
            try:
                result = writer(scope, seen)
            except Exception:
                self.given_back += 1
                raise
            self.written += 1
            return result

        return count


def outcome(plan: XmlFormatPlan, data: dict[str, Any], quick: Any) -> tuple[Any, ...]:
    """The bytes written, or the errors (every detail); any other exception fails the test."""
    sink = io.BytesIO()
    try:
        XmlWriter(plan, sink, context=CONTEXT, quick=quick).write(copy.deepcopy(data))
    except ErengineError as error:
        return ("errors", [single.to_dict() for single in flatten(error)])
    return ("bytes", sink.getvalue())


def xml_plan(name: str) -> XmlFormatPlan:
    compiled = ENGINE.format(name).plan
    assert isinstance(compiled, XmlFormat)
    return compiled.plan


def with_indent(plan: XmlFormatPlan, indent: str | None) -> XmlFormatPlan:
    if indent is None:
        return plan
    return dataclasses.replace(plan, file=plan.file.model_copy(update={"indent": indent}))


def assert_same(name: str, data: dict[str, Any], indent: str | None) -> Counted:
    plan = with_indent(xml_plan(name), indent)
    counted = Counted(plan)
    generic = outcome(plan, data, None)
    quick = outcome(plan, data, counted.paths)
    assert quick == generic
    if generic[0] == "bytes" and counted.paths.writers:
        assert counted.given_back == 0, "an ordinary item left the quick path"
        assert counted.sums_given_back == 0, "ordinary items were added up again"
    return counted


def repeated(plan: ElementPlan) -> list[ElementPlan]:
    found = [plan] if plan.for_each is not None else []
    return found + [p for child in plan.children for p in repeated(child)]


def test_every_shipped_format_is_compared_here() -> None:
    shipped = {path.stem for path in FORMATS.glob("*.yaml")}
    assert shipped == set(PAYMENTS) | set(STATEMENTS) | ONLY_FROM_CORPUS


@pytest.mark.parametrize("name", sorted(PAYMENTS) + STATEMENTS)
def test_the_transactions_of_each_written_format_have_a_quick_writer_and_sum(name: str) -> None:
    plan = xml_plan(name)
    paths = quick_paths(plan)
    innermost = [p for p in repeated(plan.root) if len(repeated(p)) == 1]
    assert innermost
    assert all(id(p) in paths.writers for p in innermost), [p.local for p in innermost]
    feeding = [p for p in repeated(plan.root) if p.feeds.steps]
    assert all(id(p) in paths.sums for p in feeding), [p.local for p in feeding]


def spoil(data: st.DataObject, document: dict[str, Any]) -> str:
    """Spoil one payment in one way (or none); the way, for the failure message."""
    payments = [p for batch in document["batches"] for p in batch["payments"]]
    payment = data.draw(st.sampled_from(payments))
    how = data.draw(
        st.sampled_from(
            [
                "none",
                "no creditor name",
                "no amount",
                "bad iban",
                "amount with too many decimals",
                "duplicate end-to-end id",
                "end-to-end id of a list",
                "name of other characters",
                "control character",
                "markup characters",
                "creditor a list",
            ]
        )
    )
    if how == "no creditor name" and "creditor" in payment:
        payment["creditor"].pop("name", None)
    elif how == "no amount":
        payment.pop("amount")
    elif how == "bad iban":
        payment["creditor_account"] = {"iban": "DE00370400440532013000"}
    elif how == "amount with too many decimals":
        payment["amount"] = payment["amount"].scaleb(-4) + payment["amount"]
    elif how == "duplicate end-to-end id":
        payment["end_to_end_id"] = payments[0]["end_to_end_id"] = "TWICE"
    elif how == "end-to-end id of a list":
        payment["end_to_end_id"] = ["E2E"]
    elif how == "name of other characters" and "creditor" in payment:
        payment["creditor"]["name"] = data.draw(st.text(min_size=1, max_size=20))
    elif how == "control character":
        payment["purpose"] = data.draw(st.sampled_from(["A\x01", "\x0bB", "C\ufffe"]))
    elif how == "markup characters":
        payment["purpose"] = data.draw(st.text(string.ascii_uppercase + "&<>\"'\r\n\t", max_size=4))
    elif how == "creditor a list":
        payment["creditor"] = [{"name": "X"}]
    return how


@pytest.mark.parametrize("name", sorted(PAYMENTS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_payment_formats_quick_and_generic_write_the_same_bytes_or_errors(
    name: str, data: st.DataObject
) -> None:
    document = data.draw(PAYMENTS[name]())
    how = spoil(data, document)
    indent = data.draw(st.sampled_from(INDENTS))
    counted = assert_same(name, document, indent)
    assert counted.written + counted.given_back > 0, how
    assert counted.summed + counted.sums_given_back > 0, how


@pytest.mark.parametrize("name", STATEMENTS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_statement_formats_quick_and_generic_write_the_same_bytes(
    name: str, data: st.DataObject
) -> None:
    message, version = name.split(".")[1], name.split(".")[3]
    document = data.draw(statement_files(kind=KIND[message], own_side=version not in ("02",)))
    assert_same(name, document, data.draw(st.sampled_from(INDENTS)))


@pytest.mark.corpus
@pytest.mark.parametrize("file", sorted(READS))
def test_corpus_files_read_then_write_the_same_bytes_on_both_paths(file: str, corpus: Path) -> None:
    name = READS[file][0]
    compiled = ENGINE.format(name)
    document, _ = compiled.read_document(io.BytesIO((corpus / file).read_bytes()))
    for indent in INDENTS:
        assert_same(name, document, indent)
