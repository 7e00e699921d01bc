"""The compiler: the three shapes of text, native values, names, data lookups, errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from erengine.errors import ConfigError, SourceSpan
from erengine.expr import ExpressionCompiler, ExpressionError, is_expression

Evaluate = Callable[..., Any]
SPAN = SourceSpan("formats/acme.yaml", 12, 9)


def test_text_without_braces_is_a_constant(compiler: ExpressionCompiler) -> None:
    expression = compiler.compile("H")
    assert expression.kind == "constant"
    assert expression.evaluate({}) == "H"
    assert expression.names == frozenset()


def test_is_expression() -> None:
    assert is_expression("{{ x }}")
    assert not is_expression("plain")
    assert ExpressionCompiler.is_expression("a{{b}}")


@pytest.mark.parametrize(
    ("source", "scope", "expected"),
    [
        ("{{ payments | length }}", {"payments": [{}, {}]}, 2),
        ("  {{ total }}\n", {"total": Decimal("12.50")}, Decimal("12.50")),
        ("{{ items }}", {"items": [1, 2]}, [1, 2]),
        ("{{ batch.sec_code == 'CCD' }}", {"batch": {"sec_code": "CCD"}}, True),
        ("{{ a['b'] }}", {"a": {"b": 3}}, 3),
        ("{{ xs[-1] }}", {"xs": [1, 2, 3]}, 3),
        ("{{ name[0:2] }}", {"name": "ACME"}, "AC"),
        ("{{ 'x' if n > 1 else 'y' }}", {"n": 2}, "x"),
    ],
)
def test_single_expression_keeps_its_native_value(
    compiler: ExpressionCompiler, source: str, scope: dict[str, Any], expected: Any
) -> None:
    expression = compiler.compile(source)
    assert expression.kind == "value"
    result = expression.evaluate(scope)
    assert result == expected
    assert type(result) is type(expected)


def test_mixed_text_renders_to_str(compiler: ExpressionCompiler) -> None:
    expression = compiler.compile("T{{ n }}/{{ amount }}|{{ missing_ok | default('') }}")
    assert expression.kind == "text"
    assert expression.evaluate({"n": 3, "amount": Decimal("1E+2")}) == "T3/100|"


def test_text_renders_none_as_nothing(evaluate: Evaluate) -> None:
    assert evaluate("<{{ x }}>", {"x": None}) == "<>"


def test_names_are_the_free_variables(compiler: ExpressionCompiler) -> None:
    expression = compiler.compile("{{ pad(creditor.name, width) ~ batch['id'] | upper }}")
    assert expression.names == frozenset({"creditor", "width", "batch"})


def test_today_reads_the_run_context_not_the_clock(compiler: ExpressionCompiler) -> None:
    expression = compiler.compile("{{ date(today(), '%y%m%d') }} {{ now() }}")
    assert "context" in expression.names
    context = {"now": dt.datetime(2024, 2, 29, 13, 5)}
    assert expression.evaluate({"context": context}) == "240229 2024-02-29 13:05:00"


def test_today_accepts_a_run_context_object(evaluate: Evaluate) -> None:
    class RunContext:
        now = dt.datetime(2030, 1, 2, 3, 4, 5)

    assert evaluate("{{ today() }}", {"context": RunContext()}) == dt.date(2030, 1, 2)


def test_float_literals_become_exact_decimals(evaluate: Evaluate) -> None:
    assert evaluate("{{ 1.10 }}") == Decimal("1.10")
    assert evaluate("{{ 0.1 + 0.2 }}") == Decimal("0.3")
    assert evaluate("{{ x * 1.5 }}", {"x": Decimal("2")}) == Decimal("3.0")
    assert isinstance(evaluate("{{ 1_000.25 }}"), Decimal)


def test_division_is_decimal(evaluate: Evaluate) -> None:
    assert evaluate("{{ 3 / 2 }}") == Decimal("1.5")
    assert evaluate("{{ 2 ** -1 }}") == Decimal("0.5")
    assert evaluate("{{ 7 // 2 }}") == 3


def test_float_data_is_refused_in_arithmetic(evaluate: Evaluate) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate("{{ x * 2 }}", {"x": 1.5})
    assert caught.value.code == "EXP103"


@pytest.mark.parametrize("attribute", ["items", "keys", "values", "get", "copy", "pop"])
def test_attribute_access_is_a_data_lookup(evaluate: Evaluate, attribute: str) -> None:
    assert evaluate(f"{{{{ r.{attribute} }}}}", {"r": {attribute: "data"}}) == "data"
    with pytest.raises(ExpressionError) as caught:
        evaluate(f"{{{{ r.{attribute} }}}}", {"r": {"x": 1}})
    assert caught.value.code == "EXP101"
    assert f"no field {attribute!r}" in caught.value.message


@pytest.mark.parametrize(
    ("source", "scope"),
    [
        ("{{ x.real }}", {"x": 5}),
        ("{{ d.year }}", {"d": dt.date(2024, 1, 1)}),
        ("{{ s.upper }}", {"s": "abc"}),
        ("{{ xs.append }}", {"xs": []}),
        ("{{ xs[5] }}", {"xs": [1]}),
    ],
)
def test_values_have_no_python_attributes(
    evaluate: Evaluate, source: str, scope: dict[str, Any]
) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, scope)
    assert caught.value.code == "EXP101"


def test_missing_field_suggests_a_close_name(evaluate: Evaluate) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate("{{ p.amout }}", {"p": {"amount": 1, "name": "x"}})
    assert "did you mean 'amount'?" in caught.value.message


def test_undefined_variable_is_named(compiler: ExpressionCompiler) -> None:
    expression = compiler.compile("{{ payments | length }}", span=SPAN, config_path="trailer.n")
    with pytest.raises(ExpressionError) as caught:
        expression.evaluate({})
    error = caught.value
    assert error.code == "EXP101"
    assert "'payments' is not defined" in error.message
    assert error.source == "{{ payments | length }}"
    assert error.span == SPAN
    assert error.config_path == "trailer.n"
    assert error.to_dict()["kind"] == "expression"
    assert "formats/acme.yaml:12:9 (trailer.n)" in str(error)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ p.iban | default('none') }}", "none"),
        ("{{ p.creditor.name | default('-') }}", "-"),
        ("{{ p.iban is defined }}", False),
        ("{{ p.iban is undefined }}", True),
        ("{{ p.iban is none }}", True),
        ("{{ p.name is none }}", True),
        ("{{ p.iban is not none }}", False),
        ("{{ p.name | default('x', true) }}", "x"),
    ],
)
def test_optional_fields_read_as_absent(evaluate: Evaluate, source: str, expected: Any) -> None:
    assert evaluate(source, {"p": {"name": None}}) == expected


@pytest.mark.parametrize(
    "source",
    [
        "{{ p.iban | pad(3) }}",
        "{{ amount(p.iban) }}",
        "{{ p.iban | length }}",
        "{{ p.iban == 'x' }}",
        "{{ p.iban ~ 'x' }}",
        "{{ 'a' if p.iban else 'b' }}",
        "x{{ p.iban }}",
    ],
)
def test_using_a_missing_field_is_an_error(evaluate: Evaluate, source: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, {"p": {}})
    assert caught.value.code == "EXP101"


@pytest.mark.parametrize(
    ("source", "scope", "code"),
    [
        ("{{ 1 / 0 }}", {}, "EXP104"),
        ("{{ x / 0 }}", {"x": Decimal(1)}, "EXP104"),
        ("{{ x // y }}", {"x": 1, "y": 0}, "EXP104"),
        ("{{ 'a' + 1 }}", {}, "EXP103"),
        ("{{ x < 'a' }}", {"x": 1}, "EXP103"),
        ("{{ pad(x, 3) }}", {"x": None}, "EXP103"),
        ("{{ amount(x, decimals=1) }}", {"x": Decimal("1.25")}, "EXP105"),
        ("{{ 'x' % 3 }}", {}, "EXP103"),
    ],
)
def test_runtime_failures_are_expression_errors(
    evaluate: Evaluate, source: str, scope: dict[str, Any], code: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, scope)
    assert caught.value.code == code
    assert caught.value.source == source


def test_codec_functions_extend_the_library() -> None:
    compiler = ExpressionCompiler(functions={"zoned": lambda value: f"Z{value}"})
    assert compiler.compile("{{ zoned(5) }}|{{ 6 | zoned }}").evaluate({}) == "Z5|Z6"


def test_codec_functions_cannot_shadow_the_library() -> None:
    with pytest.raises(ValueError, match="pad"):
        ExpressionCompiler(functions={"pad": str})


def test_expressions_are_immutable(compiler: ExpressionCompiler) -> None:
    expression = compiler.compile("{{ x }}")
    with pytest.raises(AttributeError):
        expression.source = "{{ y }}"  # type: ignore[misc]


def test_compile_error_carries_span_and_path(compiler: ExpressionCompiler) -> None:
    with pytest.raises(ConfigError) as caught:
        compiler.compile("{{ payments | lenght }}", span=SPAN, config_path="records[2].value")
    error = caught.value
    assert (error.code, error.span, error.config_path) == ("CFG405", SPAN, "records[2].value")
    assert error.hint == "did you mean 'length'?"
