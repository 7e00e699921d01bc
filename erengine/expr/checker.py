"""The static check of an expression's syntax tree, run once when a configuration loads.

Jinja's sandbox stops unsafe things while a template runs; this check refuses them before the
first record is written, with the configuration's file, line and a hint. It walks the parsed
tree with a whitelist of node types (expressions only: no statements, macros, includes) and
rewrites two things on the way:

- a call ``pad(name, 22)`` becomes the filter ``name | pad(22)``, so a call is a direct call of
  a library function (no globals, no sandbox call check at run time), and ``today()`` becomes
  ``context | today``, so it reads the run context from the scope;
- a float literal ``1.5`` becomes ``'1.5' | dec``, an exact Decimal with the digits as written.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes

from erengine.errors import ConfigError, SourceSpan
from erengine.expr.errors import (
    CALL_NOT_ALLOWED,
    PRIVATE_NAME,
    RESERVED_NAME,
    STATEMENT_NOT_ALLOWED,
    UNKNOWN_FILTER,
    UNKNOWN_TEST,
)

# Node types an expression may contain; everything else (For, If, Macro, Include ...) is refused.
_ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name,
    nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.Call, nodes.Filter, nodes.Test,
    nodes.Keyword, nodes.Tuple, nodes.List, nodes.Dict, nodes.Pair, nodes.CondExpr,
    nodes.And, nodes.Or, nodes.Not, nodes.Neg, nodes.Pos, nodes.Add, nodes.Sub, nodes.Mul,
    nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow, nodes.Concat, nodes.Compare,
    nodes.Operand,
)  # fmt: skip

# Names with a meaning in Jinja or in web frameworks' templates; none is data here.
RESERVED_NAMES = frozenset(
    {
        "self", "super", "loop", "caller", "varargs", "kwargs", "lipsum", "cycler", "joiner",
        "namespace", "dict", "config", "request", "session", "g", "environment",
    }
)  # fmt: skip

RUN_CONTEXT_NAME = "context"


def _did_you_mean(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return "docs/expressions.md lists every function and test"


@dataclass
class ExpressionChecker:
    """Checks and rewrites one parsed expression; collects the free variable names it reads."""

    library: Mapping[str, Callable[..., Any]]
    tests: Collection[str]
    context_functions: Collection[str]
    float_literals: Mapping[float, str]
    span: SourceSpan | None
    config_path: str | None
    names: set[str] = field(default_factory=set)

    def fail(self, code: str, message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(code, message, span=self.span, config_path=self.config_path, hint=hint)

    def check(self, node: nodes.Node) -> nodes.Node:
        """``node`` checked, with its children checked and rewritten (see the module doc)."""
        if not isinstance(node, _ALLOWED_NODES):
            raise self.fail(
                STATEMENT_NOT_ALLOWED,
                f"{type(node).__name__} is not allowed: expressions compute one value",
                hint="use {{ ... }} with conditions written as `a if test else b`",
            )
        rewritten = self._rewrite(node)
        for field_name, value in rewritten.iter_fields():
            if isinstance(value, nodes.Node):
                setattr(rewritten, field_name, self.check(value))
            elif isinstance(value, list):
                setattr(
                    rewritten,
                    field_name,
                    [self.check(item) if isinstance(item, nodes.Node) else item for item in value],
                )
        return rewritten

    def _rewrite(self, node: nodes.Node) -> nodes.Node:
        if isinstance(node, nodes.Name):
            self._check_name(node.name)
        elif isinstance(node, nodes.Getattr):
            self._check_attribute(node)
        elif isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                self._check_private(node.arg.value, "field")
        elif isinstance(node, nodes.Call):
            return self._call_as_filter(node)
        elif isinstance(node, nodes.Filter):
            self._check_filter(node)
        elif isinstance(node, nodes.Test):
            self._check_arguments(node, f"the test {node.name!r}")
            if node.name not in self.tests:
                raise self.fail(
                    UNKNOWN_TEST,
                    f"unknown test {node.name!r}",
                    _did_you_mean(node.name, self.tests),
                )
        elif isinstance(node, nodes.Const) and isinstance(node.value, float):
            text = self.float_literals.get(node.value, repr(node.value))
            return nodes.Filter(
                nodes.Const(text, lineno=node.lineno), "dec", [], [], None, None,
                lineno=node.lineno,
            )  # fmt: skip
        return node

    def _check_private(self, name: str, what: str) -> None:
        if name.startswith("_"):
            raise self.fail(
                PRIVATE_NAME,
                f"the {what} {name!r} starts with '_'; such names reach Python internals",
                hint="data fields and variables never start with '_'",
            )

    def _check_name(self, name: str) -> None:
        self._check_private(name, "name")
        self._check_reserved(name)
        self.names.add(name)

    def _check_reserved(self, name: str) -> None:
        if name in RESERVED_NAMES:
            raise self.fail(
                RESERVED_NAME,
                f"{name!r} is not available in expressions",
                hint="expressions read the data in scope and call the function library",
            )

    def _check_attribute(self, node: nodes.Getattr) -> None:
        self._check_private(node.attr, "field")
        if isinstance(node.node, nodes.Const):
            raise self.fail(
                CALL_NOT_ALLOWED,
                f"{node.node.value!r}.{node.attr} reads an attribute of a literal; "
                "values have no methods or attributes here",
                hint=self._filter_hint(node.attr),
            )

    def _filter_hint(self, name: str) -> str:
        if name in self.library:
            return f"use the function as a filter: `value | {name}`"
        return "fields of records are read with record.field; text has no methods"

    def _check_arguments(self, node: nodes.Call | nodes.Filter | nodes.Test, what: str) -> None:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise self.fail(
                CALL_NOT_ALLOWED,
                f"*args and **kwargs are not supported in {what}",
                hint="write the arguments out",
            )

    def _check_filter(self, node: nodes.Filter) -> None:
        self._check_arguments(node, f"the filter {node.name!r}")
        if node.name in self.context_functions:
            raise self.fail(
                CALL_NOT_ALLOWED,
                f"{node.name!r} is not a filter",
                hint=f"call it without arguments: {node.name}()",
            )
        if node.name not in self.library:
            raise self.fail(
                UNKNOWN_FILTER,
                f"unknown filter {node.name!r}",
                _did_you_mean(node.name, self.library),
            )

    def _call_as_filter(self, node: nodes.Call) -> nodes.Filter:
        if isinstance(node.node, nodes.Getattr):
            raise self.fail(
                CALL_NOT_ALLOWED,
                f"method calls are not allowed (.{node.node.attr}(...))",
                hint=self._filter_hint(node.node.attr),
            )
        if not isinstance(node.node, nodes.Name):
            raise self.fail(
                CALL_NOT_ALLOWED,
                "only library functions can be called",
                hint="call a function by its name: pad(value, 10)",
            )
        name = node.node.name
        self._check_private(name, "function")
        self._check_reserved(name)
        self._check_arguments(node, f"the call of {name!r}")
        if name not in self.library:
            raise self.fail(
                CALL_NOT_ALLOWED,
                f"unknown function {name!r}",
                _did_you_mean(name, self.library),
            )
        if name in self.context_functions:
            if node.args or node.kwargs:
                raise self.fail(
                    CALL_NOT_ALLOWED,
                    f"{name}() takes no arguments",
                    hint=f"{name}() reads the run context",
                )
            first: nodes.Expr = nodes.Name(RUN_CONTEXT_NAME, "load", lineno=node.lineno)
            rest: list[nodes.Expr] = []
        elif node.args:
            first, *rest = node.args
        else:
            raise self.fail(
                CALL_NOT_ALLOWED,
                f"{name}() needs its first argument written positionally",
                hint=f"write {name}(value, ...) or value | {name}(...)",
            )
        return nodes.Filter(first, name, rest, node.kwargs, None, None, lineno=node.lineno)
