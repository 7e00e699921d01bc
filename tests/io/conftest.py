from __future__ import annotations

from tests.model.conftest import documents, payments, sample

__all__ = ["documents", "payments", "sample"]
