"""The fast path of ``Expression.evaluate``: a checked expression as a tree of Python closures.

Jinja runs an expression as generated code in a render function that needs a new ``Context``
for every call. Most expressions in a format are small (a field, a comparison, a padded
number), and for them that set-up costs more than the work. So the checked tree (after the
whitelist and rewrites of ``checker.py``) is also turned into one closure per node, each doing
exactly what Jinja's generated code does for that node: the same ``environment.getitem``
lookups and ``MissingValue`` objects, the same intercepted operators (``*``, ``/``, ``%``,
``**``) and plain Python ones, the same library functions and tests, the same order of
evaluation. The same exceptions therefore reach ``Expression.evaluate``, which turns them into
the same ``ExpressionError``s.

A node without a closure here (a conditional without ``else``, a large dict literal, a codec
function that asks Jinja for its context) makes the builders return None, and the whole
expression runs on Jinja. That is decided once, when the expression compiles.

One difference in how, not what: Jinja reads each free name from the scope once per
evaluation; a closure reads it where it is used. For a dict scope (what every codec passes)
the values are the same.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast

from jinja2 import Undefined, nodes
from jinja2.utils import missing

from erengine.expr.environment import (
    INTERCEPTED_OPERATORS,
    ExpressionEnvironment,
    is_defined,
    is_none,
    is_undefined,
    render_text,
)
from erengine.expr.functions.values import default

Scope = Mapping[str, Any]
Evaluator = Callable[[Scope], Any]

# The arithmetic Jinja's sandbox leaves to Python (it intercepts INTERCEPTED_OPERATORS).
_PLAIN_OPERATORS: Mapping[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "//": operator.floordiv,
}
_UNARY_OPERATORS: Mapping[str, Callable[[Any], Any]] = {
    "-": operator.neg,
    "+": operator.pos,
    "not": operator.not_,
}


def _is_in(item: Any, container: Any) -> bool:
    return item in container


def _is_not_in(item: Any, container: Any) -> bool:
    return item not in container


_COMPARISONS: Mapping[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lteq": operator.le,
    "gt": operator.gt,
    "gteq": operator.ge,
    "in": _is_in,
    "notin": _is_not_in,
}

# Functions that ask only WHETHER a value is missing, never which field it is: for them a path
# may give one shared missing value instead of building a MissingValue per call, which costs
# more than the read (`payment.addenda is defined` on every entry without addenda).
_WHETHER_MISSING: tuple[Callable[..., Any], ...] = (is_defined, is_undefined, is_none, default)

# Python builds a dict literal of up to 15 pairs by evaluating every key and value first and
# hashing afterwards; larger ones hash as they go, so an error could surface in another order.
_MAX_DICT_PAIRS = 15


class _Unsupported(Exception):
    """A node the closures do not cover; the expression stays on Jinja."""


def fast_value_runner(
    expression: nodes.Expr, environment: ExpressionEnvironment
) -> Evaluator | None:
    """The native value of a single ``{{ expression }}``, or None when Jinja must run it."""
    try:
        return _ClosureBuilder(environment).build(expression)
    except _Unsupported:
        return None


def fast_text_runner(
    template: nodes.Template, environment: ExpressionEnvironment
) -> Callable[[Scope], str] | None:
    """The rendered text of a template, or None when Jinja must run it.

    Each ``{{ }}`` part is rendered like Jinja's ``str(finalize(value))``, in order, and the
    parts fill a ``%s`` pattern made of the literal text and the parts Jinja folds.
    """
    builder = _ClosureBuilder(environment)
    eval_context = nodes.EvalContext(environment)
    pattern: list[str] = []
    parts: list[Evaluator] = []
    try:
        for output in template.body:
            if not isinstance(output, nodes.Output):
                raise _Unsupported(type(output).__name__)
            for child in output.nodes:
                folded = _folded_text(child, eval_context)
                if folded is None:
                    parts.append(builder.build(child))
                    pattern.append("%s")
                else:
                    pattern.append(folded.replace("%", "%%"))
    except _Unsupported:
        return None
    text = "".join(pattern)
    rendered = _all_values([_rendered(part) for part in parts])
    return lambda scope: text % rendered(scope)


def _folded_text(child: nodes.Expr, eval_context: nodes.EvalContext) -> str | None:
    """The text Jinja writes for a part of a template it evaluates while compiling, else None.

    Jinja folds every part of a text template that it can evaluate (literal text, ``1 + 2``,
    ``'ab' | upper`` ...) with its own constant rules, which are not always its run-time
    rules (a literal slice goes through ``getitem``); only its result is the same text.
    """
    try:
        return render_text(child.as_const(eval_context))
    except Exception:  # any part that does not fold, for whatever reason, runs later
        return None


def _rendered(part: Evaluator) -> Evaluator:
    return lambda scope: render_text(part(scope))


def _all_values(parts: Sequence[Evaluator]) -> Callable[[Scope], tuple[Any, ...]]:
    """Every part's value, left to right, as a tuple.

    Up to three parts, the usual count, are called directly: on Python 3.11 a comprehension
    costs more than the parts themselves.
    """
    if len(parts) == 1:
        (first,) = parts
        return lambda scope: (first(scope),)
    if len(parts) == 2:
        first, second = parts
        return lambda scope: (first(scope), second(scope))
    if len(parts) == 3:
        first, second, third = parts
        return lambda scope: (first(scope), second(scope), third(scope))
    return lambda scope: tuple([part(scope) for part in parts])


def _constant(value: Any) -> Evaluator:
    return lambda _scope: value


def _constant_values(arguments: Sequence[nodes.Expr]) -> list[Any] | None:
    """The values of ``arguments`` when every one is a literal, else None."""
    values = []
    for argument in arguments:
        if not isinstance(argument, nodes.Const):
            return None
        values.append(argument.value)
    return values


def _lookup_path(node: nodes.Expr) -> tuple[str, tuple[Any, ...]] | None:
    """``a.b['c'][0]`` as ``('a', ('b', 'c', 0))``: a name and literal keys, else None."""
    keys: list[Any] = []
    while True:
        if isinstance(node, nodes.Getattr):
            keys.append(node.attr)
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            keys.append(node.arg.value)
        elif isinstance(node, nodes.Name) and node.ctx == "load":
            return node.name, tuple(reversed(keys))
        else:
            return None
        node = node.node


DataRead = tuple[Any, ...]  # a name, then literal keys: ('payment', 'creditor', 'name')


def read_paths(node: nodes.Node) -> Iterator[DataRead]:
    """Everything ``node`` reads, as paths as deep as literal keys go (``a[i]`` reads ``a``).

    A name that is a function (``lpad``) counts as a read too: what uses these paths only
    needs them not to miss a read.
    """
    if isinstance(node, (nodes.Getattr, nodes.Getitem, nodes.Name)):
        path = _lookup_path(node)
        if path is not None:
            yield (path[0], *path[1])
            return
    for child in node.iter_child_nodes():
        yield from read_paths(child)


class _ClosureBuilder:
    """Builds the closure of each node of one expression (see the module doc)."""

    def __init__(self, environment: ExpressionEnvironment) -> None:
        self._environment = environment
        self._builders: Mapping[type[nodes.Node], Callable[[Any], Evaluator]] = {
            nodes.Const: self._const,
            nodes.Name: self._name,
            nodes.Getattr: self._getattr,
            nodes.Getitem: self._getitem,
            nodes.Filter: self._filter,
            nodes.Test: self._test,
            nodes.Compare: self._compare,
            nodes.And: self._and,
            nodes.Or: self._or,
            nodes.Not: self._unary,
            nodes.Neg: self._unary,
            nodes.Pos: self._unary,
            nodes.Add: self._arithmetic,
            nodes.Sub: self._arithmetic,
            nodes.Mul: self._arithmetic,
            nodes.Div: self._arithmetic,
            nodes.FloorDiv: self._arithmetic,
            nodes.Mod: self._arithmetic,
            nodes.Pow: self._arithmetic,
            nodes.Concat: self._concat,
            nodes.CondExpr: self._conditional,
            nodes.List: self._list,
            nodes.Tuple: self._tuple,
            nodes.Dict: self._dict,
        }

    def build(self, node: nodes.Node) -> Evaluator:
        builder = self._builders.get(type(node))
        if builder is None:
            raise _Unsupported(type(node).__name__)
        return builder(node)

    def _const(self, node: nodes.Const) -> Evaluator:
        return _constant(node.value)

    def _name(self, node: nodes.Name) -> Evaluator:
        if node.ctx != "load":
            raise _Unsupported("assignment target")
        return self._path(node.name, ())

    def _getattr(self, node: nodes.Getattr) -> Evaluator:
        path = _lookup_path(node)
        if path is not None:
            return self._path(*path)
        record = self.build(node.node)
        return self._call(self._environment.getitem, record, [nodes.Const(node.attr)])

    def _getitem(self, node: nodes.Getitem) -> Evaluator:
        if isinstance(node.arg, nodes.Slice):
            return self._slice(node.node, node.arg)
        path = _lookup_path(node)
        if path is not None:
            return self._path(*path)
        return self._call(self._environment.getitem, self.build(node.node), [node.arg])

    def _path(self, name: str, keys: tuple[Any, ...], absent: Undefined | None = None) -> Evaluator:
        """A name and literal keys read in one closure: the most common expression of all.

        ``absent`` is the missing value to give for an absent name or dict field instead of a
        new ``MissingValue`` naming it (see ``_WHETHER_MISSING``).
        """
        getitem = self._environment.getitem
        undefined = self._environment.undefined

        def read(scope: Scope) -> Any:
            # Context.resolve_or_missing, then environment.getitem with a dict's field inline
            if name in scope:
                value = scope[name]
            else:
                value = undefined(name=name) if absent is None else absent
            for key in keys:
                if type(value) is dict:
                    found = value.get(key, missing)
                    if found is missing:
                        found = undefined(obj=value, name=key) if absent is None else absent
                    value = found
                else:
                    value = getitem(value, key)
            return value

        return read

    def _slice(self, sequence_node: nodes.Expr, bounds_node: nodes.Slice) -> Evaluator:
        """``x[a:b:c]``: Jinja's code slices directly, bypassing ``environment.getitem``."""
        sequence = self.build(sequence_node)
        bound_nodes = [
            nodes.Const(None) if bound is None else bound
            for bound in (bounds_node.start, bounds_node.stop, bounds_node.step)
        ]
        constant = _constant_values(bound_nodes)
        if constant is not None:
            bounds = slice(*constant)
            return lambda scope: sequence(scope)[bounds]
        start, stop, step = (self.build(bound) for bound in bound_nodes)
        return lambda scope: sequence(scope)[slice(start(scope), stop(scope), step(scope))]

    def _filter(self, node: nodes.Filter) -> Evaluator:
        if node.node is None:
            raise _Unsupported("filter block")
        return self._function_call(self._environment.filters[node.name], node.node, node)

    def _test(self, node: nodes.Test) -> Evaluator:
        test = cast("Callable[..., Any]", self._environment.tests[node.name])
        return self._function_call(test, node.node, node)

    def _function_call(
        self, function: Callable[..., Any], value: nodes.Expr, node: nodes.Filter | nodes.Test
    ) -> Evaluator:
        # Jinja passes its context, eval context or environment first to a function marked
        # with pass_context & co. (a codec may add one); only Jinja can supply those.
        if hasattr(function, "jinja_pass_arg"):
            raise _Unsupported(f"{node.name} takes a Jinja context")
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise _Unsupported("*args or **kwargs")
        path = _lookup_path(value)
        # by identity: a codec's function need not be hashable
        if path is not None and any(function is known for known in _WHETHER_MISSING):
            first = self._path(*path, absent=self._environment.undefined())
        else:
            first = self.build(value)
        # Jinja annotates a filter's keywords as Pair nodes; its parser makes Keyword nodes
        keywords = cast("list[nodes.Keyword]", node.kwargs)
        return self._call(function, first, node.args, keywords)

    def _call(
        self,
        function: Callable[..., Any],
        first: Evaluator,
        rest: Sequence[nodes.Expr],
        keywords: Sequence[nodes.Keyword] = (),
    ) -> Evaluator:
        """``function(first, *rest, **keywords)``, evaluated left to right as Jinja does.

        Literal arguments after the first are bound once, which is the usual shape
        (``x | lpad(7, '0')``, ``x % 10``, ``x == 'debit'``).
        """
        constants = _constant_values([*rest, *(keyword.value for keyword in keywords)])
        if constants is not None:
            args = tuple(constants[: len(rest)])
            kwargs = {
                keyword.key: value
                for keyword, value in zip(keywords, constants[len(rest) :], strict=True)
            }
            if kwargs:
                return lambda scope: function(first(scope), *args, **kwargs)
            if len(args) == 1:
                (argument,) = args  # x == 'debit', x % 10: worth a call without unpacking
                return lambda scope: function(first(scope), argument)
            if args:
                return lambda scope: function(first(scope), *args)
            return lambda scope: function(first(scope))
        if len(rest) == 1 and not keywords:
            second = self.build(rest[0])
            return lambda scope: function(first(scope), second(scope))
        positional = _all_values([first, *(self.build(argument) for argument in rest)])
        names = [keyword.key for keyword in keywords]
        named = _all_values([self.build(keyword.value) for keyword in keywords])
        return lambda scope: function(
            *positional(scope), **dict(zip(names, named(scope), strict=True))
        )

    def _compare(self, node: nodes.Compare) -> Evaluator:
        if len(node.ops) == 1:
            (operand,) = node.ops
            return self._call(_COMPARISONS[operand.op], self.build(node.expr), [operand.expr])
        first = self.build(node.expr)
        *links, (last_compare, last_node) = [
            (_COMPARISONS[operand.op], operand.expr) for operand in node.ops
        ]
        steps = [(compare, self.build(operand)) for compare, operand in links]
        last = self.build(last_node)

        def chain(scope: Scope) -> Any:
            # a < b < c: each operand evaluated once; the first false comparison is the result
            left = first(scope)
            for compare, operand in steps:
                right = operand(scope)
                outcome = compare(left, right)
                if not outcome:
                    return outcome
                left = right
            return last_compare(left, last(scope))

        return chain

    def _and(self, node: nodes.And) -> Evaluator:
        left, right = self.build(node.left), self.build(node.right)
        return lambda scope: left(scope) and right(scope)

    def _or(self, node: nodes.Or) -> Evaluator:
        left, right = self.build(node.left), self.build(node.right)
        return lambda scope: left(scope) or right(scope)

    def _unary(self, node: nodes.UnaryExpr) -> Evaluator:
        if node.operator in self._environment.intercepted_unops:
            raise _Unsupported(f"intercepted {node.operator}")
        function = _UNARY_OPERATORS[node.operator]
        operand = self.build(node.node)
        return lambda scope: function(operand(scope))

    def _arithmetic(self, node: nodes.BinExpr) -> Evaluator:
        if node.operator in self._environment.intercepted_binops:
            function = INTERCEPTED_OPERATORS[node.operator]
        else:
            function = _PLAIN_OPERATORS[node.operator]
        return self._call(function, self.build(node.left), [node.right])

    def _concat(self, node: nodes.Concat) -> Evaluator:
        values = _all_values([self.build(part) for part in node.nodes])
        # Jinja's str_join, "".join(map(str, parts)): every part evaluated, then each made
        # text with str(); '%s' calls str() too, in the same order, and is faster.
        pattern = "%s" * len(node.nodes)
        return lambda scope: pattern % values(scope)

    def _conditional(self, node: nodes.CondExpr) -> Evaluator:
        if node.expr2 is None:
            raise _Unsupported("conditional without else")  # Jinja's message names the line
        test, then, otherwise = (
            self.build(node.test),
            self.build(node.expr1),
            self.build(node.expr2),
        )
        return lambda scope: then(scope) if test(scope) else otherwise(scope)

    def _list(self, node: nodes.List) -> Evaluator:
        values = _all_values([self.build(item) for item in node.items])
        return lambda scope: list(values(scope))

    def _tuple(self, node: nodes.Tuple) -> Evaluator:
        if node.ctx != "load":
            raise _Unsupported("assignment target")
        return _all_values([self.build(item) for item in node.items])

    def _dict(self, node: nodes.Dict) -> Evaluator:
        if len(node.items) > _MAX_DICT_PAIRS:
            raise _Unsupported("large dict literal")
        pairs = [(self.build(pair.key), self.build(pair.value)) for pair in node.items]
        # every key and value first, then the dict (see _MAX_DICT_PAIRS)
        return lambda scope: dict([(key(scope), value(scope)) for key, value in pairs])  # noqa: C404
