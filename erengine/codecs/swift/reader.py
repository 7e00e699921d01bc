"""Reading SWIFT MT files through a compiled plan: messages into model items, streaming.

Each message becomes one item of the plan's root list (a statement); the items of repeated
groups (entries) are yielded as they complete, the message's item when the message ends.
Tags are placed by the declared order: a tag may stand at or after the current position,
mandatory tags skipped on the way are reported, a tag that belongs earlier is out of order.
Field errors are collected (file, line, column, message number, tag and notation part) and
the reader goes on with the next field; checks marked as warnings (the balance check) go to
the read report. A statement continued over several messages is held until its last page.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO

from jinja2 import Undefined  # what an expression run bare gives for missing data

from erengine.codecs.base import ListItem, ReadReport
from erengine.codecs.leaf import LeafError
from erengine.codecs.swift.format_plan import (
    GroupPlan,
    ListTarget,
    PartPlan,
    SwiftPlan,
    TagPlan,
)
from erengine.codecs.swift.subfields import SubfieldScheme
from erengine.codecs.swift.tokenizer import (
    EnvelopeBlock,
    SwiftField,
    SwiftMessage,
    iter_messages,
)
from erengine.codecs.swift.values import month_day_near, month_end
from erengine.errors import DataPosition, ErengineError, ErrorCollector, ParseError, SourceSpan
from erengine.expr import FAILURES, Expression

VALUE_DOES_NOT_FIT = "PRS330"
COMPUTED_MISMATCH = "PRS331"
CONSTANT_MISMATCH = "PRS332"
TAG_OUT_OF_ORDER = "PRS340"
TAG_MISSING = "PRS341"
CHECK_FAILED = "PRS342"
EXPRESSION_FAILED = "PRS343"

_KEPT_FIELDS = 8


@dataclass(slots=True)
class _MessageState:
    """Where reading one message stands."""

    message: SwiftMessage
    scope: dict[str, Any]
    cursor: int = 0
    seen: set[int] = field(default_factory=set)
    one_of_seen: set[str] = field(default_factory=set)
    group: GroupPlan | None = None
    group_tag: int = 0
    item: dict[str, Any] | None = None
    # The first item of each ``first_item`` list, with the list it goes to when not empty.
    firsts: Sequence[tuple[ListTarget, dict[str, Any]]] = ()
    page_settled: bool = False
    # A field of the message did not read: sums and checks over it would only add noise.
    failed: bool = False
    derived: dict[str, Any] = field(default_factory=dict)  # values derived once per message
    kept: list[SwiftField] = field(default_factory=list)


@dataclass(slots=True)
class _Held:
    """A statement whose last page is still to come."""

    item: dict[str, Any]
    same: Any
    counts: dict[str, int]


class SwiftReader:
    """Iterate to read; ``root`` holds the file-level data once iteration ends."""

    def __init__(
        self,
        plan: SwiftPlan,
        stream: BinaryIO,
        *,
        file_name: str | None = None,
        attach: bool = False,
        context: dict[str, Any] | None = None,
        error_limit: int = 100,
        quick: bool = True,
    ) -> None:
        self.plan = plan
        # False: no quick path anywhere (lines, tags, group items); tests compare the two.
        self.quick = quick
        self.stream = stream
        self.file_name = file_name or "<data>"
        self.attach = attach
        self.context = context or {}
        self.report = ReadReport()
        self.errors = ErrorCollector(limit=error_limit)
        self.root: dict[str, Any] = {}
        self.held: _Held | None = None
        self.tabs_as_spaces = plan.file.tabs_as_spaces
        self.item_count = 0
        self.skipped = 0  # messages that made no item (skip_unless_any)
        self.envelope = {block.tag: block for block in plan.envelope}
        self.list_counts: dict[str, int] = {}  # items yielded so far, per group
        # Per group: the quick readers ``read_group_items`` may call directly (None where
        # ``read_tag`` has more to do: sub-fields, tabs to replace).
        self.quick_readers = {
            slot.name: tuple(
                tag.quick if tag.subfields is None and not self.tabs_as_spaces else None
                for tag in slot.tags
            )
            for slot in plan.slots
            if isinstance(slot, GroupPlan)
        }
        # Per group, looked up once: its model list path, the scope name of its items'
        # parent, and the totals it feeds (name, the summand's bare run, the plan).
        self.groups = {
            slot.name: (
                (plan.list_key, *slot.items.keys),
                slot.items.scope,
                tuple(
                    (total.name, total.summand.run, total)
                    for total in plan.totals
                    if total.group == slot.name
                ),
            )
            for slot in plan.slots
            if isinstance(slot, GroupPlan)
        }

    def __iter__(self) -> Iterator[ListItem]:
        plan = self.plan
        for message in iter_messages(
            self.stream,
            file_name=self.file_name,
            encoding=plan.file.encoding,
            known_tags=plan.known_tags,
            strip_trailing_spaces=plan.file.strip_trailing_spaces,
            quick=self.quick,
        ):
            yield from self.read_message(message)
        if self.held is not None:
            yield self.finish_item(self.held.item)
            self.held = None
        if self.skipped and self.attach:
            # Every message skipped, each reported: the file holds no item, truthfully.
            self.root.setdefault(plan.list_key, [])
        self.errors.raise_if_any()

    # -- messages -------------------------------------------------------------------------

    def read_message(self, message: SwiftMessage) -> Iterator[ListItem]:
        plan = self.plan
        item: dict[str, Any] = dict(plan.implies)
        totals: dict[str, Any] = {total.name: Decimal(0) for total in plan.totals}
        scope: dict[str, Any] = {plan.item_name: item, "totals": totals, "context": self.context}
        state = _MessageState(message, scope)
        if self.envelope:
            self.read_envelope(state, message.header)
        keep = bool(plan.item_slots)  # the first fields, for the warning if it is skipped
        skip_tags, kept, place = plan.skip_tags, state.kept, self.place
        fields = iter(message)
        for swift_field in fields:
            if swift_field[0] in skip_tags:
                continue
            if keep and len(kept) < _KEPT_FIELDS:
                kept.append(swift_field)
            leftover: SwiftField | None = swift_field
            while leftover is not None:
                completed = place(state, leftover)
                if completed:
                    yield from completed
                leftover = None
                if state.group is not None:
                    leftover = yield from self.read_group_items(state, fields, keep)
        if self.envelope:
            self.read_envelope(state, message.trailer)
        closed = self.close_group(state)
        if closed is not None:
            yield closed
        if self.plan.item_slots and not state.seen & self.plan.item_slots:
            self.skip_message(state)
            return
        finished = self.settle_page(state)
        if finished is not None:
            yield finished
        self.check_mandatory(state)
        self.run_checks(state)
        self.report.records += 1
        yield from self.end_of_message(state)

    def read_group_items(
        self, state: _MessageState, fields: Iterator[SwiftField], keep: bool
    ) -> Generator[ListItem, None, SwiftField | None]:
        """The fields of an open group in their common order, read here in a loop of their
        own: the next item (an entry's :61:), or the next tag of the item (its :86:). Gives
        the first field that is neither (None at the message's end) to ``place``."""
        group = state.group
        assert group is not None
        tags = group.tags
        first_tag, last = tags[0].tag, len(tags) - 1
        # The quick readers called here directly; ``read_tag`` does the rest (and all of it
        # for a value the quick reader refuses).
        quick = self.quick_readers[group.name] if self.quick else (None,) * len(tags)
        # An empty optional field is absent, which ``read_tag`` knows.
        optional = tuple(tag.optional for tag in tags)
        skip_tags, kept, scope = self.plan.skip_tags, state.kept, state.scope
        close_group, open_group_item, read_tag = (
            self.close_group,
            self.open_group_item,
            self.read_tag,
        )
        current = state.group_tag  # kept in state for ``place`` when a field is left over
        for swift_field in fields:
            tag = swift_field[0]
            if tag in skip_tags:
                continue
            if keep and len(kept) < _KEPT_FIELDS:
                kept.append(swift_field)
            closed = None
            if tag == first_tag:
                closed = close_group(state)
                open_group_item(state, group)
                current = 0
            elif not (tags[current].repeat and tags[current].tag == tag):
                if current == last or tags[current + 1].tag != tag:
                    state.group_tag = current
                    return swift_field
                current += 1
            reader, value, groups = quick[current], swift_field[1], None
            if reader is not None and value and not (optional[current] and value.isspace()):
                try:
                    groups = reader(scope, value)
                except (LeafError, ArithmeticError):
                    groups = None  # a part that does not decode: ``read_tag`` reports it
            if groups is None:
                read_tag(state, swift_field, tags[current])
            if closed is not None:
                yield closed
        state.group_tag = current
        return None

    def read_envelope(self, state: _MessageState, blocks: tuple[EnvelopeBlock, ...]) -> None:
        """The envelope blocks the format declares, read like tags (others are ignored)."""
        line = state.message.line
        for block in blocks:
            plan = self.envelope.get(block.id)
            if plan is not None:
                as_field = SwiftField(block.id, block.content, line, 1, (line,), 2 + len(block.id))
                self.read_tag(state, as_field, plan)

    def skip_message(self, state: _MessageState) -> None:
        """``skip_unless_any``: a message without any tag that makes an item is no item."""
        plan = self.plan
        self.skipped += 1
        wanted = ", ".join(
            f":{slot.tags[0].tag if isinstance(slot, GroupPlan) else slot.tag}:"
            for index, slot in enumerate(plan.slots)
            if index in plan.item_slots
        )
        held = ", ".join(f"{field.tag} {_shown(field.value)}" for field in state.kept)
        self.warn(
            state,
            None,
            f"holds none of {wanted}: not a {plan.item_name}, skipped; it held {held} "
            "(skip_unless_any)",
        )

    def end_of_message(self, state: _MessageState) -> Iterator[ListItem]:
        item = state.scope[self.plan.item_name]
        pages = self.plan.pages
        if pages is not None and self.evaluate(pages.continued, state, "pages.continued"):
            if self.held is None or self.held.item is not item:
                same = self.evaluate(pages.same, state, "pages.same")
                self.held = _Held(item, same, dict(self.list_counts))
            return
        if self.held is not None and self.held.item is item:
            self.held = None
        yield self.finish_item(item)

    def finish_item(self, item: dict[str, Any]) -> ListItem:
        list_key = self.plan.list_key
        if self.attach:
            self.root.setdefault(list_key, []).append(item)
        index = self.item_count
        self.item_count += 1
        self.list_counts.clear()
        return ListItem((list_key,), index, item, self.root)

    def settle_page(self, state: _MessageState) -> ListItem | None:
        """Before the first group item (or at the end): does this message continue one held?
        The held statement when it does not, finished."""
        if state.page_settled:
            return None
        state.page_settled = True
        held, pages = self.held, self.plan.pages
        if held is None or pages is None:
            return None
        if self.evaluate(pages.continues, state, "pages.continues") and (
            self.evaluate(pages.same, state, "pages.same") == held.same
        ):
            page = state.scope[self.plan.item_name]
            _merge_page(held.item, page)
            state.scope[self.plan.item_name] = held.item
            self.list_counts.update(held.counts)
            return None
        self.held = None
        return self.finish_item(held.item)

    # -- placing tags in order ------------------------------------------------------------

    def place(self, state: _MessageState, swift_field: SwiftField) -> list[ListItem]:
        """The field read where the declared order puts it; the items it completes."""
        tag = swift_field.tag
        group = state.group
        completed: list[ListItem] = []
        if group is not None:
            tags = group.tags
            if tags[0].tag == tag:
                closed = self.close_group(state)
                self.open_group_item(state, group)
                self.read_tag(state, swift_field, tags[0])
                return [closed] if closed is not None else completed
            for index in range(state.group_tag, len(tags)):
                candidate = tags[index]
                if candidate.tag == tag and (index > state.group_tag or candidate.repeat):
                    state.group_tag = index
                    self.read_tag(state, swift_field, candidate)
                    return completed
            closed = self.close_group(state)
            if closed is not None:
                completed.append(closed)
            state.group = None
            state.cursor += 1
        slots = self.plan.slots
        for index in range(state.cursor, len(slots)):
            slot = slots[index]
            if isinstance(slot, GroupPlan):
                if slot.tags[0].tag == tag:
                    finished = self.settle_page(state)
                    if finished is not None:
                        completed.append(finished)
                    state.cursor = index
                    state.seen.add(index)
                    state.group = slot
                    self.open_group_item(state, slot)
                    self.read_tag(state, swift_field, slot.tags[0])
                    return completed
                continue
            if slot.tag != tag:
                continue
            if index == state.cursor and index in state.seen and not slot.repeat:
                continue
            state.cursor = index
            state.seen.add(index)
            if slot.one_of is not None:
                state.one_of_seen.add(slot.one_of)
            self.read_tag(state, swift_field, slot)
            return completed
        if self.plan.file.unexpected_tags == "skip":
            self.warn(
                state,
                swift_field,
                f"is not expected here ({self.expected_after(state)}): skipped, it held "
                f"{_shown(swift_field.value)} (unexpected_tags: skip)",
            )
            return completed
        self.errors.add(
            self.error(
                state,
                swift_field,
                TAG_OUT_OF_ORDER,
                f"tag :{tag}: is not expected here",
                expected=self.expected_after(state),
                found=f":{tag}:",
            )
        )
        return completed

    def expected_after(self, state: _MessageState) -> str:
        names: list[str] = []
        for slot in self.plan.slots[state.cursor :]:
            tags = slot.tags if isinstance(slot, GroupPlan) else (slot,)
            names.extend(f":{tag.tag}:" for tag in tags[:1])
        return "one of " + ", ".join(dict.fromkeys(names)) if names else "the end of the message"

    def check_mandatory(self, state: _MessageState) -> None:
        for index, slot in enumerate(self.plan.slots):
            if isinstance(slot, GroupPlan) or slot.optional or index in state.seen:
                continue
            if slot.one_of is not None and slot.one_of in state.one_of_seen:
                continue
            others = [
                other
                for other in self.plan.slots
                if isinstance(other, TagPlan) and slot.one_of and other.one_of == slot.one_of
            ] or [slot]
            alternatives = " or ".join(f":{other.tag}:" for other in others)
            if any(other.missing_warning for other in others):
                self.warn(
                    state,
                    None,
                    f"mandatory tag {alternatives} is missing: read without it (missing: warning)",
                )
            else:
                self.errors.add(
                    self.message_error(
                        state.message,
                        TAG_MISSING,
                        f"mandatory tag {alternatives} is missing",
                        expected=alternatives,
                        found="no such tag in the message",
                        span=slot.span,
                        tag=slot.tag,
                    )
                )
            if slot.one_of is not None:
                state.one_of_seen.add(slot.one_of)

    # -- groups ---------------------------------------------------------------------------

    def open_group_item(self, state: _MessageState, group: GroupPlan) -> None:
        item: dict[str, Any] = {}
        state.item = item
        state.group_tag = 0
        state.scope[group.item_name] = item
        if not group.first_items:
            state.firsts = ()
            return
        firsts = []
        for name, target in group.first_items:
            first: dict[str, Any] = {}
            state.scope[name] = first
            firsts.append((target, first))
        state.firsts = firsts

    def close_group(self, state: _MessageState) -> ListItem | None:
        """The group item being read, completed (None when there is none)."""
        group, item = state.group, state.item
        if group is None or item is None:
            return None
        state.item = None
        scope = state.scope
        if state.firsts:
            for target, first in state.firsts:
                if first:
                    target.append(scope, first)
        if group.derived:
            known = state.derived
            for derived in group.derived:
                path = derived.path
                if derived.per_item or path not in known:
                    known[path] = self.evaluate(derived.expression, state, path)
                value = known[path]
                if value is not None:
                    derived.setter(scope, value)
        name = group.name
        list_path, parent_name, totals = self.groups[name]
        if totals:
            sums = scope["totals"]
            bare = self.quick and not state.failed
            for total_name, run, total in totals:
                summand: Any = None
                if bare:
                    # Run bare; anything unusual is evaluated again, which reports it.
                    try:
                        summand = run(scope)
                    except FAILURES:
                        summand = None
                    if type(summand) is Decimal:
                        sums[total_name] += summand
                        continue
                if summand is None or isinstance(summand, Undefined):
                    summand = self.evaluate(total.summand, state, total_name)
                if isinstance(summand, (Decimal, int)):
                    sums[total_name] += summand
        if self.attach:
            group.items.append(scope, item)
        counts = self.list_counts
        index = counts.get(name, 0)
        counts[name] = index + 1
        return ListItem(list_path, index, item, scope[parent_name])

    # -- one tag --------------------------------------------------------------------------

    def read_tag(self, state: _MessageState, swift_field: SwiftField, tag: TagPlan) -> None:
        value = swift_field.value
        if tag.optional and (not value or value.isspace()):
            return  # an empty optional field (banks write ':86:' with nothing) is absent
        if self.tabs_as_spaces and "\t" in value:
            value = value.replace("\t", " ")
            swift_field = swift_field._replace(value=value)
        scope = state.scope
        quick = tag.quick if self.quick else None
        if quick is not None:
            try:
                groups = quick(scope, value)
            except (LeafError, ArithmeticError):
                groups = None  # a part that does not decode: the careful path reports it
            if groups is not None:
                if tag.subfields is not None and tag.subfield_part is not None:
                    text = groups[tag.subfield_part]
                    if text:
                        self.split(tag.subfields, text, scope)
                return
        match = tag.reading.pattern.fullmatch(value)
        if match is None and (tag.tolerant is not None or tag.rejoin_lines):
            match, swift_field = self.tolerated(state, swift_field, tag)
        if match is None:
            try:
                # raises, naming the failing part
                state.message.read_field(swift_field, tag.reading)
            except ParseError as error:
                error.span = error.span or tag.span
                state.failed = True
                self.errors.add(error)
            return
        groups = match.groups()
        if tag.items is not None and tag.item_name is not None:
            item: dict[str, Any] = dict(tag.implies)
            tag.items.append(scope, item)
            scope[tag.item_name] = item
        self.read_carefully(state, swift_field, tag, groups)

    def tolerated(
        self, state: _MessageState, swift_field: SwiftField, tag: TagPlan
    ) -> tuple[re.Match[str] | None, SwiftField]:
        """A field its notation refuses, read under the format's tolerances (reported)."""
        value = swift_field.value
        notations = [notation for notation in (tag.reading, tag.tolerant) if notation]
        tries = [(notation, value) for notation in notations[1:]]
        if tag.rejoin_lines and "\n" in value:
            tries += [(notation, value.replace("\n", "", 1)) for notation in notations]
        for notation, text in tries:
            match = notation.pattern.fullmatch(text)
            if match is None:
                continue
            try:
                state.message.read_field(swift_field, tag.reading)
                problem = "does not fit"
            except ParseError as error:
                problem = error.message
            how = [f"notation {notation.source!r}"] if notation is not tag.reading else []
            if text != value:
                how.insert(0, "its first line break removed")
            self.warn(
                state,
                swift_field,
                f"{problem}: found {value!r}, read with {' and '.join(how)} "
                f"(tolerance of {self.plan.name})",
            )
            return match, swift_field._replace(value=text)
        return None, swift_field

    def warn(self, state: _MessageState, swift_field: SwiftField | None, text: str) -> None:
        """A tolerance applied: reported with file, line, message and tag."""
        message = state.message
        if swift_field is None:
            where = f"{self.file_name}:{message.line} message#{message.index}"
        else:
            position = message.position(swift_field)
            where = (
                f"{self.file_name}:{position.line}:{position.column} message#{message.index} "
                f":{swift_field.tag}:"
            )
        self.report.warnings.append(f"{where} {text}")

    def read_carefully(
        self, state: _MessageState, swift_field: SwiftField, tag: TagPlan, groups: tuple[Any, ...]
    ) -> None:
        """Part by part, each problem reported with its place; computed parts checked."""
        scope = state.scope
        decoded: dict[str, Any] = {}
        computed: list[tuple[PartPlan, Any]] = []
        # A repeated tag that is not a list item adds its text to what came before.
        joins = tag.repeat and tag.items is None
        for part in tag.read_parts:
            text = part.text_in(groups)
            if text is None:
                continue
            if part.kind == "const":
                if text != part.const:
                    self.errors.add(
                        self.error(
                            state,
                            swift_field,
                            CONSTANT_MISMATCH,
                            f"part {part.name} must be {part.const!r}",
                            expected=repr(part.const),
                            found=text,
                            part=part,
                        )
                    )
                continue
            try:
                if part.near is not None:
                    anchor = decoded.get(part.near)
                    if anchor is None:
                        continue
                    value = month_day_near(text, anchor)
                else:
                    value = part.decode(text)
            except (LeafError, ArithmeticError) as problem:
                value = self.month_end(state, swift_field, part, text)
                if value is not None:
                    decoded[part.name] = value
                    part.store and part.store(scope, value)
                    continue
                state.failed = True
                expected = problem.expected if isinstance(problem, LeafError) else "a number"
                self.errors.add(
                    self.error(
                        state,
                        swift_field,
                        VALUE_DOES_NOT_FIT,
                        f"part {part.name} does not hold a valid value",
                        expected=expected,
                        found=text,
                        part=part,
                    )
                )
                continue
            decoded[part.name] = value
            if part.store is None:
                computed.append((part, value))
            elif joins:
                self.join_text(part, value, scope)
            else:
                part.store(scope, value)
        for part, value in computed:
            expected_value = self.evaluate(part.expression, state, f"{tag.tag}.{part.name}")
            if expected_value != value:
                self.errors.add(
                    self.error(
                        state,
                        swift_field,
                        COMPUTED_MISMATCH,
                        f"part {part.name} does not match the message's contents",
                        expected=str(expected_value),
                        found=str(part.text_in(groups)),
                        part=part,
                    )
                )
        if tag.subfields is not None and tag.subfield_part is not None:
            text = groups[tag.subfield_part]
            if text:
                self.split(tag.subfields, text, scope)

    def month_end(
        self, state: _MessageState, swift_field: SwiftField, part: PartPlan, text: str
    ) -> Any:
        """``impossible_dates: month_end``: a day past the month's end read as its last day."""
        if self.plan.file.impossible_dates != "month_end" or part.near is not None:
            return None
        value = month_end(part.codec, text)
        if value is not None:
            self.warn(
                state,
                swift_field,
                f"part {part.name} {text!r} is a day past its month's end; read as "
                f"{value.isoformat()}, the month's last day (impossible_dates: month_end)",
            )
        return value

    def join_text(self, part: PartPlan, value: Any, scope: dict[str, Any]) -> None:
        """A repeated tag's text after the text of its earlier occurrences."""
        if part.store is None:
            return
        if isinstance(value, str) and part.getters:
            before = part.getters[0](scope)
            if isinstance(before, str) and before:
                value = f"{before} {value}"
        part.store(scope, value)

    def split(self, scheme: SubfieldScheme, text: str, scope: dict[str, Any]) -> None:
        leading_text, pieces = scheme.split(text)
        leading = scheme.leading
        if leading is not None:
            taken = leading.take(leading_text.strip())
            if taken is not None:
                leading.setter(scope, taken)
                for implied in leading.implies:
                    implied(scope, None)
        for target in scheme.targets:
            values = [value for key, value in pieces if key in target.keys]
            if not values:
                continue
            joined = target.join.join(values).strip()
            if not joined:
                continue
            if target.max_length is not None and len(joined) > target.max_length:
                self.report.warnings.append(
                    f"{self.file_name}: sub-field {target.label} is longer than "
                    f"{target.max_length} characters and is kept only in the raw text: {joined!r}"
                )
                continue
            if target.nested is not None:
                self.split(target.nested, joined, scope)
            elif target.store is not None:
                try:
                    value = target.codec.decode(joined)
                except LeafError:
                    continue  # free text that is not what the convention says: kept raw
                target.store(scope, value)
            for implied in target.implies:
                implied(scope, None)

    # -- checks ---------------------------------------------------------------------------

    def run_checks(self, state: _MessageState) -> None:
        message = state.message
        for check in self.plan.checks:
            if check.when is not None and not self.evaluate(check.when, state, check.name):
                continue
            expected = self.evaluate(check.expected, state, check.name)
            found = self.evaluate(check.found, state, check.name)
            if expected == found:
                continue
            where = f"{self.file_name} message#{message.index} (line {message.line})"
            if check.warning:
                self.report.warnings.append(
                    f"{where}: check {check.name} failed: expected {expected}, found {found}"
                )
                continue
            self.errors.add(
                self.message_error(
                    message,
                    CHECK_FAILED,
                    f"check {check.name} failed",
                    expected=str(expected),
                    found=str(found),
                    span=check.span,
                )
            )

    def evaluate(self, expression: Expression | None, state: _MessageState, what: str) -> Any:
        if expression is None or state.failed:
            return None
        try:
            return expression.evaluate(state.scope)
        except ErengineError as error:
            self.errors.add(
                self.message_error(
                    state.message,
                    EXPRESSION_FAILED,
                    f"{what}: {error.message}",
                    span=expression.span,
                )
            )
            return None

    def message_error(
        self,
        message: SwiftMessage,
        code: str,
        text: str,
        *,
        expected: str | None = None,
        found: str | None = None,
        span: SourceSpan | None,
        tag: str | None = None,
    ) -> ParseError:
        """An error about a whole message (a check, a missing tag), placed at its start."""
        return ParseError(
            code,
            text,
            position=DataPosition(
                file=self.file_name,
                line=message.line,
                record=f"message#{message.index}",
                field=tag,
            ),
            expected=expected,
            found=found,
            span=span,
        )

    def error(
        self,
        state: _MessageState,
        swift_field: SwiftField,
        code: str,
        message: str,
        *,
        expected: str,
        found: str,
        part: PartPlan | None = None,
    ) -> ParseError:
        position = state.message.position(swift_field)
        field_name = f"{swift_field.tag}.{part.name}" if part is not None else swift_field.tag
        return ParseError(
            code,
            message,
            position=DataPosition(
                file=position.file,
                line=position.line,
                column=position.column,
                record=position.record,
                field=field_name,
            ),
            expected=expected,
            found=found,
            span=part.span if part is not None else None,
        )


def _quickly(reader: Any, scope: dict[str, Any], value: str) -> Any:
    try:
        return reader(scope, value)
    except (LeafError, ArithmeticError):
        return None


def _shown(text: str, limit: int = 60) -> str:
    """A field's text in a warning: quoted, shortened when long."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _merge_page(held: dict[str, Any], page: dict[str, Any]) -> None:
    """A later page into the statement held: its lists go on, its other values fill gaps."""
    for key, value in page.items():
        before = held.get(key)
        if isinstance(value, list) and isinstance(before, list):
            before.extend(value)
        elif before is None:
            held[key] = value
