"""Every MT940/MT942 sample of the shared corpus through the shipped formats, compared with
what other parsers made of it (wolph `mt940`, `mt940-rs`). docs/mt940.md lists each file
that is refused on purpose and each deliberate difference."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from erengine.engine import Engine
from erengine.errors import ErengineError, flatten

# The bank variant each sample needs (docs/mt940.md, "Corpus").
DUTCH = ("abnamro", "-ing.", "knab", "rabobank-iban", "sns", "generic")


def format_for(name: str) -> str:
    if "mt942" in name:
        return "mt942@^1"
    if "triodos" in name:
        return "mt940-triodos@^1"
    if name == "wolph-jejik-rabobank.sta":
        return "mt940-rabobank-legacy@^1"
    if "raiffeisen" in name:
        return "mt940-cp852@^1"
    if any(key in name for key in DUTCH):
        return "mt940-nl@^1"
    return "mt940-de@^1"


# Samples refused on purpose, with the first error's code: each is explained in docs/mt940.md.
REFUSED = {
    "wolph-betterplace-amount_formats.sta": "PRS340",
    "wolph-betterplace-sepa_snippet_broken.sta": "PRS340",
    "wolph-self-february_30.sta": "PRS330",
    "wolph-self-gv_codes.sta": "PRS341",
    "wolph-self-long_statement_number.sta": "PRS322",
    "wolph-self-sparkassen.sta": "PRS320",
    "wolph-self-transaction_details_wrapped.sta": "PRS330",
    "wolph-self-wrapped_timestamp.sta": "PRS330",
}


# mt940-rs spells 'Ü' and 'ß' of a reference as 'U' and 'ss'; erengine keeps what the file says.
TRANSLITERATED_BY_MT940_RS = {"wolph-betterplace-with_binary_character.sta"}


def samples(corpus: Path) -> list[Path]:
    return sorted((corpus / "mt940").glob("*.sta"))


def read(engine: Engine, path: Path) -> dict[str, Any]:
    compiled = engine.format(format_for(path.name))
    data, _ = compiled.read_document(io.BytesIO(path.read_bytes()), file_name=path.name)
    return data


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


def test_every_sample_reads_or_is_refused_as_documented(corpus: Path, engine: Engine) -> None:
    outcomes: dict[str, str] = {}
    for path in samples(corpus):
        try:
            read(engine, path)
            outcomes[path.name] = "read"
        except ErengineError as error:
            outcomes[path.name] = flatten(error)[0].code
    expected = {path.name: REFUSED.get(path.name, "read") for path in samples(corpus)}
    assert outcomes == expected


def test_entries_match_the_wolph_parser(corpus: Path, engine: Engine) -> None:
    compared = 0
    for path in samples(corpus):
        other = path.with_name(path.stem + ".expected.wolph-mt940.json")
        if path.name in REFUSED or not other.exists():
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
    assert compared >= 10


def test_statements_and_balances_match_mt940_rs(corpus: Path, engine: Engine) -> None:
    compared = 0
    for path in samples(corpus):
        other = path.with_name(path.stem + ".expected.mt940-rs.json")
        if path.name in REFUSED or not other.exists():
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
    assert compared >= 3
