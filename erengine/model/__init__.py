"""Data-model runtime: records, lists and typed values (Decimal money, dates, codes).

`compile_model(document) -> ModelPlan` once; then `plan.from_json`, `plan.check`,
`plan.to_json` and `plan.avro_schema`. See docs/models.md.
"""

from erengine.model.compile import compile_model
from erengine.model.plan import ModelPlan

__all__ = ["ModelPlan", "compile_model"]
