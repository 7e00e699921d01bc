"""Writing model data through an XML element plan, streaming with ``lxml.etree.xmlfile``.

ISO 20022 puts totals before what they count (``GrpHdr/NbOfTxs`` and ``CtrlSum`` precede
every transaction). The writer pre-aggregates: on entering a scope that owns totals (the
document, or one repetition of an element that declares ``totals``), it walks the data along
the plan, only through the elements that lead to an element feeding a total, and adds up.
Nothing is kept but the totals, so memory stays flat; the price is that the lists under a
scope with totals are iterated twice. A one-shot iterator (a generator) cannot be, and is
refused with VAL210: pass a list, or a re-iterable object whose ``__iter__`` reads the source
again (the bench writes a million payments that way).

Errors are collected with the XPath of the element and the JSON path of the model value; the
caller writes to a temporary file and publishes it only on success.

The items of an element that repeats without lists or totals inside (``CdtTrfTxInf``,
``DrctDbtTxInf``) are written by a function generated for it (``write_quick.py``) as escaped
text, into the sink after what ``xmlfile`` wrote, and added up by another; an item that is
not ordinary (a value missing or not fitting, a duplicate key, ...) is written again by the
generic walk below, which reports it (a list that does not add up quickly, added up again).
Both give the same bytes and errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, BinaryIO

from lxml import etree

from erengine.codecs.base import WriteReport
from erengine.codecs.leaf import LeafError
from erengine.codecs.records.fast import NOT_ORDINARY
from erengine.codecs.records.plan import scope_value
from erengine.codecs.xml.leaves import HAS_XML_FORBIDDEN
from erengine.codecs.xml.plan import ElementPlan, LeafPlan, XmlFormatPlan
from erengine.codecs.xml.write_quick import QuickPaths, split_pieces
from erengine.errors import DataPosition, ErrorCollector, ValidationError
from erengine.expr import Expression
from erengine.validate.unique import UniqueKeys

_ABSENT = object()
_NO_ATTRIBUTES: dict[str, str] = {}  # shared, never changed
_NOTHING: tuple[None, list[Any]] = (None, [])  # no value, or a list without items
_DRAIN_EVERY = 256  # quick items held as text before they are written to the sink


class XmlWriter:
    def __init__(
        self,
        plan: XmlFormatPlan,
        sink: BinaryIO,
        *,
        context: Mapping[str, Any] | None = None,
        error_limit: int = 100,
        quick: QuickPaths | None = None,
    ) -> None:
        """``quick``: the generated item writers and pre-aggregations (``quick_paths``);
        None writes and adds up everything on the generic walk."""
        self.plan = plan
        self.sink = sink
        self.quick = quick.writers if quick else {}
        self.sums = quick.sums if quick else {}
        self.pending: list[str] = []  # quick items' text, not yet written
        self.counter = _CountingSink(sink)
        self.context = dict(context or {})
        self.errors = ErrorCollector(limit=error_limit)
        self.report = WriteReport()
        self.totals: dict[str, Any] = {}
        self.path: list[str] = []  # XPath steps of the open elements
        self.json: list[str] = ["$"]  # JSON path of the open list items
        self.labels: list[str] = []  # the open list items as messages name them
        self.keys: dict[int, UniqueKeys] = {}  # keys seen, per element with a `key`
        self.indent = plan.file.indent
        self.indents: list[str] = []  # a line break and the indentation, per depth
        self.elements = 0

    def write(self, data: Mapping[str, Any]) -> WriteReport:
        scope: dict[str, Any] = dict(data)
        scope["context"] = self.context
        scope["totals"] = self.totals
        root = self.plan.root
        namespace = self.plan.file.namespace
        nsmap = {self.plan.file.prefix: namespace} if namespace else None
        counter = self.counter
        with etree.xmlfile(counter, encoding=self.plan.file.encoding) as out:
            out.write_declaration()
            self.aggregate_into(root, scope)
            self.path.append(f"/{root.local}")
            with out.element(root.tag, nsmap=nsmap):
                for child in root.children:
                    self.element(out, child, scope, 1)
                self.newline(out, 0)
        counter.write(b"\n")
        self.errors.raise_if_any()
        self.report.records = self.elements
        self.report.bytes_written = counter.written
        return self.report

    # -- pre-aggregation -------------------------------------------------------------

    def aggregate_into(self, plan: ElementPlan, scope: dict[str, Any]) -> None:
        """Compute the totals ``plan`` owns from the data below it, before writing it."""
        if not plan.own_totals:
            return
        for name in plan.own_totals:
            self.totals[name] = 0
        owned = frozenset(plan.own_totals)
        for child in plan.children:
            self.aggregate(child, scope, owned)

    def aggregate(self, plan: ElementPlan, scope: dict[str, Any], owned: frozenset[str]) -> None:
        if not plan.feeds_totals:
            return
        if plan.when is not None and not self.evaluate(plan.when, scope):
            return
        if plan.for_each is None:
            self.aggregate_one(plan, scope, owned)
            return
        items = self.items(plan, scope, twice=True)
        quick = self.sums.get(id(plan))
        if quick is not None:
            try:
                quick(items, scope, self.totals, owned)
            except NOT_ORDINARY:  # added up again below, which says what is wrong
                pass
            else:
                scope.pop(plan.item_name, None)
                return
        self.json.append("")
        self.labels.append("")
        for index, item in enumerate(items):
            self.name_item(plan, index)  # its key is added when the item is written
            scope[plan.item_name] = item
            self.aggregate_one(plan, scope, owned)
        self.json.pop()
        self.labels.pop()
        scope.pop(plan.item_name, None)

    def aggregate_one(
        self, plan: ElementPlan, scope: dict[str, Any], owned: frozenset[str]
    ) -> None:
        if plan.optional and plan.kind == "container" and not self.has_data(plan, scope):
            return
        for name, when, summand in plan.feeds.steps:
            if name not in owned:
                continue
            if when >= 0 and not self.evaluate(plan.feeds.expressions[when], scope):
                continue
            if summand < 0:
                self.totals[name] += 1
            else:
                amount = self.evaluate(plan.feeds.expressions[summand], scope)
                if isinstance(amount, int | Decimal) and not isinstance(amount, bool):
                    self.totals[name] += amount
                elif amount is not None:  # data that skipped the model check
                    self.fail(
                        "VAL101",
                        f"`{plan.local}` adds to total `{name}` a value that is not a number",
                        plan,
                        expected="an integer or a Decimal",
                        found=repr(amount),
                    )
        for child in plan.children:
            self.aggregate(child, scope, owned)

    # -- writing ---------------------------------------------------------------------

    def items(self, plan: ElementPlan, scope: dict[str, Any], *, twice: bool) -> Iterable[Any]:
        assert plan.for_each is not None
        items = scope_value(scope, plan.for_each)
        if items is None:
            return ()
        if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
            self.fail(
                "VAL101",
                f"`{'.'.join(plan.for_each)}` must be a list for element `{plan.local}`",
                plan,
                expected="a list",
                found=type(items).__name__,
            )
            return ()
        if twice and iter(items) is items:
            self.fail(
                "VAL210",
                f"`{'.'.join(plan.for_each)}` is a one-shot iterator, but the totals before it "
                "need to read it twice",
                plan,
                expected="a list or a re-iterable",
                found=type(items).__name__,
                hint="pass a list, or an object whose __iter__ reads the source again",
            )
            return ()
        return items

    def element(self, out: Any, plan: ElementPlan, scope: dict[str, Any], depth: int) -> None:
        if plan.when is not None and not self.evaluate(plan.when, scope):
            return
        if plan.for_each is None:
            self.one(out, plan, scope, depth, plan.local)
            return
        self.json.append("")
        self.labels.append("")
        quick = self.quick.get(id(plan))
        seen = None
        if quick is not None and plan.key is not None:
            seen = self.keys.get(id(plan))
            if seen is None:
                seen = self.keys[id(plan)] = UniqueKeys()
        pending = self.pending
        for index, item in enumerate(self.items(plan, scope, twice=False)):
            scope[plan.item_name] = item
            if quick is not None:
                try:
                    text, elements = quick(scope, seen)
                except NOT_ORDINARY:  # written again below, which says what is wrong
                    self.drain(out)
                else:
                    pending.append(text)
                    self.elements += elements
                    if len(pending) >= _DRAIN_EVERY:
                        self.drain(out)
                    continue
            self.name_item(plan, index)
            if plan.key is not None:
                self.check_key(plan, plan.key(scope))
            self.one(out, plan, scope, depth, f"{plan.local}[{index + 1}]")
        self.drain(out)
        self.json.pop()
        self.labels.pop()
        scope.pop(plan.item_name, None)

    def drain(self, out: Any) -> None:
        """Write the quick items' text held, after what ``out`` wrote before them."""
        if self.pending:
            out.flush()
            self.counter.write("".join(self.pending).encode(self.plan.file.encoding))
            self.pending.clear()

    def name_item(self, plan: ElementPlan, index: int) -> None:
        """The open list item as errors name it: its JSON path step and its label."""
        assert plan.for_each is not None
        self.json[-1] = f"{plan.for_each[-1]}[{index}]"
        self.labels[-1] = f"{plan.name}#{index + 1}"

    def check_key(self, plan: ElementPlan, key: Any) -> None:
        if key is None:
            return
        self.labels[-1] += f" ({key})"
        seen = self.keys.get(id(plan))
        if seen is None:
            seen = self.keys[id(plan)] = UniqueKeys()
        if not seen.add(str(key)):
            self.fail(
                "VAL212",
                f"{plan.name} id {key!r} is used twice; each must be unique in the document",
                plan,
                expected="a unique id",
                found=str(key),
            )

    def one(
        self, out: Any, plan: ElementPlan, scope: dict[str, Any], depth: int, step: str
    ) -> None:
        self.path.append(step)
        for target, value, get, _ in plan.implies:
            actual = get(scope)
            if actual is not None and actual != value:
                self.fail(
                    "VAL213",
                    f"`{plan.local}` stands for {'.'.join(target)} = {value!r}",
                    plan,
                    expected=repr(value),
                    found=repr(actual),
                )
        try:
            if plan.kind == "container":
                self.container(out, plan, scope, depth)
                return
            assert plan.leaf is not None
            text = self.leaf_text(plan.leaf, plan, scope, plan.optional)
            if text is _ABSENT:
                return
            attributes = self.attributes(plan, scope) if plan.attributes else _NO_ATTRIBUTES
            for piece in split_pieces(plan, text):
                self.newline(out, depth)
                self.elements += 1
                with out.element(plan.tag, attributes):
                    out.write(piece)
        finally:
            self.path.pop()

    def container(self, out: Any, plan: ElementPlan, scope: dict[str, Any], depth: int) -> None:
        if plan.optional and not self.has_data(plan, scope):
            return
        if plan.own_totals:
            self.aggregate_into(plan, scope)
        attributes = self.attributes(plan, scope) if plan.attributes else _NO_ATTRIBUTES
        self.newline(out, depth)
        self.elements += 1
        with out.element(plan.tag, attributes):
            if plan.choice:
                chosen = next((c for c in plan.children if self.chosen(c, scope)), None)
                if chosen is None:
                    self.fail(
                        "VAL102",
                        f"none of the alternatives of `{plan.local}` has a value",
                        plan,
                        expected=" or ".join(c.local for c in plan.children),
                        found="nothing",
                    )
                else:
                    self.element(out, chosen, scope, depth + 1)
            else:
                for child in plan.children:
                    self.element(out, child, scope, depth + 1)
            self.newline(out, depth)

    def chosen(self, plan: ElementPlan, scope: dict[str, Any]) -> bool:
        if plan.when is not None:
            return bool(self.evaluate(plan.when, scope))
        # An alternative with nothing bound (a constant such as NOTPROVIDED) is always there.
        return not plan.data or self.has_data(plan, scope)

    @staticmethod
    def has_data(plan: ElementPlan, scope: dict[str, Any]) -> bool:
        # A loop, not any() over a generator: this runs for every optional element.
        for get in plan.data:  # noqa: SIM110
            if get(scope) not in _NOTHING:
                return True
        return False

    def attributes(self, plan: ElementPlan, scope: dict[str, Any]) -> dict[str, str]:
        """The attributes of an element that has some (callers look first: most have none)."""
        written: dict[str, str] = {}
        for attribute in plan.attributes:
            text = self.leaf_text(attribute.leaf, plan, scope, attribute.optional, attribute.name)
            if text is not _ABSENT:
                written[attribute.name] = text
        return written

    def leaf_text(
        self,
        leaf: LeafPlan,
        plan: ElementPlan,
        scope: dict[str, Any],
        optional: bool,
        attribute: str | None = None,
    ) -> Any:
        """The text of a leaf, or ``_ABSENT`` when an optional one has no value."""
        if leaf.kind == "const":
            return leaf.const
        value = leaf.get(scope) if leaf.get is not None else None
        if value is None and leaf.expression is not None:
            value = self.evaluate(leaf.expression, scope)
        if value is None and leaf.absent is not None:
            return leaf.absent
        if value is None:
            if optional:
                return _ABSENT
            self.fail(
                "VAL102",
                f"`{plan.local}{'/@' + attribute if attribute else ''}` needs a value",
                plan,
                expected="a value",
                found="nothing",
                bind=leaf.bind,
            )
            return _ABSENT
        try:
            text = leaf.codec.encode(value)
            forbidden = HAS_XML_FORBIDDEN(text)
            if forbidden is not None:  # lxml would refuse it, without saying where
                raise LeafError("characters XML allows", forbidden.group())
            return text
        except LeafError as exc:
            self.fail(
                "VAL104",
                f"the value does not fit `{plan.local}{'/@' + attribute if attribute else ''}`",
                plan,
                expected=exc.expected,
                found=str(exc.found),
                bind=leaf.bind,
            )
            return _ABSENT

    def newline(self, out: Any, depth: int) -> None:
        if self.indent:
            out.write(self.indents[depth] if depth < len(self.indents) else self.indent_at(depth))

    def indent_at(self, depth: int) -> str:
        while len(self.indents) <= depth:
            self.indents.append("\n" + self.indent * len(self.indents))
        return self.indents[depth]

    def evaluate(self, expression: Expression, scope: dict[str, Any]) -> Any:
        return self.errors.value_of(expression, scope)

    def fail(
        self,
        code: str,
        message: str,
        plan: ElementPlan,
        *,
        expected: str,
        found: str,
        bind: tuple[str, ...] | None = None,
        hint: str | None = None,
    ) -> None:
        json_path = "".join(
            part if index == 0 else f".{part}" for index, part in enumerate(self.json) if part
        )
        if bind is not None:
            json_path += "." + ".".join(bind[1:] if len(self.json) > 1 else bind)
        self.errors.add(
            ValidationError(
                code,
                message,
                rule="xml.write",
                position=DataPosition(
                    xpath="/".join(self.path) if self.path else None,
                    record=self.labels[-1] if self.labels else None,
                    field=plan.name,
                    json_path=json_path,
                ),
                expected=expected,
                found=found,
                span=plan.span,
                hint=hint,
            )
        )


class _CountingSink:
    """Counts the bytes lxml writes, for the report."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink = sink
        self.written = 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        self.sink.write(data)
        return len(data)
