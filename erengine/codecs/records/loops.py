"""The reader's walk over the record tree, generated from the plan as one generator function.

Walking the tree with a generator per group cost every record a chain of ``yield from``
frames, a look-up of the records that start each group and a generic match per record. The
generated walk has the same shape as the tree: a ``while`` loop per repeated group, a test
per record with the record's constant fields inline, a ``yield`` per completed list item.
The work of each record, and every error message, stays with the reader; constants from the
configuration reach the code through the namespace only (see ``fast.Source``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from erengine.codecs.base import ListItem
from erengine.codecs.records.fast import Source
from erengine.codecs.records.plan import GroupPlan, RecordPlan

if TYPE_CHECKING:
    from erengine.codecs.records.read import RecordReader

ReadWalk = Callable[["RecordReader"], Iterator[ListItem]]


def read_walk(root: GroupPlan, fixed: bool) -> ReadWalk:
    """``walk(reader)``: read the whole structure, yielding each list item as it completes."""
    source = Source("reader")
    source.add(
        [
            "scope, totals, pending = reader.scope, reader.totals, reader.pending",
            "record, check_pending = reader.record, reader.check_pending",
        ]
    )
    source.add(_ReadWalk(source, fixed).group(root, "()", 0))
    walk: ReadWalk = source.build("reader walk", ListItem=ListItem)
    return walk


class _ReadWalk:
    """Source lines of the walk; what ``group`` and ``sequence`` of a reader would do."""

    def __init__(self, source: Source, fixed: bool) -> None:
        self.source = source
        self.fixed = fixed

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
            *(f"    {line}" for line in self.sequence(group, path, depth + 1)),
            "    check_pending()",
            "    if reader.attach:",
            f"        {parent}.setdefault({key}, []).append({item})",
            f"    yield ListItem({path}, {index}, {item}, {parent})",
            f"    {index} += 1",
            f"if {index} < {group.min!r}:",
            f"    reader.too_few({const(group)}, {index})",
            f"scope.pop({name}, None)",
        ]

    def sequence(self, group: GroupPlan, list_path: str, depth: int) -> list[str]:
        lines: list[str] = []
        for item in group.items:
            required = not (item.optional or item.when is not None)
            if isinstance(item, RecordPlan):
                test, body = self.matches(item), [f"record({self.source.const(item)})"]
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
