"""Every NACHA file of the public corpus, read with the shipped `nacha` format.

Files of the SEC codes the format covers read completely and write back byte for byte (the
corpus files lack a final newline, which the canonical form has). The others are not
payments of the standard entry layout; each is refused with its specific first error, so
nobody mistakes them for payment files. Why, file by file, is in EXPECTED and docs/nacha.md.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from erengine.engine import CompiledFormat, Engine
from erengine.errors import ErengineError, flatten

pytestmark = pytest.mark.corpus

READS = {
    # file: (payments, warnings, written back identical to the original)
    "moov-arc-debit.ach": (1, 0, "but the final newline"),
    "moov-ccd-debit.ach": (2, 0, "but the final newline"),
    "moov-pop-debit.ach": (1, 0, "but the final newline"),
    "moov-ppd-credit.ach": (1, 0, "but the final newline"),
    "moov-ppd-debit.ach": (1, 0, "but the final newline"),
    "moov-tel-debit.ach": (1, 0, "but the final newline"),
    "moov-web-credit.ach": (1, 0, "but the final newline"),
    "moov-xck-debit.ach": (1, 0, "but the final newline"),
    "moov-two-micro-deposits.ach": (6, 0, "exactly"),
    # its file control record is trimmed to 55 characters; the rest is reserved blanks
    "moov-cie-credit.ach": (1, 1, "in canonical form: the trimmed record full width"),
}

REFUSED = {
    # file: (first error code, line, record, field, why)
    "moov-ack-read.ach": (
        "PRS106",
        3,
        "entry#1",
        "transaction_code",
        "ACK acknowledgments are zero-dollar entries (code 24)",
    ),
    "moov-cor-read.ach": (
        "PRS106",
        3,
        "entry#1",
        "transaction_code",
        "a notification of change (code 21, addenda 98), not a payment",
    ),
    "moov-return-WEB.ach": (
        "PRS106",
        3,
        "entry#1",
        "transaction_code",
        "returns (codes 21/26, addenda 99), not payments",
    ),
    "moov-contested-return.ach": (
        "PRS106",
        2,
        "batch_header#1",
        "effective_entry_date",
        "a contested dishonored return: its batch has no effective date (000000)",
    ),
    "moov-dishonored-return.ach": (
        "PRS106",
        2,
        "batch_header#1",
        "effective_entry_date",
        "a dishonored return: its batch has no effective date (000000)",
    ),
    "moov-adv-read.ach": (
        "PRS104",
        2,
        None,
        None,
        "ADV advices: service class 280, originator status 0, own layout",
    ),
    "moov-iat-mixedCreditDebit.ach": (
        "PRS104",
        2,
        None,
        None,
        "IAT: international batch header layout",
    ),
    "moov-ctx-debit.ach": (
        "PRS104",
        5,
        None,
        None,
        "CTX with two addenda on one entry; the format has at most one",
    ),
    "moov-20110805A.ach": (
        "PRS110",
        50,
        "entry#44",
        "addenda_record_indicator",
        "its third batch is IAT: the entry's IAT addenda (type 10) are not addenda 05",
    ),
    "moov-shr-debit.ach": (
        "PRS110",
        3,
        "entry#1",
        "addenda_record_indicator",
        "SHR terminal addenda (type 02) are not addenda 05",
    ),
}


@pytest.fixture(scope="module")
def nacha() -> CompiledFormat:
    return Engine.from_folders().format("nacha@^1")


def test_every_corpus_file_has_an_expected_outcome(corpus: Path) -> None:
    files = {p.name for p in (corpus / "nacha").glob("*.ach")}
    assert files == set(READS) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(READS))
def test_covered_files_read_completely_and_write_back(
    name: str, corpus: Path, nacha: CompiledFormat
) -> None:
    payments, warnings, identical = READS[name]
    original = (corpus / "nacha" / name).read_bytes()
    data, report = nacha.read_document(io.BytesIO(original), file_name=name)
    assert sum(len(batch["payments"]) for batch in data["batches"]) == payments
    assert len(report.warnings) == warnings
    written = io.BytesIO()
    nacha.write(data, written)
    if identical == "exactly":
        assert written.getvalue() == original
    elif identical == "but the final newline":
        assert written.getvalue() == original + b"\n"
    else:
        again, _ = nacha.read_document(io.BytesIO(written.getvalue()), file_name=name)
        assert again == data


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_other_files_are_refused_with_their_specific_error(
    name: str, corpus: Path, nacha: CompiledFormat
) -> None:
    code, line, record, field, _why = REFUSED[name]
    with (corpus / "nacha" / name).open("rb") as stream, pytest.raises(ErengineError) as caught:
        nacha.read_document(stream, file_name=name)
    first = flatten(caught.value)[0]
    position = getattr(first, "position", None)
    assert position is not None
    assert (first.code, position.line, position.record, position.field) == (
        code,
        line,
        record,
        field,
    )
    assert position.file == name
