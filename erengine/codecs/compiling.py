"""What every format compiler does the same way: spans, expressions, totals, model paths.

The record and XML compilers both collect every mistake before failing, compile each
expression once (sharing one object for equal total conditions and summands), declare totals
whose names are unique in the format, and check bound paths against the model.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from erengine.codecs.base import ModelPath, PathCheck
from erengine.codecs.leaf import LeafCodec, TableCodec, parse_leaf_spec
from erengine.config.catalog import ResolvedDocument
from erengine.config.schema.records import TotalSpec
from erengine.config.yaml_spans import DataPath, format_path
from erengine.errors import ConfigError, ErrorCollector, SourceSpan
from erengine.expr import Expression, ExpressionCompiler


@dataclass(frozen=True, slots=True)
class TotalPlan:
    name: str
    count: bool
    expression: Expression | None  # what a sum adds, per record
    when: Expression | None
    span: SourceSpan | None


Loops = tuple[tuple[str, "ModelPath"], ...]  # loop item name -> canonical path of its list


def canonical_path(path: ModelPath, loops: Loops) -> ModelPath:
    """A scope path as a path from the model root, list levels implicit.

    Inside ``for_each: batch.payments`` with ``as: payment``, ``payment.amount`` is
    ``batches.payments.amount`` (the naming the model and CSV files use).
    """
    for name, list_path in reversed(loops):
        if path[0] == name:
            return (*list_path, *path[1:])
    return path


class FormatCompiler:
    def __init__(
        self,
        document: ResolvedDocument,
        expressions: ExpressionCompiler,
        check_path: PathCheck | None,
    ) -> None:
        self.document = document
        self.expressions = expressions
        self.check_path = check_path
        self.errors = ErrorCollector(limit=200)
        self.total_owner: dict[str, str] = {}
        self.shared: dict[str, Expression] = {}

    def span(self, path: DataPath) -> SourceSpan | None:
        return self.document.span(path)

    def expression(
        self, source: str | None, path: DataPath, *, shared: bool = False
    ) -> Expression | None:
        """Compile ``source``; ``shared`` reuses one compiled object for equal sources.

        Totals repeat conditions and summands (`{{ record.amount }}` feeds four totals in
        NACHA); sharing the object lets a record evaluate each one once.
        """
        if source is None:
            return None
        if shared and source in self.shared:
            return self.shared[source]
        try:
            compiled = self.expressions.compile(
                source, span=self.span(path), config_path=format_path(path)
            )
        except ConfigError as error:
            self.errors.add(error)
            return None
        if shared:
            self.shared[source] = compiled
        return compiled

    def totals(
        self, specs: Mapping[str, TotalSpec], path: DataPath, owner: str
    ) -> tuple[tuple[TotalSpec, TotalPlan], ...]:
        """The totals declared at ``path``; ``owner`` names their place in errors."""
        plans: list[tuple[TotalSpec, TotalPlan]] = []
        for name, total in specs.items():
            where = (*path, name)
            if name in self.total_owner:
                self.errors.add(
                    ConfigError(
                        "CFG610",
                        f"total `{name}` is already declared in {self.total_owner[name]}",
                        span=self.span(where),
                        config_path=format_path(where),
                        hint="total names are shared by the whole format: pick another name",
                    )
                )
                continue
            self.total_owner[name] = owner
            plan = TotalPlan(
                name=name,
                count=total.count is not None,
                expression=self.expression(total.sum, (*where, "sum"), shared=True),
                when=self.expression(total.when, (*where, "when"), shared=True),
                span=self.span(where),
            )
            plans.append((total, plan))
        return tuple(plans)

    def model_path(self, text: str, where: DataPath, loops: Loops) -> ModelPath:
        parts = tuple(part.strip() for part in text.split("."))
        if not all(part.isidentifier() for part in parts):
            self.errors.add(
                ConfigError(
                    "CFG611",
                    f"`{text}` is not a model path",
                    span=self.span(where),
                    config_path=format_path(where),
                    hint="write dotted field names, e.g. payment.creditor.name",
                )
            )
            return parts
        if self.check_path is not None:
            canonical = canonical_path(parts, loops)
            error = self.check_path(canonical, self.span(where), format_path(where))
            if error is not None:
                self.errors.add(error)
        return parts

    def leaf_codec(
        self, spec: str, path: DataPath, registry: Mapping[str, Callable[..., LeafCodec]]
    ) -> LeafCodec | None:
        """The leaf codec ``spec`` names among ``registry`` (the file kind's codecs)."""
        try:
            return parse_leaf_spec(spec, registry)
        except ValueError as exc:
            name = spec.split("(", maxsplit=1)[0].strip()
            close = difflib.get_close_matches(name, list(registry), n=1)
            self.errors.add(
                ConfigError(
                    "CFG616",
                    str(exc),
                    span=self.span((*path, "format")),
                    config_path=format_path((*path, "format")),
                    hint=f"did you mean `{close[0]}`?"
                    if close and close[0] != name
                    else f"codecs: {', '.join(registry)}",
                )
            )
            return None


def table_width_error(
    codec: LeafCodec | None, binds: int, span: SourceSpan | None, where: DataPath
) -> ConfigError | None:
    """A lookup table must give each bound model path a value: a row of another width would
    only fail, obscurely, on the first record that uses it."""
    mistake = codec.width_mistake(binds) if isinstance(codec, TableCodec) else None
    if mistake is None:
        return None
    return ConfigError("CFG618", mistake, span=span, config_path=format_path(where))
