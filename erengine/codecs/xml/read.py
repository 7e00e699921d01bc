"""Reading an XML document through an element plan, streaming with ``iterparse``.

The reader follows the plan as elements start and end: a child must be one the plan allows at
that point, in order; leaves are decoded and set into the model item being built; computed
leaves are recomputed and compared once the list item holding them is complete (so a group
header's ``NbOfTxs`` is checked after the transactions it counts); totals accumulate as
elements end. Each completed element is cleared and dropped from its parent, so memory stays
flat however many transactions a file holds.

That generic walk costs more per element than reading it. So list items without lists of
their own below their nested items (a camt ``Ntry`` with its ``TxDtls``, a pain
``CdtTrfTxInf``) have a quick path (``read_quick.py``): the parser reports only the elements
outside such items and the items themselves; once an item has ended, one function generated
from the plan reads its subtree. An item it does not expect is read again on the generic path,
which reports exactly what is wrong. Whatever the plan must see that the parser held back (an
element outside the items that the format does not know) is worked out from the tree, which
holds everything before the element reported. A document that breaks off or is refused before
its end, or 1 MB read without an element reported, has the document read again from the start
with every element reported (items already given are not given again): the generic path then
says what is wrong, and a big item streams. A stream that cannot seek is read that way from
the start.

The parser is hardened: no entity resolution, no DTD loading, no network, no ``huge_tree``,
never ``recover``. ISO 20022 messages have no DTD, so a document with a DOCTYPE (the carrier
of XXE and entity-expansion attacks) is refused outright (PRS210).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, BinaryIO, cast

from lxml import etree

from erengine.codecs.base import ListItem, ModelPath, TreeReaderState
from erengine.codecs.leaf import LeafError
from erengine.codecs.records.fast import Careful
from erengine.codecs.xml.hardening import iterparse
from erengine.codecs.xml.plan import ElementPlan, LeafPlan, XmlFormatPlan, qualify
from erengine.codecs.xml.read_quick import (
    ITEM_BYTE_LIMIT,
    ITEM_ELEMENT_LIMIT,
    QuickReadItem,
    event_tags,
    quick_readers,
)
from erengine.errors import DataPosition, ErengineError, ParseError
from erengine.expr import Expression


@dataclass(slots=True)
class _Frame:
    """An open element: its plan (None while skipping an undeclared subtree) and progress.

    The XPath and line are worked out only when an error needs them: building them for every
    element cost more than reading it.
    """

    plan: ElementPlan | None
    parent: _Frame | None
    step: str  # this element's XPath step, e.g. `Ntry[3]`
    element: Any
    position: int = -1  # index of the last child seen
    counts: dict[int, int] = field(default_factory=dict)  # child index -> occurrences
    item: ListItem | None = None  # the list item this element is (for `for_each`)
    last: Any = None  # the child that ended last

    @property
    def xpath(self) -> str:
        steps: list[str] = []
        frame: _Frame | None = self
        while frame is not None:
            steps.append(frame.step)
            frame = frame.parent
        return "/" + "/".join(reversed(steps))

    @property
    def line(self) -> int | None:
        line: int | None = self.element.sourceline
        return line


@dataclass(slots=True)
class _Computed:
    leaf: LeafPlan
    plan: ElementPlan
    text: str
    xpath: str
    line: int | None


class XmlReader(TreeReaderState):
    """Iterate to read; ``root`` holds the document-level fields once iteration ends."""

    def __init__(
        self,
        plan: XmlFormatPlan,
        stream: BinaryIO,
        *,
        file_name: str | None = None,
        attach: bool = False,
        context: dict[str, Any] | None = None,
        error_limit: int = 100,
        quick: bool = True,
        filtered: bool = True,
    ) -> None:
        """``quick=False`` reads every element on the generic path; ``filtered=False`` has
        the parser report every element even with quick paths (tests compare the three)."""
        super().__init__(
            file_name=file_name, attach=attach, context=context, error_limit=error_limit
        )
        self.plan = plan
        self.stream = stream
        # Expressions see the list items being read and the document-level fields read so far.
        self.view = ChainMap(self.scope, self.root)
        self.stack: list[_Frame] = []
        self.pending: list[list[_Computed]] = [[]]
        self.ignore_unknown = plan.file.unknown_elements == "ignore"
        self.namespace = plan.file.namespace
        self.accepted = frozenset(plan.namespaces)
        self.ignored: set[str] = set()
        self.tags: dict[Any, tuple[str | None, str]] = {}
        self.collapse = plan.file.whitespace == "collapse"
        self.quick = quick_readers(plan) if quick else {}
        self.filtered = filtered and bool(self.quick) and _seekable(stream)
        self.item_limit = ITEM_ELEMENT_LIMIT  # elements (every event reported)
        self.item_bytes = ITEM_BYTE_LIMIT  # bytes (events filtered)
        self.quick_items = 0  # list items read on the quick path
        self.careful_items = 0  # ... that it gave to the generic path
        self.read_again = False  # the filtered read broke off and the document was read again

    def __iter__(self) -> Iterator[ListItem]:
        if self.filtered:
            yield from self.read_filtered()
        else:
            yield from self.read_every_event()

    def read_every_event(self) -> Iterator[ListItem]:
        """Follow the plan through every element's start and end."""
        events = iterparse(self.stream, ("start", "end"))
        quick = self.quick
        try:
            for event, element in events:
                if event == "start":
                    frame = self.start(element)
                    if quick and frame is not None and id(frame.plan) in quick:
                        yield from self.read_quickly(events, frame, quick[id(frame.plan)])
                else:
                    item = self.end(element)
                    if item is not None:
                        yield item
        except etree.XMLSyntaxError as exc:
            line, column = exc.position if exc.position else (None, None)
            self.errors.add(
                ParseError(
                    "PRS201",
                    f"not well-formed XML: {exc.msg}",
                    position=DataPosition(file=self.file_name, line=line, column=column),
                    expected="a well-formed XML document",
                    found=self.xpath_here(),
                    hint="entity declarations and DTDs are refused"
                    if "entit" in str(exc.msg).lower()
                    else None,
                )
            )
        self.errors.raise_if_any()

    def read_filtered(self) -> Iterator[ListItem]:
        """Follow the plan with the parser reporting only the elements outside quick items
        and the quick items themselves (so no event per element inside an item); whatever
        else the plan must see (an element it does not know, say) is worked out from the
        tree. Where the document breaks off (not well-formed), or the parser reads more than
        ``item_bytes`` without reporting an element (a big item, a big element the format
        does not know: memory stays flat), or an error ends the read before the document
        does, the document is read again from the start with every event, which reports
        exactly what the generic path reports; the items already given are not given again."""
        start = self.stream.tell()
        budget = _Budget(self.stream)
        events = iterparse(
            cast(BinaryIO, budget), ("start", "end"), tags=event_tags(self.plan, self.quick)
        )
        given = 0
        try:
            for item in self.follow_filtered(events, budget):
                given += 1
                yield item
        except (etree.XMLSyntaxError, _Again, ErengineError):
            pass  # an error group raised before the end, too: said as the generic path says it
        else:
            self.errors.raise_if_any()
            return
        self.read_again = True
        self.stream.seek(start)
        again = XmlReader(
            self.plan,
            self.stream,
            file_name=self.file_name,
            attach=self.attach,
            context=self.scope["context"],
            error_limit=self.errors.limit,
            filtered=False,
        )
        again.item_limit = self.item_limit
        try:
            for index, item in enumerate(again):
                if index >= given:
                    yield item
        finally:
            self.root.clear()
            self.root.update(again.root)
            self.report.records = again.report.records
            self.report.warnings[:] = again.report.warnings
            self.errors = again.errors
            self.quick_items, self.careful_items = again.quick_items, again.careful_items

    def follow_filtered(self, events: Any, budget: _Budget) -> Iterator[ListItem]:
        quick = self.quick
        for event, element in events:
            budget.left = self.item_bytes  # what the parser reads before it reports again
            if not self.in_step(event, element):
                yield from self.catch_up(event, element)
            if event == "start":
                frame = self.start(element)
                if frame is not None and id(frame.plan) in quick:
                    yield from self.read_item(events, frame, quick[id(frame.plan)], budget)
            else:
                item = self.end(element)
                if item is not None:
                    yield item
        if not self.report.records and events.root is not None:
            self.start(events.root)  # none of the format's elements came: the root says why
        yield from self.catch_up(None, None)

    def in_step(self, event: str, element: Any) -> bool:
        """Whether ``event`` of ``element`` is the next the plan needs: nothing was held
        back before it."""
        if not self.stack:
            return False
        top = self.stack[-1]
        last = top.last
        if event == "start":
            if last is not None:
                return last.getnext() is element
            return len(top.element) > 0 and top.element[0] is element
        if element is not top.element:
            return False
        return last.getnext() is None if last is not None else not len(element)

    def catch_up(self, event: str | None, element: Any) -> Iterator[ListItem]:
        """Follow the plan through the events held back before ``event`` of ``element``
        (None: the end of the document), each the next in document order from the tree:
        everything before the element the parser reported is in it. An element reported
        that is not where the tree says it should be (after an error) raises ``_Again``."""
        if element is not None and self.stack:
            if event == "start":
                if element.getroottree().getroot() is not self.stack[0].element:
                    raise _Again
            elif not any(frame.element is element for frame in self.stack):
                raise _Again
        while True:
            if not self.stack:
                if element is not None and self.report.records:
                    raise _Again  # an element after the document element
                if element is None:
                    return  # the document element has ended (or none came)
                root = element.getroottree().getroot()
                if event == "start" and root is element:
                    return
                self.start(root)  # raises if it is not the format's document element
                continue
            top = self.stack[-1]
            last = top.last
            if last is not None:
                after = last.getnext()
            else:
                after = top.element[0] if len(top.element) else None
            if after is None:
                if event == "end" and element is top.element:
                    return
                item = self.end(top.element)
                if item is not None:
                    yield item
            elif event == "start" and element is after:
                return
            else:
                self.start(after)

    def read_item(
        self, events: Any, frame: _Frame, quick: QuickReadItem, budget: _Budget
    ) -> Iterator[ListItem]:
        """The list item ``frame`` started, read quickly once the parser reports its end."""
        element = frame.element
        for event, inner in events:
            if inner is element and event == "end":
                break
        yield from self.read_complete(frame, quick)

    # -- structure ---------------------------------------------------------------------

    def xpath_here(self) -> str:
        return self.stack[-1].xpath if self.stack else "/"

    def names(self, tag: Any) -> tuple[str | None, str]:
        """The tag in the plan's namespace (None when its namespace is not accepted) and its
        local name; remembered, as a document has few distinct tags."""
        known = self.tags.get(tag)
        if known is None:
            known = self.tags[tag] = self.normalise(str(tag))
        return known

    def normalise(self, tag: str) -> tuple[str | None, str]:
        if tag.startswith("{"):
            namespace, _, local = tag[1:].partition("}")
        else:
            namespace, local = None, tag
        if namespace == self.namespace:
            return tag, local
        if namespace in self.accepted:
            return qualify(self.namespace, local), local
        return None, local

    def start(self, element: Any) -> _Frame | None:
        """Follow the plan into ``element``; the frame of a list item, to be read quickly."""
        self.report.records += 1
        if not self.stack:
            self.start_document(element)
            return None
        parent = self.stack[-1]
        tag, local = self.names(element.tag)
        if parent.plan is None or parent.plan.kind != "container":
            if parent.plan is not None:
                self.fail(
                    "PRS205",
                    f"`{parent.plan.local}` holds text, not elements",
                    parent.plan,
                    element.sourceline,
                    expected="text",
                    found=f"element {local}",
                    xpath=parent.xpath,
                )
            self.stack.append(_Frame(None, parent, local, element))
            return None
        index = parent.plan.child_index.get(tag) if tag is not None else None
        if index is None:
            self.unknown(parent, element, local)
            return None
        child = parent.plan.children[index]
        count = parent.counts.get(index, 0)
        step = f"{local}[{count + 1}]" if child.for_each is not None else local
        if not parent.plan.choice:
            if index < parent.position or (
                index == parent.position
                and child.for_each is None
                and count
                and not child.repeatable
            ):
                self.fail(
                    "PRS204",
                    f"`{local}` is out of order or repeated in `{parent.plan.local}`",
                    child,
                    element.sourceline,
                    expected=self.expected_after(parent),
                    found=local,
                    xpath=f"{parent.xpath}/{step}",
                )
                self.stack.append(_Frame(None, parent, step, element))
                return None
            if index > parent.position + 1:
                self.check_missing(parent, index, element, local)
            parent.position = index
        parent.counts[index] = count + 1
        if child.when is not None and not self.evaluate(child.when):
            self.stack.append(_Frame(None, parent, step, element))  # not for this item
            return None
        frame = _Frame(child, parent, step, element)
        if child.for_each is not None:
            frame.item = self.start_item(child, count)
        for name in child.own_totals:
            self.totals[name] = 0
        for _, value, _, set_value in child.implies:
            set_value(self.scope, self.root, value)
        self.stack.append(frame)
        return frame if frame.item is not None else None

    def start_document(self, element: Any) -> None:
        root = self.plan.root
        line = element.sourceline
        if element.getroottree().docinfo.doctype:
            self.fail(
                "PRS210",
                "the document has a DOCTYPE; DTDs and entity declarations are refused",
                root,
                line,
                expected="an ISO 20022 document without DTD",
                found=element.getroottree().docinfo.doctype,
                xpath="/",
                hint="XXE and entity-expansion attacks hide in DTDs; banks never send one",
            )
            raise self.errors.as_group()
        tag, _ = self.names(element.tag)
        if tag != root.tag:
            self.fail(
                "PRS202",
                f"the document is not a {self.plan.name} message",
                root,
                line,
                expected=f"root element {root.tag}",
                found=str(element.tag),
                xpath="/",
            )
            raise self.errors.as_group()
        for name in root.own_totals:
            self.totals[name] = 0
        self.stack.append(_Frame(root, None, root.local, element))

    def skipped(self, prefix: str, tag: Any) -> bool:
        """Whether an element not in the format (``tag``, under the element whose config path
        ``prefix`` begins) is skipped quietly: ignored, and warned about already."""
        if not self.ignore_unknown or not isinstance(tag, str):
            return False
        return f"{prefix}{self.names(tag)[1]}" in self.ignored

    def unknown(self, parent: _Frame, element: Any, local: str) -> None:
        frame = _Frame(None, parent, local, element)
        assert parent.plan is not None
        if self.ignore_unknown:
            pattern = f"{parent.plan.config_path}/{local}"
            if pattern not in self.ignored:
                self.ignored.add(pattern)
                self.report.warnings.append(
                    f"{self.file_name or '<data>'}:{element.sourceline} {frame.xpath}: element "
                    "not in the format, skipped (and any more like it)"
                )
        else:
            self.fail(
                "PRS203",
                f"`{local}` is not an element of `{parent.plan.local}` in this format",
                parent.plan,
                element.sourceline,
                expected=self.expected_after(parent),
                found=str(element.tag),
                xpath=frame.xpath,
            )
        self.stack.append(frame)

    def expected_after(self, frame: _Frame) -> str:
        assert frame.plan is not None
        names: list[str] = []
        for child in frame.plan.children[max(frame.position, 0) :]:
            names.append(child.local)
            if not child.optional_on_read:
                break
        return " or ".join(names) or f"the end of `{frame.plan.local}`"

    def check_missing(self, frame: _Frame, upto: int, at: Any, found: str) -> None:
        """Required children before ``upto`` that never came; ``at`` is the element that
        shows it (its line goes in the error)."""
        assert frame.plan is not None
        for index in range(frame.position + 1, upto):
            child = frame.plan.children[index]
            if not child.optional_on_read and not frame.counts.get(index):
                self.fail(
                    "PRS202",
                    f"`{child.local}` is missing in `{frame.plan.local}`",
                    child,
                    at.sourceline,
                    expected=child.local,
                    found=found,
                    xpath=f"{frame.xpath}/{child.local}",
                )

    def check_children(self, frame: _Frame) -> None:
        plan = frame.plan
        assert plan is not None
        if plan.choice:
            present = [plan.children[i].local for i in frame.counts]
            if len(present) != 1 and not (not present and plan.optional):
                self.fail(
                    "PRS206",
                    f"`{plan.local}` needs exactly one of its alternatives",
                    plan,
                    frame.line,
                    expected=" or ".join(c.local for c in plan.children),
                    found=", ".join(present) or "none",
                    xpath=frame.xpath,
                )
            return
        if frame.position + 1 < len(plan.children):
            self.check_missing(
                frame, len(plan.children), frame.element, f"the end of `{plan.local}`"
            )
        for index, child in enumerate(plan.children):
            if child.min and frame.counts.get(index, 0) < child.min:
                self.fail(
                    "PRS202",
                    f"`{child.local}` needs at least {child.min} repetition(s)",
                    child,
                    frame.line,
                    expected=f"{child.min} x {child.local}",
                    found=str(frame.counts.get(index, 0)),
                    xpath=f"{frame.xpath}/{child.local}",
                )

    def start_item(self, plan: ElementPlan, index: int) -> ListItem:
        assert plan.for_each is not None
        assert plan.list_path is not None
        item: dict[str, Any] = {}
        self.scope[plan.item_name] = item
        self.pending.append([])
        path = plan.for_each
        owner = self.scope.get(path[0]) if len(path) > 1 else None
        if isinstance(owner, dict) and path[0] != plan.item_name:
            parent = _walk(owner, path[1:-1])
        else:
            parent = _walk(self.root, path[:-1])
        return ListItem(plan.list_path, index, item, parent)

    # -- leaves ------------------------------------------------------------------------

    def end(self, element: Any) -> ListItem | None:
        frame = self.stack.pop()
        if self.stack:
            self.stack[-1].last = element
        plan = frame.plan
        if plan is None:
            self.drop(element)
            return None
        for attribute in plan.attributes:
            text = element.get(attribute.name)
            if text is None:
                if not attribute.optional and attribute.leaf.kind != "value":
                    self.fail(
                        "PRS202",
                        f"attribute `{attribute.name}` of `{plan.local}` is missing",
                        plan,
                        frame.line,
                        expected=f"@{attribute.name}",
                        found="nothing",
                        xpath=f"{frame.xpath}/@{attribute.name}",
                    )
                continue
            self.leaf(attribute.leaf, plan, text, frame, f"/@{attribute.name}")
        if plan.kind == "container":
            self.check_children(frame)
        else:
            assert plan.leaf is not None
            text = element.text or ""
            if text or not plan.optional:
                self.leaf(plan.leaf, plan, text, frame)
        return self.close(frame, plan, element)

    def close(self, frame: _Frame, plan: ElementPlan, element: Any) -> ListItem | None:
        """What ends with an element read: its totals, the checks and end of its list item."""
        if plan.feeds.steps:
            self.tally(plan)
        if frame.item is not None:
            self.check_pending()
            if self.attach:
                frame.item.parent.setdefault(frame.item.list_path[-1], []).append(frame.item.item)
            self.scope.pop(plan.item_name, None)
            self.drop(element)
            return frame.item
        if not self.stack:
            self.check_pending()
            self.drop(element)
        return None

    # -- the quick path ----------------------------------------------------------------

    def read_quickly(self, events: Any, frame: _Frame, quick: QuickReadItem) -> Iterator[ListItem]:
        """Read the list item that ``frame`` started once it has ended, with its generated
        function; anything that function does not expect, the generic path reads instead.

        Until the item ends its events are only held (the elements stay in memory): an
        item bigger than ``item_limit`` elements, or a document that breaks off inside it,
        has the events held read on the generic path, which goes on from there. (The events,
        not the tree: after an error the parser may report elements the tree does not hold.)"""
        held: list[tuple[str, Any]] = []
        hold = held.append
        starts = depth = 0
        try:
            for pair in events:
                hold(pair)
                if pair[0] == "start":
                    starts += 1
                    depth += 1
                    if starts > self.item_limit:
                        yield from self.replay(held)
                        return
                elif depth:
                    depth -= 1
                else:
                    break
        except etree.XMLSyntaxError:
            yield from self.replay(held)
            raise
        yield from self.read_complete(frame, quick, starts, held)

    def read_complete(
        self,
        frame: _Frame,
        quick: QuickReadItem,
        starts: int | None = None,
        held: list[tuple[str, Any]] | None = None,
    ) -> Iterator[ListItem]:
        """Read the list item ``frame`` started, now complete in the tree (``starts``
        elements inside it and the events ``held``, if counted), with its quick function,
        else on the generic path."""
        element = frame.element
        item = frame.item
        assert item is not None
        assert frame.plan is not None
        try:
            nested, count = quick.read(self, element, item.item, self.attach)
        except (Careful, LeafError, ErengineError):
            self.careful_items += 1
            item.item.clear()  # what the function set; the item's own start again
            for _, value, _, set_value in frame.plan.implies:
                set_value(self.scope, self.root, value)
            for name in quick.nested:
                self.scope.pop(name, None)
            if held is None:  # the events as the tree holds them, the item's start aside
                held = list(islice(etree.iterwalk(element, events=("start", "end")), 1, None))
            yield from self.replay(held)
            return
        self.quick_items += 1
        self.report.records += count if starts is None else starts
        yield from nested
        self.stack.pop()
        self.stack[-1].last = element
        done = self.close(frame, frame.plan, element)
        assert done is item
        yield item

    def replay(self, events: list[tuple[str, Any]]) -> Iterator[ListItem]:
        """The generic path over ``events`` held back."""
        for event, inner in events:
            if event == "start":
                self.start(inner)
            else:
                item = self.end(inner)
                if item is not None:
                    yield item

    @staticmethod
    def drop(element: Any) -> None:
        """Free what was read: the element's content and the siblings before it."""
        element.clear()
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]

    def leaf(
        self, leaf: LeafPlan, plan: ElementPlan, text: str, frame: _Frame, attribute: str = ""
    ) -> None:
        """Decode a leaf's text into the model; ``attribute`` is ``/@Name`` for an attribute.

        The place (XPath, line) is worked out only for an error or a warning."""
        if leaf.kind == "const":
            if text.strip() != leaf.const:
                self.fail(
                    "PRS208",
                    f"`{plan.local}` must be {leaf.const!r}",
                    plan,
                    frame.line,
                    expected=repr(leaf.const),
                    found=text,
                    xpath=frame.xpath + attribute,
                )
            return
        if leaf.kind == "value":
            self.pending[-1].append(
                _Computed(leaf, plan, text, frame.xpath + attribute, frame.line)
            )
            return
        if self.collapse:
            text = " ".join(text.split())
        if text == leaf.absent:
            return
        if not text:
            self.fail(
                "PRS207",
                f"`{plan.local}` is empty",
                plan,
                frame.line,
                expected="a value",
                found="",
                xpath=frame.xpath + attribute,
            )
            return
        try:
            value = leaf.codec.decode(text)
        except LeafError as exc:
            self.fail(
                "PRS206",
                f"`{plan.local}` does not fit its format",
                plan,
                frame.line,
                expected=exc.expected,
                found=text,
                xpath=frame.xpath + attribute,
            )
            return
        doubt = getattr(leaf.codec, "doubt", None)
        problem = doubt(value) if doubt is not None else None
        if problem is not None:
            self.report.warnings.append(
                f"{self.file_name or '<data>'}:{frame.line} {frame.xpath}{attribute}: "
                f"expected {problem}, "
                f"found {value!r} (kept)"
            )
        assert leaf.set is not None
        if plan.repeatable and leaf.get is not None:
            before = leaf.get(self.scope) if leaf.bind and leaf.bind[0] in self.scope else None
            if isinstance(before, str):
                value = f"{before}{plan.join}{value}"
        leaf.set(self.scope, self.root, value)

    def check_pending(self) -> None:
        for computed in self.pending.pop():
            self.check_computed(computed)

    def check_computed(self, computed: _Computed) -> None:
        leaf, plan = computed.leaf, computed.plan
        assert leaf.expression is not None
        expected = self.evaluate(leaf.expression)
        if expected is None:
            return
        try:
            found = leaf.codec.decode(computed.text)
        except LeafError:
            found = computed.text
        if found != expected:
            try:
                shown = leaf.codec.encode(expected)
            except LeafError:
                shown = str(expected)
            if plan.mismatch_warns:
                self.report.warnings.append(
                    f"{self.file_name or '<data>'}:{computed.line} {computed.xpath}: "
                    f"`{plan.local}` does not match the document's contents: expected {shown}, "
                    f"found {computed.text} (all of it read on; writing computes the figure)"
                )
                return
            self.fail(
                "PRS209",
                f"`{plan.local}` does not match the document's contents",
                plan,
                computed.line,
                expected=shown,
                found=computed.text,
                xpath=computed.xpath,
            )

    def tally(self, plan: ElementPlan) -> None:
        """Add an element to its totals; with errors already found, a summand that cannot be
        evaluated (its value was unreadable) is left out quietly: the error says why, and the
        total that no longer matches says so too."""
        feeds = plan.feeds
        evaluate = self.quietly if self.errors else self.evaluate
        for name, when, summand in feeds.steps:
            if when >= 0 and not evaluate(feeds.expressions[when]):
                continue
            if summand < 0:
                self.totals[name] += 1
            else:
                amount = evaluate(feeds.expressions[summand])
                if amount is not None:
                    self.totals[name] += amount

    def quietly(self, expression: Expression) -> Any:
        try:
            return expression.evaluate(self.view)
        except ErengineError:
            return None

    def evaluate(self, expression: Expression) -> Any:
        return self.errors.value_of(expression, self.view)

    def fail(
        self,
        code: str,
        message: str,
        plan: ElementPlan | None,
        line: int | None,
        *,
        expected: str,
        found: str,
        xpath: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.errors.add(
            ParseError(
                code,
                message,
                position=DataPosition(
                    file=self.file_name,
                    line=line,
                    xpath=xpath,
                    field=plan.name if plan is not None else None,
                ),
                expected=expected,
                found=found,
                span=plan.span if plan is not None else None,
                hint=hint,
            )
        )


class _Again(Exception):
    """The filtered read cannot go on as the generic path would: the parser read more than
    the reader's ``item_bytes`` without reporting an element (the tree holds an item, or an
    element the format does not know, that big), or reported one the tree does not hold
    where it should (after an error)."""


class _Budget:
    """The stream as the parser reads it, counting down the bytes it may read before it
    reports the next element (``left``; None: no limit)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.left: int | None = None

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        if self.left is not None:
            self.left -= len(data)
            if self.left < 0:
                raise _Again
        return data


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _walk(target: dict[str, Any], keys: ModelPath) -> dict[str, Any]:
    for key in keys:
        child = target.get(key)
        if not isinstance(child, dict):
            child = {}
            target[key] = child
        target = child
    return target
