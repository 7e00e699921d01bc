"""Shared fixtures for the expression tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from erengine.expr import ExpressionCompiler

Evaluate = Callable[..., Any]


@pytest.fixture(scope="session")
def compiler() -> ExpressionCompiler:
    return ExpressionCompiler()


@pytest.fixture(scope="session")
def evaluate(compiler: ExpressionCompiler) -> Evaluate:
    """Compile and evaluate in one step: ``evaluate(source, scope=None)``."""

    def compile_and_evaluate(source: str, scope: Mapping[str, Any] | None = None) -> Any:
        return compiler.compile(source).evaluate(scope or {})

    return compile_and_evaluate
