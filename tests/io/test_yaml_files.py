"""YAML input of model data: configuration scalar rules, no floats for money, syntax errors."""

from __future__ import annotations

import io

import pytest

from erengine.errors import ErrorGroup, ParseError
from erengine.io.yaml_files import read_yaml
from erengine.model import ModelPlan


def test_yaml_input_keeps_codes_and_dates_as_text(payments: ModelPlan) -> None:
    text = """
created_at: 2025-01-02T09:30:00
batches:
  - requested_date: 2025-01-03
    debtor: {name: ACME}
    payments:
      - amount: "10.00"
        currency: NOK
        creditor: {name: Nils, address: {country: NO}}
        creditor_account: {iban: NO9386011117947}
"""
    typed = read_yaml(payments, io.StringIO(text), file="in.yaml")
    payment = typed["batches"][0]["payments"][0]
    assert payment["creditor"]["address"]["country"] == "NO"
    assert str(typed["batches"][0]["requested_date"]) == "2025-01-03"


def test_yaml_unquoted_decimal_amounts_are_refused(payments: ModelPlan) -> None:
    text = """
created_at: 2025-01-02T09:30:00
batches:
  - requested_date: 2025-01-03
    debtor: {name: A}
    payments: [{amount: 10.10, currency: EUR, creditor: {name: B}, creditor_account: {}}]
"""
    with pytest.raises(ErrorGroup) as caught:
        read_yaml(payments, io.StringIO(text), file="in.yaml")
    assert [e.code for e in caught.value.errors] == ["VAL108"]


def test_yaml_syntax_errors_are_parse_errors(payments: ModelPlan) -> None:
    with pytest.raises(ParseError) as caught:
        read_yaml(payments, io.StringIO("a: [1,\n"), file="in.yaml")
    assert caught.value.code == "PRS199"
    assert caught.value.position.file == "in.yaml"
