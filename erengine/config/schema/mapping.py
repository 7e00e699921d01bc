"""Schema of mapping documents (`kind: mapping`): a user's own rows onto a model.

A mapping reads rows from the user's file (an ERP export as CSV, or a JSON array of
objects), computes each model field with an expression over `row` and `context`, and groups
rows into the model's lists by keys. See docs/mappings.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from erengine.config.schema.base import DocumentHeader, Strict

MODEL_PATH = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"


class CsvSourceSpec(Strict):
    """Rows from a CSV file whose first row names the columns."""

    type: Literal["csv"]
    delimiter: str = Field(default=",", min_length=1, max_length=1, description="Cell separator.")
    encoding: str = Field(default="utf-8", description="Text encoding, e.g. `utf-8`, `cp1252`.")


class JsonSourceSpec(Strict):
    """Rows from a JSON file: an array of objects, or the array at `rows_at`."""

    type: Literal["json"]
    rows_at: str | None = Field(
        default=None,
        description="Dotted path of the array inside the document, e.g. `data.payments`; "
        "absent when the document itself is the array.",
    )
    encoding: str = Field(default="utf-8", description="Text encoding.")


ModelPath = Annotated[str, Field(pattern=MODEL_PATH)]


class MappingDocument(DocumentHeader):
    """A mapping document."""

    kind: Literal["mapping"]
    model: str = Field(description="`NAME@RANGE` of the model the rows are mapped onto.")
    source: Annotated[CsvSourceSpec | JsonSourceSpec, Field(discriminator="type")] = Field(
        description="The kind of file the rows come from."
    )
    skip_when: str | None = Field(
        default=None,
        description="Expression over `row`; rows where it is true are left out (totals lines).",
    )
    group_by: dict[ModelPath, str] = Field(
        default_factory=dict,
        description="Model list path -> key expression: rows with the same key become one item "
        'of that list (e.g. `batches: "{{ row.PayDate }}|{{ row.DebtorIBAN }}"`). A list '
        "without a key gets one item per distinct set of its mapped values.",
    )
    fields: dict[ModelPath, str | int | bool] = Field(
        min_length=1,
        description="Model path (list levels implicit, e.g. `batches.payments.amount`) -> "
        "expression over `row` and `context`, or a constant.",
    )
