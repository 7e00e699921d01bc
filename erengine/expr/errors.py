"""Run-time errors of expressions and the stable codes of the expression language.

Configuration mistakes found when a configuration loads are ``ConfigError``s with ``CFG4xx``
codes; failures while an expression runs are ``ExpressionError``s with ``EXP1xx`` codes. The
library functions raise ``ExpressionError`` without a source; ``Expression.evaluate`` fills in
the expression text, span and config path before the error leaves, so a codec that calls a
function such as ``parse_amount`` directly can still wrap the message in its own ``ParseError``.
"""

from __future__ import annotations

from typing import Any

from erengine.errors import ErengineError, SourceSpan

# Compile time (ConfigError codes).
SYNTAX_ERROR = "CFG401"
STATEMENT_NOT_ALLOWED = "CFG402"
PRIVATE_NAME = "CFG403"
CALL_NOT_ALLOWED = "CFG404"
UNKNOWN_FILTER = "CFG405"
UNKNOWN_TEST = "CFG406"
RESERVED_NAME = "CFG407"

# Run time (ExpressionError codes).
UNDEFINED_VALUE = "EXP101"
LIMIT_EXCEEDED = "EXP102"
WRONG_TYPE = "EXP103"
ARITHMETIC_ERROR = "EXP104"
INVALID_VALUE = "EXP105"
SANDBOX_VIOLATION = "EXP106"


class ExpressionError(ErengineError):
    """An expression failed while it ran: missing data, wrong types, limits, bad values."""

    kind = "expression"

    def __init__(
        self,
        code: str,
        message: str,
        *,
        source: str | None = None,
        span: SourceSpan | None = None,
        config_path: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(code, message, hint=hint)
        self.source = source
        self.span = span
        self.config_path = config_path

    def located(
        self, source: str, span: SourceSpan | None, config_path: str | None
    ) -> ExpressionError:
        """This error with the expression it happened in (unchanged when it already has one)."""
        if self.source is not None:
            return self
        return ExpressionError(
            self.code,
            self.message,
            source=source,
            span=span,
            config_path=config_path,
            hint=self.hint,
        )

    def location(self) -> str:
        where = str(self.span) if self.span else ""
        if self.config_path:
            where = f"{where} ({self.config_path})" if where else self.config_path
        return where

    def __str__(self) -> str:
        text = ErengineError.__str__(self)
        if self.source is not None:
            text += f"\n  expression: {self.source}"
        return text

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["source"] = self.source
        data["span"] = self.span.to_dict() if self.span else None
        data["config_path"] = self.config_path
        return data
