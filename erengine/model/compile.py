"""Compiling a model document into a `ModelPlan`, with every mistake reported at once.

The schema (erengine/config/schema/model.py) has already checked each field on its own; this
pass checks what needs the whole document: record references, currency fields, defaults,
patterns, bounds, and record nestings that could never end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from erengine.config.schema.model import (
    BooleanField,
    CodeField,
    DateField,
    DateTimeField,
    DecimalField,
    FieldSpec,
    IntegerField,
    ListField,
    ModelDocument,
    MoneyField,
    RecordField,
    TextField,
)
from erengine.errors import ConfigError, ErrorCollector, SourceSpan
from erengine.model.charsets import ANY_TEXT, CHARSETS
from erengine.model.code_lists import CODE_LISTS, CURRENCY_EXPONENTS
from erengine.model.leaves import (
    BooleanType,
    CodeType,
    DateTimeType,
    DateType,
    DecimalType,
    IntegerType,
    LeafType,
    MoneyType,
    TextType,
    ValueProblem,
)
from erengine.model.plan import ModelPlan
from erengine.model.shapes import FieldPlan, ListOf, RecordPlan, RecordRef, Shape, record_of

ConfigPath = tuple[str | int, ...]
SpanLookup = Callable[[ConfigPath], SourceSpan | None]


def compile_model(document: ModelDocument, *, span_for: SpanLookup | None = None) -> ModelPlan:
    """Compile a checked model document; raise an ErrorGroup of ConfigErrors (CFG5xx)."""
    return _ModelCompiler(document, span_for or (lambda path: None)).compile()


class _ModelCompiler:
    def __init__(self, document: ModelDocument, span_for: SpanLookup) -> None:
        self.document = document
        self.span_for = span_for
        self.errors = ErrorCollector(limit=200)

    def error(self, code: str, message: str, path: ConfigPath, hint: str | None = None) -> None:
        self.errors.add(
            ConfigError(
                code,
                message,
                span=self.span_for(path),
                config_path=_dotted(path),
                hint=hint,
            )
        )

    def compile(self) -> ModelPlan:
        document = self.document
        if document.root not in document.records:
            self.error(
                "CFG501",
                f"root record {document.root!r} is not defined",
                ("root",),
                hint=_known(document.records),
            )
        records = {
            name: self.record(name, spec.fields, spec.description)
            for name, spec in document.records.items()
        }
        self.check_nesting_ends(records)
        self.errors.raise_if_any()
        return ModelPlan(
            name=document.name,
            version=document.version,
            root=document.root,
            records=MappingProxyType(records),
        )

    def record(self, name: str, specs: dict[str, FieldSpec], description: str | None) -> RecordPlan:
        fields = tuple(
            self.field(("records", name, "fields", field_name), field_name, spec, specs)
            for field_name, spec in specs.items()
        )
        return RecordPlan(
            name=name,
            fields=fields,
            by_name=MappingProxyType({f.name: f for f in fields}),
            description=description,
        )

    def field(
        self, path: ConfigPath, name: str, spec: FieldSpec, siblings: dict[str, FieldSpec]
    ) -> FieldPlan:
        shape = self.shape(path, spec, siblings)
        return FieldPlan(
            name=name,
            shape=shape,
            required=spec.required,
            default=self.default(path, spec, shape),
            description=spec.description,
            span=self.span_for(path),
        )

    def shape(self, path: ConfigPath, spec: FieldSpec, siblings: dict[str, FieldSpec]) -> Shape:
        if isinstance(spec, RecordField):
            return RecordRef(self.record_name(spec.of, (*path, "of")))
        if isinstance(spec, ListField):
            item: LeafType | RecordRef
            if isinstance(spec.of, str):
                item = RecordRef(self.record_name(spec.of, (*path, "of")))
            else:
                item = self.leaf((*path, "of"), spec.of, siblings)
            return ListOf(item, spec.min_items, spec.max_items)
        return self.leaf(path, spec, siblings)

    def record_name(self, name: str, path: ConfigPath) -> str:
        if name not in self.document.records:
            hint = _known(self.document.records)
            self.error("CFG502", f"record {name!r} is not defined", path, hint=hint)
        return name

    def leaf(self, path: ConfigPath, spec: FieldSpec, siblings: dict[str, FieldSpec]) -> LeafType:
        if isinstance(spec, TextField):
            return TextType(
                min_length=spec.min_length,
                max_length=spec.max_length,
                charset=CHARSETS[spec.charset] if spec.charset else ANY_TEXT,
                pattern=self.pattern(spec.pattern, (*path, "pattern")),
            )
        if isinstance(spec, MoneyField):
            self.check_currency(spec, path, siblings)
            return MoneyType(
                scale=spec.exponent,
                minimum=self.bound(spec.minimum, (*path, "minimum")),
                maximum=self.bound(spec.maximum, (*path, "maximum")),
                max_digits=spec.max_digits,
                currency=spec.currency,
                currency_field=spec.currency_field,
            )
        if isinstance(spec, DecimalField):
            return DecimalType(
                scale=spec.scale,
                minimum=self.bound(spec.minimum, (*path, "minimum")),
                maximum=self.bound(spec.maximum, (*path, "maximum")),
                max_digits=spec.max_digits,
            )
        if isinstance(spec, IntegerField):
            low, high = spec.minimum, spec.maximum
            if low is not None and high is not None and low > high:
                self.error("CFG510", "minimum is above maximum", (*path, "minimum"))
            return IntegerType(minimum=spec.minimum, maximum=spec.maximum)
        if isinstance(spec, CodeField):
            if spec.code_list is not None:
                return CodeType(CODE_LISTS[spec.code_list], list_name=spec.code_list)
            return CodeType(frozenset(spec.codes or ()))
        if isinstance(spec, DateTimeField):
            return DateTimeType(timezone=spec.timezone)
        if isinstance(spec, DateField):
            return DateType()
        assert isinstance(spec, BooleanField)
        return BooleanType()

    def pattern(self, source: str | None, path: ConfigPath) -> re.Pattern[str] | None:
        if source is None:
            return None
        try:
            return re.compile(source)
        except re.error as exc:
            self.error("CFG508", f"invalid regular expression: {exc}", path)
            return None

    def bound(self, text: str | None, path: ConfigPath) -> Decimal | None:
        if text is None:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.error("CFG509", f"{text!r} is not a decimal number", path)
            return None
        return value if value.is_finite() else None

    def check_currency(
        self, spec: MoneyField, path: ConfigPath, siblings: dict[str, FieldSpec]
    ) -> None:
        if spec.currency is not None and spec.currency not in CURRENCY_EXPONENTS:
            self.error(
                "CFG505",
                f"{spec.currency!r} is not an ISO 4217 currency with decimals",
                (*path, "currency"),
                hint="for another unit, use `exponent:` instead",
            )
        if spec.currency_field is None:
            return
        where = (*path, "currency_field")
        sibling = siblings.get(spec.currency_field)
        if sibling is None:
            self.error(
                "CFG503",
                f"currency_field {spec.currency_field!r} is not a field of this record",
                where,
                hint=_known(siblings),
            )
        elif not isinstance(sibling, CodeField | TextField):
            self.error(
                "CFG504",
                f"currency_field {spec.currency_field!r} is a {sibling.type} field; "
                "it must hold a currency code",
                where,
                hint="make it `{type: code, code_list: iso4217}`",
            )
        elif isinstance(sibling, CodeField) and sibling.codes is not None:
            unknown = sorted(set(sibling.codes) - set(CURRENCY_EXPONENTS))
            if unknown:
                self.error(
                    "CFG505",
                    f"codes of currency_field {spec.currency_field!r} are not ISO 4217 "
                    f"currencies: {', '.join(unknown)}",
                    where,
                )

    def default(self, path: ConfigPath, spec: FieldSpec, shape: Shape) -> Any:
        if spec.default is None:
            return None
        if not isinstance(shape, LeafType):
            self.error("CFG506", "only leaf fields can have a default", (*path, "default"))
            return None
        try:
            return shape.from_json(spec.default, {})
        except ValueProblem as problem:
            self.error("CFG507", f"invalid default: {problem.message}", (*path, "default"))
            return None

    def check_nesting_ends(self, records: dict[str, RecordPlan]) -> None:
        """A record that must contain itself (through required fields) could never be written."""
        for name in records:
            cycle = _forced_cycle(records, name)
            if cycle is not None and cycle[0] == min(cycle):  # report each cycle once
                self.error(
                    "CFG511",
                    "records contain each other through required fields without end: "
                    + " -> ".join((*cycle, cycle[0])),
                    ("records", name),
                    hint="make one of these fields optional, or a list with min_items 0",
                )


def _forced_children(record: RecordPlan) -> Iterator[str]:
    for field in record.fields:
        inner = record_of(field.shape)
        forced = (
            field.required
            if isinstance(field.shape, RecordRef)
            else isinstance(field.shape, ListOf) and field.shape.min_items > 0
        )
        if inner is not None and forced:
            yield inner


def _forced_cycle(records: dict[str, RecordPlan], start: str) -> tuple[str, ...] | None:
    """The cycle of forced nestings from `start` back to itself, if there is one."""
    stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
    seen: set[str] = set()
    while stack:
        name, trail = stack.pop()
        for child in _forced_children(records[name]) if name in records else ():
            if child == start:
                return trail
            if child not in seen:
                seen.add(child)
                stack.append((child, (*trail, child)))
    return None


def _dotted(path: ConfigPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _known(names: Any) -> str:
    return "defined: " + ", ".join(sorted(names))
