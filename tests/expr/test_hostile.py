"""Hostile expressions: everything that reaches for internals fails when the config loads,
and everything that would exhaust resources fails fast at run time with an EXP error."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from erengine.errors import ConfigError, SourceSpan
from erengine.expr import ExpressionCompiler, ExpressionError

Evaluate = Callable[..., Any]
SPAN = SourceSpan("formats/evil.yaml", 3, 14)

REJECTED_AT_COMPILE = [
    # private names and attributes
    ("{{ x.__class__ }}", "CFG403"),
    ("{{ x.__class__.__mro__[1].__subclasses__() }}", "CFG404"),
    ("{{ x['__class__'] }}", "CFG403"),
    ("{{ _secret }}", "CFG403"),
    ("{{ x._private }}", "CFG403"),
    ("{{ _f(1) }}", "CFG403"),
    # method calls on values
    ("{{ name.upper() }}", "CFG404"),
    ("{{ record.items() }}", "CFG404"),
    ("{{ dict.items() }}", "CFG404"),
    ("{{ ''.format }}", "CFG404"),
    ("{{ 'x'.join(xs) }}", "CFG404"),
    ("{{ x['get']('a') }}", "CFG404"),
    ("{{ (x or y)(1) }}", "CFG404"),
    # calls of anything that is not a library function
    ("{{ foo(1) }}", "CFG404"),
    ("{{ open('/etc/passwd') }}", "CFG404"),
    ("{{ eval('1') }}", "CFG404"),
    ("{{ pad(*args) }}", "CFG404"),
    ("{{ pad(x, **opts) }}", "CFG404"),
    ("{{ today(1) }}", "CFG404"),
    ("{{ x | today }}", "CFG404"),
    ("{{ pad(width=3) }}", "CFG404"),
    # Jinja's and frameworks' special names
    ("{{ self }}", "CFG407"),
    ("{{ lipsum() }}", "CFG407"),
    ("{{ cycler(1, 2) }}", "CFG407"),
    ("{{ joiner() }}", "CFG407"),
    ("{{ namespace(a=1) }}", "CFG407"),
    ("{{ config }}", "CFG407"),
    ("{{ request.args }}", "CFG407"),
    ("{{ loop.index }}", "CFG407"),
    ("{{ dict(a=1) }}", "CFG407"),
    # unknown filters and tests, and Jinja built-ins that are not part of the language
    ("{{ x | uppper }}", "CFG405"),
    ("{{ x | attr('__class__') }}", "CFG405"),
    ("{{ x | format('%s') }}", "CFG405"),
    ("{{ x | center(10) }}", "CFG405"),
    ("{{ x | tojson }}", "CFG405"),
    ("{{ x | map('upper') | list }}", "CFG405"),
    ("{{ x is callable }}", "CFG406"),
    ("{{ x is sameas 1 }}", "CFG406"),
    # statements
    ("{% for x in xs %}{{ x }}{% endfor %}", "CFG402"),
    ("{% set x = 1 %}{{ x }}", "CFG402"),
    ("{% if a %}{{ b }}{% endif %}", "CFG402"),
    ("{% include 'other' %}{{ x }}", "CFG402"),
    ("{% import 'm' as m %}{{ x }}", "CFG402"),
    ("{% macro m() %}{% endmacro %}{{ x }}", "CFG402"),
    ("{% if x %}A{% endif %}", "CFG402"),
    # syntax
    ("{{ (x }}", "CFG401"),
    ("{{ x = 1 }}", "CFG401"),
    ("{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}", "CFG401"),
]


@pytest.mark.parametrize(("source", "code"), REJECTED_AT_COMPILE)
def test_rejected_when_the_config_loads(
    compiler: ExpressionCompiler, source: str, code: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        compiler.compile(source, span=SPAN, config_path="records[0].value")
    error = caught.value
    assert error.code == code, error
    assert error.span == SPAN
    assert error.config_path == "records[0].value"
    assert error.hint


def test_method_call_hints_at_the_filter(compiler: ExpressionCompiler) -> None:
    with pytest.raises(ConfigError) as caught:
        compiler.compile("{{ name.upper() }}")
    assert caught.value.hint == "use the function as a filter: `value | upper`"


def test_unknown_function_suggests_a_close_name(compiler: ExpressionCompiler) -> None:
    with pytest.raises(ConfigError) as caught:
        compiler.compile("{{ lpadd(x, 3) }}")
    assert caught.value.hint == "did you mean 'lpad'?"


def test_huge_literal_is_not_folded_at_compile(compiler: ExpressionCompiler) -> None:
    started = time.perf_counter()
    expression = compiler.compile("{{ 'a' * 10**12 }}")
    assert time.perf_counter() - started < 1
    with pytest.raises(ExpressionError) as caught:
        expression.evaluate({})
    assert caught.value.code == "EXP102"


@pytest.mark.parametrize(
    ("source", "scope"),
    [
        ("{{ 'a' * 10**9 }}", {}),
        ("{{ 10**9 * 'a' }}", {}),
        ("{{ [0] * 10**8 }}", {}),
        ("{{ s * n }}", {"s": "ab", "n": 600_000}),
        ("{{ 2 ** 1000000 }}", {}),
        ("{{ (10 ** 100) ** 10000 }}", {}),
        ("{{ range(10**9) }}", {}),
        ("{{ pad('x', 10**9) }}", {}),
        ("{{ amount(1, width=10**9) }}", {}),
        ("{{ x | replace('a', 'aaaaaaaaaa') | replace('a', 'aaaaaaaaaa') }}", {"x": "a" * 20_000}),
        ("{{ join(xs, '-' * 100000) }}", {"xs": list(range(50))}),
    ],
)
def test_resource_exhaustion_is_capped(
    evaluate: Evaluate, source: str, scope: dict[str, Any]
) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, scope)
    assert caught.value.code == "EXP102"
    assert time.perf_counter() - started < 1


def test_small_powers_and_repetitions_still_work(evaluate: Evaluate) -> None:
    assert evaluate("{{ 2 ** 10 }}") == 1024
    assert evaluate("{{ '9' * 3 }}") == "999"
    assert evaluate("{{ 1 ** 10**20 }}") == 1


def test_decimal_overflow_is_an_arithmetic_error(evaluate: Evaluate) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate("{{ dec('10') ** (10**9) }}")
    assert caught.value.code == "EXP104"
