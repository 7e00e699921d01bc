"""The XML reader's quick paths give exactly what the generic path gives.

Three ways to read: ``generic`` (every element event by event), ``every event`` (quick
functions, the parser reporting every element) and ``filtered`` (quick functions, the parser
reporting only what lies outside the items, as the engine reads a file). Each test reads the
same bytes all three ways and compares the items (list path, index, values), the document
data, the element count, the warnings and the errors (code, message, file, line, XPath,
expected, found). Cases that force the fallback also check that it happened.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erengine.codecs.xml.detect import formats_for_namespace, root_namespace
from erengine.codecs.xml.plan import XmlFormatPlan
from erengine.codecs.xml.read import XmlReader
from erengine.engine import Engine
from erengine.errors import ErengineError, flatten
from tests.formats.iso20022.statement_strategies import statement_files
from tests.formats.iso20022.strategies import payment_files
from tests.fuzz.test_xml_fuzz import mutations

ENGINE = Engine.from_folders()
MODES: dict[str, dict[str, bool]] = {
    "every event": {"filtered": False},
    "filtered": {},
}


def plan_of(name: str) -> XmlFormatPlan:
    plan = ENGINE.format(name).plan
    return plan.plan  # type: ignore[attr-defined, no-any-return]


@dataclass
class Outcome:
    items: list[tuple[tuple[str, ...], int, dict[str, Any]]]
    root: dict[str, Any]
    records: int
    warnings: list[str]
    errors: list[dict[str, Any]] | None
    quick_items: int = 0
    careful_items: int = 0
    read_again: bool = False

    def same(self) -> tuple[Any, ...]:
        return self.items, self.root, self.records, self.warnings, self.errors


class _OneWay(io.RawIOBase):
    """A stream that cannot seek (a pipe)."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def read(
    plan: XmlFormatPlan,
    data: bytes,
    *,
    attach: bool = False,
    seekable: bool = True,
    limits: dict[str, int] | None = None,
    quick: bool = True,
    filtered: bool = True,
) -> Outcome:
    stream: Any = io.BytesIO(data) if seekable else _OneWay(data)
    reader = XmlReader(
        plan, stream, file_name="in.xml", attach=attach, quick=quick, filtered=filtered
    )
    for name, value in (limits or {}).items():
        setattr(reader, name, value)
    items = []
    errors = None
    try:
        for item in reader:
            items.append((item.list_path, item.index, item.item))
    except ErengineError as error:
        errors = [e.to_dict() for e in flatten(error)]
    return Outcome(
        items,
        reader.root,
        reader.report.records,
        list(reader.report.warnings),
        errors,
        reader.quick_items,
        reader.careful_items,
        reader.read_again,
    )


def assert_same_everywhere(plan: XmlFormatPlan, data: bytes, **limits: int) -> dict[str, Outcome]:
    """Read ``data`` every way, with and without attaching items; the quick outcomes."""
    found = {}
    for attach in (False, True):
        generic = read(plan, data, attach=attach, quick=False)
        for mode, options in MODES.items():
            quick = read(plan, data, attach=attach, limits=limits, **options)
            assert quick.same() == generic.same(), (mode, attach)
            found[mode] = quick
    return found


# --- hand-written documents ----------------------------------------------------------------

CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
ENTRY = """
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>{side}</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2024-03-01</Dt></BookgDt>
        <ValDt><Dt>2024-03-01</Dt></ValDt>
        <AcctSvcrRef>REF{number}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>E2E-{number}</EndToEndId></Refs>
            <RltdPties>
              <Dbtr><Nm>Anna Schmidt</Nm></Dbtr>
              <DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct>
              <Cdtr><Nm>Zoe Martin</Nm></Cdtr>
            </RltdPties>
            <RmtInf><Ustrd>Invoice {number}</Ustrd><Ustrd>second line</Ustrd></RmtInf>
          </TxDtls>
          <TxDtls><Refs><EndToEndId>E2E-{number}-2</EndToEndId></Refs></TxDtls>
        </NtryDtls>
        <NtryDtls><TxDtls><AddtlTxInf>again</AddtlTxInf></TxDtls></NtryDtls>
        <AddtlNtryInf>entry {number}</AddtlNtryInf>
      </Ntry>"""


def statement(*entries: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{CAMT}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-01T10:30:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>S1</Id>
      <CreDtTm>2024-03-01T10:30:00</CreDtTm>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="EUR">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt>
      </Bal>{"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def entry(number: int, *, side: str = "CRDT", amount: str = "12.50") -> str:
    return ENTRY.format(number=number, side=side, amount=amount)


def changed(number: int, old: str, new: str, **fields: str) -> str:
    text = entry(number, **fields)
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.fixture(scope="module")
def camt() -> XmlFormatPlan:
    return plan_of("camt.053.001.02")


def test_ordinary_entries_all_take_the_quick_path(camt: XmlFormatPlan) -> None:
    data = statement(entry(1), entry(2, side="DBIT"), entry(3, amount="1000.00"))
    found = assert_same_everywhere(camt, data)
    for outcome in found.values():
        assert (outcome.quick_items, outcome.careful_items) == (4, 0)  # a balance, 3 entries
        assert not outcome.read_again
        assert outcome.errors is None
        assert len(outcome.items) == 1 + 3 + 3 * 3 + 1
    details = [i for i in found["filtered"].items if i[0][-1] == "details"]
    assert [d[1] for d in details[:3]] == [0, 1, 0]  # counted in each NtryDtls
    first = details[0][2]
    assert first["remittance"]["unstructured"] == "Invoice 1 second line"
    assert first["counterparty"] == {"name": "Anna Schmidt", "iban": "DE89370400440532013000"}


FALLBACKS = {
    "unknown element": ("<Sts>BOOK</Sts>", "<Sts>BOOK</Sts><Chrgs>1</Chrgs>"),
    "out of order": (
        '<Amt Ccy="EUR">12.50</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>',
        '<CdtDbtInd>CRDT</CdtDbtInd><Amt Ccy="EUR">12.50</Amt>',
    ),
    "repeated": ("<Sts>BOOK</Sts>", "<Sts>BOOK</Sts><Sts>BOOK</Sts>"),
    "bad amount": ('<Amt Ccy="EUR">12.50</Amt>', '<Amt Ccy="EUR">12,50</Amt>'),
    "too many decimals": ('<Amt Ccy="EUR">12.50</Amt>', '<Amt Ccy="EUR">12.123456</Amt>'),
    "missing element": ("<Sts>BOOK</Sts>", ""),
    "empty element": ("<Sts>BOOK</Sts>", "<Sts> </Sts>"),
    "code not in the table": ("<CdtDbtInd>CRDT</CdtDbtInd>", "<CdtDbtInd>CRED</CdtDbtInd>"),
    "missing attribute": ('<Amt Ccy="EUR">', "<Amt>"),
    "two alternatives": (
        "<BookgDt><Dt>2024-03-01</Dt></BookgDt>",
        "<BookgDt><Dt>2024-03-01</Dt><DtTm>2024-03-01T10:00:00</DtTm></BookgDt>",
    ),
    "element in a text element": ("<Sts>BOOK</Sts>", "<Sts>BOOK<X/></Sts>"),
    "bad date": ("<Dt>2024-03-01</Dt></BookgDt>", "<Dt>2024-02-30</Dt></BookgDt>"),
    "other namespace": ("<Sts>BOOK</Sts>", '<Sts>BOOK</Sts><x:Y xmlns:x="urn:other">1</x:Y>'),
}


@pytest.mark.parametrize("case", sorted(FALLBACKS))
def test_an_entry_the_quick_path_does_not_expect_is_read_on_the_generic_path(
    camt: XmlFormatPlan, case: str
) -> None:
    old, new = FALLBACKS[case]
    data = statement(entry(1), changed(2, old, new), entry(3))
    found = assert_same_everywhere(camt, data)
    for outcome in found.values():
        assert outcome.careful_items == 1, case
        assert outcome.quick_items == 3, case
        assert outcome.errors or outcome.warnings, case


def test_an_unknown_element_warned_about_once_is_skipped_quickly_after(
    camt: XmlFormatPlan,
) -> None:
    extra = ("<Sts>BOOK</Sts>", "<Sts>BOOK</Sts><Chrgs><Amt>1</Amt></Chrgs>")
    data = statement(*(changed(n, *extra) for n in range(1, 5)))
    found = assert_same_everywhere(camt, data)
    for outcome in found.values():
        assert (outcome.careful_items, outcome.quick_items) == (1, 4)
        assert len(outcome.warnings) == 1


def test_a_when_that_does_not_hold_skips_the_element_on_both_paths(camt: XmlFormatPlan) -> None:
    # a debit entry: the `Dbtr` and `DbtrAcct` of its details are not for it
    found = assert_same_everywhere(camt, statement(entry(1, side="DBIT")))
    detail = next(i for i in found["filtered"].items if i[0][-1] == "details")[2]
    assert detail["counterparty"] == {"name": "Zoe Martin"}
    assert found["filtered"].careful_items == 0


def test_comments_and_layout_inside_an_entry_change_nothing(camt: XmlFormatPlan) -> None:
    compact = "".join(line.strip() for line in entry(1).splitlines())
    commented = changed(2, "<Sts>BOOK</Sts>", "<!-- booked --><Sts>BOOK</Sts><?pi x?>")
    found = assert_same_everywhere(camt, statement(compact, commented))
    assert found["filtered"].careful_items == 0


def test_big_items_are_read_on_the_generic_path_from_where_the_limit_struck(
    camt: XmlFormatPlan,
) -> None:
    # the parser reads some 32 kB at a time: enough entries that it reads while one is held
    bad = changed(3, "<Sts>BOOK</Sts>", "<Sts>BAD</Sts>")
    data = statement(entry(1), entry(2), bad, *(entry(n) for n in range(4, 80)))
    found = assert_same_everywhere(camt, data, item_limit=5, item_bytes=100)
    assert found["filtered"].read_again
    assert found["every event"].careful_items == 0  # abandoned while streaming, not given up
    assert found["every event"].errors is not None


def test_a_big_unknown_element_outside_the_items_is_read_again_with_every_event(
    camt: XmlFormatPlan,
) -> None:
    unknown = "<RptgSrc>" + "<Prtry>x</Prtry>" * 5000 + "</RptgSrc>"
    data = statement(entry(1)).replace(
        b"<CreDtTm>2024-03-01T10:30:00</CreDtTm>\n      <Acct>",
        f"<CreDtTm>2024-03-01T10:30:00</CreDtTm>{unknown}<Acct>".encode(),
    )
    assert unknown.encode() in data
    found = assert_same_everywhere(camt, data, item_bytes=10_000)
    assert found["filtered"].read_again
    assert len(found["filtered"].warnings) == 1


def test_a_document_that_breaks_off_is_reported_alike_wherever_it_breaks(
    camt: XmlFormatPlan,
) -> None:
    data = statement(entry(1), changed(2, '"EUR">12.50', '"EUR">1,0'), entry(3))
    for end in range(0, len(data), 23):
        found = assert_same_everywhere(camt, data[:end])
        assert found["every event"].errors is not None
        if end > 200:
            assert found["filtered"].read_again


def test_a_stream_that_cannot_seek_is_read_with_every_event(camt: XmlFormatPlan) -> None:
    data = statement(entry(1), changed(2, "<Sts>BOOK</Sts>", ""))[:-40]
    generic = read(camt, data, quick=False)
    one_way = read(camt, data, seekable=False)
    assert one_way.same() == generic.same()
    assert one_way.quick_items == 2 and not one_way.read_again


def test_a_wrong_document_element_or_a_doctype_is_refused_alike(camt: XmlFormatPlan) -> None:
    for data in (
        statement(entry(1))
        .replace(b"<Document", b"<Documents")
        .replace(b"</Document>", b"</Documents>"),
        b'<?xml version="1.0"?><!DOCTYPE Document []>' + statement(entry(1)).split(b"?>", 1)[1],
        f'<Document xmlns="{CAMT}"/>'.encode(),
    ):
        found = assert_same_everywhere(camt, data)
        assert found["filtered"].errors is not None


# --- every corpus file, and generated documents ---------------------------------------------


def corpus_files(corpus: Path) -> list[tuple[str, bytes]]:
    found = []
    for family in ("camt052", "camt053", "camt054", "pain001", "pain002", "pain008"):
        for path in sorted((corpus / family).glob("*.xml")):
            with path.open("rb") as stream:
                candidates = formats_for_namespace(ENGINE.catalog, root_namespace(stream))
            for name in candidates:
                found.append((f"{path.name} as {name}", path.read_bytes()))
    return found


@pytest.mark.corpus
def test_every_corpus_file_reads_alike_on_both_paths(corpus: Path) -> None:
    files = corpus_files(corpus)
    assert len(files) > 40
    quick = 0
    for label, data in files:
        name = label.rsplit(" as ", 1)[1]
        found = assert_same_everywhere(plan_of(name), data)
        quick += found["filtered"].quick_items
    assert quick > 100  # the quick path read most items, not none


@pytest.mark.corpus
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_statements_read_alike_on_both_paths(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["camt.053.001.02", "camt.053.001.08", "camt.054.001.04"]))
    kind = "notification" if name.startswith("camt.054") else "statement"
    document = data.draw(statement_files(kind=kind, own_side=not name.endswith("02")))
    written = io.BytesIO()
    ENGINE.format(name).write(document, written)
    found = assert_same_everywhere(plan_of(name), written.getvalue())
    assert found["filtered"].careful_items == 0  # what erengine writes is ordinary
    assert found["filtered"].errors is None


@pytest.mark.corpus
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=payment_files())
def test_generated_payments_read_alike_on_both_paths(document: dict[str, Any]) -> None:
    written = io.BytesIO()
    ENGINE.format("pain.001.001.03").write(document, written, context={"now": None})
    found = assert_same_everywhere(plan_of("pain.001.001.03"), written.getvalue())
    assert found["filtered"].quick_items > 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(0, 4000),
    length=st.integers(0, 12),
    insert=st.sampled_from(["", "<", ">", "<X/>", "</Ntry>", "<Ntry>", "&amp;", "1", " "]),
)
def test_mangled_statements_read_alike_on_both_paths(cut: int, length: int, insert: str) -> None:
    data = statement(entry(1), entry(2, side="DBIT"), entry(3))
    cut %= len(data)
    mangled = data[:cut] + insert.encode() + data[cut + length :]
    assert_same_everywhere(plan_of("camt.053.001.02"), mangled)


@pytest.mark.corpus
@settings(
    max_examples=int(os.environ.get("ERENGINE_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_mutated_corpus_files_read_alike_on_both_paths(corpus: Path, data: st.DataObject) -> None:
    seeds = [(label.rsplit(" as ", 1)[1], text) for label, text in corpus_files(corpus)]
    name, mutated = data.draw(mutations(seeds))  # the XML fuzz test's mutations
    assert_same_everywhere(plan_of(name), mutated)
