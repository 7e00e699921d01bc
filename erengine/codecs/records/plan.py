"""Compiling a fixed-width or delimited format document into an immutable plan.

Passes: parse each field's leaf codec and layout, bind model paths to scope names, compile
expressions, assign totals to the records they run over, and work out how each record is
recognised on read (its constant fields). The result holds no YAML: slotted frozen
dataclasses and tuples, each node with its origin span and config path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from erengine.codecs.base import ModelPath, PathCheck
from erengine.codecs.compiling import (
    FormatCompiler,
    Loops,
    TotalPlan,
    canonical_path,
    table_width_error,
)
from erengine.codecs.leaf import (
    LEAF_CODECS,
    DateCodec,
    LeafCodec,
    TextCodec,
    UtcOffsetCodec,
)
from erengine.codecs.records.access import Getter, Setter, Target, getter, setter, target
from erengine.config.catalog import ResolvedDocument
from erengine.config.schema.records import (
    DelimitedFileSpec,
    FieldSpec,
    FixedFileSpec,
    GroupSpec,
    RecordFormatDocument,
    RecordSpec,
    TotalSpec,
)
from erengine.config.yaml_spans import DataPath, format_path
from erengine.errors import ConfigError, ErengineError, SourceSpan
from erengine.expr import Expression, ExpressionCompiler

FieldKind = Literal["bind", "value", "const", "fill"]


@dataclass(frozen=True, slots=True)
class FieldPlan:
    name: str
    kind: FieldKind
    start: int  # 0-based column (fixed) or cell index (delimited)
    width: int | None  # fixed files only
    codec: LeafCodec
    right: bool
    pad: str
    optional: bool
    truncate: bool
    deferred: bool  # checked when its list item is complete, on read
    # Written back in place when its list item is complete: a deferred field that reads
    # totals or data a default may fill in later (else it is written at once).
    written_later: bool
    binds: tuple[ModelPath, ...]  # scope name first, then keys
    getters: tuple[Getter, ...]  # one per bound path
    setters: tuple[Setter, ...]  # one per bound path
    targets: tuple[Target, ...]  # what each setter does, for generated readers
    expression: Expression | None  # `value`, or `default` of a bound field
    const: str | None
    span: SourceSpan | None
    config_path: str


@dataclass(frozen=True, slots=True)
class TallyPlan:
    """How a record feeds its totals: each distinct condition and summand evaluated once.

    ``steps`` are (total name, index of its condition or -1, index of its summand or -1 for
    a count) into ``expressions``.
    """

    expressions: tuple[Expression, ...]
    steps: tuple[tuple[str, int, int], ...]

    @classmethod
    def of(cls, totals: tuple[TotalPlan, ...]) -> TallyPlan:
        expressions: list[Expression] = []

        def index(expression: Expression | None) -> int:
            if expression is None:
                return -1
            for position, known in enumerate(expressions):
                if known is expression:
                    return position
            expressions.append(expression)
            return len(expressions) - 1

        steps = tuple(
            (t.name, index(t.when), -1 if t.count else index(t.expression)) for t in totals
        )
        return cls(tuple(expressions), steps)


@dataclass(frozen=True, slots=True)
class Implied:
    """A model value a record stands for without a field (``implies``)."""

    path: ModelPath
    value: Any
    get: Getter
    set: Setter
    target: Target


@dataclass(frozen=True, slots=True)
class RecordPlan:
    name: str
    fields: tuple[FieldPlan, ...]
    computed: tuple[FieldPlan, ...]  # the `value` fields, checked on read after the bound ones
    when: Expression | None
    optional: bool
    identity: tuple[tuple[int, int | None, str], ...]  # (start, width, const) that must match
    implies: tuple[Implied, ...]  # set on read, checked on write
    totals: tuple[TotalPlan, ...]  # every total, in any enclosing group, this record feeds
    tally: TallyPlan
    needs_values: bool  # a total reads `record.FIELD`
    values_read: frozenset[str] | None  # the fields its expressions read (None: maybe all)
    span: SourceSpan | None
    config_path: str


@dataclass(frozen=True, slots=True)
class GroupPlan:
    name: str
    items: tuple[RecordPlan | GroupPlan, ...]
    for_each: ModelPath | None  # scope name first, then keys; None for a plain group
    item_name: str
    when: Expression | None
    optional: bool
    min: int
    totals: tuple[str, ...]  # totals reset at each repetition
    span: SourceSpan | None
    config_path: str

    def first_records(self) -> tuple[RecordPlan, ...]:
        """Records that can start this group (how the reader recognises it)."""
        return _first_records(self.items)


def _first_records(items: Sequence[RecordPlan | GroupPlan]) -> tuple[RecordPlan, ...]:
    found: list[RecordPlan] = []
    for item in items:
        if isinstance(item, RecordPlan):
            found.append(item)
            if not (item.optional or item.when is not None):
                return tuple(found)
        else:
            found.extend(item.first_records())
            if not (item.optional or item.for_each is not None or item.when is not None):
                return tuple(found)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class RecordLayoutPlan:
    """The compiled format: file framing plus the record tree (the root is a plain group)."""

    name: str
    version: str
    sha256: str
    file: FixedFileSpec | DelimitedFileSpec
    root: GroupPlan
    total_names: tuple[str, ...]
    model_reference: str
    has_deferred: bool


class _Compiler(FormatCompiler):
    def __init__(
        self,
        document: ResolvedDocument,
        spec: RecordFormatDocument,
        expressions: ExpressionCompiler,
        check_path: PathCheck | None,
    ) -> None:
        super().__init__(document, expressions, check_path)
        self.spec = spec
        self.fixed = isinstance(spec.file, FixedFileSpec)
        self.has_deferred = False
        # For ``written_at_once``: paths a default or an implied value may fill in while
        # writing, and what each deferred field's expression reads (from the model root).
        self.fill_ins: list[ModelPath] = []
        self.deferred_reads: dict[str, list[ModelPath]] = {}

    def written_at_once(self) -> frozenset[str]:
        """The deferred fields a writer need not defer (by config path).

        Written back when its item is complete, a field sees the item's totals and what
        defaults fill in after it; a field that reads neither is the same written at once.
        """
        return frozenset(
            where
            for where, reads in self.deferred_reads.items()
            if not any(
                read[0] == "totals" or any(_overlap(read, filled) for filled in self.fill_ins)
                for read in reads
            )
        )

    def compile(self) -> GroupPlan:
        file_totals = self.totals(self.spec.totals, ("totals",), "group `file`")
        return self.build_group(
            name="file",
            structure=self.spec.structure,
            path=(),
            for_each=None,
            item_name="file",
            when=None,
            optional=False,
            minimum=1,
            visible=file_totals,
            own=file_totals,
            loops=(),
        )

    def group(
        self,
        spec: GroupSpec,
        path: DataPath,
        inherited: tuple[tuple[TotalSpec, TotalPlan], ...],
        loops: Loops,
    ) -> GroupPlan:
        item_name = spec.as_ or spec.group
        for_each = None
        if spec.for_each is not None:
            for_each = self.model_path(spec.for_each, (*path, "for_each"), loops)
            loops = (*loops, (item_name, canonical_path(for_each, loops)))
        own = self.totals(spec.totals, (*path, "totals"), f"group `{spec.group}`")
        return self.build_group(
            name=spec.group,
            structure=spec.structure,
            path=path,
            for_each=for_each,
            item_name=item_name,
            when=self.expression(spec.when, (*path, "when")),
            optional=spec.optional,
            minimum=spec.min,
            visible=(*inherited, *own),
            own=own,
            loops=loops,
        )

    def build_group(
        self,
        *,
        name: str,
        structure: Sequence[RecordSpec | GroupSpec],
        path: DataPath,
        for_each: ModelPath | None,
        item_name: str,
        when: Expression | None,
        optional: bool,
        minimum: int,
        visible: tuple[tuple[TotalSpec, TotalPlan], ...],
        own: tuple[tuple[TotalSpec, TotalPlan], ...],
        loops: Loops,
    ) -> GroupPlan:
        compiled: list[RecordPlan | GroupPlan] = []
        for index, item in enumerate(structure):
            where = (*path, "structure", index)
            if isinstance(item, RecordSpec):
                compiled.append(self.record(item, where, visible, loops))
            else:
                compiled.append(self.group(item, where, visible, loops))
        return GroupPlan(
            name=name,
            items=tuple(compiled),
            for_each=for_each,
            item_name=item_name,
            when=when,
            optional=optional,
            min=minimum,
            totals=tuple(plan.name for _, plan in own),
            span=self.span(path),
            config_path=format_path(path),
        )

    def record(
        self,
        spec: RecordSpec,
        path: DataPath,
        totals: tuple[tuple[TotalSpec, TotalPlan], ...],
        loops: Loops,
    ) -> RecordPlan:
        fields: list[FieldPlan] = []
        column = 0
        for index, field in enumerate(spec.fields):
            plan = self.field(
                field, (*path, "fields", index), column if self.fixed else index, loops
            )
            if plan is not None:
                fields.append(plan)
            if self.fixed:
                column += field.len or 0
        if (
            self.fixed
            and isinstance(self.spec.file, FixedFileSpec)
            and column != self.spec.file.width
        ):
            self.errors.add(
                ConfigError(
                    "CFG612",
                    f"record `{spec.record}` is {column} characters wide, the file is "
                    f"{self.spec.file.width}",
                    span=self.span(path),
                    config_path=format_path(path),
                    hint="add a `fill` field or fix a `len`",
                )
            )
        feeds = tuple(
            plan
            for total, plan in totals
            if (total.count is not None and (spec.record in total.count or "*" in total.count))
            or (total.records is not None and spec.record in total.records)
        )
        identity = tuple(
            (f.start, f.width, f.const) for f in fields if f.kind == "const" and f.const
        )
        return RecordPlan(
            name=spec.record,
            fields=tuple(fields),
            computed=_computed(tuple(fields)),
            when=self.expression(spec.when, (*path, "when")),
            optional=spec.optional,
            identity=identity,
            implies=tuple(
                self.implied(target, value, (*path, "implies", target), loops)
                for target, value in spec.implies.items()
            ),
            totals=feeds,
            tally=TallyPlan.of(feeds),
            needs_values=any(not t.count or t.when is not None for t in feeds),
            values_read=_values_read(
                [
                    *TallyPlan.of(feeds).expressions,
                    *(f.expression for f in fields if f.kind == "value"),
                ]
            ),
            span=self.span(path),
            config_path=format_path(path),
        )

    def implied(self, text: str, value: Any, where: DataPath, loops: Loops) -> Implied:
        path = self.model_path(text, where, loops)
        in_item = any(path[0] == name for name, _ in loops)
        self.fill_ins.append(canonical_path(path, loops))
        return Implied(
            path,
            value,
            getter(path),
            setter(path, in_item=in_item, combines=False),
            target(path, in_item=in_item, combines=False),
        )

    def field(self, spec: FieldSpec, path: DataPath, start: int, loops: Loops) -> FieldPlan | None:
        where = format_path(path)
        if self.fixed and spec.len is None:
            self.errors.add(
                ConfigError(
                    "CFG613",
                    "fields of fixed-width files need `len`",
                    span=self.span(path),
                    config_path=where,
                )
            )
            return None
        if self.fixed and spec.start is not None and spec.start != start + 1:
            self.errors.add(
                ConfigError(
                    "CFG614",
                    f"field starts at column {start + 1}, but `start` says {spec.start}",
                    span=self.span((*path, "start")),
                    config_path=f"{where}.start",
                    hint="a `len` before this field is wrong, or `start` is",
                )
            )
        codec = self.codec(spec, path)
        if codec is None:
            return None
        self.has_deferred = self.has_deferred or spec.deferred
        if spec.deferred and not self.fixed:
            self.errors.add(
                ConfigError(
                    "CFG617",
                    "`deferred` fields need a fixed-width file (they are written back in place)",
                    span=self.span((*path, "deferred")),
                    config_path=f"{where}.deferred",
                )
            )
        if (
            spec.const is not None
            and self.fixed
            and spec.len is not None
            and len(spec.const) != spec.len
        ):
            self.errors.add(
                ConfigError(
                    "CFG615",
                    f"constant {spec.const!r} is {len(spec.const)} characters, "
                    f"the field {spec.len}",
                    span=self.span((*path, "const")),
                    config_path=f"{where}.const",
                )
            )
        binds: tuple[ModelPath, ...] = ()
        if spec.bind is not None:
            texts = [spec.bind] if isinstance(spec.bind, str) else spec.bind
            binds = tuple(self.model_path(t, (*path, "bind"), loops) for t in texts)
            error = table_width_error(
                codec, len(texts), self.span((*path, "format")), (*path, "format")
            )
            if error is not None:
                self.errors.add(error)
        kind: FieldKind = (
            "bind"
            if spec.bind is not None
            else "value"
            if spec.value is not None
            else "const"
            if spec.const is not None
            else "fill"
        )
        name = spec.name or (binds[0][-1] if binds else f"field{path[-1]}")
        expression = self.expression(
            spec.value if spec.value is not None else spec.default,
            (*path, "value" if spec.value is not None else "default"),
        )
        if expression is not None and binds:
            self.fill_ins += [canonical_path(bind, loops) for bind in binds]
        if expression is not None and spec.deferred:
            self.deferred_reads[where] = [canonical_path(r, loops) for r in expression.reads]

        def where_to(path: ModelPath) -> dict[str, bool]:
            in_item = any(path[0] == item for item, _ in loops)
            return {"in_item": in_item, "combines": isinstance(codec, DateCodec | UtcOffsetCodec)}

        right = spec.align == "right" if spec.align else codec.numeric
        pad = spec.pad or (spec.fill or ("0" if codec.numeric else " "))
        return FieldPlan(
            name=name,
            kind=kind,
            start=start,
            width=spec.len if self.fixed else None,
            codec=codec,
            right=right,
            pad=pad,
            optional=spec.optional,
            truncate=spec.truncate,
            deferred=spec.deferred,
            written_later=spec.deferred,
            binds=binds,
            getters=tuple(getter(path) for path in binds),
            setters=tuple(setter(path, **where_to(path)) for path in binds),
            targets=tuple(target(path, **where_to(path)) for path in binds),
            expression=expression,
            const=spec.const,
            span=self.span(path),
            config_path=where,
        )

    def codec(self, spec: FieldSpec, path: DataPath) -> LeafCodec | None:
        if spec.format is None:
            return TextCodec()
        return self.leaf_codec(spec.format, path, LEAF_CODECS)


def compile_record_layout(
    document: ResolvedDocument,
    *,
    expressions: ExpressionCompiler | None = None,
    check_path: PathCheck | None = None,
) -> RecordLayoutPlan:
    """Compile a fixed-width or delimited format; all its mistakes are raised together."""
    spec = document.spec
    assert isinstance(spec, RecordFormatDocument)
    compiler = _Compiler(document, spec, expressions or ExpressionCompiler(), check_path)
    root = compiler.compile()
    compiler.errors.raise_if_any()
    root = _written_at_once(root, compiler.written_at_once())
    return RecordLayoutPlan(
        name=document.name,
        version=document.version,
        sha256=document.sha256,
        file=spec.file,
        root=root,
        total_names=tuple(compiler.total_owner),
        model_reference=spec.model,
        has_deferred=compiler.has_deferred,
    )


def _values_read(expressions: Sequence[Expression | None]) -> frozenset[str] | None:
    """The fields of ``record`` (the scope name of a record's values) ``expressions`` read."""
    names: set[str] = set()
    for expression in expressions:
        for read in expression.reads if expression is not None else ():
            if read[0] != "record":
                continue
            if len(read) < 2 or not isinstance(read[1], str):
                return None  # the whole record, or a field chosen at run time
            names.add(read[1])
    return frozenset(names)


def _overlap(one: ModelPath, other: ModelPath) -> bool:
    """Whether data at one path may be data at the other (one holds or is the other)."""
    shorter = min(len(one), len(other))
    return one[:shorter] == other[:shorter]


def _written_at_once(group: GroupPlan, at_once: frozenset[str]) -> GroupPlan:
    """``group`` with the deferred fields of ``at_once`` no longer written later."""
    if not at_once:
        return group
    items: list[RecordPlan | GroupPlan] = []
    for item in group.items:
        if isinstance(item, GroupPlan):
            items.append(_written_at_once(item, at_once))
            continue
        fields = tuple(
            replace(f, written_later=False) if f.config_path in at_once else f for f in item.fields
        )
        items.append(replace(item, fields=fields, computed=_computed(fields)))
    return replace(group, items=tuple(items))


def _computed(fields: tuple[FieldPlan, ...]) -> tuple[FieldPlan, ...]:
    return tuple(f for f in fields if f.kind == "value")


def describe_identity(record: RecordPlan) -> str:
    """How a record is recognised, for errors: ``'6' at column 1``."""
    if not record.identity:
        return "no constant fields"
    return ", ".join(f"{const!r} at column {start + 1}" for start, _, const in record.identity)


def assign_path(scope: dict[str, Any], path: ModelPath, value: Any) -> None:
    """Set a value at a scope path, creating records on the way (when the data are dicts)."""
    target: Any = scope
    for key in path[:-1]:
        child = target.get(key) if isinstance(target, dict) else None
        if child is None and isinstance(target, dict):
            child = target[key] = {}
        target = child
    if isinstance(target, dict):
        target[path[-1]] = value


def scope_value(scope: dict[str, Any], path: ModelPath) -> Any:
    """Follow a model path through the scope; ``None`` where a part is missing."""
    value: Any = scope.get(path[0])
    for key in path[1:]:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def tally(
    record: RecordPlan,
    scope: dict[str, Any],
    values: dict[str, Any] | None,
    totals: dict[str, Any],
    evaluate: Callable[[Expression], Any],
    *,
    complete: bool = True,
) -> None:
    """Add one record to the totals it feeds (the same on write and on read).

    A record with a field in error (``complete=False``) is still counted; a sum that needs the
    field in error leaves it out quietly: the error already says so, and the trailer that
    cannot be confirmed says so too.
    """
    plan = record.tally
    scope["record"] = values
    known: list[Any] = [_UNKNOWN] * len(plan.expressions)

    def value(position: int) -> Any:  # lazily: a summand is only evaluated where it counts
        if known[position] is _UNKNOWN:
            expression = plan.expressions[position]
            known[position] = evaluate(expression) if complete else _quietly(expression, scope)
        return known[position]

    for name, when, summand in plan.steps:
        if when >= 0 and not value(when):
            continue
        if summand < 0:
            totals[name] += 1
        else:
            amount = value(summand)
            if amount is not None:
                totals[name] += amount
    del scope["record"]


_UNKNOWN = object()


def _quietly(expression: Expression, scope: dict[str, Any]) -> Any:
    """For a record with a field in error: a sum that needs that field stays unconfirmed."""
    try:
        return expression.evaluate(scope)
    except ErengineError:
        return None
