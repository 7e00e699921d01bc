"""Every MT940/MT942 sample of the shared corpus through the shipped formats, compared with
what other parsers made of it (wolph `mt940`, `mt940-rs`). docs/mt940.md lists each file
read under a tolerance (with its warnings) and each deliberate difference."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from erengine.engine import Engine
from erengine.errors import ErengineError, flatten

from .conftest import outcome, plan_of

# The bank variant each sample needs (docs/mt940.md, "Corpus").
DUTCH = ("abnamro", "-ing.", "knab", "rabobank-iban", "sns", "generic")


def format_for(name: str) -> str:
    if name in TOLERATED and name not in FEBRUARY_30:
        return "mt940-de-lenient@^2"
    if "mt942" in name:
        return "mt942@^2"
    if "triodos" in name:
        return "mt940-triodos@^1"
    if name == "wolph-jejik-rabobank.sta":
        return "mt940-rabobank-legacy@^1"
    if "raiffeisen" in name:
        return "mt940-cp852@^1"
    if any(key in name for key in DUTCH):
        return "mt940-nl@^1"
    return "mt940-de@^2"


FEBRUARY_30 = (
    "wolph-self-february_30.sta",
    "wolph-self-transaction_details_wrapped.sta",
    "wolph-self-wrapped_timestamp.sta",
)
_DATE = ":61: part value_date '160230' is a day past its month's end; read as 2016-02-29"
_NO_CLOSING = "mandatory tag :62F: or :62M: is missing: read without it"

# Samples read only under a tolerance, with the warnings it must report (file, line, tag and
# what was found; each explained in docs/mt940.md): never read silently.
TOLERATED = {
    **{
        name: [f"{name}:{line}:5 message#1 {_DATE}"]
        for name, line in zip(FEBRUARY_30, (6, 6, 5), strict=True)
    },
    "wolph-self-gv_codes.sta": [f"wolph-self-gv_codes.sta:1 message#1 {_NO_CLOSING}"],
    "wolph-self-long_statement_number.sta": [
        ":3:5 message#1 :28: part statement_number (5n) is too long: found '1810118101', "
        "read with notation '10n[/5n]'",
        ":4:6 message#1 :60F: part amount (15d) is too long",
        ":5:6 message#1 :62F: part amount (15d) is too long",
    ],
    "wolph-self-sparkassen.sta": [
        ":1:5 message#1 :61: part amount (15d) is missing: found '1811261126CR\\n30,00N062NONREF', "
        "read with its first line break removed",
        *(f":1 message#1 mandatory tag {tag} is missing" for tag in (":20:", ":25:")),
        ":1 message#1 mandatory tag :28C: or :28: is missing",
        ":1 message#1 mandatory tag :60F: or :60M: is missing",
        f":1 message#1 {_NO_CLOSING}",
    ],
    "wolph-betterplace-amount_formats.sta": [
        *(f":{line}:6 message#1 :60F: is not expected here" for line in range(2, 7)),
        ":1 message#1 holds none of :20:, :25:, :61:: not a statement, skipped; it held "
        "60F 'C100318EUR380115,12'",
    ],
    "wolph-betterplace-sepa_snippet_broken.sta": [
        ":6:5 message#1 :25: is not expected here (one of :62F:, :62M:, :64:, :65:, :86:): "
        "skipped, it held '166?00GUTSCHRIFT?100399",
        "check balance failed: expected 817646.54, found 1125250.4",
    ],
}


# mt940-rs spells 'Ü' and 'ß' of a reference as 'U' and 'ss'; erengine keeps what the file says.
TRANSLITERATED_BY_MT940_RS = {"wolph-betterplace-with_binary_character.sta"}


def samples(corpus: Path) -> list[Path]:
    return sorted((corpus / "mt940").glob("*.sta"))


def read(engine: Engine, path: Path) -> dict[str, Any]:
    return read_with_warnings(engine, path)[0]


def read_with_warnings(engine: Engine, path: Path) -> tuple[dict[str, Any], list[str]]:
    compiled = engine.format(format_for(path.name))
    data, report = compiled.read_document(io.BytesIO(path.read_bytes()), file_name=path.name)
    return data, report.warnings


def signed(entry: dict[str, Any]) -> Decimal:
    amount: Decimal = entry["amount"]
    return amount if entry["credit_debit"] == "credit" else -amount


def joined_pages(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """mt940-rs keeps each page of a statement apart; erengine joins a page that closes with
    an interim balance (:62M:) to the next (docs/mt940.md)."""
    joined: list[dict[str, Any]] = []
    continued = False
    for statement in statements:
        if continued:
            joined[-1]["statement_lines"] += statement["statement_lines"]
        else:
            joined.append(dict(statement, statement_lines=list(statement["statement_lines"])))
        continued = bool(statement["closing_balance"]["is_intermediate"])
    return joined


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_folders()


def test_every_sample_reads(corpus: Path, engine: Engine) -> None:
    outcomes: dict[str, str] = {}
    for path in samples(corpus):
        try:
            read(engine, path)
            outcomes[path.name] = "read"
        except ErengineError as error:
            outcomes[path.name] = str(flatten(error)[0])
    assert outcomes == {path.name: "read" for path in samples(corpus)}
    assert len(outcomes) == 32


@pytest.mark.parametrize("name", sorted(TOLERATED))
def test_a_tolerance_reports_what_it_found(corpus: Path, engine: Engine, name: str) -> None:
    _, warnings = read_with_warnings(engine, corpus / "mt940" / name)
    for expected in TOLERATED[name]:
        assert any(expected in warning for warning in warnings), (expected, warnings)


@pytest.mark.parametrize("name", sorted(TOLERATED))
def test_the_strict_formats_refuse_the_tolerated_samples(
    corpus: Path, engine: Engine, name: str
) -> None:
    strict = "mt940@^1" if name in FEBRUARY_30 else "mt940-de@^2"
    with pytest.raises(ErengineError):
        engine.format(strict).read_document(
            io.BytesIO((corpus / "mt940" / name).read_bytes()), file_name=name
        )


def test_entries_match_the_wolph_parser(corpus: Path, engine: Engine) -> None:
    compared = 0
    for path in samples(corpus):
        other = path.with_name(path.stem + ".expected.wolph-mt940.json")
        if not other.exists():
            continue
        theirs = json.loads(other.read_text(encoding="utf-8"))["transactions"]
        ours = [entry for s in read(engine, path)["statements"] for entry in s.get("entries", [])]
        assert len(ours) == len(theirs), path.name
        for mine, their in zip(ours, theirs, strict=True):
            # wolph books RC/RD with the mark's side; erengine with the booking's (docs/mt940.md).
            theirs_signed = Decimal(their["amount"]["amount"])
            if mine.get("reversal"):
                theirs_signed = -theirs_signed
            assert signed(mine) == theirs_signed, path.name
            assert mine["value_date"].isoformat() == their["date"], path.name
        compared += 1
    assert compared == 27  # every file with WoLpH's results


def test_statements_and_balances_match_mt940_rs(corpus: Path, engine: Engine) -> None:
    compared = 0
    for path in samples(corpus):
        other = path.with_name(path.stem + ".expected.mt940-rs.json")
        if not other.exists():
            continue
        theirs = joined_pages(json.loads(other.read_text(encoding="utf-8")))
        ours = read(engine, path)["statements"]
        assert len(ours) == len(theirs), path.name
        for mine, their in zip(ours, theirs, strict=True):
            if path.name not in TRANSLITERATED_BY_MT940_RS:
                assert mine["statement_id"] == their["transaction_ref_no"].strip(), path.name
            opening = next(b for b in mine["balances"] if b["type"].endswith("opening"))
            assert opening["amount"] == Decimal(their["opening_balance"]["amount"]), path.name
            lines = their["statement_lines"]
            assert len(mine.get("entries", [])) == len(lines), path.name
            for entry, line in zip(mine.get("entries", []), lines, strict=True):
                assert entry["amount"] == Decimal(line["amount"]), path.name
                # mt940-rs keeps the blanks Rabobank pads lines with; the Dutch variant strips them.
                theirs_ref = (line["customer_ref"] or "").rstrip() or None
                assert entry.get("customer_reference") == theirs_ref, path.name
        compared += 1
    assert compared == 11


SWIFT_FORMATS = sorted(
    f"{path.stem}@^{yaml.safe_load(path.read_text(encoding='utf-8'))['version'].split('.')[0]}"
    for path in (Path(__file__).parents[3] / "formats" / "swift").glob("*.yaml")
)


def test_every_shipped_swift_format_is_compared() -> None:
    assert len(SWIFT_FORMATS) == 9 and "mt940-de-lenient@^2" in SWIFT_FORMATS


@pytest.mark.parametrize("name", SWIFT_FORMATS)
def test_every_sample_reads_the_same_through_the_quick_and_the_careful_path(
    corpus: Path, name: str
) -> None:
    """Each sample through each shipped format, its own and the others (which refuse it in
    their own ways): the same items, data, warnings and errors either way."""
    plan = plan_of(name)
    reported = 0
    for path in samples(corpus):
        data = path.read_bytes()
        careful = outcome(plan, data, quick=False, file_name=path.name)
        assert outcome(plan, data, quick=True, file_name=path.name) == careful, path.name
        reported += bool(careful[2] or careful[4])
    assert reported  # some samples are unusual for every format
