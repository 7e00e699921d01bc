from __future__ import annotations

from tests.model.conftest import payments

__all__ = ["payments"]
