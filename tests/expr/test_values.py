"""Conversions: int, str, default."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from erengine.expr import ExpressionError
from erengine.expr.functions.values import default, to_int, to_str

Evaluate = Callable[..., Any]


def test_int() -> None:
    assert to_int("0042") == 42
    assert to_int(" -7 ") == -7
    assert to_int(Decimal("12.00")) == 12
    assert to_int(5) == 5
    for bad in ("1.5", "", "x", Decimal("1.5"), True, None, 1.0):
        with pytest.raises(ExpressionError):
            to_int(bad)


def test_str() -> None:
    assert to_str(Decimal("1E+2")) == "100"
    assert to_str(None) == ""
    assert to_str(12) == "12"
    assert to_str(dt.date(2024, 1, 2)) == "2024-01-02"
    assert to_str(True) == "True"


def test_default(evaluate: Evaluate) -> None:
    assert default(None) is None
    assert default(None, "x", boolean=True) == "x"
    assert default("", "x", True) == "x"
    assert default("a", "x") == "a"
    assert evaluate("{{ p.ref | default('NOTPROVIDED') }}", {"p": {}}) == "NOTPROVIDED"


def test_conversions_in_expressions(evaluate: Evaluate) -> None:
    assert evaluate("{{ int('0042') + 1 }}") == 43
    assert evaluate("{{ str(n) ~ '|' }}", {"n": Decimal("1.50")}) == "1.50|"
