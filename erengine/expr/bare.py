"""``Expression.run`` as one generated Python function, for expressions made of operators.

Quick paths call ``run`` once per record (an entry's signed amount summed into a total, a
code picked by a condition) and evaluate again, carefully, whatever it raises. So ``run``
need not make a ``MissingValue`` for absent data as the closures of ``fast.py`` do: here a
missing name or key raises ``KeyError``, a value that is not a dict ``TypeError``, and the
caller's careful evaluation reports or resolves it. Where it does not raise, the result is
the closures' result: the same operators (Python's, or the sandbox's intercepted ones), the
same order of evaluation, dict fields read as the closures read them.

The generated text holds only Python operators and ``N[i]`` references: names, keys and
literals of the configuration come in through ``N``, never as code. An expression with any
other node (a filter, a test, a call, a literal list) keeps the closures as its ``run``, as
does a lone path (``entry.amount``): its closure is one call already, and it gives a missing
value where this would raise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import nodes

from erengine.expr.environment import INTERCEPTED_OPERATORS, ExpressionEnvironment
from erengine.expr.fast import _lookup_path

BareRunner = Callable[[Mapping[str, Any]], Any]

_PLAIN_BINARY = {"+": "+", "-": "-", "//": "//"}
_UNARY = {"-": "-", "+": "+", "not": "not "}
_COMPARISONS = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "lteq": "<=",
    "gt": ">",
    "gteq": ">=",
    "in": "in",
    "notin": "not in",
}


class _Unsupported(Exception):
    """A node this does not write: the expression keeps its closures."""


def bare_runner(expression: nodes.Expr, environment: ExpressionEnvironment) -> BareRunner | None:
    """The generated ``run`` of a single ``{{ expression }}``, or None (see the module doc)."""
    if _lookup_path(expression) is not None or isinstance(expression, nodes.Const):
        return None
    writer = _Writer(environment)
    try:
        body = writer.write(expression)
    except _Unsupported:
        return None
    source = f"def run(scope):\n    return {body}\n"
    namespace: dict[str, Any] = {"N": tuple(writer.constants)}
    exec(compile(source, "<bare expression>", "exec"), namespace)  # noqa: S102 - see module doc
    runner: BareRunner = namespace["run"]
    return runner


class _Writer:
    def __init__(self, environment: ExpressionEnvironment) -> None:
        self._environment = environment
        self.constants: list[Any] = []

    def const(self, value: Any) -> str:
        self.constants.append(value)
        return f"N[{len(self.constants) - 1}]"

    def write(self, node: nodes.Node) -> str:
        path = _lookup_path(node) if isinstance(node, nodes.Expr) else None
        if path is not None:
            name, keys = path
            return "scope[" + self.const(name) + "]" + "".join(f"[{self.const(k)}]" for k in keys)
        if isinstance(node, nodes.Const):
            return self.const(node.value)
        if isinstance(node, nodes.CondExpr):
            if node.expr2 is None:
                raise _Unsupported("conditional without else")
            then, test, otherwise = (self.write(n) for n in (node.expr1, node.test, node.expr2))
            return f"({then} if {test} else {otherwise})"
        if isinstance(node, nodes.Compare):
            parts = [self.write(node.expr)]
            for operand in node.ops:
                parts += [_COMPARISONS[operand.op], self.write(operand.expr)]
            return f"({' '.join(parts)})"
        if isinstance(node, (nodes.And, nodes.Or)):
            joiner = "and" if isinstance(node, nodes.And) else "or"
            return f"({self.write(node.left)} {joiner} {self.write(node.right)})"
        if isinstance(node, nodes.UnaryExpr):
            if node.operator in self._environment.intercepted_unops:
                raise _Unsupported(f"intercepted {node.operator}")
            return f"({_UNARY[node.operator]}{self.write(node.node)})"
        if isinstance(node, nodes.BinExpr):
            return self._binary(node)
        if isinstance(node, nodes.Concat):
            values = ", ".join(self.write(part) for part in node.nodes)
            return f"({self.const('%s' * len(node.nodes))} % ({values},))"
        raise _Unsupported(type(node).__name__)

    def _binary(self, node: nodes.BinExpr) -> str:
        left, right = self.write(node.left), self.write(node.right)
        if node.operator in self._environment.intercepted_binops:
            return f"{self.const(INTERCEPTED_OPERATORS[node.operator])}({left}, {right})"
        if node.operator not in _PLAIN_BINARY:
            raise _Unsupported(node.operator)
        return f"({left} {_PLAIN_BINARY[node.operator]} {right})"
