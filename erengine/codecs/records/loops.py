"""The walks over the record tree of the reader and the writer, generated from the plan.

Walking the tree generically cost every record more than its own work: on read, a chain of
``yield from`` frames, a look-up of the records that start each group and a generic match;
on write, a method call per group item, type tests and look-ups of the record's generated
functions. A generated walk has the shape of the tree: a loop per repeated group, on read a
test per record with its constant fields inline and a ``yield`` per completed list item, on
write a call per record with its functions at hand. The work of each record, and every
error message, stays with the reader and the writer; constants from the configuration reach
the code through the namespace only (see ``fast.Source``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from erengine.codecs.base import ListItem
from erengine.codecs.records.fast import NOT_ORDINARY, Source
from erengine.codecs.records.plan import GroupPlan, RecordPlan

if TYPE_CHECKING:
    from erengine.codecs.records.read import RecordReader
    from erengine.codecs.records.write import RecordWriter

ReadWalk = Callable[["RecordReader"], Iterator[ListItem]]
WriteWalk = Callable[["RecordWriter", dict[str, Any]], None]


def read_walk(root: GroupPlan, reader: RecordReader) -> ReadWalk:
    """``walk(reader)``: read the whole structure, yielding each list item as it completes;
    ``reader`` gives each record's generated functions (``reader.quick``)."""
    source = Source("reader")
    source.add(
        [
            "scope, totals, pending = reader.scope, reader.totals, reader.pending",
            "record, check_quickly, attach = reader.record, reader.check_quickly, reader.attach",
        ]
    )
    source.add(_ReadWalk(source, reader, root).group(root, "()", 0))
    walk: ReadWalk = source.build("reader walk", ListItem=ListItem)
    return walk


class _ReadWalk:
    """Source lines of the walk; what ``group`` and ``sequence`` of a reader would do."""

    def __init__(self, source: Source, reader: RecordReader, root: GroupPlan) -> None:
        self.source = source
        self.reader = reader
        self.fixed = reader.fixed
        self.counts = _record_counters(source, root)

    def group(self, group: GroupPlan, list_prefix: str, depth: int) -> list[str]:
        const = self.source.const
        reset = [f"totals[{const(name)}] = 0" for name in group.totals]
        if group.for_each is None:
            return [*reset, *self.sequence(group, list_prefix, depth)]
        parent, key, path = f"parent{depth}", f"key{depth}", f"path{depth}"
        item, index = f"item{depth}", f"index{depth}"
        name, for_each = const(group.item_name), const(group.for_each)
        return [
            f"{parent}, {key}, {path} = reader.list_target({for_each}, {list_prefix})",
            f"{index} = 0",
            f"while {self.starts(group)}:",
            f"    {item} = {{}}",
            f"    scope[{name}] = {item}",
            *(f"    {line}" for line in reset),
            "    pending.append([])",
            *(f"    {line}" for line in self.sequence(group, path, depth + 1, started=True)),
            "    check_quickly(pending.pop())",
            "    if attach:",
            f"        {parent}.setdefault({key}, []).append({item})",
            f"    yield ListItem({path}, {index}, {item}, {parent})",
            f"    {index} += 1",
            f"if {index} < {group.min!r}:",
            f"    reader.too_few({const(group)}, {index})",
            f"scope.pop({name}, None)",
        ]

    def sequence(
        self, group: GroupPlan, list_path: str, depth: int, *, started: bool = False
    ) -> list[str]:
        """``started``: the loop has just matched the records that start ``group``; when that
        is its first record alone, it is not matched again."""
        lines: list[str] = []
        for position, item in enumerate(group.items):
            required = not (item.optional or item.when is not None)
            if isinstance(item, RecordPlan):
                quick, count = self.source.const(self.reader.quick(item)), self.counts[item.name]
                body = [f"{count} += 1", f"record({self.source.const(item)}, {quick}, {count})"]
                if started and position == 0 and group.first_records() == (item,):
                    lines += body
                    continue
                test = self.matches(item)
            elif item.for_each is not None:
                lines += self.group(item, list_path, depth)
                continue
            else:
                test, body = self.starts(item), self.group(item, list_path, depth)
            lines += [f"if {test}:", *(f"    {line}" for line in body)]
            if required:
                lines += ["else:", f"    reader.missing({self.source.const(item)})"]
        return lines

    def starts(self, group: GroupPlan) -> str:
        tests = " or ".join(f"({self.matches(r)})" for r in group.first_records())
        return tests or "False"

    def matches(self, record: RecordPlan) -> str:
        """Whether the current line is ``record``, by its constant fields."""
        const = self.source.const
        if self.fixed:
            checks = [
                f"line.text[{start!r}:{start + (width or 0)!r}] == {const(text)}"
                for start, width, text in record.identity
            ]
        else:
            checks = [
                f"({start!r} < len(line.cells) and line.cells[{start!r}] == {const(text)})"
                for start, _, text in record.identity
            ]
        return " and ".join(["(line := reader.current) is not None", *checks])


def write_walk(root: GroupPlan, writer: RecordWriter) -> WriteWalk:
    """``walk(writer, scope)``: write the whole structure; ``writer`` gives each record's
    generated functions (``writer.quick``)."""
    source = Source("writer, scope")
    source.add(
        [
            "totals, deferred, list_stack = writer.totals, writer.deferred, writer.list_stack",
            "record, evaluate, write_deferred = writer.record, writer.evaluate, "
            "writer.write_deferred",
        ]
    )
    source.add(_WriteWalk(source, writer, root).group(root, 0))
    walk: WriteWalk = source.build("writer walk", NOT_ORDINARY=NOT_ORDINARY)
    return walk


class _WriteWalk:
    """Source lines of the writer's walk: what ``group`` and ``items`` of a writer would do."""

    def __init__(self, source: Source, writer: RecordWriter, root: GroupPlan) -> None:
        self.source = source
        self.writer = writer
        self.counts = _record_counters(source, root)

    def group(self, group: GroupPlan, depth: int) -> list[str]:
        const = self.source.const
        reset = [f"totals[{const(name)}] = 0" for name in group.totals]
        if group.for_each is None:
            return [*reset, *self.items(group, depth)]
        items, index, name = f"items{depth}", f"index{depth}", const(group.item_name)
        level = const(group.for_each[-1])
        # an item with no field written later has nothing to write back when it completes
        later = _writes_later(group)
        return [
            f"{items} = writer.list_of({const(group)}, scope)",
            f"if {items} is not None:",
            f"    list_stack.append(({level}, 0))",
            f"    writer.loop_items.add({name})",
            f"    for {index}, scope[{name}] in enumerate({items}):",
            f"        list_stack[-1] = ({level}, {index})",
            *(f"        {line}" for line in reset),
            *(["        deferred.append([])"] if later else []),
            *(f"        {line}" for line in self.items(group, depth + 1)),
            *(["        write_deferred(scope)"] if later else []),
            "    list_stack.pop()",
            f"    writer.loop_items.discard({name})",
            f"    scope.pop({name}, None)",
        ]

    def items(self, group: GroupPlan, depth: int) -> list[str]:
        const = self.source.const
        lines: list[str] = []
        for item in group.items:
            if isinstance(item, RecordPlan):
                quick, count = const(self.writer.quick(item)), self.counts[item.name]
                body = [f"{count} += 1", f"record({const(item)}, {quick}, {count}, scope)"]
            else:
                body = self.group(item, depth)
            if item.when is None:
                lines += body
                continue
            lines += [
                "try:",  # bare, as records are (``Expression.run``); again to report it
                f"    going = {const(item.when.run)}(scope)",
                "    if isinstance(going, Undefined):",
                "        raise Careful",
                "except NOT_ORDINARY:",
                f"    going = evaluate({const(item.when)}, scope)",
                "if going:",
                *(f"    {line}" for line in body),
            ]
        return lines


def _record_counters(source: Source, root: GroupPlan) -> dict[str, str]:
    """A local counter per record name (records are labelled ``entry#17``), set to 0."""
    counts: dict[str, str] = {}

    def visit(group: GroupPlan) -> None:
        for item in group.items:
            if isinstance(item, RecordPlan):
                counts.setdefault(item.name, f"count{len(counts)}")
            else:
                visit(item)

    visit(root)
    source.add([f"{count} = 0" for count in counts.values()])
    return counts


def _writes_later(group: GroupPlan) -> bool:
    """Whether a record of ``group``'s items (not of a list within) has a field written later."""
    return any(
        any(field.written_later for field in item.fields)
        if isinstance(item, RecordPlan)
        else item.for_each is None and _writes_later(item)
        for item in group.items
    )
