"""The record id rule and leaving out records already in a batch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from erengine.errors import ValidationError
from erengine.jobs.records import content_sha256, record_id, select_new_records


def payment(invoice: str, amount: str) -> dict[str, Any]:
    return {"amount": Decimal(amount), "addenda": invoice}


def test_a_record_key_names_the_record_and_content_is_the_fallback() -> None:
    item = payment("INV-1", "10.00")
    assert record_id(item, "addenda") == "key:INV-1"
    assert record_id(item, None) == f"sha256:{content_sha256(item)}"
    assert record_id(payment("INV-1", "10.00"), None) == record_id(item, None)
    assert record_id(payment("INV-1", "10.01"), None) != record_id(item, None)


def test_a_record_without_its_key_is_an_error() -> None:
    with pytest.raises(ValidationError) as raised:
        record_id(payment("", "1.00"), "addenda")
    assert raised.value.code == "VAL190"


def test_taken_records_and_batches_left_empty_are_removed() -> None:
    data = {
        "batches": [
            {"payments": [payment("INV-1", "1.00"), payment("INV-2", "2.00")]},
            {"payments": [payment("INV-3", "3.00")]},
        ]
    }
    kept = select_new_records(data, "batches.payments", "addenda", {"key:INV-1", "key:INV-3"})
    assert [record.record_id for record in kept] == ["key:INV-2"]
    assert data == {"batches": [{"payments": [payment("INV-2", "2.00")]}]}
