"""Every camt and pain file of the public corpus, read with the format its namespace names.

Each file that reads gives model data that writes an XSD-valid document and reads back the
same. Where another project's parse result sits beside a file, entry counts, amounts, dates
and references are compared; the deliberate differences are listed in docs/iso20022.md.
Files refused are refused with their specific first error, each with the reason.
"""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from erengine.codecs.xml.detect import formats_for_namespace, root_namespace
from erengine.engine import Engine
from erengine.errors import DataError, ErengineError, flatten
from erengine.model.code_lists import CURRENCY_EXPONENTS

pytestmark = pytest.mark.corpus

READS = {
    # file: (format, entries or payments per statement or batch)
    "camt052/genkgo-camt052.v1.xml": ("camt.052.001.01", (1,)),
    "camt052/genkgo-camt052.v2.xml": ("camt.052.001.02", (1,)),
    "camt052/genkgo-camt052.v4.xml": ("camt.052.001.04", (1,)),
    "camt052/genkgo-camt052.v8.xml": ("camt.052.001.08", (1,)),
    "camt052/hbci4java-test-camt-parse-05200102.xml": ("camt.052.001.02", (2,)),
    "camt052/moov-FI_camt_052_sample.xml": ("camt.052.001.02", (1, 1)),
    "camt052/moov-postfinance-camt.052.xml": ("camt.052.001.04", (2,)),
    "camt053/genkgo-camt053.v2.all-balance-types.xml": ("camt.053.001.02", (1,)),
    "camt053/genkgo-camt053.v2.five.decimals.xml": ("camt.053.001.02", (1,)),
    "camt053/genkgo-camt053.v2.minimal.xml": ("camt.053.001.02", (1,)),
    "camt053/genkgo-camt053.v2.multi.statement.xml": ("camt.053.001.02", (1, 1)),
    "camt053/genkgo-camt053.v3.xml": ("camt.053.001.03", (1,)),
    "camt053/genkgo-camt053.v4.xml": ("camt.053.001.04", (1,)),
    "camt053/genkgo-camt053.v8.xml": ("camt.053.001.08", (1,)),
    "camt053/iso20022js-abnamro-example_camt.xml": ("camt.053.001.02", (13,)),
    "camt053/iso20022js-goldman-camt_053_us_v2_sample.xml": ("camt.053.001.02", (15,)),
    "camt053/iso20022js-ing-example_camt.xml": ("camt.053.001.02", (9,)),
    "camt053/moov-FI_camt_053_sample.xml": ("camt.053.001.02", (10,)),
    "camt053/moov-postfinance-camt.053_P_CH2909000000250094239_1110092698_0_2020112503071366.xml": (
        "camt.053.001.04",
        (5,),
    ),
    "camt053/moov-statement_1.xml": ("camt.053.001.02", (4,)),
    "camt054/genkgo-camt054.v2.xml": ("camt.054.001.02", (1,)),
    "camt054/genkgo-camt054.v4.xml": ("camt.054.001.04", (1,)),
    "camt054/genkgo-camt054.v8-with-UETR.xml": ("camt.054.001.08", (1,)),
    "camt054/genkgo-camt054.v8.xml": ("camt.054.001.08", (1,)),
    "camt054/moov-FI_camt_054_sample.xml": ("camt.054.001.02", (6,)),
    "camt054/moov-postfinance-camt054-ESR-ASR.xml": ("camt.054.001.04", (2,)),
    "camt054/moov-postfinance-camt054-chdd.xml": ("camt.054.001.04", (1,)),
    "camt054/moov-postfinance-camt054-returns.xml": ("camt.054.001.04", (1,)),
    "pain001/iso20022js-crossriver-pain_001_rtp_credit.xml": ("pain.001.001.03", (1,)),
    "pain001/moov-gistfile1-iso-mdr-example.xml": ("pain.001.001.03", (3,)),
    "pain001/moov-musterfile_pain.001_Nov2020.xml": ("pain.001.001.03.ch.02", (1, 2, 2, 1, 2)),
    "pain001/pain001lib-pain.001.001.09.xml": ("pain.001.001.09", (5,)),
    "pain001/phpsepaxml-pain.001.001.09.xml": ("pain.001.001.09", (1,)),
    "pain001/sepaking-pain.001.001.03.ch.02.xml": ("pain.001.001.03.ch.02", (1, 2)),
    "pain001/sepaking-pain.001.001.03.xml": ("pain.001.001.03", (2,)),
    "pain001/sepaking-pain.001.002.03.xml": ("pain.001.002.03", (2,)),
    "pain001/sepaking-pain.001.003.03.xml": ("pain.001.003.03", (2,)),
    "pain008/moov-pain008-musterfile.xml": ("pain.008.001.02.ch.03", (2,)),
    "pain008/phpsepaxml-pain.008.001.02.xml": ("pain.008.001.02", (1,)),
    "pain008/phpsepaxml-pain.008.001.08.xml": ("pain.008.001.08", (1,)),
    "pain008/sepaking-pain.008.002.02.xml": ("pain.008.002.02", (2,)),
    "pain008/sepaking-pain.008.003.02.xml": ("pain.008.003.02", (2,)),
    # pain.002: transactions per batch status
    "pain002/hbci4java-test-pain-parse-0020110-01.xml": ("pain.002.001.03", (1,)),
    "pain002/hbci4java-test-pain-parse-0020110-02.xml": ("pain.002.001.10", (1,)),
    "pain002/iso20022js-crossriver-pain_002_batch_rejected.xml": ("pain.002.001.03", ()),
    "pain002/iso20022js-crossriver-pain_002_credit_accepted.xml": ("pain.002.001.03", (1,)),
    "pain002/iso20022js-crossriver-pain_002_transaction_rejected.xml": ("pain.002.001.03", (3,)),
    "pain002/iso20022js-goldman-pain_002_v3_accepted.xml": ("pain.002.001.03", (1,)),
    "pain002/iso20022js-goldman-pain_002_v3_group_accepted.xml": ("pain.002.001.03", ()),
    "pain002/iso20022js-goldman-pain_002_v3_payment_accepted.xml": ("pain.002.001.03", (0,)),
    "pain002/moov-postfinance-pain002-epo.xml": ("pain.002.001.03.ch.02", (1,)),
}

# Read with warnings, but refused on write: the bank would reject what they hold.
WRITE_REFUSED = {
    "pain001/moov-musterfile_pain.001_Nov2020.xml",
    "pain001/pain001lib-pain.001.001.09.xml",
    "pain001/phpsepaxml-pain.001.001.09.xml",  # made-up IBANs with wrong check digits
    "pain008/phpsepaxml-pain.008.001.02.xml",
    "pain008/phpsepaxml-pain.008.001.08.xml",
}

# Read, with a warning that names the place and both figures (besides any others).
WARNED = {
    "pain001/pain001lib-pain.001.001.09.xml": (
        ":8 /Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs: `NbOfTxs` does not match the "
        "document's contents: expected 5, found 2"
    ),
    "pain001/moov-musterfile_pain.001_Nov2020.xml": (
        ":7 /Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs: `NbOfTxs` does not match the "
        "document's contents: expected 8, found 7"
    ),
}

REFUSED = {
    # file: (format, first error code, line, why)
    "camt053/genkgo-camt053.v2.wrong.xml": (
        "camt.053.001.02",
        "PRS202",
        3,
        "a group header and no statement (genkgo rejects it too)",
    ),
    "pain001/iso20022js-goldman-pain_001_ach_credit.xml": (
        "pain.001.001.03",
        "PRS206",
        30,
        "a template: the execution date is literally YYYY-MM-DD",
    ),
    "pain001/iso20022js-goldman-pain_001_v3_sepa.xml": (
        "pain.001.001.03",
        "PRS206",
        27,
        "a template: the execution date is literally YYYY-MM-DD",
    ),
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_folders()


def test_the_tables_cover_every_file(corpus: Path) -> None:
    files = {
        f"{path.parent.name}/{path.name}"
        for family in ("camt052", "camt053", "camt054", "pain001", "pain002", "pain008")
        for path in (corpus / family).glob("*.xml")
        if ".expected." not in path.name
    }
    assert files == set(READS) | set(REFUSED)


def detect(engine: Engine, path: Path) -> str:
    with path.open("rb") as stream:
        candidates = formats_for_namespace(engine.catalog, root_namespace(stream))
    return candidates[0].split("@")[0]


def read(engine: Engine, path: Path) -> tuple[dict[str, Any], list[str]]:
    compiled = engine.format(detect(engine, path))
    with path.open("rb") as stream:
        data, report = compiled.read_document(stream, file_name=path.name)
    return data, report.warnings


def counts(data: dict[str, Any]) -> tuple[int, ...]:
    if "original_message_id" in data or "status" in data:
        return tuple(len(b.get("transactions", [])) for b in data.get("batches", []))
    if "statements" in data:
        return tuple(len(s.get("entries", [])) for s in data["statements"])
    return tuple(len(b["payments"]) for b in data["batches"])


@pytest.mark.parametrize("name", sorted(READS))
def test_reads_and_writes_back_valid_xml(engine: Engine, corpus: Path, name: str) -> None:
    format_name, expected_counts = READS[name]
    path = corpus / name
    assert detect(engine, path) == format_name
    data, warnings = read(engine, path)
    assert counts(data) == expected_counts
    if name in WARNED:
        assert any(WARNED[name] in warning for warning in warnings), warnings
    if name in WRITE_REFUSED:
        return
    compiled = engine.format(format_name)
    written = io.BytesIO()
    compiled.write(data, written)
    # The corpus has no schema for the Swiss pain.002 and pain.008 variants, nor the
    # unrestricted pain.002.001.03.
    schema_path = corpus / "xsd" / f"{format_name}.xsd"
    if schema_path.exists():
        schema = etree.XMLSchema(etree.parse(str(schema_path)))
        assert schema.validate(etree.fromstring(written.getvalue())), schema.error_log
    again, _ = compiled.read_document(io.BytesIO(written.getvalue()))
    # What was read comes back; writing may add what the message requires (a transaction's
    # own amount, from its entry, in camt .03 and later) and then it is a fixed point.
    assert contains(again, data)
    rewritten = io.BytesIO()
    compiled.write(again, rewritten)
    assert rewritten.getvalue() == written.getvalue()


def contains(bigger: Any, smaller: Any) -> bool:
    if isinstance(smaller, dict):
        return isinstance(bigger, dict) and all(
            key in bigger and contains(bigger[key], value) for key, value in smaller.items()
        )
    if isinstance(smaller, list):
        return (
            isinstance(bigger, list)
            and len(bigger) == len(smaller)
            and all(contains(b, s) for b, s in zip(bigger, smaller, strict=True))
        )
    return bool(bigger == smaller)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_the_specific_error(engine: Engine, corpus: Path, name: str) -> None:
    format_name, code, line, _why = REFUSED[name]
    assert detect(engine, corpus / name) == format_name
    with pytest.raises(ErengineError) as caught:
        read(engine, corpus / name)
    first = flatten(caught.value)[0]
    assert isinstance(first, DataError)
    assert (first.code, first.position.line) == (code, line)


def test_swiss_payment_types_are_read_as_they_are(engine: Engine, corpus: Path) -> None:
    data, _ = read(engine, corpus / "pain001/sepaking-pain.001.001.03.ch.02.xml")
    isr, slip, sepa = (p for batch in data["batches"] for p in batch["payments"])
    # An ISR payment names no creditor: its participant number stands for it.
    assert "creditor" not in isr
    assert (isr["local_instrument"], isr["creditor_account"]) == ("CH01", {"number": "01-39139-1"})
    assert (slip["local_instrument"], sepa["service_level"]) == ("CH02", "SEPA")
    data, _ = read(engine, corpus / "pain001/moov-musterfile_pain.001_Nov2020.xml")
    payments = [p for batch in data["batches"] for p in batch["payments"]]
    equivalent = payments[5]
    assert (equivalent["amount"], equivalent["currency"]) == (Decimal("1.00"), "CHF")
    assert equivalent["transfer_currency"] == "EUR"
    assert payments[6]["remittance"]["structured"] == {
        "reference": "976471818744726494745968140",
        "proprietary_type": "QRR",
    }


def test_swiss_collections_are_read_as_they_are(engine: Engine, corpus: Path) -> None:
    data, _ = read(engine, corpus / "pain008/moov-pain008-musterfile.xml")
    (batch,) = data["batches"]
    assert (batch["service_level"], batch["local_instrument"]) == ("CHDD", "DDCOR1")
    assert (batch["creditor_scheme_id"], batch["creditor_scheme"]) == ("41100000000872849", "CHDD")
    assert batch["debtor_agent"] == {"member_id": "09000"}
    for payment in batch["payments"]:
        # CH-DD: the debit authorisation lies with the debtor's bank, not in the file.
        assert "mandate_id" not in payment
        assert payment["creditor_agent"] == {"member_id": "09000"}


def test_swiss_payments_are_not_sepa_payments(engine: Engine, corpus: Path) -> None:
    swiss = engine.format("pain.001.001.03.ch.02")
    data, _ = read(engine, corpus / "pain001/sepaking-pain.001.001.03.ch.02.xml")
    # For a SEPA (or NACHA) file a payment without creditor, or a Swiss payment type, is
    # refused by the model check, never dropped.
    with pytest.raises(ErengineError) as caught:
        engine.format("pain.001.001.03").model.from_json(swiss.model.to_json(data))
    found = {(e.code, e.to_dict()["position"]["json_path"]) for e in flatten(caught.value)}
    assert found == {
        ("VAL102", "$.batches[0].payments[0].creditor"),
        ("VAL103", "$.batches[0].payments[0].local_instrument"),
        ("VAL103", "$.batches[1].payments[0].local_instrument"),
        ("VAL103", "$.batches[1].payments[1].service_level"),
    }


def _signed_minor(entry: dict[str, Any]) -> int:
    units = entry["amount"].scaleb(CURRENCY_EXPONENTS[entry["currency"]])
    return int(units) * (-1 if entry["credit_debit"] == "debit" else 1)


def _day(moment: dict[str, str] | None) -> date | None:
    return date.fromisoformat(moment["0"][:10]) if moment else None


@pytest.mark.parametrize("name", sorted(n for n in READS if n.split("/")[1].startswith("genkgo-")))
def test_entries_match_genkgo_camt(engine: Engine, corpus: Path, name: str) -> None:
    expected_path = corpus / name.replace(".xml", ".expected.genkgo-camt.json")
    expected = json.loads(expected_path.read_text())
    data, _ = read(engine, corpus / name)
    ours = [entry for statement in data["statements"] for entry in statement.get("entries", [])]
    # genkgo lists the entries of the message's last record.
    theirs = expected["getEntries"]
    last = data["statements"][-1].get("entries", [])
    assert len(theirs) == len(last)
    for mine, their in zip(last, theirs, strict=True):
        assert mine in ours
        assert _signed_minor(mine) == int(their["getAmount"]["getAmount"])
        assert mine["currency"] == their["getAmount"]["getCurrency"]["getCode"]
        assert (
            mine["credit_debit"]
            == {"CRDT": "credit", "DBIT": "debit"}[their["getCreditDebitIndicator"]]
        )
        # Deliberate: a booking DtTm is read as its day (docs/iso20022.md).
        assert mine.get("booking_date") == _day(their["getBookingDate"])
        assert mine.get("value_date") == _day(their["getValueDate"])
        assert mine.get("account_servicer_reference") == their["getAccountServicerReference"]
        # genkgo's dump keeps the first transaction of an entry (the rest are back-references).
        first = their["getTransactionDetail"]
        if first is not None and mine.get("details"):
            reference = first["getReference"] or {}
            assert mine["details"][0].get("end_to_end_id") == reference.get("getEndToEndId")
            assert mine["details"][0].get("mandate_id") == reference.get("getMandateId")


def test_entries_match_iso20022js(engine: Engine, corpus: Path) -> None:
    name = "camt053/iso20022js-goldman-camt_053_us_v2_sample.xml"
    expected = json.loads((corpus / name.replace(".xml", ".expected.iso20022js.json")).read_text())
    statement = expected["Document"]["BkToCstmrStmt"]["Stmt"][0]
    data, _ = read(engine, corpus / name)
    entries = data["statements"][0]["entries"]
    assert len(entries) == len(statement["Ntry"])
    for mine, their in zip(entries, statement["Ntry"], strict=True):
        assert mine["amount"] == Decimal(their["Amt"]["#text"])
        assert mine["currency"] == their["Amt"]["@_Ccy"]
        assert mine["credit_debit"] == {"CRDT": "credit", "DBIT": "debit"}[their["CdtDbtInd"]]
        booked = their.get("BookgDt", {})
        moment = booked.get("Dt") or booked.get("DtTm")
        assert mine.get("booking_date") == (date.fromisoformat(moment[:10]) if moment else None)
        assert mine.get("reversal", False) == bool(their.get("RvslInd", False))
        assert mine.get("account_servicer_reference") == their.get("AcctSvcrRef")
    summary = statement["TxsSummry"]
    assert data["statements"][0]["summary"]["credit_count"] == summary["TtlCdtNtries"]["NbOfNtries"]
    assert data["statements"][0]["summary"]["debit_sum"] == Decimal(summary["TtlDbtNtries"]["Sum"])
