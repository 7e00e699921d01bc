"""Writing model data through a record layout plan.

The writer walks the plan once (a walk generated from it, ``loops.py``), iterating each
``for_each`` list as it goes, so a list may be a generator and memory stays flat. Totals
accumulate as records are written; computed fields (trailers) read them. Every problem is
collected with the record, field and JSON path it concerns; the caller writes to a temporary
file and publishes it only on success.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, BinaryIO

from erengine.codecs.base import WriteReport
from erengine.codecs.leaf import LeafError
from erengine.codecs.records.fast import (
    NOT_ORDINARY,
    RecordEncoder,
    RecordTally,
    record_encoder,
    record_tally,
)
from erengine.codecs.records.framing import RecordSink
from erengine.codecs.records.loops import write_walk
from erengine.codecs.records.plan import (
    FieldPlan,
    GroupPlan,
    Implied,
    RecordLayoutPlan,
    RecordPlan,
    assign_path,
    scope_value,
    tally,
)
from erengine.errors import DataPosition, ErrorCollector, ValidationError
from erengine.expr import Expression

_MULTI_BYTE = frozenset({"utf-8"})


# What a record's quick path runs: its encoder and its tally.
QuickWrite = tuple[RecordEncoder, RecordTally | None]


class RecordWriter:
    def __init__(
        self,
        plan: RecordLayoutPlan,
        sink: BinaryIO,
        *,
        context: Mapping[str, Any] | None = None,
        error_limit: int = 100,
    ) -> None:
        self.plan = plan
        self.sink = RecordSink(sink, plan.file)
        self.context = dict(context or {})
        self.errors = ErrorCollector(limit=error_limit)
        self.report = WriteReport()
        self.totals: dict[str, Any] = {}
        self.list_stack: list[tuple[str, int]] = []
        self.loop_items: set[str] = set()
        self.encoders: dict[int, RecordEncoder] = {}  # of deferred fields, written later
        # In single-byte encodings a character's column is its byte offset in the record.
        self.single_byte = codecs.lookup(plan.file.encoding).name not in _MULTI_BYTE
        self.root: Mapping[str, Any] = {}
        # Deferred fields of the open list items: (field, byte offset, record label).
        self.deferred: list[list[tuple[FieldPlan, int, str]]] = [[]]
        self.delimited = plan.file.type == "delimited"

    def write(self, data: Mapping[str, Any]) -> WriteReport:
        self.root = data
        scope: dict[str, Any] = dict(data)
        scope["context"] = self.context
        scope["totals"] = self.totals
        header = getattr(self.plan.file, "header", None)
        if header:
            self.sink.write(self.sink.cells_to_text(list(header)))
        write_walk(self.plan.root, self)(self, scope)
        self.write_deferred(scope)
        self.errors.raise_if_any()
        self.sink.finish()
        self.report.records = self.sink.count
        self.report.bytes_written = self.sink.bytes_written
        return self.report

    def list_of(self, group: GroupPlan, scope: dict[str, Any]) -> Iterable[Any] | None:
        """The list ``group`` repeats for; None (an error, or nothing) when it is not one."""
        assert group.for_each is not None
        items = scope_value(scope, group.for_each)
        if items is None:
            return ()
        if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
            self.fail(
                "VAL101",
                f"`{'.'.join(group.for_each)}` must be a list for group `{group.name}`",
                group.name,
                None,
                expected="a list",
                found=type(items).__name__,
            )
            return None
        return items

    def quick(self, record: RecordPlan) -> QuickWrite:
        """The generated functions of ``record``'s quick path: its encoder and its tally."""
        tally = record_tally(record.tally) if record.totals else None
        kept = record.values_read if record.needs_values else frozenset()
        encoder = record_encoder(
            record.fields, self.fill_in, fixed=not self.delimited, kept=kept, implies=record.implies
        )
        return encoder, tally

    def record(
        self, record: RecordPlan, quick: QuickWrite, number: int, scope: dict[str, Any]
    ) -> None:
        """Write ``record``, the ``number``th of its name (the walk counts them)."""
        if not self.quickly(record, quick, number, scope):
            self.carefully(record, scope, f"{record.name}#{number}")

    def quickly(
        self, record: RecordPlan, quick: QuickWrite, number: int, scope: dict[str, Any]
    ) -> bool:
        """Write an ordinary record on the quick path; False when it needs the careful one."""
        encode, add = quick
        values: dict[str, Any] | None = {} if record.needs_values else None
        later: list[FieldPlan] = []
        try:
            out = encode(scope, values, later)
            text = out if isinstance(out, str) else self.sink.cells_to_text(out)
            offset = self.sink.write(text)
        except NOT_ORDINARY:
            return False
        if later:
            self.defer(later, text, offset, f"{record.name}#{number}")
        if add is not None:
            try:
                add(scope, values, self.totals)
            except NOT_ORDINARY:  # the careful tally reports it, and still counts the record
                tally(record, scope, values, self.totals, lambda e: self.evaluate(e, scope))
        return True

    def defer(self, plans: list[FieldPlan], text: str, offset: int, label: str) -> None:
        for plan in plans:
            prefix = (
                plan.start
                if self.single_byte
                else len(text[: plan.start].encode(self.sink.encoding))
            )
            self.deferred[-1].append((plan, offset + prefix, label))

    def carefully(self, record: RecordPlan, scope: dict[str, Any], label: str) -> None:
        """Write a record checking each step, collecting every problem with its place."""
        errors_before = len(self.errors)
        values: dict[str, Any] | None = {} if record.needs_values else None
        for implied in record.implies:
            self.check_implied(implied, scope, label)
        parts: list[str] = []
        later: list[FieldPlan] = []
        for plan in record.fields:
            if plan.written_later and (plan.kind == "value" or not self.bound(plan, scope)):
                parts.append(" " * (plan.width or 0))  # written back when the item completes
                later.append(plan)
            else:
                parts.append(self.field(plan, scope, label, values))
        text = self.sink.cells_to_text(parts) if self.delimited else "".join(parts)
        try:
            offset = self.sink.write(text)
            self.defer(later, text, offset, label)
        except UnicodeEncodeError as exc:
            self.fail(
                "VAL104",
                f"character {text[exc.start]!r} cannot be written in {self.plan.file.encoding}",
                label,
                self._field_at(record, exc.start),
                expected=f"{self.plan.file.encoding} characters",
                found=text[exc.start],
            )
        if record.totals:
            tally(
                record,
                scope,
                values,
                self.totals,
                lambda e: self.evaluate(e, scope),
                complete=len(self.errors) == errors_before,
            )

    def fill_in(self, path: tuple[str, ...], value: Any, scope: dict[str, Any]) -> None:
        """Set a written default into the data: a list item's, or the root's."""
        if path[0] in self.loop_items:
            assign_path(scope, path, value)
        elif isinstance(self.root, dict):
            assign_path(self.root, path, value)
            scope[path[0]] = self.root[path[0]]

    @staticmethod
    def bound(plan: FieldPlan, scope: dict[str, Any]) -> bool:
        return any(get(scope) is not None for get in plan.getters)

    def check_implied(self, implied: Implied, scope: dict[str, Any], label: str) -> None:
        actual = implied.get(scope)
        if actual is None:
            self.fill_in(implied.path, implied.value, scope)
        elif actual != implied.value:
            self.fail(
                "VAL106",
                f"the format only writes {'.'.join(implied.path)} = {implied.value!r}",
                label,
                None,
                expected=repr(implied.value),
                found=actual,
            )

    def write_deferred(self, scope: dict[str, Any]) -> None:
        for plan, offset, label in self.deferred.pop():
            text = self.deferred_text(plan, scope, label)
            try:
                self.sink.patch(offset, text.encode(self.sink.encoding))
            except UnicodeEncodeError:
                self.fail(
                    "VAL104",
                    f"{text!r} cannot be written in {self.sink.encoding}",
                    label,
                    plan,
                    expected=self.sink.encoding,
                    found=text,
                )

    def deferred_text(self, plan: FieldPlan, scope: dict[str, Any], label: str) -> str:
        """A deferred field's text now that its item is complete: quickly, else carefully."""
        encode = self.encoders.get(id(plan))
        if encode is None:
            field = replace(plan, written_later=False)  # deferred fields are fixed-width
            encode = record_encoder((field,), self.fill_in, fixed=True, kept=frozenset())
            self.encoders[id(plan)] = encode
        try:
            text = encode(scope, None, [])
            assert isinstance(text, str)
            return text
        except NOT_ORDINARY:
            return self.field(plan, scope, label, None)

    def _field_at(self, record: RecordPlan, column: int) -> FieldPlan | None:
        for plan in record.fields:
            if plan.width is not None and plan.start <= column < plan.start + plan.width:
                return plan
        return None

    def field(
        self,
        plan: FieldPlan,
        scope: dict[str, Any],
        label: str,
        values: dict[str, Any] | None,
    ) -> str:
        kind = plan.kind
        if kind == "const":
            return plan.const or ""
        if kind == "fill":
            return plan.pad * (plan.width or 0)
        if kind == "bind":
            if len(plan.getters) == 1:
                value = plan.getters[0](scope)
            else:
                value = tuple(get(scope) for get in plan.getters)
            if value is None and plan.expression is not None:
                value = self.evaluate(plan.expression, scope)
                if value is not None and len(plan.binds) == 1:
                    # what the file holds is in the data too, as reading it would give
                    self.fill_in(plan.binds[0], value, scope)
        else:
            assert plan.expression is not None
            value = self.evaluate(plan.expression, scope)
        if value is None:
            if plan.optional:
                return " " * (plan.width or 0)
            self.fail("VAL102", "a value is required", label, plan, expected="a value", found=None)
            return " " * (plan.width or 0)
        try:
            text = plan.codec.encode(value)
        except LeafError as exc:
            self.fail(
                "VAL103",
                "the value does not fit the field's format",
                label,
                plan,
                expected=exc.expected,
                found=exc.found,
            )
            return " " * (plan.width or 0)
        if values is not None:
            values[plan.name] = value  # only values that made it into the file feed totals
        return self.layout(plan, text, label)

    def layout(self, plan: FieldPlan, text: str, label: str) -> str:
        width = plan.width
        if width is None or len(text) == width:
            return text
        if len(text) < width:
            return text.rjust(width, plan.pad) if plan.right else text.ljust(width, plan.pad)
        if plan.truncate:
            self.report.warnings.append(
                f"record {label} field {plan.name}: {text!r} cut to {width} characters"
            )
            return text[:width]
        self.fail(
            "VAL105",
            f"value is {len(text)} characters, the field holds {width}",
            label,
            plan,
            expected=f"at most {width} characters",
            found=text,
        )
        return text[:width]

    def evaluate(self, expression: Expression, scope: dict[str, Any]) -> Any:
        return self.errors.value_of(expression, scope)

    def fail(
        self,
        code: str,
        message: str,
        label: str,
        plan: FieldPlan | None,
        *,
        expected: str | None,
        found: object,
    ) -> None:
        self.errors.add(
            ValidationError(
                code,
                message,
                rule="format",
                position=DataPosition(
                    record=label,
                    field=plan.name if plan else None,
                    json_path=self.json_path(plan),
                ),
                expected=expected,
                found=None if found is None else str(found),
                span=plan.span if plan else None,
            )
        )

    def json_path(self, plan: FieldPlan | None) -> str:
        path = "$" + "".join(f".{name}[{index}]" for name, index in self.list_stack)
        if plan is not None and plan.binds:
            path += "." + ".".join(plan.binds[0][1:] or plan.binds[0])
        return path


def write_records(
    plan: RecordLayoutPlan,
    data: Mapping[str, Any],
    sink: BinaryIO,
    *,
    context: Mapping[str, Any] | None = None,
) -> WriteReport:
    """Write ``data`` (model form; lists may be generators) to ``sink``.

    Formats with deferred fields write back in place; a sink that cannot seek (a pipe) gets
    the file through a spooled temporary file.
    """
    if not plan.has_deferred or sink.seekable():
        return RecordWriter(plan, sink, context=context).write(data)
    with tempfile.SpooledTemporaryFile(max_size=16 << 20) as spool:
        report = RecordWriter(plan, spool, context=context).write(data)  # type: ignore[arg-type]
        spool.seek(0)
        shutil.copyfileobj(spool, sink)
    return report
