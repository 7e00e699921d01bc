"""Properties of the pain formats: one spec, two directions, and XSD-valid output.

pain.001 .03 and .09 draw credit transfers; the Swiss .ch.02 the same with Swiss payment types
(ISR without creditor, equivalent amounts, QR references); pain.008 .02 and .08 draw the same
files turned into collections (a mandate per payment, a sequence type and creditor id per batch).
"""

from __future__ import annotations

import copy
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from erengine.engine import Engine

from .strategies import agents, currencies, payment_files, text

pytestmark = pytest.mark.corpus

FORMATS = (
    "pain.001.001.03",
    "pain.001.001.09",
    "pain.001.001.03.ch.02",
    "pain.008.001.02",
    "pain.008.001.08",
)
ENGINE = Engine.from_folders()
# What writing fills in when the data leaves it out; reading gives it back from the file.
FILLED_ON_WRITE = {"initiating_party"}


@pytest.fixture(scope="module")
def schemas(corpus: Path) -> dict[str, Any]:
    return {
        name: etree.XMLSchema(etree.parse(str(corpus / "xsd" / f"{name}.xsd"))) for name in FORMATS
    }


@st.composite
def collections(draw: st.DrawFn) -> dict[str, Any]:
    """A payment file as direct debits: IBANs only, mandates, SEPA scheme data."""
    data = draw(payment_files())
    for batch in data["batches"]:
        batch["payment_method"] = "DD"
        batch["debtor_account"] = {"iban": "DE89370400440532013000"}
        batch["sequence_type"] = draw(st.sampled_from(["FRST", "RCUR", "OOFF", "FNAL"]))
        batch["creditor_scheme_id"] = "DE98ZZZ09999999999"
        batch.pop("instruction_priority", None)
        for key in ("debtor", "ultimate_debtor"):
            if key in batch:
                batch[key] = {"name": batch[key]["name"]}
        for payment in batch["payments"]:
            payment["direction"] = "debit"
            payment["creditor_account"] = {"iban": "FR1420041010050500013M02606"}
            payment["mandate_id"] = draw(text(35, "ABCDEFGHIJ0123456789-"))
            payment["mandate_signed"] = draw(st.dates(date(2009, 11, 1), date(2099, 12, 31)))
            payment.get("creditor", {}).pop("id", None)
    return data


@st.composite
def swiss_transfers(draw: st.DrawFn) -> dict[str, Any]:
    """A payment file with Swiss payment types; SIX wants every debtor's bank named."""
    data = draw(payment_files())
    for batch in data["batches"]:
        batch["debtor_agent"] = draw(agents())
        for payment in batch["payments"]:
            kind = draw(st.sampled_from(["plain", "isr", "equivalent", "qr", "sepa"]))
            if kind == "isr":  # the participant number stands for the creditor
                del payment["creditor"]
                payment["local_instrument"] = "CH01"
                payment["creditor_account"] = {"number": draw(text(34, "0123456789-"))}
                payment["remittance"] = {"structured": {"reference": draw(text(27, "0123456789"))}}
            elif kind == "equivalent":
                payment["transfer_currency"] = draw(currencies.filter(lambda c: c != "CHF"))
            elif kind == "qr":
                payment["remittance"] = {
                    "structured": {
                        "reference": draw(text(27, "0123456789")),
                        "proprietary_type": "QRR",
                    }
                }
            elif kind == "sepa":
                payment["service_level"] = "SEPA"
    return data


def without(data: Any, keys: set[str]) -> Any:
    if isinstance(data, dict):
        return {k: without(v, keys) for k, v in data.items() if k not in keys}
    if isinstance(data, list):
        return [without(item, keys) for item in data]
    return data


@pytest.mark.parametrize("name", FORMATS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_both_directions_and_xsd_valid(
    name: str, schemas: dict[str, Any], data: st.DataObject
) -> None:
    compiled = ENGINE.format(name)
    strategy = {"pain.008": collections(), "pain.001.001.03.ch.02": swiss_transfers()}
    document = data.draw(strategy.get(name[:8], strategy.get(name, payment_files())))
    assert compiled.model.check(document) == []
    original = copy.deepcopy(document)
    written = io.BytesIO()
    compiled.write(document, written)
    assert schemas[name].validate(etree.fromstring(written.getvalue())), schemas[name].error_log
    back, _ = compiled.read_document(io.BytesIO(written.getvalue()))
    assert without(back, FILLED_ON_WRITE) == without(original, FILLED_ON_WRITE)
    again = io.BytesIO()
    compiled.write(back, again)
    assert again.getvalue() == written.getvalue()
