"""The XML reader's quick path: one function per list item element, generated from the plan.

The generic reader follows the plan event by event, with a frame per open element; per
element that costs more than reading it. Most list items of a file (a camt ``Ntry``, a pain
``CdtTrfTxInf``) are ordinary: their children known and in order, every value fitting. For
those the reader lets the item end, complete in memory, and runs one generated function over
its subtree: children dispatched by tag, order and presence checked with integers, leaves
decoded with the leaf codecs and set into the item along inlined paths, nested list items
(``TxDtls``) made in the same pass.

Anything else raises ``Careful`` (or the codec's ``LeafError``, or an expression's error):
an unknown element not yet warned about, an element out of order or repeated, a required one
missing, a choice not taken once, text where elements belong, an empty or ill-fitting value,
a value a codec doubts (the warning is the generic path's), a ``when`` that cannot be
evaluated. The reader then undoes what the function set and reads the item again event by
event, which reports exactly what the generic path always did. Tests hold both paths to the
same items, values, warnings and errors.

An item is read quickly when nothing in it has to be seen while the document streams: no
computed (``value``) leaves, no totals fed or reset inside it, every bound path inside the
item or an item nested in it, nested items without items of their own. Which items qualify
is decided once per plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from erengine.codecs.base import ListItem
from erengine.codecs.records.fast import Source
from erengine.codecs.xml.leaves import XmlTextCodec
from erengine.codecs.xml.plan import ElementPlan, LeafPlan, XmlFormatPlan, qualify

#: (reader, element, item, attach) -> the nested list items completed (in document order) and
#: the number of elements inside ``element``
QuickRead = Callable[[Any, Any, dict[str, Any], bool], tuple[list[ListItem], int]]
QuickReaders = Mapping[int, "QuickReadItem"]

#: Elements of one item held in memory before the reader gives up waiting for its end and
#: reads the rest event by event (a batch booking may hold thousands of details).
ITEM_ELEMENT_LIMIT = 2000
#: The same when the parser reports only the elements outside items: bytes of the document
#: read without an element reported (then the document is read again with every event).
ITEM_BYTE_LIMIT = 1 << 20

_RESERVED = frozenset({"totals", "context"})


@dataclass(frozen=True, slots=True)
class QuickReadItem:
    """The quick path of one list item element."""

    plan: ElementPlan
    read: QuickRead
    nested: tuple[str, ...]  # scope names of the items nested in it (removed on giving up)


_BUILT: dict[int, tuple[XmlFormatPlan, QuickReaders]] = {}


def quick_readers(plan: XmlFormatPlan) -> QuickReaders:
    """The list item elements of ``plan`` that have a quick path, by ``id`` of their plan;
    built once per plan (the plan is kept with them, so its ``id`` stays its own)."""
    built = _BUILT.get(id(plan))
    if built is None or built[0] is not plan:
        built = _BUILT[id(plan)] = (plan, _build(plan))
    return built[1]


def _build(plan: XmlFormatPlan) -> QuickReaders:
    names = Counter(p.item_name for p in _walk(plan.root) if p.for_each is not None)
    tags = {None if n == "" else n for n in (plan.file.namespace, *plan.namespaces)}
    found: dict[int, QuickReadItem] = {}
    for element in _walk(plan.root):
        if element.for_each is None or element.kind != "container":
            continue
        nested = _qualifies(element, names)
        if nested is None:
            continue
        generator = _Generator(sorted(tags, key=str), plan.file.whitespace == "collapse")
        try:
            read = generator.build(element)
        except (SyntaxError, RecursionError):  # nested too deeply for one function
            continue
        found[id(element)] = QuickReadItem(element, read, nested)
    return found


def _walk(plan: ElementPlan) -> Iterator[ElementPlan]:
    yield plan
    for child in plan.children:
        yield from _walk(child)


def _qualifies(item: ElementPlan, names: Counter[str]) -> tuple[str, ...] | None:
    """The names of the items nested in ``item`` if it can be read quickly, else None."""
    nested: list[str] = []

    def fits(plan: ElementPlan, inside: tuple[str, ...], top: bool) -> bool:
        if not top:
            if plan.feeds.steps or plan.own_totals:
                return False
            if any(path[0] not in inside for path, *_ in plan.implies):
                return False
            if plan.for_each is not None:
                if len(inside) > 1 or plan.kind != "container":
                    return False  # an item in a nested item: it streams on its own
                if plan.for_each[0] not in inside or plan.item_name in inside:
                    return False
                if names[plan.item_name] != 1 or plan.item_name in _RESERVED:
                    return False
                nested.append(plan.item_name)
                inside = (*inside, plan.item_name)
        leaves = [a.leaf for a in plan.attributes]
        if plan.leaf is not None:
            leaves.append(plan.leaf)
        for leaf in leaves:
            if leaf.kind == "value":
                return False
            if leaf.kind == "bind" and (leaf.bind is None or leaf.bind[0] not in inside):
                return False
        return all(fits(child, inside, False) for child in plan.children)

    return tuple(nested) if fits(item, (item.item_name,), True) else None


_Items = dict[str, str]  # the name of each list item inside -> its variable


class _Generator:
    """Writes the source of one item's quick function; values go in as constants."""

    def __init__(self, namespaces: list[str | None], collapse: bool) -> None:
        self.source = Source("")
        self.names: list[str] = []  # K0, K1, ...: the constants, bound once as locals
        self.known: dict[tuple[type, Any], str] = {}
        self.namespaces = namespaces
        self.collapse = collapse
        self.body: list[str] = []

    def const(self, value: Any) -> str:
        try:
            known = self.known.get((type(value), value))
        except TypeError:  # not hashable: a table of tags
            known = None
        if known is None:
            self.names.append(self.source.const(value))
            known = f"K{len(self.names) - 1}"
            with suppress(TypeError):
                self.known[(type(value), value)] = known
        return known

    def build(self, item: ElementPlan) -> QuickRead:
        lines = [
            "scope = reader.scope",
            "root = reader.root",
            "view = reader.view",
            "skipped = reader.skipped",
            "out = []",
            "count = 0",
        ]
        self.container(item, 0, {item.item_name: "it0"}, lines)
        lines.append("return out, count")
        prologue = [f"K{i} = {name}" for i, name in enumerate(self.names)]
        self.source.add([*prologue, "def read(reader, e0, it0, attach):"])
        self.source.add(lines, indent="        ")
        self.source.add(["return read"])
        factory = self.source.build(f"quick reader of {item.config_path}", ListItem=ListItem)
        read: QuickRead = factory()
        return read

    def container(self, plan: ElementPlan, depth: int, items: _Items, lines: list[str]) -> None:
        """Lines reading the children of the container at ``depth`` (``e0`` the item's
        element, ``e1`` its child, ...), then its attributes."""
        var = f"e{depth}"
        child, index, position = f"e{depth + 1}", f"i{depth}", f"p{depth}"
        tags = {
            qualify(namespace, c.local): i
            for namespace in self.namespaces
            for i, c in enumerate(plan.children)
        }
        counted = [
            i
            for i, c in enumerate(plan.children)
            if c.for_each is not None or (c.min and not plan.choice)
        ]
        lines.append(f"{position} = -1")
        lines.extend(f"k{depth}_{i} = 0" for i in counted)
        prefix = self.const(f"{plan.config_path}/")
        after = f"n{depth + 1}"  # the next child: iterating children makes an iterator each
        lines.extend(
            [
                f"{after} = {var}[0] if len({var}) else None",
                f"while {after} is not None:",
                f"    {child} = {after}",
                f"    {after} = {child}.getnext()",
                "    count += 1",
                f"    {index} = {self.const(tags)}.get({child}.tag)",
                f"    if {index} is None:",
                f"        if not skipped({prefix}, {child}.tag):",
                "            raise Careful",
                f"        count += sum(1 for _ in {child}.iterdescendants())",
                "        continue",
            ]
        )
        required = [i for i, c in enumerate(plan.children) if not c.optional_on_read]
        for i, child_plan in enumerate(plan.children):
            lines.append(f"    {'if' if i == 0 else 'elif'} {index} == {i}:")
            body: list[str] = []
            if plan.choice:
                body.append(f"if {position} >= 0: raise Careful")  # one alternative, once
            else:
                before = max((r for r in required if r < i), default=-1)
                top = "<=" if child_plan.for_each is not None or child_plan.repeatable else "<"
                body.append(f"if not {before} <= {position} {top} {i}: raise Careful")
            body.append(f"{position} = {i}")
            if i in counted:
                body.append(f"k{depth}_{i} += 1")
            counter = f"k{depth}_{i}" if i in counted else None
            self.child(child_plan, depth + 1, items, body, counter=counter)
            lines.extend(f"        {line}" for line in body)
        if plan.choice:
            if not plan.optional:
                lines.append(f"if {position} < 0: raise Careful")
        else:
            if required:
                lines.append(f"if {position} < {required[-1]}: raise Careful")
            for i in counted:
                if plan.children[i].min:
                    lines.append(f"if k{depth}_{i} < {plan.children[i].min}: raise Careful")
        self.attributes(plan, var, items, lines)

    def child(
        self, plan: ElementPlan, depth: int, items: _Items, lines: list[str], *, counter: str | None
    ) -> None:
        """Lines reading the child at ``depth`` (``counter``: its occurrences so far, this
        one included), as the generic ``start`` and ``end`` do."""
        var = f"e{depth}"
        if plan.when is not None:
            lines.extend(
                [
                    f"if not {self.const(plan.when.evaluate)}(view):",
                    f"    count += sum(1 for _ in {var}.iterdescendants())",
                    "    continue",
                ]
            )
        item_var = parent = None
        if plan.for_each is not None:
            assert plan.list_path is not None
            assert counter is not None
            item_var, parent = f"it{len(items)}", f"up{len(items)}"
            items = {**items, plan.item_name: item_var}
            lines.extend(
                [
                    f"{item_var} = {{}}",
                    f"scope[{self.const(plan.item_name)}] = {item_var}",
                    f"{parent} = {items[plan.for_each[0]]}",
                    *self.descend(parent, plan.for_each[1:-1]),
                ]
            )
        for path, value, _, _ in plan.implies:
            target = self.target(path, items, lines)
            lines.append(f"{target}[{self.const(path[-1])}] = {self.const(value)}")
        if plan.kind == "container":
            self.container(plan, depth, items, lines)
        else:
            assert plan.leaf is not None
            lines.append(f"if len({var}): raise Careful")  # elements in a text element
            self.attributes(plan, var, items, lines)
            lines.append(f"x = {var}.text or ''")
            leaf = self.leaf(plan.leaf, plan, items)
            if plan.optional:
                lines.append("if x:")
                lines.extend(f"    {line}" for line in leaf)
            else:
                lines.extend(leaf)
        if item_var is not None:
            assert plan.list_path is not None
            lines.extend(
                [
                    f"out.append(ListItem({self.const(plan.list_path)}, {counter} - 1, "
                    f"{item_var}, {parent}))",
                    "if attach:",
                    f"    {parent}.setdefault({self.const(plan.list_path[-1])}, [])"
                    f".append({item_var})",
                    f"scope.pop({self.const(plan.item_name)}, None)",
                ]
            )

    def attributes(
        self, plan: ElementPlan, var: str, items: dict[str, str], lines: list[str]
    ) -> None:
        for attribute in plan.attributes:
            lines.append(f"x = {var}.get({self.const(attribute.name)})")
            lines.append("if x is not None:")
            lines.extend(f"    {line}" for line in self.leaf(attribute.leaf, plan, items))
            if not attribute.optional:
                lines.append("else: raise Careful")

    def leaf(self, leaf: LeafPlan, plan: ElementPlan, items: dict[str, str]) -> list[str]:
        """Lines decoding the text ``x`` and setting it, as the generic ``leaf`` does."""
        if leaf.kind == "const":
            return [f"if x.strip() != {self.const(leaf.const)}: raise Careful"]
        assert leaf.bind is not None
        assert leaf.get is not None
        lines: list[str] = []
        if self.collapse:
            lines.append("x = ' '.join(x.split())")
        body = ["if not x: raise Careful"]
        codec = leaf.codec
        if type(codec) is XmlTextCodec and codec.max_length is not None:
            body.append(f"if len(x) > {codec.max_length}: raise Careful")
            body.append("v = x")
        elif type(codec) is XmlTextCodec:
            body.append("v = x")
        else:
            body.append(f"v = {self.const(codec.decode)}(x)")
        doubt = getattr(codec, "doubt", None)
        if doubt is not None:
            body.append(f"if {self.const(doubt)}(v) is not None: raise Careful")
        if plan.repeatable:
            body.extend(
                [
                    f"b = {self.const(leaf.get)}(scope)",
                    f"if isinstance(b, str): v = f'{{b}}{{{self.const(plan.join)}}}{{v}}'",
                ]
            )
        target = self.target(leaf.bind, items, body)
        body.append(f"{target}[{self.const(leaf.bind[-1])}] = v")
        if leaf.absent is not None:
            lines.append(f"if x != {self.const(leaf.absent)}:")
            lines.extend(f"    {line}" for line in body)
        else:
            lines.extend(body)
        return lines

    def target(self, path: tuple[str, ...], items: dict[str, str], lines: list[str]) -> str:
        """The dict that receives the last key of ``path`` (records made on the way)."""
        if len(path) == 2:
            return items[path[0]]
        lines.append(f"t = {items[path[0]]}")
        lines.extend(self.descend("t", path[1:-1]))
        return "t"

    def descend(self, var: str, keys: tuple[str, ...]) -> list[str]:
        """Lines moving ``var`` down ``keys``, making a record where there is none."""
        lines: list[str] = []
        for key in keys:
            name = self.const(key)
            lines.extend(
                [
                    f"c = {var}.get({name})",
                    f"if not isinstance(c, dict): c = {var}[{name}] = {{}}",
                    f"{var} = c",
                ]
            )
        return lines


def event_tags(plan: XmlFormatPlan, quick: QuickReaders) -> tuple[str, ...]:
    """The tags whose events a reader with the quick paths ``quick`` asks the parser for: the
    elements outside quick items and the quick items themselves, in every namespace accepted.
    Events of other elements it works out from the tree when they matter."""
    namespaces = {None if n == "" else n for n in (plan.file.namespace, *plan.namespaces)}
    tags: set[str] = set()

    def add(element: ElementPlan) -> None:
        tags.update(qualify(namespace, element.local) for namespace in namespaces)
        if id(element) not in quick:
            for child in element.children:
                add(child)

    add(plan.root)
    return tuple(sorted(tags))
