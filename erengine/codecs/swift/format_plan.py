"""Compiling a SWIFT MT format document into an immutable plan.

Passes: compile every tag's notation once (for reading, with the bank's tolerances, and for
writing, strict), give each part its codec and its model bindings (checked against the
model), compile expressions (computed parts, derived values, totals, checks, page joining),
and split sub-field schemes into precompiled key patterns. The plan holds no YAML: frozen
slotted dataclasses and tuples, each node with its span and config path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

from erengine.codecs.base import ModelPath, PathCheck
from erengine.codecs.compiling import table_width_error
from erengine.codecs.leaf import LeafCodec, TableCodec
from erengine.codecs.records.access import Getter, getter, setter
from erengine.codecs.records.fast import Source
from erengine.codecs.swift.charsets import ANY_PRINTABLE
from erengine.codecs.swift.notation import FieldNotation, compile_notation
from erengine.codecs.swift.plan import PartMatcher
from erengine.codecs.swift.subfields import (
    LeadingText,
    ScopeSetter,
    SubfieldScheme,
    SubfieldTarget,
    compile_key_pattern,
)
from erengine.codecs.swift.values import month_day_near, swift_leaf
from erengine.config.catalog import ResolvedDocument
from erengine.config.schema.swift import (
    SubfieldSchemeSpec,
    SwiftFileSpec,
    SwiftFormatDocument,
    SwiftGroupSpec,
    SwiftPartSpec,
    SwiftTagSpec,
)
from erengine.config.yaml_spans import DataPath, format_path
from erengine.errors import ConfigError, ErrorCollector, SourceSpan
from erengine.expr import Expression, ExpressionCompiler

PartKind = Literal["bind", "value", "const", "ignore"]

# ``quick(scope, value)``: the value matched, its parts decoded and stored; the captures, or
# None when the value does not match the notation.
QuickReader = Callable[[dict[str, Any], str], tuple[str | None, ...] | None]

BAD_CODEC = "CFG660"
BAD_SCOPE = "CFG661"
BAD_SUBFIELDS = "CFG662"
BAD_PART = "CFG663"


class PrefixPart(NamedTuple):
    """The part whose text stands in front of another's (the sign of a UTC offset)."""

    name: str
    group: int
    width: int


@dataclass(frozen=True, slots=True)
class PartPlan:
    name: str
    group: int  # index of the part's capture in the notation's expression
    kind: PartKind
    codec: LeafCodec
    getters: tuple[Getter, ...]  # one per bound path
    expression: Expression | None
    const: str | None
    near: str | None  # the part giving the year of a month-day date
    default: str | None  # written when the part has no value
    store: ScopeSetter | None  # sets the decoded value (all bound paths at once)
    # Each bound path, for the quick path: ``(scope name, keys)`` under an item in scope
    # (set there without a call), else its setter (a date and a time combined)
    targets: tuple[tuple[str, tuple[str, ...]] | ScopeSetter, ...]
    decode: Callable[[str], Any]  # the codec's decode, remembered for short parts
    span: SourceSpan | None
    prefix: PrefixPart | None = None
    multi_line: bool = False  # several lines (``6*65x``), joined by ``decode``

    def text_in(self, groups: Sequence[str | None]) -> str | None:
        """The part's text among a field's captures, with its prefix's in front."""
        text = groups[self.group]
        if self.prefix is None or text is None:
            return text
        return (groups[self.prefix.group] or "") + text

    def text_source(self) -> str:
        """``text_in`` as an expression of generated source over ``groups``."""
        if self.prefix is None:
            return f"groups[{self.group}]"
        return (
            f"(None if groups[{self.group}] is None "
            f"else (groups[{self.prefix.group}] or '') + groups[{self.group}])"
        )


@dataclass(frozen=True, slots=True)
class ListTarget:
    """A model list inside a scope item: ``statement.balances`` is (``statement``, keys)."""

    scope: str
    keys: tuple[str, ...]

    def items(self, scope: Mapping[str, Any]) -> Iterable[Any]:
        """The list's items: a list, or any iterable (a generator when writing streams)."""
        value: Any = scope.get(self.scope)
        for key in self.keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None or isinstance(value, (str, bytes, dict)):
            return ()
        return value  # type: ignore[no-any-return]

    def append(self, scope: dict[str, Any], item: dict[str, Any]) -> int:
        target: dict[str, Any] = scope[self.scope]
        for key in self.keys[:-1]:
            target = target.setdefault(key, {})
        items: list[Any] = target.setdefault(self.keys[-1], [])
        items.append(item)
        return len(items) - 1


@dataclass(frozen=True, slots=True)
class TagPlan:
    tag: str
    reading: FieldNotation  # with the format's tolerances
    writing: FieldNotation  # strict SWIFT
    parts: tuple[PartPlan, ...]
    read_parts: tuple[PartPlan, ...]  # the parts reading sets or checks (not the ignored)
    # The quick path of reading, for tags whose parts are all bound and that make no list
    # item: ``quick(scope, value)`` matches the value and decodes and stores every part. A
    # value that does not match gives None, one that does not decode raises ``LeafError`` or
    # ``ArithmeticError``; either sends the tag down the careful path, which reports it.
    quick: QuickReader | None
    optional: bool
    when: Expression | None  # written only when this holds
    repeat: bool
    one_of: str | None
    items: ListTarget | None  # each occurrence is an item of this list
    item_name: str | None
    implies: tuple[tuple[str, Any], ...]
    subfields: SubfieldScheme | None
    subfield_part: int | None  # capture index of the text part the scheme splits
    span: SourceSpan | None
    config_path: str
    # Bank tolerances, tried only when ``reading`` refuses the field (each one is reported).
    tolerant: FieldNotation | None = None  # a wider notation with the same parts
    rejoin_lines: bool = False  # the first line break removed: a line wrapped mid-value
    missing_warning: bool = False  # a mandatory tag absent is a warning


@dataclass(frozen=True, slots=True)
class DerivedPlan:
    getter: Getter
    setter: ScopeSetter
    expression: Expression
    path: str
    # False when the expression reads nothing of the item (an entry's currency from the
    # opening balance): then it is evaluated once per message, not once per entry.
    per_item: bool


@dataclass(frozen=True, slots=True)
class GroupPlan:
    name: str
    items: ListTarget
    item_name: str
    first_items: tuple[tuple[str, ListTarget], ...]
    derived: tuple[DerivedPlan, ...]
    tags: tuple[TagPlan, ...]


Slot = TagPlan | GroupPlan


@dataclass(frozen=True, slots=True)
class TotalPlan:
    name: str
    group: str
    summand: Expression


@dataclass(frozen=True, slots=True)
class CheckPlan:
    name: str
    expected: Expression
    found: Expression
    when: Expression | None
    warning: bool
    span: SourceSpan | None


@dataclass(frozen=True, slots=True)
class PagesPlan:
    continued: Expression
    continues: Expression
    same: Expression


@dataclass(frozen=True, slots=True)
class SwiftPlan:
    name: str
    version: str
    file: SwiftFileSpec
    list_key: str  # the root list of message items, e.g. "statements"
    item_name: str
    implies: tuple[tuple[str, Any], ...]  # item values every message stands for
    slots: tuple[Slot, ...]
    totals: tuple[TotalPlan, ...]
    checks: tuple[CheckPlan, ...]
    pages: PagesPlan | None
    known_tags: frozenset[str]
    skip_tags: frozenset[str]
    # The lists of the message item that tags (not groups) take their items from.
    tag_lists: tuple[ListTarget, ...]
    # Slots of which a message must hold one to make an item (``skip_unless_any``); empty: any.
    item_slots: frozenset[int] = frozenset()
    envelope: tuple[TagPlan, ...] = ()  # blocks 1, 2, 3 and 5, in order


def compile_swift_format(
    document: ResolvedDocument,
    *,
    expressions: ExpressionCompiler,
    check_path: PathCheck | None,
) -> SwiftPlan:
    """Compile a SWIFT format; all its mistakes are raised together."""
    spec = document.spec
    assert isinstance(spec, SwiftFormatDocument)
    compiler = _Compiler(document, spec, expressions, check_path)
    plan = compiler.compile()
    compiler.errors.raise_if_any()
    return plan


@dataclass
class _Compiler:
    document: ResolvedDocument
    spec: SwiftFormatDocument
    expressions: ExpressionCompiler
    check_path: PathCheck | None
    errors: ErrorCollector = field(default_factory=ErrorCollector)
    # Scope name -> model path of the list its item belongs to.
    scopes: dict[str, ModelPath] = field(default_factory=dict)
    schemes: dict[str, SubfieldScheme] = field(default_factory=dict)
    # The scope names some binding writes into, and those some expression reads.
    bound_names: set[str] = field(default_factory=set)
    read_names: set[str] = field(default_factory=set)

    def span(self, path: DataPath) -> SourceSpan | None:
        return self.document.span(path)

    def compile(self) -> SwiftPlan:
        message = self.spec.message
        list_key = message.for_each
        self.scopes[message.as_] = (list_key,)
        for key in message.implies:
            self.check_model_path((message.as_, *key.split(".")), ("message", "implies", key))
        slots: list[Slot] = []
        for index, item in enumerate(message.tags):
            where: DataPath = ("message", "tags", index)
            if isinstance(item, SwiftGroupSpec):
                slots.append(self.group(item, where))
            else:
                slots.append(self.tag(item, where))
        totals = tuple(
            TotalPlan(name, total.group, self.expression(total.sum, ("message", "totals", name)))
            for name, total in message.totals.items()
        )
        checks = tuple(
            CheckPlan(
                check.name,
                self.expression(check.expected, ("message", "checks", index, "expected")),
                self.expression(check.found, ("message", "checks", index, "found")),
                self.expression(check.when, ("message", "checks", index, "when"))
                if check.when
                else None,
                check.severity == "warning",
                self.span(("message", "checks", index)),
            )
            for index, check in enumerate(message.checks)
        )
        pages = None
        if message.pages is not None:
            pages = PagesPlan(
                self.expression(message.pages.continued, ("message", "pages", "continued")),
                self.expression(message.pages.continues, ("message", "pages", "continues")),
                self.expression(message.pages.same, ("message", "pages", "same")),
            )
        known = {tag.tag for tag in _all_tags(slots)} | set(self.spec.file.skip_tags)
        envelope = tuple(
            self.tag(block, ("message", "envelope", index))
            for index, block in enumerate(sorted(message.envelope, key=lambda block: block.tag))
        )
        item_slots = self.item_slots(slots, message.skip_unless_any)
        used = self.bound_names | self.read_names
        slots = [_without_unused_first_items(slot, used) for slot in slots]
        return SwiftPlan(
            name=self.document.name,
            version=self.document.version,
            file=self.spec.file,
            list_key=list_key,
            item_name=message.as_,
            implies=tuple(message.implies.items()),
            slots=tuple(slots),
            totals=totals,
            checks=checks,
            pages=pages,
            known_tags=frozenset(known),
            tag_lists=tuple(
                dict.fromkeys(
                    slot.items
                    for slot in slots
                    if isinstance(slot, TagPlan)
                    and slot.items is not None
                    and slot.items.scope == message.as_
                    and len(slot.items.keys) == 1
                )
            ),
            skip_tags=frozenset(self.spec.file.skip_tags),
            item_slots=item_slots,
            envelope=envelope,
        )

    def item_slots(self, slots: Sequence[Slot], tags: Sequence[str]) -> frozenset[int]:
        """The slots standing for ``skip_unless_any``; each group's first tag must be listed,
        since a group's items are yielded before the message ends."""
        where: DataPath = ("message", "skip_unless_any")
        if not tags:
            return frozenset()
        found: set[int] = set()
        for index, slot in enumerate(slots):
            first = slot.tags[0].tag if isinstance(slot, GroupPlan) else slot.tag
            if first in tags:
                found.add(index)
            elif isinstance(slot, GroupPlan):
                self.mistake(
                    f"`skip_unless_any` must list :{first}:, the first tag of group "
                    f"`{slot.name}`: its items are read before the message ends",
                    where,
                )
        unknown = sorted(set(tags) - {tag.tag for tag in _all_tags(slots)})
        if unknown:
            self.mistake(
                f"`skip_unless_any` names tags the message does not have: {', '.join(unknown)}",
                where,
            )
        return frozenset(found)

    # -- scopes and paths --------------------------------------------------------------

    def list_target(self, dotted: str, where: DataPath) -> ListTarget | None:
        path = tuple(dotted.split("."))
        if len(path) < 2 or not self.check_model_path(path, where):
            return None
        return ListTarget(path[0], path[1:])

    def mistake(self, text: str, where: DataPath, code: str = BAD_SCOPE) -> None:
        self.errors.add(
            ConfigError(code, text, span=self.span(where), config_path=format_path(where))
        )

    def model_path(self, path: ModelPath) -> ModelPath:
        return self.scopes[path[0]] + path[1:]

    def check_model_path(self, path: ModelPath, where: DataPath) -> bool:
        """Whether ``path`` starts with a name in scope and is in the model (else reported)."""
        if len(path) < 2 or path[0] not in self.scopes:
            self.mistake(
                f"`{'.'.join(path)}` must start with an item name in scope "
                f"({', '.join(sorted(self.scopes))}) and name a field of it",
                where,
            )
            return False
        if self.check_path is not None:
            problem = self.check_path(self.model_path(path), self.span(where), format_path(where))
            if problem is not None:
                self.errors.add(problem)
                return False
        return True

    def binding(
        self, dotted: str, where: DataPath, *, combines: bool = False
    ) -> tuple[Getter, ScopeSetter] | None:
        path = tuple(dotted.split("."))
        if not self.check_model_path(path, where):
            return None
        self.bound_names.add(path[0])
        return getter(path), _scope_setter(path, combines=combines)

    def expression(self, source: str, where: DataPath) -> Expression:
        try:
            compiled = self.expressions.compile(
                source, span=self.span(where), config_path=format_path(where)
            )
            self.read_names |= compiled.names
            return compiled
        except ConfigError as error:
            self.errors.add(error)
            return self.expressions.compile("{{ none }}")

    def codec(self, spec: str | None, decimal: bool, where: DataPath) -> LeafCodec:
        try:
            return swift_leaf(spec, decimal=decimal)
        except ValueError as error:
            self.errors.add(
                ConfigError(
                    BAD_CODEC, str(error), span=self.span(where), config_path=format_path(where)
                )
            )
            return swift_leaf(None, decimal=False)

    def implied(
        self, implies: Mapping[str, str | int | bool], prefix: str | None, where: DataPath
    ) -> tuple[ScopeSetter, ...]:
        setters: list[ScopeSetter] = []
        for dotted, value in implies.items():
            full = f"{prefix}.{dotted}" if prefix else dotted
            bound = self.binding(full, (*where, dotted))
            if bound is not None:
                setters.append(_constant_setter(bound[1], value))
        return tuple(setters)

    # -- tags and groups -----------------------------------------------------------------

    def group(self, spec: SwiftGroupSpec, where: DataPath) -> GroupPlan:
        item_name = spec.as_ or spec.group
        items = self.list_target(spec.for_each, (*where, "for_each"))
        if items is not None:
            self.scopes[item_name] = self.scopes[items.scope] + items.keys
        first_items: list[tuple[str, ListTarget]] = []
        for name, dotted in spec.first_item.items():
            target = self.list_target(dotted, (*where, "first_item", name))
            if target is not None:
                self.scopes[name] = self.scopes[target.scope] + target.keys
                first_items.append((name, target))
        tags = tuple(self.tag(tag, (*where, "tags", index)) for index, tag in enumerate(spec.tags))
        derived: list[DerivedPlan] = []
        for index, item in enumerate(spec.derived):
            bound = self.binding(item.bind, (*where, "derived", index, "bind"))
            expression = self.expression(item.value, (*where, "derived", index, "value"))
            if bound is not None:
                item_names = {item_name, "totals", *spec.first_item}
                per_item = bool(expression.names & item_names)
                derived.append(DerivedPlan(bound[0], bound[1], expression, item.bind, per_item))
        return GroupPlan(
            spec.group,
            items or ListTarget(item_name, ("?",)),
            item_name,
            tuple(first_items),
            tuple(derived),
            tags,
        )

    def tag(self, spec: SwiftTagSpec, where: DataPath) -> TagPlan:
        items = None
        if spec.for_each is not None and spec.as_ is not None:
            items = self.list_target(spec.for_each, (*where, "for_each"))
            if items is not None:
                self.scopes[spec.as_] = self.scopes[items.scope] + items.keys
        names = [part.name for part in spec.parts]
        choices = dict(spec.choices)
        span = self.span((*where, "notation"))
        file = self.spec.file
        reading_notation = functools.partial(
            compile_notation,
            parts=names,
            choices=choices,
            charsets={"x": ANY_PRINTABLE, "y": ANY_PRINTABLE, "z": ANY_PRINTABLE}
            if spec.any_characters
            else None,
            lenient_decimals=file.lenient_decimals,
        )
        try:
            writing = compile_notation(spec.notation, parts=names, span=span, choices=choices)
            reading = reading_notation(spec.notation, span=span)
        except ConfigError as error:
            self.errors.add(error)
            writing = reading = compile_notation("65x", parts=["text"])
            names = ["text"]
        tolerant = None
        if spec.tolerant_notation is not None:
            try:
                # The same part names give the same captures, so parts read from either.
                tolerant = reading_notation(
                    spec.tolerant_notation, span=self.span((*where, "tolerant_notation"))
                )
            except ConfigError as error:
                self.errors.add(error)
        decimal_parts = {
            name for name, part in writing.by_name.items() if getattr(part, "is_decimal", False)
        }
        multi_line_parts = {
            name for name, part in writing.by_name.items() if getattr(part, "max_lines", 1) > 1
        }
        bound_paths = [
            path
            for part in spec.parts
            for path in ([part.bind] if isinstance(part.bind, str) else part.bind or [])
        ]
        shared_paths = {path for path in bound_paths if bound_paths.count(path) > 1}
        parts = tuple(
            self.part(
                part,
                names.index(part.name),
                decimal=part.name in decimal_parts,
                multi_line=part.name in multi_line_parts,
                shared_paths=shared_paths,
                prefix=self.prefix(spec, index, writing, (*where, "parts", index, "prefix")),
                where=(*where, "parts", index),
            )
            for index, part in enumerate(spec.parts)
            if part.name in names
        )
        subfields, subfield_part = None, None
        if spec.subfields is not None:
            subfields = self.scheme(spec.subfields, (*where, "subfields"))
            # The free text is the last part (`6*65x` of :86:).
            subfield_part = len(names) - 1
        read_parts = tuple(part for part in parts if part.kind != "ignore")
        # A tag whose each occurrence makes a list item (a balance) is read carefully: a few
        # a message, and its item is made only once its value fits.
        quick = None
        if items is None:
            quick = _quick_path(reading, read_parts, joins=spec.repeat, where=format_path(where))
        implies = tuple(spec.implies.items())
        if items is not None and spec.as_ is not None:
            for dotted in spec.implies:
                self.check_model_path((spec.as_, *dotted.split(".")), (*where, "implies", dotted))
        return TagPlan(
            tag=spec.tag,
            reading=reading,
            writing=writing,
            parts=parts,
            read_parts=read_parts,
            quick=quick,
            optional=spec.optional,
            when=self.expression(spec.when, (*where, "when")) if spec.when else None,
            repeat=spec.repeat,
            one_of=spec.one_of,
            items=items,
            item_name=spec.as_,
            implies=implies,
            subfields=subfields,
            subfield_part=subfield_part,
            span=self.span(where),
            config_path=format_path(where),
            tolerant=tolerant,
            rejoin_lines=spec.rejoin_lines,
            missing_warning=spec.missing == "warning",
        )

    def prefix(
        self, spec: SwiftTagSpec, index: int, notation: FieldNotation, where: DataPath
    ) -> PrefixPart | None:
        """The prefix of part ``index``: the part just before, fixed-length, with no value."""
        name = spec.parts[index].prefix
        if name is None:
            return None
        before = spec.parts[index - 1] if index > 0 else None
        matcher = notation.by_name.get(name)
        if (
            before is None
            or before.name != name
            or any(value is not None for value in (before.bind, before.value, before.const))
            or not isinstance(matcher, PartMatcher)
            or matcher.min_length != matcher.max_length
            or matcher.max_lines != 1
        ):
            self.errors.add(
                ConfigError(
                    BAD_PART,
                    f"part `{spec.parts[index].name}` of :{spec.tag}: cannot have `{name}` as "
                    "its prefix",
                    span=self.span(where),
                    config_path=format_path(where),
                    hint="a prefix is the part just before, of a fixed length (like 1!x), with "
                    "only a name (no bind, value or const)",
                )
            )
            return None
        return PrefixPart(name, notation.parts.index(name), matcher.max_length)

    def part(
        self,
        spec: SwiftPartSpec,
        group: int,
        *,
        decimal: bool,
        multi_line: bool,
        shared_paths: set[str],
        prefix: PrefixPart | None,
        where: DataPath,
    ) -> PartPlan:
        codec = self.codec(spec.format, decimal, (*where, "format"))
        getters: list[Getter] = []
        setters: list[ScopeSetter] = []
        targets: list[tuple[str, tuple[str, ...]] | ScopeSetter] = []
        kind: PartKind = "ignore"
        expression = None
        if spec.bind is not None:
            kind = "bind"
            paths = [spec.bind] if isinstance(spec.bind, str) else spec.bind
            error = table_width_error(
                codec, len(paths), self.span((*where, "format")), (*where, "format")
            )
            if error is not None:
                self.errors.add(error)
            for index, dotted in enumerate(paths):
                at = (*where, "bind") if isinstance(spec.bind, str) else (*where, "bind", index)
                combines = dotted in shared_paths
                bound = self.binding(dotted, at, combines=combines)
                if bound is not None:
                    getters.append(bound[0])
                    setters.append(bound[1])
                    head, *keys = dotted.split(".")
                    targets.append(bound[1] if combines else (head, tuple(keys)))
        elif spec.value is not None:
            kind = "value"
            expression = self.expression(spec.value, (*where, "value"))
        elif spec.const is not None:
            kind = "const"
        return PartPlan(
            spec.name,
            group,
            kind,
            codec,
            tuple(getters),
            expression,
            spec.const,
            spec.near,
            spec.default,
            _store(tuple(setters)) if kind == "bind" else None,
            tuple(targets),
            _remembered(codec, multi_line=multi_line, decimal=decimal),
            self.span(where),
            prefix,
            multi_line,
        )

    # -- sub-field schemes ----------------------------------------------------------------

    def scheme(self, name: str, where: DataPath) -> SubfieldScheme | None:
        cached = self.schemes.get(name)
        if cached is not None:
            return cached
        spec = self.spec.subfields.get(name)
        if spec is None:
            self.errors.add(
                ConfigError(
                    BAD_SUBFIELDS,
                    f"no sub-field scheme `{name}`",
                    span=self.span(where),
                    config_path=format_path(where),
                    hint="declare it under `subfields`"
                    + (
                        f"; there are {', '.join(sorted(self.spec.subfields))}"
                        if self.spec.subfields
                        else ""
                    ),
                )
            )
            return None
        scheme = self.compile_scheme(name, spec, ("subfields", name))
        self.schemes[name] = scheme
        return scheme

    def compile_scheme(
        self, name: str, spec: SubfieldSchemeSpec, where: DataPath
    ) -> SubfieldScheme:
        keys = tuple(spec.keys)
        keyed_paths = {
            path
            for item in spec.fields
            for path in ([item.bind] if isinstance(item.bind, str) else item.bind or [])
        }
        leading = None
        if spec.leading is not None:
            bound = self.binding(spec.leading.bind, (*where, "leading", "bind"))
            if bound is not None:
                leading = LeadingText(
                    spec.leading.length,
                    spec.leading.digits_only,
                    swift_leaf(None, decimal=False),
                    bound[1],
                    self.implied(spec.leading.implies, None, (*where, "leading", "implies")),
                    None if spec.leading.bind in keyed_paths else bound[0],
                )
        targets: list[SubfieldTarget] = []
        for index, item in enumerate(spec.fields):
            at = (*where, "fields", index)
            unknown = sorted(set(item.keys) - set(keys))
            if unknown:
                self.errors.add(
                    ConfigError(
                        BAD_SUBFIELDS,
                        f"keys {', '.join(unknown)} are not among the scheme's keys",
                        span=self.span((*at, "keys")),
                        config_path=format_path((*at, "keys")),
                    )
                )
            setters: list[ScopeSetter] = []
            getters: list[Getter] = []
            nested = None
            if item.bind is not None:
                paths = [item.bind] if isinstance(item.bind, str) else item.bind
                for dotted in paths:
                    bound = self.binding(dotted, (*at, "bind"))
                    if bound is not None:
                        getters.append(bound[0])
                        setters.append(bound[1])
            elif item.subfields is not None:
                if item.subfields == name:
                    self.errors.add(
                        ConfigError(
                            BAD_SUBFIELDS,
                            f"scheme `{name}` cannot split its own sub-fields",
                            span=self.span((*at, "subfields")),
                            config_path=format_path((*at, "subfields")),
                        )
                    )
                else:
                    nested = self.scheme(item.subfields, (*at, "subfields"))
            targets.append(
                SubfieldTarget(
                    tuple(item.keys),
                    item.join,
                    self.codec(item.format, False, (*at, "format")),
                    _store(tuple(setters)) if setters else None,
                    nested,
                    self.implied(item.implies, None, (*at, "implies")),
                    item.max_length,
                    f"{name} {'/'.join(item.keys)}",
                    tuple(getters),
                )
            )
        return SubfieldScheme(
            name,
            compile_key_pattern(spec.prefix, spec.suffix, keys),
            spec.unwrap,
            leading,
            tuple(targets),
            spec.prefix,
            spec.suffix,
            spec.key_length,
        )


def _without_unused_first_items(slot: Slot, used: set[str]) -> Slot:
    """A group without the first items nothing binds or reads (``detail`` of a format that
    splits no ``:86:``): each would be an empty record made and dropped for every item."""
    if not isinstance(slot, GroupPlan):
        return slot
    kept = tuple((name, target) for name, target in slot.first_items if name in used)
    return slot if kept == slot.first_items else replace(slot, first_items=kept)


def _all_tags(slots: Sequence[Slot]) -> list[TagPlan]:
    tags: list[TagPlan] = []
    for slot in slots:
        tags.extend(slot.tags if isinstance(slot, GroupPlan) else [slot])
    return tags


def _scope_setter(path: ModelPath, *, combines: bool) -> ScopeSetter:
    """``(scope, value)`` setting ``path`` (scope name first); ``combines`` when a date part
    and a time part of one tag make one datetime (MT942 :13D:)."""
    if len(path) == 2 and not combines:
        # Most parts bind a field of an item in scope: one dict store, nothing else.
        head, key = path

        def set_field(scope: dict[str, Any], value: Any) -> None:
            scope[head][key] = value

        return set_field
    set_in_item = setter(path, in_item=True, combines=combines)

    def set_value(scope: dict[str, Any], value: Any) -> None:
        set_in_item(scope, scope, value)

    return set_value


def _quick_path(
    notation: FieldNotation, parts: tuple[PartPlan, ...], *, joins: bool, where: str
) -> QuickReader | None:
    """The quick path's function, generated from the parts, or None when a part is computed,
    constant or joined.

    A tag is read once per entry, a million times in a large file; a loop over
    ``(capture, decode, store)`` steps cost more than the decoding. The generated source
    matches the value against the reading notation (None when it does not match), then
    decodes and stores each part in turn, month-day parts last, and gives the captures; the
    first value that does not decode raises, and the tag goes down the careful path, which
    reports it.
    Configuration values reach it through ``N``, each taken once into a local of the
    function that makes the reader (``c0``, ``c1`` ...); each scope item it stores into is
    looked up once per call; a text part (``decodes_as_is``) is stored without a call.
    """
    if joins or any(part.store is None for part in parts):
        return None
    by_name = {part.name: part for part in parts}
    if any(part.near is not None and part.near not in by_name for part in parts):
        return None
    source = Source("")
    prelude: list[str] = []
    items: dict[str, str] = {}  # scope name -> the local holding its item

    def const(value: Any) -> str:
        reference = source.const(value)  # N[i]
        name = f"c{reference[2:-1]}"
        prelude.append(f"{name} = {reference}")
        return name

    def item(scope_name: str) -> str:
        if scope_name not in items:
            items[scope_name] = f"item{len(items)}"
        return items[scope_name]

    def decoded(part: PartPlan, text: str) -> str:
        if part.codec.decodes_as_is:
            return f"{text}.replace('\\n', '')" if part.multi_line else text
        return f"{const(part.decode)}({text})"

    # A part outside any optional group always has a capture when the value matches; one a
    # month-day part takes its year from is decoded into a local ``d<capture>`` once.
    always = {
        part.name
        for part in parts
        if part.prefix is None
        and any(
            isinstance(element, PartMatcher) and element.name == part.name
            for element in notation.elements
        )
    }
    anchors = {part.near for part in parts if part.near is not None} & always

    def rows(part: PartPlan) -> bool:
        return isinstance(part.codec, TableCodec) and len(part.targets) > 1

    body: list[str] = []
    for part in sorted(parts, key=lambda part: part.near is not None):
        if part.near is not None:
            anchor = by_name[part.near]
            if anchor.name in anchors:
                value = f"near(text, d{anchor.group})"
                body += [f"text = {part.text_source()}", "if text is not None:"]
            else:
                value = f"near(text, {decoded(anchor, 'anchor')})"
                body += [
                    f"text, anchor = {part.text_source()}, {anchor.text_source()}",
                    "if text is not None and anchor is not None:",
                ]
        elif part.name in anchors:
            body.append(f"d{part.group} = {decoded(part, part.text_source())}")
            body += _store_source(part.targets, f"d{part.group}", const, item, one_each=rows(part))
            continue
        elif part.name in always:
            value = decoded(part, part.text_source())
            body += _store_source(part.targets, value, const, item, one_each=rows(part))
            continue
        else:
            value = decoded(part, "text")
            body += [f"text = {part.text_source()}", "if text is not None:"]
        stores = _store_source(part.targets, value, const, item, one_each=rows(part))
        body += ["    " + line for line in stores]
    match = [
        f"found = {const(notation.pattern.fullmatch)}(value)",
        "if found is None:",
        "    return None",
        "groups = found.groups()",
    ]
    lookups = [f"{local} = scope[{const(name)}]" for name, local in items.items()]
    source.add(prelude)
    source.add(["def read(scope, value):"])
    source.add([*match, *lookups, *body, "return groups"], "        ")
    source.add(["return read"])
    make: Callable[[], QuickReader] = source.build(f"quick reader of {where}", near=_near)
    return make()


def _store_source(
    targets: tuple[tuple[str, tuple[str, ...]] | ScopeSetter, ...],
    value: str,
    const: Callable[[Any], str],
    item: Callable[[str], str],
    *,
    one_each: bool = False,
) -> list[str]:
    """Source storing ``value`` at each target, as ``_store`` does: one path takes the value,
    several take one each from a tuple (a value that is not a tuple goes to all), absent ones
    left out. ``one_each``: the value is always a tuple of one value per target (a lookup
    table's row, its width checked when the format compiled). ``item`` names the local
    holding a scope item; records on the way are made as ``records.access.setter`` makes
    them."""

    def store(target: tuple[str, tuple[str, ...]] | ScopeSetter, value: str) -> list[str]:
        if not isinstance(target, tuple):
            return [f"{const(target)}(scope, {value})"]
        head, keys = target
        if len(keys) == 1:
            return [f"{item(head)}[{const(keys[0])}] = {value}"]
        lines = [f"record = {item(head)}"]
        for key in keys[:-1]:
            lines += [
                f"child = record.get({const(key)})",
                "if not isinstance(child, dict):",
                f"    child = record[{const(key)}] = {{}}",
                "record = child",
            ]
        return [*lines, f"record[{const(keys[-1])}] = {value}"]

    if len(targets) == 1:
        return store(targets[0], value)
    if one_each:
        lines = [f"many = {value}"]
        checks = [f"if many[{index}] is not None:" for index in range(len(targets))]
    else:
        lines = [
            f"value = {value}",
            f"many = value if isinstance(value, tuple) else (value,) * {len(targets)}",
        ]
        checks = [
            f"if len(many) > {index} and many[{index}] is not None:"
            for index in range(len(targets))
        ]
    for check, (index, target) in zip(checks, enumerate(targets), strict=True):
        lines.append(check)
        lines += ["    " + line for line in store(target, f"many[{index}]")]
    return lines


# An entry date's year comes from its value date; both repeat on every line of a statement.
_near = functools.lru_cache(maxsize=1024)(month_day_near)


def _remembered(codec: LeafCodec, *, multi_line: bool, decimal: bool) -> Callable[[str], Any]:
    """``codec.decode``. Several lines (``6*65x``) are joined first: banks wrap text where a
    line is full, so the model holds one text (the writer wraps it again). Short parts are
    remembered, since statements repeat the same dates, marks and currencies on every line
    and every decoded value is immutable; free text is not kept, so memory stays bounded.
    Amounts (``15d``) are not: they seldom repeat, and a miss of the cache costs more than
    the decoding (measured: 0.6 against 0.26 µs an amount)."""
    if multi_line:
        return lambda text: codec.decode(text.replace("\n", ""))
    if decimal:
        return codec.decode
    return functools.lru_cache(maxsize=1024)(codec.decode)


def _store(setters: tuple[ScopeSetter, ...]) -> ScopeSetter:
    """One callable for a part's paths: several take one value each from a tuple
    (``table(...)`` of the :61: mark gives side and reversal), absent ones left out."""
    if len(setters) == 1:
        return setters[0]

    def store_each(scope: dict[str, Any], values: Any) -> None:
        many = values if isinstance(values, tuple) else (values,) * len(setters)
        for set_value, value in zip(setters, many, strict=False):
            if value is not None:
                set_value(scope, value)

    return store_each


def _constant_setter(set_value: ScopeSetter, value: Any) -> ScopeSetter:
    def set_constant(scope: dict[str, Any], _: Any) -> None:
        set_value(scope, value)

    return set_constant
