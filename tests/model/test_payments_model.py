"""The shipped payments model: valid against the editor schema, and as documented."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import yaml

from erengine.config.json_schema import json_schema
from erengine.kinds import document_schemas
from erengine.model import ModelPlan
from erengine.model.shapes import ListOf, RecordPlan

ROOT = Path(__file__).parents[2]
MODEL = ROOT / "formats" / "models" / "payments.yaml"
DOCS = ROOT / "docs" / "models.md"


def test_the_model_file_passes_the_editor_schema() -> None:
    jsonschema.validate(yaml.safe_load(MODEL.read_text()), json_schema(document_schemas()))


def test_every_path_in_the_documentation_tables_exists(payments: ModelPlan) -> None:
    section = DOCS.read_text().split("## The payments model", 1)[1]
    documented = []
    for line in section.splitlines():
        found = re.match(r"\| `([^`]+)`", line)
        if found:
            path = found.group(1).rstrip("…").replace("…", "batches.payments.")
            documented.append(path)
    for path in documented:
        payments.field_at(path)  # KeyError names a documented path that does not exist
    # Every field of the file, batch and payment records has its row.
    fields = {
        f"{prefix}{field.name}" for prefix, record in _levels(payments) for field in record.fields
    }
    tops = {path if path in fields else path.rsplit(".", 1)[0] for path in documented}
    assert fields - tops == set(), "document these payments model fields in docs/models.md"


def test_lists_and_optional_parts(payments: ModelPlan) -> None:
    batches = payments.field_at("batches").shape
    assert isinstance(batches, ListOf)
    assert batches.min_items == 1
    required = {path for path in payments.leaf_paths() if _all_required(payments, path)}
    assert required == {
        "created_at",
        "batches.payment_method",
        "batches.requested_date",
        "batches.debtor.name",
        "batches.payments.amount",
        "batches.payments.currency",
        "batches.payments.direction",
        "batches.payments.creditor.name",
    }


def _levels(plan: ModelPlan) -> list[tuple[str, RecordPlan]]:
    return [
        ("", plan.record("PaymentFile")),
        ("batches.", plan.record("Batch")),
        ("batches.payments.", plan.record("Payment")),
    ]


def _all_required(plan: ModelPlan, path: str) -> bool:
    parts = path.split(".")
    return all(plan.field_at(".".join(parts[: i + 1])).required for i in range(len(parts)))
