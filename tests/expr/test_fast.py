"""The closures of ``erengine/expr/fast.py`` against Jinja, the reference semantics.

Every expression compiles twice, once to closures and once to Jinja's code (the compiler's
private switch), and must give the same value of the same type, or the same error with the
same code and message, over the same scope.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import OrderedDict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jinja2 import pass_context
from jinja2.runtime import Context

from erengine.errors import ConfigError
from erengine.expr import Expression, ExpressionCompiler, ExpressionError


def _compilers(**options: Any) -> tuple[ExpressionCompiler, ExpressionCompiler]:
    """A compiler that builds closures and one that runs every expression on Jinja."""
    jinja = ExpressionCompiler(**options)
    jinja._use_closures = False
    return ExpressionCompiler(**options), jinja


CLOSURES, JINJA = _compilers()

Outcome = tuple[str, str, str]


def _outcome(compiler: ExpressionCompiler, source: str, scope: Mapping[str, Any]) -> Outcome:
    """What evaluating ``source`` gives, as comparable text: value or error, kind and detail."""
    try:
        expression = compiler.compile(source)
    except ConfigError as error:
        return ("config error", error.code, error.message)
    try:
        value = expression.evaluate(copy.deepcopy(scope))
    except ExpressionError as error:
        return ("error", error.code, error.message)
    return ("value", type(value).__name__, repr(value))


def assert_same(source: str, scope: Mapping[str, Any]) -> Outcome:
    closures = _outcome(CLOSURES, source, scope)
    assert closures == _outcome(JINJA, source, scope), source
    return closures


# --- a small grammar over the shapes the closures cover -------------------------------------

NAMES = ["a", "b", "n", "s", "xs", "r", "gone"]
FIELDS = ["a", "b", "x", "amount", "items", "name"]
ARITHMETIC = ["+", "-", "*", "/", "//", "%", "**"]
BINARY_OPERATORS = [*ARITHMETIC, "~", "and", "or"]
COMPARISONS = ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
FILTERS = [
    "default('d')", "default(n, true)", "int", "length", "upper", "lpad(5, '0')", "str",
    "abs", "round", "first", "sum", "dec", "amount(decimals=2)", "join('-')", "count",
]  # fmt: skip
TESTS = [
    "defined", "undefined", "none", "not none", "number", "string", "mapping", "sequence",
    "even", "divisibleby(3)", "in([1, 'ab', none])", "eq(1)", "not defined",
]  # fmt: skip
CALLS = [
    "lpad({}, 4)", "pad({}, 3, fill='*')", "default({}, 0)", "substr({}, 1, 2)", "max({})",
    "date({}, '%y%m%d')", "mod97({})", "select({}, 'a')",
]  # fmt: skip
INDEXES = ["0", "1", "-1", "'a'", "'x'", "n", "none"]
SLICE_BOUNDS = ["", "1", "-2", "8", "n"]

literals = st.sampled_from(
    [
        "0", "1", "2", "7", "10", "-3", "1.5", "0.10", "2.25", "1_000",
        "'ab'", "'x'", "''", "'debit'", "'12'", "' 7 '", "'%s'",
        "true", "false", "none", "True", "None", "today()", "now()",
    ]
)  # fmt: skip
atoms = literals | st.sampled_from(NAMES)


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("{}.{}".format, inner, st.sampled_from(FIELDS)),
        st.builds("{}[{}]".format, inner, st.sampled_from(INDEXES)),
        st.builds("{}[{}]".format, inner, inner),
        st.builds(
            "{}[{}:{}]".format, inner, st.sampled_from(SLICE_BOUNDS), st.sampled_from(SLICE_BOUNDS)
        ),
        st.builds("{}[::{}]".format, inner, st.sampled_from(["1", "-1", "n"])),
        st.builds("({} {} {})".format, inner, st.sampled_from(BINARY_OPERATORS), inner),
        st.builds("({} {} {})".format, inner, st.sampled_from(COMPARISONS), inner),
        st.builds("({} < {} <= {})".format, inner, inner, inner),
        st.builds("({}{})".format, st.sampled_from(["-", "+", "not "]), inner),
        st.builds("({} if {} else {})".format, inner, inner, inner),
        st.builds("({} | {})".format, inner, st.sampled_from(FILTERS)),
        st.builds("({} is {})".format, inner, st.sampled_from(TESTS)),
        st.builds(lambda call, value: call.format(value), st.sampled_from(CALLS), inner),
        st.builds(", ".join, st.lists(inner, max_size=4)).map("[{}]".format),
        st.builds(", ".join, st.lists(inner, min_size=1, max_size=3)).map("({},)".format),
        st.builds(
            lambda pairs: "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}",
            st.lists(st.tuples(inner, inner), max_size=3),
        ),
    )


# arithmetic over numbers that are usually there, so that results are mostly numbers
numbers = st.recursive(
    st.sampled_from(["n", "r.amount", "xs | length", "1.5", "2", "0.10", "-3", "7"]),
    lambda inner: st.builds("({} {} {})".format, inner, st.sampled_from(ARITHMETIC), inner),
    max_leaves=4,
)
expressions = st.recursive(atoms | numbers, _extend, max_leaves=8)
sources = st.one_of(
    expressions.map("{{{{ {} }}}}".format),
    numbers.map("{{{{ {} }}}}".format),
    st.builds("<{{{{ {} }}}}|{{{{ {} }}}}%>".format, expressions, expressions),
)

leaves = st.one_of(
    st.integers(-30, 30),
    st.decimals(min_value=-1000, max_value=1000, places=2),
    st.sampled_from(["ab", "", "12", "021000021", "debit", " 7 ", "x", "DE44"]),
    st.none(),
    st.booleans(),
    st.sampled_from([1.5, -0.25]),
    st.just(dt.date(2024, 2, 29)),
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3)
    ),
    max_leaves=6,
)
records = st.fixed_dictionaries(
    {"amount": st.decimals(min_value=-1000, max_value=1000, places=2), "name": leaves},
    optional=dict.fromkeys(["a", "b", "x", "items"], values),
)
# n, s, xs and r are usually of the kind their name says, so that most expressions compute a
# value; a and b may be anything or absent, and gone is never there.
scopes = st.fixed_dictionaries(
    {
        "n": st.integers(-30, 30),
        "s": st.sampled_from(["ab", "12", "021000021", " 7 "]) | values,
        "xs": st.lists(leaves, max_size=4) | values,
        # a Mapping that is not a dict reads through environment.getitem, not the dict shortcut
        "r": records | records.map(OrderedDict),
    },
    optional={
        "a": values,
        "b": values,
        "context": st.sampled_from([{"now": dt.datetime(2024, 2, 29, 13, 5)}, {}]),
    },
)


# Jinja compiles `0[1]` to Python code that makes Python warn "not subscriptable"
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(max_examples=1500, deadline=None)
@given(source=sources, scope=scopes)
@example(source="{{ r.amout }}", scope={"r": {"amount": Decimal(1)}})
@example(source="{{ (gone.x | default(r.name)) ~ r.x }}", scope={"r": {"name": None}})
@example(source="{{ {xs: 1, 'a': 1 / 0} }}", scope={"xs": [1]})
@example(source="{{ (xs ~ (1 // 0)) }}", scope={})
@example(source="{{ 'a' * 10 ** 9 }}", scope={})
@example(source="{{ '%s' % n }}", scope={"n": 1})
@example(source="<{{ gone }}|{{ 1 / 0 }}%>", scope={})
def test_closures_and_jinja_agree(source: str, scope: dict[str, Any]) -> None:
    outcome = assert_same(source, scope)
    if outcome[0] != "config error":
        assert CLOSURES.compile(source)._on_closures, source


# --- which expressions take the closures, and which stay on Jinja ---------------------------

NACHA_SHAPES = [
    "{{ record.amount }}",
    "{{ payment.direction == 'debit' }}",
    "{{ record.rdfi_routing[:8] | int }}",
    "{{ 1 if payment.addenda is defined else 0 }}",
    "{{ lpad(totals.file_entry_count + 1, 7, '0') }}",
    "{{ batch.debtor_agent.routing_number[:8] ~ lpad(totals.file_batch_count, 7, '0') }}",
    "{{ totals.batch_entry_hash % 10000000000 }}",
    "{{ (totals.file_records + 10) // 10 }}",
    "{{ payment.trace_number[8:] }}",
    "T{{ totals.file_records }}/{{ record.amount }}",
]
NACHA_SCOPE = {
    "record": {"amount": Decimal("1E+2"), "rdfi_routing": "021000021"},
    "payment": {"direction": "debit", "trace_number": "021000020000001"},
    "batch": {"debtor_agent": {"routing_number": "021000021"}},
    "totals": {
        "file_entry_count": 41,
        "file_batch_count": 2,
        "batch_entry_hash": 123456789012,
        "file_records": 57,
    },
}


@pytest.mark.parametrize("source", NACHA_SHAPES)
def test_the_common_shapes_take_the_closures(source: str) -> None:
    assert CLOSURES.compile(source)._on_closures
    assert_same(source, NACHA_SCOPE)
    assert_same(source, {})


def _on_both(compilers: tuple[ExpressionCompiler, ExpressionCompiler], source: str) -> Expression:
    closures, jinja = compilers
    expression = closures.compile(source)
    assert jinja.compile(source).evaluate({"x": 1}) == expression.evaluate({"x": 1})
    return expression


def test_a_conditional_without_else_stays_on_jinja() -> None:
    expression = _on_both((CLOSURES, JINJA), "{{ 'y' if x > 5 }}T")
    assert not expression._on_closures
    assert expression.evaluate({"x": 1}) == "T"
    assert_same("{{ 'y' if x > 5 }}", {"x": 1})


def test_a_large_dict_literal_stays_on_jinja() -> None:
    source = "{{ {" + ", ".join(f"'k{index}': x" for index in range(16)) + "} }}"
    assert not _on_both((CLOSURES, JINJA), source)._on_closures


def test_a_function_reading_the_jinja_context_stays_on_jinja() -> None:
    @pass_context
    def scope_size(context: Context, value: int) -> int:
        return len(context.parent) + value

    compilers = _compilers(functions={"scope_size": scope_size})
    assert not _on_both(compilers, "{{ x | scope_size }}")._on_closures


def test_a_shared_missing_value_never_escapes() -> None:
    assert_same("{{ p.addenda | default(p.other) }}", {"p": {}})
    assert_same("{{ [p.addenda is defined, p.addenda is none, gone.x | default(7)] }}", {"p": {}})
