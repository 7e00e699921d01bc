"""The XML writer's quick path: one generated function per innermost repeated element.

A pain.001 file is a million ``CdtTrfTxInf`` elements, each walked generically: per element a
check of ``when``, ``for_each``, ``implies``, attributes and totals, per leaf a getter, a
codec and an ``xmlfile`` context. For each element that repeats (``for_each``) and has no
list or totals of its own inside, this module generates, once per compiled format, the
source of one function that writes an item's whole subtree as text: bound paths become
inline dict lookups (each looked up once per item), what is constant (tags, indentation,
constant texts) is serialized and escaped when the source is built, and what an element
does not have costs nothing.

The text goes into the same stream as the rest of the document: the writer flushes its
``etree.xmlfile`` and writes the items' bytes to the sink after what lxml wrote
(``XmlWriter.drain``). Of the three ways measured for an item's subtree (docs/iso20022.md,
Performance), a generated ``with out.element()`` per element and ``etree.SubElement`` trees
passed to ``out.write(element)`` both kept lxml's cost per element; escaped text was the
fastest, as PERF-NOTES found. The text is exactly what lxml writes: text escaped as libxml2
escapes it (``&``, ``<``, ``>``, and ``\\r`` as ``&#13;``), attribute values also ``"``,
``\\n``, ``\\t`` (``&quot;``, ``&#10;``, ``&#9;``), encoded in the format's encoding (the
quick path exists for UTF-8 only). A character XML forbids (which lxml refuses) is never
written by this path. Tests hold both paths to the same bytes and errors.

Anything not ordinary for an item (a value missing or not fitting its codec, an ``implies``
mismatch, an expression failing, a duplicate key, a forbidden character) raises ``Careful``
or the error itself, before the item's key is recorded; the writer then writes that item on
the generic walk, which reports exactly what is wrong, where.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from jinja2 import Undefined

from erengine.codecs.base import ModelPath
from erengine.codecs.records.fast import Careful
from erengine.codecs.xml.leaves import HAS_XML_FORBIDDEN, XML_FORBIDDEN
from erengine.codecs.xml.plan import ElementPlan, LeafPlan, XmlFormatPlan
from erengine.expr import Expression
from erengine.validate.unique import UniqueKeys

#: ``(scope, seen) -> (text, elements)``: an item's subtree and how many elements it has;
#: ``seen`` is the element's ``UniqueKeys`` when it has a ``key``.
QuickWrite = Callable[[dict[str, Any], UniqueKeys | None], tuple[str, int]]
#: ``(items, scope, totals, owned)``: the items of an element added to the ``owned`` totals.
QuickSum = Callable[[Iterable[Any], dict[str, Any], dict[str, Any], frozenset[str]], None]


@dataclass(frozen=True, slots=True)
class QuickPaths:
    """The generated functions of a format's writer, by ``id()`` of the element's plan."""

    writers: Mapping[int, QuickWrite]
    sums: Mapping[int, QuickSum]


_TEXT_SPECIAL = re.compile(f"[&<>\r{XML_FORBIDDEN}]").search
_ATTRIBUTE_SPECIAL = re.compile(f'[&<>"\n\r\t{XML_FORBIDDEN}]').search
_NOTHING: tuple[None, list[Any]] = (None, [])  # as the writer's has_data: no value, no items


def escape_text(text: str) -> str:
    """Element text as lxml writes it; ``Careful`` for a character XML forbids."""
    if HAS_XML_FORBIDDEN(text):
        raise Careful
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def escape_attribute(text: str) -> str:
    """An attribute value as lxml writes it between double quotes."""
    escaped = escape_text(text)  # & < > and \r
    return escaped.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def split_pieces(plan: ElementPlan, text: str) -> list[str]:
    """A repeatable leaf's text in elements of at most its codec's `max_length`, split at
    the `join` separators (as reading joins them): lines of AddtlInf or Ustrd."""
    limit = plan.leaf.piece_limit if plan.leaf else None
    if limit is None or len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for word in text.split(plan.join):
        joined = f"{current}{plan.join}{word}" if current else word
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            pieces.append(current)
        rest = word
        while len(rest) > limit:  # a word longer than a whole element is cut there
            pieces.append(rest[:limit])
            rest = rest[limit:]
        current = rest
    if current:
        pieces.append(current)
    return pieces


def quick_paths(plan: XmlFormatPlan) -> QuickPaths:
    """The quick writer of each innermost repeated element and the quick pre-aggregation
    of each repeated element that alone feeds totals (nothing inside it does)."""
    writers: dict[int, QuickWrite] = {}
    sums: dict[int, QuickSum] = {}
    utf8 = codecs.lookup(plan.file.encoding).name == "utf-8"
    stack = [(child, 1) for child in plan.root.children]
    while stack:
        element, depth = stack.pop()
        if element.for_each is not None:
            generated = _quick_writer(plan, element, depth) if utf8 else None
            if generated is not None:
                writers[id(element)] = generated
            if element.feeds.steps and not any(c.feeds_totals for c in element.children):
                sums[id(element)] = _quick_sum(element)
        stack.extend((child, depth + 1) for child in element.children)
    return QuickPaths(writers, sums)


def _quick_sum(plan: ElementPlan) -> QuickSum:
    """What ``XmlWriter.aggregate`` does for the items of ``plan``, in the same order, the
    totals changed only at the end: on anything unusual they are as they were."""
    builder = _Builder("", None)
    sums: dict[str, tuple[str, str]] = {}  # total name -> locals: owned?, the sum
    for name, _, _ in plan.feeds.steps:
        if name not in sums:
            owned, total, key = builder.var(), builder.var(), builder.const(name)
            sums[name] = owned, total
            builder.emit(f"{owned} = {key} in owned")
            builder.emit(f"{total} = totals[{key}] if {owned} else 0")
    with builder.block("for item in items:"):
        builder.emit(f"scope[{builder.const(plan.item_name)}] = item")
        if plan.optional and plan.kind == "container":
            getters = builder.const(plan.data)
            builder.emit(f"if not any(g(scope) not in NOTHING for g in {getters}):")
            builder.emit("    continue")
        for name, when, summand in plan.feeds.steps:
            owned, total = sums[name]
            with builder.block(f"if {owned}:"):
                condition = "True" if when < 0 else builder.run(plan.feeds.expressions[when])
                with builder.block(f"if {condition}:"):
                    if summand < 0:
                        builder.emit(f"{total} += 1")
                    else:
                        amount = builder.run(plan.feeds.expressions[summand])
                        builder.emit(f"if {amount} is not None:")
                        builder.emit(f"    {total} += {amount}")
    for name, (owned, total) in sums.items():
        builder.emit(f"if {owned}:")
        builder.emit(f"    totals[{builder.const(name)}] = {total}")
    sum_up: QuickSum = builder.build(f"totals of {plan.config_path}", "items, scope, totals, owned")
    return sum_up


class _Unsuitable(Exception):
    """The element's items stay on the generic walk (a list or totals inside, ...)."""


def _quick_writer(format_plan: XmlFormatPlan, plan: ElementPlan, depth: int) -> QuickWrite | None:
    file = format_plan.file
    try:
        builder = _Builder(file.indent, file.prefix if file.namespace else None)
        builder.one(plan, depth)
        if plan.key is not None:
            key = builder.var()
            builder.emit(f"{key} = {builder.const(plan.key)}(scope)")
            builder.emit(f"if {key} is not None and not seen.add(str({key})):")
            builder.emit("    raise Careful")
        writer: QuickWrite = builder.build(f"writer of {plan.config_path}")
        return writer
    except _Unsuitable:
        return None


class _Builder:
    """The source of one item function; constants reach it as globals ``K0``, ``K1``, ..."""

    def __init__(self, indent: str, prefix: str | None) -> None:
        self.indent = _escaped(indent, escape_text)
        self.prefix = prefix
        self.lines: list[str] = []
        self.level = 1
        self.constants: list[Any] = []
        self.known: dict[ModelPath, str] = {}  # paths looked up in the current block
        self.literal: list[str] = []  # text to append, not yet in the source
        self.count = 0  # elements written, not yet in the source
        self.names = 0

    # -- source ----------------------------------------------------------------------------

    def const(self, value: Any) -> str:
        self.constants.append(value)
        return f"K{len(self.constants) - 1}"

    def var(self) -> str:
        self.names += 1
        return f"v{self.names}"

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.level + line)

    def flush(self) -> None:
        """Put the pending constant text and element count into the source."""
        if self.literal:
            self.emit(f"a({self.const(''.join(self.literal))})")
            self.literal.clear()
        if self.count:
            self.emit(f"n += {self.count!r}")
            self.count = 0

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        """Source under ``header``; what it looks up is not known after it."""
        self.flush()
        self.emit(header)
        self.level += 1
        size, known = len(self.lines), dict(self.known)
        try:
            yield
            self.flush()
            if len(self.lines) == size:
                self.emit("pass")
        finally:
            self.level -= 1
            self.known = known

    def build(self, where: str, signature: str | None = None) -> Any:
        """The function: a quick writer, or (``signature``) one whose body is just the lines."""
        self.flush()
        body = "\n".join(self.lines)
        if signature is not None:
            source = f"def generated({signature}):\n{body}\n    return None\n"
        else:
            source = (
                "def generated(scope, seen):\n    o = []\n    a = o.append\n    n = 0\n"
                f"{body}\n    return ''.join(o), n\n"
            )
        namespace: dict[str, Any] = {f"K{i}": c for i, c in enumerate(self.constants)}
        namespace.update(
            Careful=Careful,
            Undefined=Undefined,
            NOTHING=_NOTHING,
            TEXT_SPECIAL=_TEXT_SPECIAL,
            ATTRIBUTE_SPECIAL=_ATTRIBUTE_SPECIAL,
            escape_text=escape_text,
            escape_attribute=escape_attribute,
            split_pieces=split_pieces,
        )
        code = compile(source, f"<generated {where}>", "exec")
        exec(code, namespace)  # noqa: S102 - source built from the plan, never from config text
        return namespace["generated"]

    # -- values ----------------------------------------------------------------------------

    def fetch(self, path: ModelPath) -> str:
        """The local holding the data at ``path`` (what ``access.getter`` gives), looked up
        once per block: a prefix looked up already is not looked up again."""
        for end in range(1, len(path) + 1):
            part = path[:end]
            if part in self.known:
                continue
            local = self.known[part] = self.var()
            if end == 1:
                self.emit(f"{local} = scope.get({self.const(path[0])})")
            else:
                parent = self.known[path[: end - 1]]
                self.emit(
                    f"{local} = {parent}.get({self.const(path[end - 1])}) "
                    f"if isinstance({parent}, dict) else None"
                )
        return self.known[path]

    def run(self, expression: Expression) -> str:
        """A local with the expression's value; ``Careful`` where it is undefined."""
        local = self.var()
        self.emit(f"{local} = {self.const(expression.run)}(scope)")
        self.emit(f"if isinstance({local}, Undefined):")
        self.emit("    raise Careful")
        return local

    def value(self, leaf: LeafPlan) -> str:
        """A local with a bound or computed leaf's value (None for none)."""
        if leaf.expression is None:
            return self.fetch(leaf.bind) if leaf.bind else "None"
        local = self.var()  # not the looked-up local: the default would replace it
        self.emit(f"{local} = {self.fetch(leaf.bind) if leaf.bind else 'None'}")
        with self.block(f"if {local} is None:"):
            self.emit(f"{local} = {self.run(leaf.expression)}")
        return local

    def has_data(self, plan: ElementPlan) -> str | None:
        """The condition that ``plan`` has data, as the writer's ``has_data``; None: never."""
        paths = _data_paths(plan)
        if len(paths) != len(plan.data):
            raise _Unsuitable
        if not paths:
            return None
        return " or ".join(f"{self.fetch(path)} not in NOTHING" for path in paths)

    # -- elements --------------------------------------------------------------------------

    def name(self, local: str) -> str:
        return f"{self.prefix}:{local}" if self.prefix else local

    def newline(self, depth: int) -> str:
        return "\n" + self.indent * depth if self.indent else ""

    def element(self, plan: ElementPlan, depth: int) -> None:
        if plan.for_each is not None:
            raise _Unsuitable
        if plan.when is None:
            self.one(plan, depth)
            return
        with self.block(f"if {self.run(plan.when)}:"):
            self.one(plan, depth)

    def one(self, plan: ElementPlan, depth: int) -> None:
        for target, value, _, _ in plan.implies:
            actual = self.fetch(target)
            self.emit(f"if {actual} is not None and {actual} != {self.const(value)}:")
            self.emit("    raise Careful")
        if plan.kind == "container":
            self.container(plan, depth)
        else:
            self.leaf(plan, depth)

    def container(self, plan: ElementPlan, depth: int) -> None:
        if plan.own_totals:
            raise _Unsuitable
        if not plan.optional:
            self.container_body(plan, depth)
            return
        condition = self.has_data(plan)
        if condition is not None:
            with self.block(f"if {condition}:"):
                self.container_body(plan, depth)

    def container_body(self, plan: ElementPlan, depth: int) -> None:
        start = self.attributes(plan)
        self.literal.append(f"{self.newline(depth)}<{self.name(plan.local)}")
        self.count += 1
        self.start_tag(start)
        if plan.choice:
            self.choice(plan.children, depth + 1)
        else:
            for child in plan.children:
                self.element(child, depth + 1)
        self.literal.append(f"{self.newline(depth)}</{self.name(plan.local)}>")

    def choice(self, alternatives: tuple[ElementPlan, ...], depth: int) -> None:
        """The first alternative chosen, as the writer's ``chosen``; none: ``Careful``."""
        if not alternatives:
            self.emit("raise Careful")
            return
        first, rest = alternatives[0], alternatives[1:]
        if first.for_each is not None:
            raise _Unsuitable
        if first.when is not None:
            condition: str | None = self.run(first.when)
        elif not first.data:
            condition = "True"
        else:
            condition = self.has_data(first)
        if condition is None:
            self.choice(rest, depth)
            return
        with self.block(f"if {condition}:"):
            # chosen: its `when` was true (the generic walk evaluates it again, the same)
            self.one(first, depth)
        with self.block("else:"):
            self.choice(rest, depth)

    def attributes(self, plan: ElementPlan) -> list[str]:
        """The start tag's attributes as source expressions (constants or locals)."""
        start: list[str] = []
        for attribute in plan.attributes:
            if "{" in attribute.name or ":" in attribute.name:
                raise _Unsuitable
            before = f' {attribute.name}="'
            leaf = attribute.leaf
            if leaf.kind == "const":
                start.append(self.const(before + _escaped(leaf.const, escape_attribute) + '"'))
                continue
            value, text = self.value(leaf), self.var()
            with self.block(f"if {value} is not None:"):
                self.emit(f"{text} = {self.const(leaf.codec.encode)}({value})")
                self.emit(f"if ATTRIBUTE_SPECIAL({text}):")
                self.emit(f"    {text} = escape_attribute({text})")
                self.emit(f"{text} = {self.const(before)} + {text} + '\"'")
            with self.block("else:"):
                if leaf.absent is not None:
                    absent = before + _escaped(leaf.absent, escape_attribute) + '"'
                    self.emit(f"{text} = {self.const(absent)}")
                elif attribute.optional:
                    self.emit(f"{text} = ''")
                else:
                    self.emit("raise Careful")
            start.append(text)
        return start

    def start_tag(self, start: list[str]) -> None:
        """The rest of a start tag, after ``<name``: its attributes and ``>``."""
        for part in start:
            self.flush()
            self.emit(f"a({part})")
        self.literal.append(">")

    def leaf(self, plan: ElementPlan, depth: int) -> None:
        leaf = plan.leaf
        assert leaf is not None
        if leaf.kind == "const":
            self.leaf_text(plan, depth, _escaped(leaf.const, escape_text), literal=True)
            return
        value = self.value(leaf)
        with self.block(f"if {value} is not None:"):
            text = self.var()
            self.emit(f"{text} = {self.const(leaf.codec.encode)}({value})")
            self.leaf_text(plan, depth, text)
        if leaf.absent is None and plan.optional:
            return
        with self.block("else:"):
            if leaf.absent is not None:
                self.leaf_text(plan, depth, _escaped(leaf.absent, escape_text), literal=True)
            else:
                self.emit("raise Careful")

    def leaf_text(self, plan: ElementPlan, depth: int, text: str, *, literal: bool = False) -> None:
        """The element(s) of a leaf with ``text``: the local holding the codec's text, or
        (``literal``) a constant text."""
        start = self.attributes(plan)
        opening = f"{self.newline(depth)}<{self.name(plan.local)}"
        closing = f"</{self.name(plan.local)}>"
        assert plan.leaf is not None
        if literal:
            if plan.leaf.piece_limit is not None:
                raise _Unsuitable  # constant pieces: as rare as they are simple on the walk
            self.literal.append(opening)
            self.count += 1
            self.start_tag(start)
            self.literal.append(text + closing)
            return
        limit, pieces, piece = plan.leaf.piece_limit, "", text
        if limit is not None:
            pieces, piece = self.var(), self.var()
            self.emit(
                f"{pieces} = [{text}] if len({text}) <= {limit!r} "
                f"else split_pieces({self.const(plan)}, {text})"
            )
        with self.block(f"for {piece} in {pieces}:") if limit is not None else _same():
            self.emit(f"if TEXT_SPECIAL({piece}):")
            self.emit(f"    {piece} = escape_text({piece})")
            self.literal.append(opening)
            self.count += 1
            self.start_tag(start)
            self.flush()
            self.emit(f"a({piece})")
            self.literal.append(closing)


@contextmanager
def _same() -> Iterator[None]:
    yield


def _escaped(text: str | None, escape: Callable[[str], str]) -> str:
    """A constant text escaped when the source is built; one XML forbids: no quick path."""
    if text is None:
        raise _Unsuitable
    try:
        return escape(text)
    except Careful:
        raise _Unsuitable from None


def _data_paths(plan: ElementPlan) -> list[ModelPath]:
    """The paths of ``plan.data``, in its order (the plan keeps only their getters)."""
    paths = [
        leaf.bind
        for leaf in (plan.leaf, *(a.leaf for a in plan.attributes))
        if leaf is not None and leaf.get is not None and leaf.bind is not None
    ]
    for child in plan.children:
        if child.for_each is not None:
            paths.append(child.for_each)
        else:
            paths.extend(_data_paths(child))
    return paths
