"""``Expression.run`` as generated source (``erengine/expr/bare.py``) against the closures.

Where the generated function gives a value, it is the closures' value, of the same type; it
may instead raise one of ``FAILURES`` (a missing name or key, a value that is not a dict),
after which every caller evaluates carefully.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from erengine.errors import ConfigError
from erengine.expr import FAILURES, ExpressionCompiler, ExpressionError

from .test_fast import ARITHMETIC, COMPARISONS, FIELDS, INDEXES, atoms, scopes

COMPILER = ExpressionCompiler()


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The shapes the generated source covers (and paths inside them)."""
    return st.one_of(
        st.builds("{}.{}".format, inner, st.sampled_from(FIELDS)),
        st.builds("{}[{}]".format, inner, st.sampled_from(INDEXES)),
        st.builds("({} {} {})".format, inner, st.sampled_from([*ARITHMETIC, "~"]), inner),
        st.builds("({} {} {})".format, inner, st.sampled_from(["and", "or"]), inner),
        st.builds("({} {} {})".format, inner, st.sampled_from(COMPARISONS), inner),
        st.builds("({} < {} <= {})".format, inner, inner, inner),
        st.builds("({}{})".format, st.sampled_from(["-", "+", "not "]), inner),
        st.builds("({} if {} else {})".format, inner, inner, inner),
    )


operators = st.recursive(atoms, _extend, max_leaves=8)


def _result(run: Any, scope: dict[str, Any]) -> tuple[str, str]:
    value = run(copy.deepcopy(scope))
    return type(value).__name__, repr(value)


@settings(max_examples=1500, deadline=None)
@given(source=operators, scope=scopes)
@example(source="(r.amount if r.name == 'debit' else -r.amount)", scope={"r": {"amount": 1}})
@example(source="(r.x == 'a')", scope={"r": {"amount": Decimal(1)}})
@example(source="(n ~ s)", scope={"n": 1, "s": "ab"})
def test_a_generated_run_gives_the_closures_value_or_raises(
    source: str, scope: dict[str, Any]
) -> None:
    try:
        expression = COMPILER.compile("{{ " + source + " }}")
    except ConfigError:
        return
    if expression._bare is None:
        return
    try:
        bare = _result(expression._bare, scope)
    except FAILURES:
        return  # the caller evaluates carefully
    assert bare == _result(expression._run, scope), source


@pytest.mark.parametrize(
    "source",
    [
        "{{ entry.amount if entry.credit_debit == 'credit' else -entry.amount }}",
        "{{ (opening.amount if opening.credit_debit == 'credit' else -opening.amount) + n }}",
        "{{ a.b.c == 'x' and not d }}",
        "{{ n * 2 }}",
        "{{ a ~ '/' ~ b }}",
        "{{ 1 < n <= 3 }}",
    ],
)
def test_expressions_of_operators_run_generated(source: str) -> None:
    expression = COMPILER.compile(source)
    assert expression._bare is not None
    assert expression.run is expression._bare


@pytest.mark.parametrize(
    "source",
    [
        "{{ entry.amount }}",  # a lone path: one closure already, and it gives missing values
        "{{ 7 }}",
        "{{ x | default(1) + 1 }}",
        "{{ 1 if x is defined else 0 }}",
        "{{ lpad(n, 3) ~ 'x' }}",
        "{{ [n, 1] }}",
        "total {{ n + 1 }}",  # a text template
    ],
)
def test_other_expressions_keep_the_closures(source: str) -> None:
    expression = COMPILER.compile(source)
    assert expression._bare is None
    assert expression.run is expression._run


def test_names_keys_and_strings_of_the_configuration_stay_data() -> None:
    key = "x']) or __import__('os').system('false') or (['"
    expression = COMPILER.compile("{{ r['" + key.replace("'", "\\'") + "'] ~ ' ' ~ 'a\\'b' }}")
    assert expression._bare is not None
    assert expression.run({"r": {key: "value"}}) == "value a'b"


def test_missing_data_raises_and_the_careful_path_reports_it() -> None:
    expression = COMPILER.compile("{{ entry.amount if entry.mark == 'C' else -entry.amount }}")
    with pytest.raises(KeyError):
        expression.run({"entry": {"amount": Decimal(1)}})
    with pytest.raises(TypeError):
        expression.run({"entry": "text"})
    with pytest.raises(ExpressionError, match="no field 'mark'"):
        expression.evaluate({"entry": {"amount": Decimal(1)}})
    assert expression.run({"entry": {"amount": Decimal(1), "mark": "D"}}) == Decimal(-1)
