"""MT940 through the engine: write then read round trips, errors with their places, pages,
the balance warning, reversals, German and Dutch :86: sub-fields, and detection."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from erengine.codecs.plan_codec import CompiledPlanFormat
from erengine.codecs.swift import detect
from erengine.codecs.swift.format_plan import GroupPlan, SwiftPlan, TagPlan
from erengine.codecs.swift.reader import SwiftReader
from erengine.engine import CompiledFormat, Engine
from erengine.errors import ErengineError, ValidationError, flatten

from .conftest import outcome, plan_of

STATEMENT = (
    b":20:STMT1\r\n:25:NL91ABNA0417164300\r\n:28C:12/1\r\n:60F:C240102EUR100,00\r\n"
    b":61:2401030103D25,50NTRFINV-1//BANKREF1\r\n:86:first line\r\n"
    b":61:2401030103RC10,00NTRFNONREF\r\n"
    b":62F:C240103EUR64,50\r\n-\r\n"
)


ENGINE = Engine.from_folders()


@pytest.fixture(scope="module")
def mt940() -> CompiledFormat:
    return ENGINE.format("mt940@^1")


def read(compiled: CompiledFormat, data: bytes) -> tuple[dict[str, Any], list[str]]:
    document, report = compiled.read_document(io.BytesIO(data), file_name="t.sta")
    return document, report.warnings


def write(compiled: CompiledFormat, document: dict[str, Any]) -> bytes:
    sink = io.BytesIO()
    compiled.write(document, sink)
    return sink.getvalue()


def test_a_canonical_statement_reads_and_writes_the_same_bytes(mt940: CompiledFormat) -> None:
    document, warnings = read(mt940, STATEMENT)
    assert warnings == []
    statement = document["statements"][0]
    assert statement["account"] == {"iban": "NL91ABNA0417164300"}
    assert (statement["electronic_sequence"], statement["page"]) == (12, 1)
    first, reversal = statement["entries"]
    assert first["amount"] == Decimal("25.50") and first["credit_debit"] == "debit"
    assert first["booking_date"] == dt.date(2024, 1, 3)
    assert first["account_servicer_reference"] == "BANKREF1"
    assert first["additional_information"] == "first line"
    # RC: a reversal of a credit books as a debit.
    assert (reversal["credit_debit"], reversal["reversal"]) == ("debit", True)
    assert write(mt940, document) == STATEMENT


def test_a_wrong_closing_balance_is_a_warning_with_both_figures(mt940: CompiledFormat) -> None:
    _, warnings = read(mt940, STATEMENT.replace(b"EUR64,50", b"EUR99,00"))
    assert len(warnings) == 1
    assert "expected 64.50, found 99.00" in warnings[0]


def test_errors_name_line_column_message_tag_and_part(mt940: CompiledFormat) -> None:
    bad = STATEMENT.replace(b"D25,50", b"D25.50")
    with pytest.raises(ErengineError) as caught:
        read(mt940, bad)
    error = flatten(caught.value)[0]
    assert error.code == "PRS326"
    position = error.to_dict()["position"]
    assert position["line"] == 5
    assert position["record"] == "message#1"
    assert position["field"] == "61.amount"


def test_a_missing_mandatory_tag_and_a_tag_out_of_order_are_reported(
    mt940: CompiledFormat,
) -> None:
    without_25 = STATEMENT.replace(b":25:NL91ABNA0417164300\r\n", b"")
    with pytest.raises(ErengineError) as caught:
        read(mt940, without_25)
    assert [e.code for e in flatten(caught.value)] == ["PRS341"]
    swapped = STATEMENT.replace(b":28C:12/1\r\n", b"").replace(b"-\r\n", b":28C:12/1\r\n-\r\n")
    with pytest.raises(ErengineError) as caught:
        read(mt940, swapped)
    assert "PRS340" in [e.code for e in flatten(caught.value)]


def test_a_statement_over_two_messages_is_joined(mt940: CompiledFormat) -> None:
    page_1 = (
        b":20:S\r\n:25:ACC\r\n:28C:7/1\r\n:60F:C240102EUR10,\r\n"
        b":61:240103C5,NTRFA\r\n:62M:C240103EUR15,\r\n-\r\n"
    )
    page_2 = (
        b":20:S\r\n:25:ACC\r\n:28C:7/2\r\n:60M:C240103EUR15,\r\n"
        b":61:240104D1,NTRFB\r\n:62F:C240104EUR14,\r\n-\r\n"
    )
    document, warnings = read(mt940, page_1 + page_2)
    assert warnings == []
    (statement,) = document["statements"]
    assert [e["customer_reference"] for e in statement["entries"]] == ["A", "B"]
    assert [b["type"] for b in statement["balances"]] == [
        "opening", "interim_closing", "interim_opening", "closing",
    ]  # fmt: skip


def test_writing_transliterates_or_refuses_as_configured(mt940: CompiledFormat) -> None:
    document, _ = read(mt940, STATEMENT)
    document["statements"][0]["entries"][0]["additional_information"] = "Müller " * 20
    written = write(mt940, document)
    assert b"Mueller" in written
    # 65 characters of content per line; the first line also holds the tag.
    lines = [line.removeprefix(b":86:") for line in written.split(b"\r\n") if b":61:" not in line]
    assert max(len(line) for line in lines) <= 65


def test_unwritable_values_are_validation_errors(mt940: CompiledFormat) -> None:
    document, _ = read(mt940, STATEMENT)
    document["statements"][0]["statement_id"] = "X" * 17
    with pytest.raises(ValidationError) as caught:
        write(mt940, document)
    assert caught.value.position.field == "20.reference"


def test_german_86_sub_fields_become_structured_details() -> None:
    german = ENGINE.format("mt940-de@^2")
    data = (
        STATEMENT.replace(
            b":86:first line\r\n",
            b":86:166?00SEPA-GUTSCHRIFT?10931?20EREF+E2E-1?21SVWZ+Rechnung 4\r\n"
            b"711?30COBADEFFXXX?31DE89370400440532013000?32M\xc3\xbcller GmbH\r\n",
        )
        .replace(b"D25,50", b"C25,50")
        .replace(b"EUR64,50", b"EUR115,50")
    )
    document, warnings = read(german, data)
    assert warnings == []
    entry = document["statements"][0]["entries"][0]
    assert entry["bank_transaction_code"] == {"proprietary": "TRF"}  # :61: NTRF
    (detail,) = entry["details"]
    assert detail["bank_transaction_code"] == {"proprietary": "166", "issuer": "DK"}  # the GVC
    assert detail["end_to_end_id"] == "E2E-1"
    assert detail["remittance"] == {"unstructured": "Rechnung 4711"}
    assert detail["counterparty"] == {
        "bic": "COBADEFFXXX", "iban": "DE89370400440532013000", "name": "Müller GmbH",
    }  # fmt: skip
    assert detail["additional_information"] == "SEPA-GUTSCHRIFT"
    written = write(german, document)
    assert b":61:2401030103C25,50NTRFINV-1//BANKREF1\r\n:86:166?00SEPA-GUTSCHRIFT" in written


def test_dutch_86_keys_become_structured_details() -> None:
    dutch = ENGINE.format("mt940-nl@^1")
    data = STATEMENT.replace(
        b":86:first line\r\n",
        b":86:/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/BIC/ABNANL2A\r\n"
        b"/NAME/J DOE/REMI/invoice 12/EREF/E2E-9\r\n",
    )
    document, _ = read(dutch, data)
    (detail,) = document["statements"][0]["entries"][0]["details"]
    assert detail["counterparty"]["name"] == "J DOE"
    assert detail["end_to_end_id"] == "E2E-9"
    assert detail["remittance"] == {"unstructured": "invoice 12"}
    assert detail["bank_transaction_code"] == {"proprietary": "SEPA OVERBOEKING"}


def test_detect_tells_mt940_from_other_files() -> None:
    assert detect(STATEMENT)
    assert detect(b"{1:F01BANKDEFFAXXX0000000000}{2:O9401200240102BANKDEFFAXXX}{4:\r\n")
    assert not detect(b'<?xml version="1.0"?><Document/>')
    assert not detect(b"101 091000019 1234567890240102")


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
texts = (
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?().,'+ ",
        min_size=1,
        max_size=200,
    )
    .map(str.strip)
    # Wrapped at 65, a line starting with '-' would end the field (VAL170).
    .filter(lambda text: bool(text) and not any(text[i] == "-" for i in range(65, len(text), 65)))
)
references = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=16)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    day = draw(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)))
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        entry: dict[str, Any] = {
            "amount": draw(amounts),
            "currency": "EUR",
            "credit_debit": draw(st.sampled_from(["credit", "debit"])),
            "value_date": day,
            "transaction_type": "N",
            "bank_transaction_code": {"proprietary": "TRF"},
            "customer_reference": draw(references),
        }
        if draw(st.booleans()):
            entry["reversal"] = True
        if draw(st.booleans()):
            entry["additional_information"] = draw(texts)
        entries.append(entry)
    opening = draw(amounts)
    return {
        "statement_id": draw(references),
        "electronic_sequence": draw(st.integers(0, 99999)),
        # Digits and slashes: a number shaped like an IBAN reads back as one, by design.
        "account": {"number": draw(st.text(alphabet="0123456789/", min_size=1, max_size=35))},
        "balances": [
            {
                "type": "opening",
                "amount": opening,
                "currency": "EUR",
                "credit_debit": "credit",
                "date": day,
            },
            {
                "type": "closing",
                "amount": opening,
                "currency": "EUR",
                "credit_debit": "credit",
                "date": day,
            },
        ],
        "entries": entries,
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statements(), min_size=1, max_size=3))
def test_any_statement_survives_write_then_read(items: list[dict[str, Any]]) -> None:
    compiled = ENGINE.format("mt940@^1")
    document = compiled.model.from_json(compiled.model.to_json({"statements": items}))
    written = write(compiled, document)
    again, _ = read(compiled, written)
    assert compiled.model.to_json(again) == compiled.model.to_json(document)
    assert write(compiled, again) == written


def careful_only(plan: SwiftPlan) -> SwiftPlan:
    """The plan with no quick path: every tag read part by part."""

    def careful(tag: TagPlan) -> TagPlan:
        return dataclasses.replace(tag, quick=None)

    slots = tuple(
        dataclasses.replace(slot, tags=tuple(map(careful, slot.tags)))
        if isinstance(slot, GroupPlan)
        else careful(slot)
        for slot in plan.slots
    )
    return dataclasses.replace(plan, slots=slots, envelope=tuple(map(careful, plan.envelope)))


def read_with(plan: SwiftPlan, data: bytes) -> tuple[dict[str, Any], list[str]]:
    reader = SwiftReader(plan, io.BytesIO(data), file_name="t.sta", attach=True)
    for _ in reader:
        pass
    return reader.root, reader.report.warnings


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(statements(), min_size=1, max_size=3),
    st.sampled_from(["mt940@^1", "mt940-de@^2", "mt940-nl@^1"]),
)
def test_the_quick_path_reads_what_the_careful_path_reads(
    items: list[dict[str, Any]], name: str
) -> None:
    compiled = ENGINE.format(name)
    assert isinstance(compiled.plan, CompiledPlanFormat)
    plan = compiled.plan.plan
    assert isinstance(plan, SwiftPlan)
    written = write(
        compiled, compiled.model.from_json(compiled.model.to_json({"statements": items}))
    )
    assert read_with(plan, written) == read_with(careful_only(plan), written)
    assert outcome(plan, written, quick=True) == outcome(plan, written, quick=False)


MT942 = (
    b":20:REPORT1\r\n:25:DE89370400440532013000\r\n:28C:3917/1\r\n:34F:EURD0,00\r\n"
    b":34F:EURC100,00\r\n:13D:1610301730-0230\r\n:61:1610301031D0,42NMSCNONREF//0550010\r\n"
    b":86:costs\r\n:90D:1EUR0,42\r\n:90C:0EUR0,00\r\n-\r\n"
)


def test_an_mt942_report_reads_and_writes_the_same_bytes() -> None:
    mt942 = ENGINE.format("mt942@^2")
    document, warnings = read(mt942, MT942)
    assert warnings == []
    (report,) = document["statements"]
    assert report["kind"] == "report"
    offset = dt.timezone(-dt.timedelta(hours=2, minutes=30))
    assert report["created_at"] == dt.datetime(2016, 10, 30, 17, 30, tzinfo=offset)
    assert [limit["credit_debit"] for limit in report["floor_limits"]] == ["debit", "credit"]
    assert report["entries"][0]["booking_date"] == dt.date(2016, 10, 31)
    assert report["summary"]["debit_count"] == 1
    assert write(mt942, document) == MT942


def derived(tmp_path: Path, name: str, extends: str, body: str) -> CompiledFormat:
    """A bank's derived format written as YAML, compiled."""
    (tmp_path / f"{name}.yaml").write_text(
        f"kind: format\nname: {name}\nversion: 1.0.0\nextends: {extends}\n{body}",
        encoding="utf-8",
    )
    return Engine.from_folders([tmp_path]).format(f"{name}@^1")


def with_13d(*, prefix: str) -> str:
    """The changes of a derived MT940 that adds :13D:, its offset prefixed by ``prefix``."""
    return (
        "changes:\n"
        "  - add: message.tags\n"
        "    after: 28C\n"
        "    value:\n"
        "      tag: 13D\n"
        "      notation: '6!n4!n1!x4!n'\n"
        "      optional: true\n"
        "      parts:\n"
        "        - {name: date, bind: statement.created_at, format: \"date('%y%m%d')\"}\n"
        "        - {name: time, bind: statement.created_at, format: \"time('%H%M')\"}\n"
        "        - {name: sign}\n"
        f"        - {{name: offset, prefix: {prefix}, bind: statement.created_at,"
        " format: utc_offset()}\n"
    )


def test_a_new_tag_is_yaml_only(tmp_path: Path) -> None:
    """A bank that adds :13D: (creation time) to MT940: a derived format, no code."""
    mybank = derived(
        tmp_path,
        "mybank-mt940",
        "mt940@^1",
        with_13d(prefix="sign"),
    )
    data = STATEMENT.replace(b":28C:12/1\r\n", b":28C:12/1\r\n:13D:2401031745+0100\r\n")
    document, _ = read(mybank, data)
    one_hour = dt.timezone(dt.timedelta(hours=1))
    assert document["statements"][0]["created_at"] == dt.datetime(
        2024, 1, 3, 17, 45, tzinfo=one_hour
    )
    assert write(mybank, document) == data


def test_mt942_refuses_to_guess_the_offset_of_a_naive_creation_time() -> None:
    mt942 = ENGINE.format("mt942@^2")
    document, _ = read(mt942, MT942)
    document["statements"][0]["created_at"] = dt.datetime(2016, 10, 30, 17, 30)
    with pytest.raises(ValidationError) as raised:
        write(mt942, document)
    assert raised.value.code == "VAL168"
    assert raised.value.position.field == "13D.offset"
    assert "a datetime with a UTC offset" in str(raised.value)


def test_an_aware_creation_time_from_camt_keeps_its_offset_in_mt942() -> None:
    mt942 = ENGINE.format("mt942@^2")
    document, _ = read(mt942, MT942)
    tokyo = dt.timezone(dt.timedelta(hours=9))
    document["statements"][0]["created_at"] = dt.datetime(2016, 10, 31, 2, 0, tzinfo=tokyo)
    assert b":13D:1610310200+0900\r\n" in write(mt942, document)


def test_a_prefix_must_be_the_fixed_length_part_just_before(tmp_path: Path) -> None:
    with pytest.raises(ErengineError) as raised:
        derived(
            tmp_path,
            "badprefix-mt940",
            "mt940@^1",
            with_13d(prefix="time"),
        )
    assert "CFG663" in str(raised.value)
    assert "badprefix-mt940.yaml:16:34 (message.tags[4].parts[3].prefix)" in str(raised.value)


def test_writing_takes_generators_for_lists(mt940: CompiledFormat) -> None:
    document, _ = read(mt940, STATEMENT)
    statement = document["statements"][0]
    streamed = {
        **statement,
        "balances": (balance for balance in statement["balances"]),
        "entries": (entry for entry in statement["entries"]),
    }
    assert write(mt940, {"statements": (s for s in [streamed])}) == STATEMENT


@settings(max_examples=150, deadline=None)
@given(
    reference=st.text(min_size=1, max_size=20),
    information=st.text(min_size=1, max_size=500),
)
@example(reference="R", information="x" * 65 + ":20:NEW")
@example(reference="R", information="x" * 65 + "-")
def test_any_text_writes_or_is_refused_with_a_validation_error(
    reference: str, information: str
) -> None:
    compiled = ENGINE.format("mt940@^1")
    document, _ = read(compiled, STATEMENT)
    statement = document["statements"][0]
    statement["statement_id"] = reference
    statement["entries"][0]["additional_information"] = information
    try:
        written = write(compiled, document)
    except ValidationError:
        return
    again, _ = read(compiled, written)
    assert len(again["statements"][0]["entries"]) == 2


def test_skip_unless_any_must_name_each_group_first_tag(tmp_path: Path) -> None:
    """A group's items stream before the message ends, so they cannot be taken back."""
    with pytest.raises(ErengineError) as caught:
        derived(tmp_path, "partial-mt940", "mt940@^1", "message: {skip_unless_any: ['20', '99']}\n")
    messages = [problem.message for problem in flatten(caught.value)]
    assert any(":61:, the first tag of group `entry`" in message for message in messages)
    assert any("tags the message does not have: 99" in message for message in messages)


def test_a_tolerated_statement_writes_strict_swift() -> None:
    """Read under a tolerance (10-digit :28C:), written by the notation SWIFT gives."""
    lenient = ENGINE.format("mt940-de-lenient@^2")
    document, warnings = read(lenient, STATEMENT.replace(b":28C:12/1", b":28C:1810118101/1"))
    assert document["statements"][0]["electronic_sequence"] == 1810118101
    assert "read with notation '10n[/5n]'" in warnings[0]
    with pytest.raises(ValidationError):
        write(lenient, document)


plain = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,-", min_size=1
)
ids = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=35)


@st.composite
def details(draw: st.DrawFn) -> dict[str, Any]:
    """A transaction's structured details, without the raw :86: text."""
    counterparty: dict[str, Any] = {}
    detail: dict[str, Any] = {"counterparty": counterparty}
    if draw(st.booleans()):
        detail["end_to_end_id"] = draw(ids)
    if draw(st.booleans()):
        detail["remittance"] = {"unstructured": draw(plain.map(str.strip).filter(bool))[:300]}
    if draw(st.booleans()):
        counterparty["name"] = draw(plain.map(str.strip).filter(bool))[:54].strip()
    if draw(st.booleans()):
        counterparty["iban"] = "DE89370400440532013000"
        counterparty["bic"] = "COBADEFFXXX"
    return {key: value for key, value in detail.items() if value}


def with_details(detail: dict[str, Any], code: str) -> dict[str, Any]:
    document, _ = read(ENGINE.format("mt940@^1"), STATEMENT)
    entry = document["statements"][0]["entries"][0]
    del entry["additional_information"]
    entry["bank_transaction_code"] = {"proprietary": code}
    entry["details"] = [detail] if detail else []
    return document


@settings(max_examples=80, deadline=None)
@given(
    detail=details(),
    gvc=st.from_regex(r"[0-9]{3}", fullmatch=True),
    posting=ids.map(lambda t: t[:27]),
)
def test_german_details_write_as_sub_fields_and_read_back(
    detail: dict[str, Any], gvc: str, posting: str
) -> None:
    german = ENGINE.format("mt940-de@^2")
    detail = {
        **detail,
        "additional_information": posting,  # ?00
        "bank_transaction_code": {"proprietary": gvc, "issuer": "DK"},  # the :86: GVC
    }
    written = write(german, with_details(detail, "TRF"))
    again, warnings = read(german, written)
    entry = again["statements"][0]["entries"][0]
    assert entry["details"] == [detail]
    assert entry["bank_transaction_code"] == {"proprietary": "TRF"}  # :61: NTRF, kept apart
    assert warnings == []
    assert write(german, again) == written  # now from the raw text read


@settings(max_examples=80, deadline=None)
@given(detail=details())
def test_dutch_details_write_as_keys_and_read_back(detail: dict[str, Any]) -> None:
    dutch = ENGINE.format("mt940-nl@^1")
    written = write(dutch, with_details(detail, "TRF"))
    again, _ = read(dutch, written)
    assert again["statements"][0]["entries"][0].get("details", []) == ([detail] if detail else [])


@settings(max_examples=80, deadline=None)
@given(name=st.text(min_size=1, max_size=60), purpose=st.text(min_size=1, max_size=400))
def test_any_details_write_stably_or_are_refused(name: str, purpose: str) -> None:
    """Written then read, the file holds the same sub-fields; or the details are refused:
    never a :86: that means something else. (Transliteration may spell a character as a
    blank, `¯` as ` `, which reading drops at a line's end: only SWIFT text is compared.)"""
    german = ENGINE.format("mt940-de@^2")
    detail = {"counterparty": {"name": name}, "remittance": {"unstructured": purpose}}
    try:
        written = write(german, with_details(detail, "166"))
    except ValidationError:
        return
    again, _ = read(german, written)
    if SWIFT_X.fullmatch(name + purpose):
        assert again["statements"][0]["entries"][0]["details"] == [detail]
        assert write(german, again) == written


SWIFT_X = re.compile(r"[a-zA-Z0-9/\-?:().,'+ ]*")


@pytest.mark.parametrize(
    ("name", "purpose"), [("A?32B", "x"), ("A", "pay EREF+me"), ("N" * 55, "x"), (" ", "x")]
)
def test_details_that_would_read_back_otherwise_are_refused(name: str, purpose: str) -> None:
    german = ENGINE.format("mt940-de@^2")
    detail = {"counterparty": {"name": name}, "remittance": {"unstructured": purpose}}
    with pytest.raises(ValidationError) as caught:
        write(german, with_details(detail, "166"))
    assert caught.value.code == "VAL171"


bics = st.from_regex(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9][A-Z0-9]{3}", fullmatch=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(statements(), bics), min_size=1, max_size=3))
def test_any_statement_survives_the_envelope(items: list[tuple[dict[str, Any], str]]) -> None:
    fin = ENGINE.format("mt940-fin@^1")
    data = {"statements": [{**statement, "servicer": {"bic": bic}} for statement, bic in items]}
    document = fin.model.from_json(fin.model.to_json(data))
    written = write(fin, document)
    assert written.count(b"{1:F01") == len(items) and written.count(b"\r\n-}") == len(items)
    assert b"}{2:I940XXXXXXXXXXXXN}{4:\r\n:20:" in written
    again, _ = read(fin, written)
    assert fin.model.to_json(again) == fin.model.to_json(document)
    assert write(fin, again) == written


def test_an_envelope_block_that_would_break_the_envelope_is_refused(tmp_path: Path) -> None:
    user = derived(
        tmp_path,
        "user-mt940",
        "mt940-fin@^1",
        "changes:\n"
        "  - add: message.envelope\n"
        "    value: {tag: '3', notation: '16z', parts: [{name: user, default: '{108:A'}]}\n",
    )
    document, _ = read(
        ENGINE.format("mt940-fin@^1"),
        b"{1:F01COBADEFFAXXX0000000000}{4:\r\n" + STATEMENT[:-3] + b"-}",
    )
    with pytest.raises(ValidationError) as caught:
        write(user, document)
    assert caught.value.code == "VAL172"


# Statements the quick paths must leave to the careful ones (a value that does not decode,
# a notation refused, a tolerance, a check), each with the format that reads it.
_HEAD = b":20:S1\r\n:25:NL91ABNA0417164300\r\n:28C:1/1\r\n:60F:C240102EUR100,00\r\n"
_TAIL = b":62F:C240103EUR100,00\r\n-\r\n"
UNUSUAL = {
    "a day that does not exist": ("mt940@^1", b":61:2402300230C1,00NTRFREF\r\n"),
    "an amount with a dot": ("mt940@^1", b":61:2401030103C1.00NTRFREF\r\n"),
    "an unknown mark": ("mt940@^1", b":61:2401030103X1,00NTRFREF\r\n"),
    "a month-day that does not exist": ("mt940@^1", b":61:2401031332C1,00NTRFREF\r\n"),
    "an empty and a blank :86:": ("mt940@^1", b":61:2401030103C1,00NTRFREF\r\n:86:\r\n"),
    "a :86: too long": ("mt940@^1", b":61:2401030103C1,00NTRFREF\r\n:86:" + b"x" * 70 + b"\r\n"),
    "a second :86:": ("mt940@^1", b":61:2401030103C0,00NTRFREF\r\n:86:a\r\n:86:b\r\n"),
    "an entry after the closing": (
        "mt940@^1",
        b":62F:C240103EUR100,00\r\n:61:2401030103C0,NTRFR\r\n",
    ),
    "a wrong balance": ("mt940@^1", b":61:2401030103RC5,00NTRFREF//BANK\r\n:86:x\r\ny\r\n"),
    "German sub-fields": (
        "mt940-de@^2",
        b":61:2401030103D1,NMSCNONREF\r\n:86:166?00GUT?20EREF+E1\r\n",
    ),
    "30 February in Germany": ("mt940-de@^2", b":61:1602300230C0,00NTRFREF\r\n:NS:22x\r\n"),
    "a :61: wrapped mid-value": (
        "mt940-de-lenient@^2",
        b":61:1811261126CR\r\n0,00N062NONREF\r\n:86:166?00GUT\r\n",
    ),
    "Dutch tabs and no comma": ("mt940-nl@^1", b":61:2401030103C5NTRFREF\r\n:86:/NAME/A\tB/\r\n"),
    "a Rabobank name": (
        "mt940-rabobank-legacy@^1",
        b":61:2401030103C5,00NTRF0123456789      NAME\r\n",
    ),
}


@pytest.mark.parametrize("case", sorted(UNUSUAL))
def test_an_unusual_entry_reads_the_same_through_the_quick_and_the_careful_path(
    case: str,
) -> None:
    name, lines = UNUSUAL[case]
    data = _HEAD + lines + _TAIL
    plan = plan_of(name)
    careful = outcome(plan, data, quick=False)
    assert outcome(plan, data, quick=True) == careful
    items, _, warnings, _, errors = careful
    assert items and (warnings or errors)  # each case is unusual: it reports something


def test_ordinary_tags_do_not_go_the_careful_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """The switch is real: quick, no entry of an ordinary statement is read part by part."""
    careful_tags: list[str] = []
    read_carefully = SwiftReader.read_carefully

    def counted(self: SwiftReader, state: Any, swift_field: Any, *rest: Any) -> None:
        careful_tags.append(swift_field.tag)
        read_carefully(self, state, swift_field, *rest)

    monkeypatch.setattr(SwiftReader, "read_carefully", counted)
    plan = plan_of("mt940@^1")
    assert outcome(plan, STATEMENT, quick=True) == outcome(plan, STATEMENT, quick=False)
    assert careful_tags.count("61") == 2  # both :61: read carefully once, with quick=False
    careful_tags.clear()
    outcome(plan, STATEMENT, quick=True)
    assert careful_tags == ["60F", "62F"]  # balances, list items, are always read carefully


def _first_items(plan: SwiftPlan) -> dict[str, list[str]]:
    return {
        slot.name: [name for name, _ in slot.first_items]
        for slot in plan.slots
        if isinstance(slot, GroupPlan)
    }


def test_a_first_item_is_made_only_where_something_binds_or_reads_it(tmp_path: Path) -> None:
    # mt940 splits no :86:, so each entry's detail record would only be made and dropped.
    assert _first_items(plan_of("mt940@^1")) == {"entry": []}
    assert _first_items(plan_of("mt940-de@^2")) == {"entry": ["detail"]}
    bound = derived(
        tmp_path,
        "binds-detail",
        "mt940@^1",
        "changes:\n"
        "  - set: message.tags[entry].tags[0].parts[7].bind\n"
        "    value: detail.end_to_end_id\n",
    )
    read_only = derived(
        tmp_path,
        "reads-detail",
        "mt940@^1",
        "changes:\n"
        "  - set: message.tags[entry].derived[0].value\n"
        "    value: \"{{ opening.currency if detail is defined else 'XXX' }}\"\n",
    )
    for compiled in (bound, read_only):
        assert isinstance(compiled.plan, CompiledPlanFormat)
        assert isinstance(compiled.plan.plan, SwiftPlan)
        assert _first_items(compiled.plan.plan) == {"entry": ["detail"]}
    document, _ = read(bound, STATEMENT)
    first, _ = document["statements"][0]["entries"]
    assert first["details"] == [{"end_to_end_id": "INV-1"}]
    assert "customer_reference" not in first
    document, _ = read(read_only, STATEMENT)
    assert document["statements"][0]["entries"][0]["currency"] == "EUR"
