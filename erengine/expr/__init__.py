"""The expression language of configurations: sandboxed Jinja2 plus the function library.

    >>> from decimal import Decimal
    >>> compiler = ExpressionCompiler()
    >>> compiler.compile("{{ payments | sum(attribute='amount') }}").evaluate(
    ...     {"payments": [{"amount": Decimal("1.10")}, {"amount": Decimal("2.20")}]})
    Decimal('3.30')

See ``docs/expressions.md`` for the language and every function.
"""

from erengine.expr.compiler import (
    FAILURES,
    Expression,
    ExpressionCompiler,
    ExpressionKind,
    is_expression,
)
from erengine.expr.errors import ExpressionError
from erengine.expr.functions import LIBRARY

__all__ = [
    "FAILURES",
    "LIBRARY",
    "Expression",
    "ExpressionCompiler",
    "ExpressionError",
    "ExpressionKind",
    "is_expression",
]
