"""Strategies drawn from a model give valid, canonical typed data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erengine.model import ModelPlan
from erengine.model.code_lists import CURRENCY_EXPONENTS
from erengine.model.strategies import data_for

from .conftest import model

BOUNDED = model(
    {
        "File": {
            "fields": {
                "code": {"type": "text", "charset": "digits", "min_length": 3, "max_length": 3},
                "rate": {"type": "decimal", "scale": 3, "minimum": "-1", "maximum": "1"},
                "count": {"type": "integer", "minimum": 1, "maximum": 9},
                "fixed": {"type": "money", "currency": "KWD", "maximum": "10"},
                "tags": {"type": "list", "of": {"type": "text", "max_length": 2}, "max_items": 2},
                "next": {"type": "record", "of": "File", "required": False},
            }
        }
    }
)


@pytest.fixture(scope="module")
def documents(payments: ModelPlan) -> st.SearchStrategy[dict[str, Any]]:
    return data_for(payments)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_every_drawn_payments_document_passes_check(
    payments: ModelPlan, documents: st.SearchStrategy[dict[str, Any]], data: st.DataObject
) -> None:
    document = data.draw(documents)
    assert payments.check(document) == []
    assert payments.from_json(payments.to_json(document)) == document  # canonical form
    for batch in document["batches"]:
        for payment in batch["payments"]:
            exponent = CURRENCY_EXPONENTS[payment["currency"]]
            assert payment["amount"].as_tuple().exponent == -exponent


@settings(max_examples=150, deadline=None)
@given(data_for(BOUNDED, max_depth=2))
def test_bounds_of_every_type_are_kept(document: dict[str, Any]) -> None:
    assert BOUNDED.check(document) == []
    assert document["fixed"].as_tuple().exponent == -3
    assert Decimal(-1) <= document["rate"] <= 1
    assert all(text == text.strip() for text in document.get("tags", []))


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_overrides_and_text_charset(payments: ModelPlan, data: st.DataObject) -> None:
    strategy = data_for(
        payments,
        text_charset="ascii",
        overrides={"batches.payments.amount": st.just(Decimal("1.00"))},
        max_items=1,
    )
    document = data.draw(strategy)
    payment = document["batches"][0]["payments"][0]
    assert payment["amount"] == Decimal("1.00")
    assert payment["creditor"]["name"].isascii()


def test_unknown_override_paths_are_refused(payments: ModelPlan) -> None:
    with pytest.raises(ValueError, match=r"batches\.payment\.amount"):
        data_for(payments, overrides={"batches.payment.amount": st.just(1)})
