"""Compiling an XML format document into an immutable element plan.

Passes, as for records: parse each element's leaf codec, bind model paths (checked against the
model), compile expressions once, assign totals to the elements that feed them, and index
children by qualified tag for the reader. Every mistake is collected and raised once. The plan
holds no YAML: slotted frozen dataclasses and tuples, each node with its span and config path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from erengine.codecs.base import ModelPath, PathCheck
from erengine.codecs.compiling import FormatCompiler, Loops, TotalPlan, canonical_path
from erengine.codecs.leaf import LeafCodec
from erengine.codecs.records.access import Getter, Setter, getter, setter
from erengine.codecs.records.plan import TallyPlan
from erengine.codecs.xml.leaves import XML_LEAF_CODECS, XmlTextCodec
from erengine.config.catalog import ResolvedDocument
from erengine.config.schema.records import TotalSpec
from erengine.config.schema.xml import (
    AttributeSpec,
    ElementSpec,
    XmlFileSpec,
    XmlFormatDocument,
)
from erengine.config.yaml_spans import DataPath, format_path
from erengine.errors import ConfigError, SourceSpan
from erengine.expr import Expression, ExpressionCompiler

LeafKind = Literal["bind", "value", "const"]
ElementKind = Literal["bind", "value", "const", "container"]


@dataclass(frozen=True, slots=True)
class LeafPlan:
    """What a bound, computed or constant element's text or an attribute holds."""

    kind: LeafKind
    codec: LeafCodec
    bind: ModelPath | None
    get: Getter | None
    set: Setter | None
    expression: Expression | None  # `value`, or the `default` of a bound leaf
    const: str | None
    absent: str | None  # the text that stands for no value
    piece_limit: int | None  # a repeatable leaf: its text is written in pieces this long


@dataclass(frozen=True, slots=True)
class AttributePlan:
    name: str
    leaf: LeafPlan
    optional: bool
    span: SourceSpan | None
    config_path: str


@dataclass(frozen=True, slots=True)
class ElementPlan:
    name: str  # for errors and totals
    local: str  # local name, e.g. NbOfTxs
    tag: str  # qualified: {namespace}local
    kind: ElementKind
    leaf: LeafPlan | None  # None for containers
    attributes: tuple[AttributePlan, ...]
    children: tuple[ElementPlan, ...]
    child_index: Mapping[str, int]  # qualified tag -> position in `children`
    for_each: ModelPath | None  # scope name first
    item_name: str
    list_path: ModelPath | None  # of the for_each list, from the model root
    key: Getter | None  # identifies each item in messages; unique on write
    when: Expression | None
    optional: bool
    choice: bool
    min: int
    mismatch_warns: bool  # a computed value read that does not match is a warning
    repeatable: bool  # occurs several times without `for_each` (leaf texts joined)
    join: str
    implies: tuple[tuple[ModelPath, object, Getter, Setter], ...]  # set on read, checked on write
    own_totals: tuple[str, ...]  # reset at each repetition (or once, for the document)
    feeds: TallyPlan  # totals this element adds to when it is written or read
    feeds_totals: bool  # this element or a descendant feeds a total
    data: tuple[Getter, ...]  # bound descendants: an optional container with none is left out
    span: SourceSpan | None
    config_path: str

    @property
    def optional_on_read(self) -> bool:
        return self.optional or self.when is not None or self.for_each is not None


@dataclass(frozen=True, slots=True)
class XmlFormatPlan:
    """The compiled format: the document element and its tree."""

    name: str
    version: str
    sha256: str
    file: XmlFileSpec
    root: ElementPlan  # the document element (a container)
    namespaces: tuple[str | None, ...]  # accepted on read; the first is written
    total_names: tuple[str, ...]
    model_reference: str


def qualify(namespace: str | None, local: str) -> str:
    return f"{{{namespace}}}{local}" if namespace else local


class _Compiler(FormatCompiler):
    def __init__(
        self,
        document: ResolvedDocument,
        spec: XmlFormatDocument,
        expressions: ExpressionCompiler,
        check_path: PathCheck | None,
    ) -> None:
        super().__init__(document, expressions, check_path)
        self.spec = spec
        self.namespace = spec.file.namespace

    def compile(self) -> ElementPlan:
        visible = self.totals(self.spec.totals, ("totals",), "the document")
        root = ElementSpec(element=self.spec.file.root, structure=list(self.spec.structure))
        return self.element(root, (), visible, own=visible, loops=())

    def codec(self, spec: str | None, path: DataPath) -> LeafCodec | None:
        if spec is None:
            return XmlTextCodec()
        return self.leaf_codec(spec, path, XML_LEAF_CODECS)

    def leaf(
        self,
        spec: ElementSpec | AttributeSpec,
        path: DataPath,
        loops: Loops,
    ) -> LeafPlan | None:
        codec = self.codec(spec.format, path)
        if codec is None:
            return None
        piece_limit = None
        if getattr(spec, "repeatable", False) and isinstance(codec, XmlTextCodec):
            # The limit is each element's, not the joined value's: the writer splits.
            piece_limit, codec = codec.max_length, dataclasses.replace(codec, max_length=None)
        bind = None
        if spec.bind is not None:
            bind = self.model_path(spec.bind, (*path, "bind"), loops)
        source = spec.value if spec.value is not None else getattr(spec, "default", None)
        key = "value" if spec.value is not None else "default"
        kind: LeafKind = "bind" if bind is not None else "value" if spec.value else "const"
        return LeafPlan(
            kind=kind,
            codec=codec,
            bind=bind,
            get=getter(bind) if bind else None,
            set=setter(bind, in_item=any(bind[0] == n for n, _ in loops), combines=False)
            if bind
            else None,
            expression=self.expression(source, (*path, key)),
            const=spec.const,
            absent=getattr(spec, "absent", None),
            piece_limit=piece_limit,
        )

    def element(
        self,
        spec: ElementSpec,
        path: DataPath,
        visible: tuple[tuple[TotalSpec, TotalPlan], ...],
        *,
        own: tuple[tuple[TotalSpec, TotalPlan], ...] | None = None,
        loops: Loops,
    ) -> ElementPlan:
        name = spec.name or _snake(spec.element)
        item_name = spec.as_ or name
        for_each = list_path = key = None
        if spec.for_each is not None:
            for_each = self.model_path(spec.for_each, (*path, "for_each"), loops)
            list_path = canonical_path(for_each, loops)
            loops = (*loops, (item_name, list_path))
        if spec.key is not None:
            key = getter(self.model_path(spec.key, (*path, "key"), loops))
        if own is None:
            own = self.totals(spec.totals, (*path, "totals"), f"`{spec.element}`")
            visible = (*visible, *own)
        children: list[ElementPlan] = []
        for index, child in enumerate(spec.structure or ()):
            children.append(self.element(child, (*path, "structure", index), visible, loops=loops))
        child_index: dict[str, int] = {}
        for index, child_plan in enumerate(children):
            if child_plan.tag in child_index:
                self.errors.add(
                    ConfigError(
                        "CFG630",
                        f"element `{child_plan.local}` appears twice in `{spec.element}`",
                        span=child_plan.span,
                        config_path=child_plan.config_path,
                        hint="an element repeats with `for_each`, not by being listed twice",
                    )
                )
            child_index.setdefault(child_plan.tag, index)
        leaf = None
        if spec.structure is None:
            leaf = self.leaf(spec, path, loops)
        attributes = tuple(
            AttributePlan(
                name=attribute.attribute,
                leaf=plan,
                optional=attribute.optional,
                span=self.span((*path, "attributes", index)),
                config_path=format_path((*path, "attributes", index)),
            )
            for index, attribute in enumerate(spec.attributes)
            if (plan := self.leaf(attribute, (*path, "attributes", index), loops)) is not None
        )
        feeds = tuple(
            plan
            for total, plan in visible
            if (total.count is not None and name in total.count)
            or (total.records is not None and name in total.records)
        )
        own_data = tuple(
            plan.get for plan in (leaf, *(a.leaf for a in attributes)) if plan and plan.get
        )
        # A repeated child has data when its list has items (its own paths name the item).
        data = own_data + tuple(
            g
            for child_plan in children
            for g in ((getter(child_plan.for_each),) if child_plan.for_each else child_plan.data)
        )
        return ElementPlan(
            name=name,
            local=spec.element,
            tag=qualify(self.namespace, spec.element),
            kind="container" if spec.structure is not None else (leaf.kind if leaf else "const"),
            leaf=leaf,
            attributes=attributes,
            children=tuple(children),
            child_index=MappingProxyType(child_index),
            for_each=for_each,
            item_name=item_name,
            list_path=list_path,
            key=key,
            when=self.expression(spec.when, (*path, "when")),
            optional=spec.optional,
            choice=spec.choice,
            min=spec.min,
            mismatch_warns=spec.severity == "warning",
            repeatable=spec.repeatable,
            join=spec.join,
            implies=tuple(
                (
                    target := self.model_path(text, (*path, "implies", text), loops),
                    value,
                    getter(target),
                    setter(target, in_item=any(target[0] == n for n, _ in loops), combines=False),
                )
                for text, value in spec.implies.items()
            ),
            own_totals=tuple(plan.name for _, plan in own),
            feeds=TallyPlan.of(feeds),
            feeds_totals=bool(feeds) or any(c.feeds_totals for c in children),
            data=data,
            span=self.span(path),
            config_path=format_path(path) or "file.root",
        )


def _snake(local: str) -> str:
    """``NbOfTxs`` -> ``nb_of_txs``: a default name that reads like the other names."""
    out: list[str] = []
    for index, char in enumerate(local):
        if char.isupper() and index and not local[index - 1].isupper():
            out.append("_")
        out.append(char.lower() if char.isalnum() else "_")
    return "".join(out)


def compile_xml_format(
    document: ResolvedDocument,
    *,
    expressions: ExpressionCompiler | None = None,
    check_path: PathCheck | None = None,
) -> XmlFormatPlan:
    """Compile an XML format; all its mistakes are raised together."""
    spec = document.spec
    assert isinstance(spec, XmlFormatDocument)
    compiler = _Compiler(document, spec, expressions or ExpressionCompiler(), check_path)
    root = compiler.compile()
    compiler.errors.raise_if_any()
    namespaces: Sequence[str | None] = (spec.file.namespace, *spec.file.accept_namespaces)
    return XmlFormatPlan(
        name=document.name,
        version=document.version,
        sha256=document.sha256,
        file=spec.file,
        root=root,
        namespaces=tuple(None if n == "" else n for n in namespaces),
        total_names=tuple(compiler.total_owner),
        model_reference=spec.model,
    )
