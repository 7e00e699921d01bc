"""Compile expression text once into an ``Expression`` that evaluates fast, many times.

Three shapes of text:

- no ``{{``: a constant; ``evaluate`` returns the text itself;
- exactly one ``{{ expr }}`` (whitespace around it allowed): a value; ``evaluate`` returns the
  native result (a Decimal stays a Decimal, a list stays a list);
- anything else with ``{{ }}``: a text template; ``evaluate`` returns the rendered ``str``.

Compilation parses with Jinja, checks and rewrites the tree (``checker.py``) and turns it into
Python code once. It then builds the same tree as closures (``fast.py``), which evaluate with
the same results and errors several times faster; an expression with a node the closures do not
cover runs Jinja's code instead, which builds a Jinja context over the scope for every call.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from jinja2 import TemplateSyntaxError, Undefined, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context

from erengine.errors import ConfigError, SourceSpan
from erengine.expr.bare import bare_runner
from erengine.expr.checker import ExpressionChecker
from erengine.expr.environment import TESTS, ExpressionEnvironment
from erengine.expr.errors import (
    ARITHMETIC_ERROR,
    LIMIT_EXCEEDED,
    SANDBOX_VIOLATION,
    STATEMENT_NOT_ALLOWED,
    SYNTAX_ERROR,
    UNDEFINED_VALUE,
    WRONG_TYPE,
    ExpressionError,
)
from erengine.expr.fast import DataRead, fast_text_runner, fast_value_runner, read_paths
from erengine.expr.functions import CONTEXT_FUNCTIONS, LIBRARY

ExpressionKind = Literal["constant", "value", "text"]
Runner = Callable[[Mapping[str, Any]], Any]

_RESULT = "result"
_NO_BLOCKS: dict[str, Any] = {}


def is_expression(text: str) -> bool:
    """Whether configuration text is an expression (contains ``{{``) rather than a constant."""
    return "{{" in text


@dataclass(frozen=True, slots=True, eq=False)
class Expression:
    """A compiled expression: immutable, cheap to evaluate for every record."""

    source: str
    span: SourceSpan | None
    config_path: str | None
    names: frozenset[str]
    reads: frozenset[DataRead]  # what it reads: a name, then literal keys (see read_paths)
    kind: ExpressionKind
    _run: Runner = field(repr=False)
    # Whether ``_run`` is the closures of ``fast.py`` (False: Jinja's code, or a constant).
    _on_closures: bool = field(default=False, repr=False)
    # ``run`` as generated source (``bare.py``), for expressions of operators.
    _bare: Runner | None = field(default=None, repr=False)

    @property
    def run(self) -> Runner:
        """``evaluate`` without its checks, for generated code that evaluates again on
        anything unusual: it may raise any of ``FAILURES`` and may return an ``Undefined``."""
        return self._bare or self._run

    def evaluate(self, scope: Mapping[str, Any]) -> Any:
        """The value of the expression over ``scope`` (variable name -> data).

        Every failure is an ``ExpressionError`` naming this expression and its configuration
        place; no Python exception escapes for bad data.
        """
        try:
            result = self._run(scope)
            if isinstance(result, Undefined):
                result._fail_with_undefined_error()
            return result
        except ExpressionError as error:
            raise error.located(self.source, self.span, self.config_path) from None
        except UndefinedError as error:
            raise self._error(UNDEFINED_VALUE, error.message or "undefined value") from None
        except ArithmeticError as error:
            raise self._error(ARITHMETIC_ERROR, _arithmetic_message(error)) from None
        except (TypeError, ValueError, LookupError) as error:
            raise self._error(WRONG_TYPE, f"wrong kind of value: {error}") from None
        except SecurityError as error:
            raise self._error(SANDBOX_VIOLATION, str(error)) from None
        except (MemoryError, RecursionError):
            raise self._error(LIMIT_EXCEEDED, "the expression ran out of resources") from None

    def _error(self, code: str, message: str) -> ExpressionError:
        return ExpressionError(
            code, message, source=self.source, span=self.span, config_path=self.config_path
        )


# Every exception ``Expression.evaluate`` turns into an ``ExpressionError`` (its clauses).
FAILURES: tuple[type[Exception], ...] = (
    ExpressionError,
    UndefinedError,
    ArithmeticError,
    TypeError,
    ValueError,
    LookupError,
    SecurityError,
    MemoryError,
    RecursionError,
)


def _arithmetic_message(error: ArithmeticError) -> str:
    if isinstance(error, ZeroDivisionError):
        return "division by zero"
    if isinstance(error, decimal.InvalidOperation):
        return "invalid arithmetic (such as 0/0 or a non-number)"
    if isinstance(error, decimal.Overflow):
        return "the number is too large"
    return f"arithmetic error: {type(error).__name__}"


def _float_literals(environment: ExpressionEnvironment, source: str) -> dict[float, str]:
    """The text of each float literal as written, so ``1.50`` becomes ``Decimal('1.50')``."""
    return {
        float(text.replace("_", "")): text.replace("_", "")
        for _, kind, text in environment.lex(source)
        if kind == "float"
    }


def _single_expression(template: nodes.Template) -> nodes.Expr | None:
    """The one expression of ``template`` when it is exactly ``{{ expr }}`` plus whitespace."""
    if len(template.body) != 1 or not isinstance(template.body[0], nodes.Output):
        return None
    found = [
        node
        for node in template.body[0].nodes
        if not (isinstance(node, nodes.TemplateData) and not node.data.strip())
    ]
    if len(found) == 1 and not isinstance(found[0], nodes.TemplateData):
        return found[0]
    return None


class ExpressionCompiler:
    """One per configuration: a sandboxed Jinja2 environment with the function library.

    ``functions`` adds functions a codec provides (they must not shadow library functions).
    """

    def __init__(self, *, functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        extra = dict(functions or {})
        clash = sorted(extra.keys() & LIBRARY.keys())
        if clash:
            raise ValueError(f"codec functions shadow library functions: {', '.join(clash)}")
        self._library: Mapping[str, Callable[..., Any]] = {**LIBRARY, **extra}
        self._environment = ExpressionEnvironment(self._library)
        # Tests switch the closures off to compare them with Jinja, the reference semantics.
        self._use_closures = True

    is_expression = staticmethod(is_expression)

    def compile(
        self, source: str, *, span: SourceSpan | None = None, config_path: str | None = None
    ) -> Expression:
        """``source`` compiled; unsafe, unknown or malformed parts raise ``ConfigError``."""
        if not is_expression(source):
            if "{%" in source:
                raise ConfigError(
                    STATEMENT_NOT_ALLOWED,
                    "statements ({% ... %}) are not allowed in expressions",
                    span=span,
                    config_path=config_path,
                    hint="write a value as {{ ... }}; conditions as `a if test else b`",
                )
            return Expression(
                source, span, config_path, frozenset(), frozenset(), "constant", lambda _: source
            )
        try:
            template, names, single = self._checked_template(source, span, config_path)
            reads = frozenset(read_paths(template))
            code = self._environment.compile(self._jinja_template(template, single))
        except TemplateSyntaxError as error:
            where = f" (line {error.lineno} of the expression)" if error.lineno > 1 else ""
            raise ConfigError(
                SYNTAX_ERROR,
                f"expression syntax error{where}: {error.message}",
                span=span,
                config_path=config_path,
                hint="expressions use Jinja syntax: {{ payments | length }}",
            ) from None
        except (RecursionError, MemoryError, SyntaxError, ValueError) as error:
            raise ConfigError(
                SYNTAX_ERROR,
                f"expression cannot be compiled: {type(error).__name__}: {error}",
                span=span,
                config_path=config_path,
                hint="simplify the expression",
            ) from None
        kind: ExpressionKind = "text" if single is None else "value"
        fast = self._fast_runner(template, single)
        if fast is not None:
            bare = None if single is None else bare_runner(single, self._environment)
            return Expression(
                source, span, config_path, names, reads, kind, fast, _on_closures=True, _bare=bare
            )
        root = self._environment.template_class.from_code(
            self._environment, code, {}
        ).root_render_func
        runner = self._text_runner(root) if single is None else self._value_runner(root)
        return Expression(source, span, config_path, names, reads, kind, runner)

    def _checked_template(
        self, source: str, span: SourceSpan | None, config_path: str | None
    ) -> tuple[nodes.Template, frozenset[str], nodes.Expr | None]:
        """The checked, rewritten tree, the free names it reads, and its expression when it is
        a single ``{{ expr }}``."""
        checker = ExpressionChecker(
            library=self._library,
            tests=TESTS.keys(),
            context_functions=CONTEXT_FUNCTIONS,
            float_literals=_float_literals(self._environment, source),
            span=span,
            config_path=config_path,
        )
        template = checker.check(self._environment.parse(source))
        assert isinstance(template, nodes.Template)
        return template, frozenset(checker.names), _single_expression(template)

    def _jinja_template(
        self, template: nodes.Template, single: nodes.Expr | None
    ) -> nodes.Template:
        """The tree Jinja compiles: a single expression's native value is stored as ``result``
        (rendering it would make it text)."""
        if single is not None:
            template = nodes.Template(
                [nodes.Assign(nodes.Name(_RESULT, "store"), single)], lineno=1
            )
        template.set_environment(self._environment)
        return template

    def _fast_runner(self, template: nodes.Template, single: nodes.Expr | None) -> Runner | None:
        if not self._use_closures:
            return None
        if single is None:
            return fast_text_runner(template, self._environment)
        return fast_value_runner(single, self._environment)

    def _value_runner(self, root: Callable[[Context], Any]) -> Runner:
        environment = self._environment

        def run(scope: Mapping[str, Any]) -> Any:
            context = Context(environment, scope, None, _NO_BLOCKS)  # type: ignore[arg-type]
            for _ in root(context):
                pass
            return context.vars[_RESULT]

        return run

    def _text_runner(self, root: Callable[[Context], Any]) -> Runner:
        environment = self._environment

        def run(scope: Mapping[str, Any]) -> str:
            return "".join(root(Context(environment, scope, None, _NO_BLOCKS)))  # type: ignore[arg-type]

        return run
