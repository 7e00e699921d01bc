"""Reading a fixed-width or delimited file through a record layout plan.

A recursive-descent reader with one record of look-ahead (the walk is generated from the
plan, ``loops.py``): a record is recognised by its constant fields, a repeated group by the
records that can start it. Bound fields are set into the model item being built, computed
fields are recomputed and compared (a trailer that does not match its entries is reported,
not accepted), and totals accumulate as on write.

Items of ``for_each`` lists are yielded as they complete. When streaming, items are not
attached to their parents, so memory stays flat however long the file is; ``read_document``
attaches them and returns the whole model tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from erengine.codecs.base import ListItem, ModelPath, TreeReaderState
from erengine.codecs.leaf import LeafError
from erengine.codecs.records.fast import (
    NOT_ORDINARY,
    Careful,
    ComputedCheck,
    RecordDecoder,
    RecordTally,
    computed_check,
    record_decoder,
    record_tally,
)
from erengine.codecs.records.framing import Line, iter_delimited_lines, iter_fixed_lines
from erengine.codecs.records.loops import read_walk
from erengine.codecs.records.plan import (
    FieldPlan,
    GroupPlan,
    RecordLayoutPlan,
    RecordPlan,
    describe_identity,
    tally,
)
from erengine.config.schema.records import FixedFileSpec
from erengine.errors import DataPosition, ParseError
from erengine.expr import Expression

# What a record's quick path runs: its decoder, its tally, a check per computed field.
QuickRead = tuple[RecordDecoder, RecordTally | None, tuple[ComputedCheck, ...]]
# A computed field checked when its list item completes: field, text, line, record name and
# number (its label, made only for an error), the record's values, and its generated check
# (None: the record was read carefully).
Pending = tuple[FieldPlan, str, Line, str, int, dict[str, Any], ComputedCheck | None]


class RecordReader(TreeReaderState):
    """Iterate to read; ``root`` holds the file-level fields once iteration ends."""

    def __init__(
        self,
        plan: RecordLayoutPlan,
        stream: BinaryIO,
        *,
        file_name: str | None = None,
        attach: bool = False,
        context: dict[str, Any] | None = None,
        error_limit: int = 100,
    ) -> None:
        super().__init__(
            file_name=file_name, attach=attach, context=context, error_limit=error_limit
        )
        self.plan = plan
        self.fixed = isinstance(plan.file, FixedFileSpec)
        if isinstance(plan.file, FixedFileSpec):
            self.lines: Iterator[Line] = iter_fixed_lines(
                stream, plan.file, file_name, self.report.warnings
            )
        else:
            self.lines = iter_delimited_lines(stream, plan.file, file_name)
        self.current: Line | None = None
        # Deferred computed fields are checked when the list item holding them is complete,
        # so a header may check what follows it (an entry's addenda flag, a batch's class).
        self.pending: list[list[Pending]] = [[]]

    def __iter__(self) -> Iterator[ListItem]:
        self.advance()
        header = getattr(self.plan.file, "header", None)
        if header:
            self.read_header(list(header))
        yield from read_walk(self.plan.root, self)(self)
        self.check_pending()
        self.read_trailing_lines()
        self.errors.raise_if_any()

    def advance(self) -> None:
        self.current = next(self.lines, None)

    def read_header(self, header: list[str]) -> None:
        line = self.current
        if line is None or list(line.cells) != header:
            self.structure_error("the header row is missing or wrong", f"{header}", line)
        self.advance()

    def read_trailing_lines(self) -> None:
        block = getattr(self.plan.file, "block", None)
        while self.current is not None:
            text = self.current.text
            if block is not None and text == block.filler * len(text):
                self.advance()
                continue
            self.structure_error(
                "data after the end of the file's structure",
                "the end of the file" + (" or filler records" if block else ""),
                self.current,
            )

    # -- structure ---------------------------------------------------------------------

    def too_few(self, group: GroupPlan, found: int) -> None:
        first = group.first_records()[0]
        self.structure_error(
            f"group `{group.name}` needs at least {group.min} repetition(s), found {found}",
            f"record `{first.name}` ({describe_identity(first)})",
            self.current,
        )

    def missing(self, item: RecordPlan | GroupPlan) -> None:
        first = item if isinstance(item, RecordPlan) else item.first_records()[0]
        kind = "record" if isinstance(item, RecordPlan) else "group"
        self.structure_error(
            f"{kind} `{item.name}` is missing",
            f"record `{first.name}` ({describe_identity(first)})",
            self.current,
        )

    def list_target(
        self, path: ModelPath, list_prefix: ModelPath
    ) -> tuple[dict[str, Any], str, ModelPath]:
        if path[0] in self.scope and isinstance(self.scope[path[0]], dict) and len(path) > 1:
            owner = _walk(self.scope[path[0]], path[1:-1])
            return owner, path[-1], (*list_prefix, *path[1:])
        return _walk(self.root, path[:-1]), path[-1], path

    def structure_error(self, message: str, expected: str, line: Line | None) -> None:
        found = "the end of the file" if line is None else line.text[:40]
        self.errors.add(
            ParseError(
                "PRS104",
                message,
                position=DataPosition(
                    file=self.file_name,
                    line=line.number if line else None,
                    column=1 if line else None,
                    byte_offset=line.offset if line else None,
                ),
                expected=expected,
                found=found,
            )
        )
        raise self.errors.as_group()

    # -- records and fields --------------------------------------------------------------

    def quick(self, record: RecordPlan) -> QuickRead:
        """The generated functions of ``record``'s quick path: its decoder, its tally, and a
        check per computed field."""
        tally = record_tally(record.tally) if record.totals else None
        checks = tuple(computed_check(plan) for plan in record.computed)
        return record_decoder(record, self.fixed), tally, checks

    def record(self, record: RecordPlan, quick: QuickRead, number: int) -> None:
        """Read ``record``, the ``number``th of its name (the walk counts them)."""
        line = self.current
        assert line is not None
        self.current = next(self.lines, None)  # advance(), without a call for every record
        self.report.records += 1
        if line.trimmed_to is None and self.quickly(record, quick, line, number):
            return
        self.carefully(record, line, number)

    def quickly(self, record: RecordPlan, quick: QuickRead, line: Line, number: int) -> bool:
        """Read an ordinary record on the quick path; False when it needs the careful one."""
        decode, add, checks = quick
        source: Any = line.text if self.fixed else line.cells
        if not self.fixed and len(source) < len(record.fields):
            return False
        values: dict[str, Any] = {}
        scope, root = self.scope, self.root
        try:
            decode(source, scope, root, values)
        except (Careful, LeafError):
            return False
        if checks:
            for plan, check in zip(record.computed, checks, strict=True):
                raw = (
                    line.text[plan.start : plan.start + (plan.width or 0)]
                    if self.fixed
                    else (line.cells[plan.start])
                )
                if plan.deferred:
                    self.pending[-1].append((plan, raw, line, record.name, number, values, check))
                else:
                    self.check_quickly([(plan, raw, line, record.name, number, values, check)])
        if add is not None:
            try:
                add(scope, values, self.totals)
            except NOT_ORDINARY:  # the careful tally reports it, and still counts the record
                tally(record, scope, values, self.totals, self.evaluate)
        return True

    def carefully(self, record: RecordPlan, line: Line, number: int) -> None:
        """Read a record checking each field, collecting every problem with its place."""
        label = f"{record.name}#{number}"
        errors_before = len(self.errors)
        if line.trimmed_to is not None:
            self.check_trimmed(record, line, label)
        values: dict[str, Any] = {}
        computed: list[tuple[FieldPlan, str]] = []
        for plan in record.fields:
            raw = self.raw(plan, line, label)
            if raw is None or plan.kind in ("const", "fill"):
                continue
            if plan.kind == "value":
                computed.append((plan, raw))
                continue
            value = self.decode(plan, raw, line, label)
            if value is None:
                continue
            values[plan.name] = value
            if len(plan.setters) == 1:
                plan.setters[0](self.scope, self.root, value)
            else:
                for set_part, part in zip(plan.setters, value, strict=True):
                    if part is not None:  # a table row leaves an optional flag out
                        set_part(self.scope, self.root, part)
        for implied in record.implies:
            implied.set(self.scope, self.root, implied.value)
        for plan, raw in computed:
            if plan.deferred:
                self.pending[-1].append((plan, raw, line, record.name, number, values, None))
            else:
                self.check_computed(plan, raw, line, label, values)
        if record.totals:
            tally(
                record,
                self.scope,
                values,
                self.totals,
                self.evaluate,
                complete=len(self.errors) == errors_before,
            )

    def check_trimmed(self, record: RecordPlan, line: Line, label: str) -> None:
        """Trimmed trailing blanks are fine; a record cut inside its data is not."""
        length = line.trimmed_to or 0
        for plan in record.fields:
            cut = plan.width is not None and plan.start + plan.width > length
            if cut and plan.kind != "fill" and not plan.optional:
                self.errors.add(
                    ParseError(
                        "PRS102",
                        f"record is {length} characters long, the format's records are "
                        f"{len(line.text)}; field `{plan.name}` is cut off",
                        position=DataPosition(
                            file=self.file_name,
                            line=line.number,
                            column=length + 1,
                            byte_offset=line.offset + length,
                            record=label,
                            field=plan.name,
                        ),
                        expected=f"{len(line.text)} characters",
                        found=line.text[:length],
                        hint="the file may be truncated",
                    )
                )
                raise self.errors.as_group()

    def raw(self, plan: FieldPlan, line: Line, label: str) -> str | None:
        if plan.width is not None:
            return line.text[plan.start : plan.start + plan.width]
        if plan.start < len(line.cells):
            return line.cells[plan.start]
        if plan.optional:
            return None
        self.field_error(
            "PRS105",
            "the record has too few fields",
            plan,
            line,
            label,
            expected=f"field {plan.start + 1}",
            found=line.text,
        )
        return None

    def decode(self, plan: FieldPlan, raw: str, line: Line, label: str) -> Any:
        if plan.codec.strips_padding:
            text = raw.lstrip(plan.pad) if plan.right else raw.rstrip(plan.pad)
        else:
            text = raw.strip()
        if not text and (plan.optional or plan.codec.strips_padding):
            return None  # a blank text is an absent value
        try:
            return plan.codec.decode(text)
        except LeafError as exc:
            self.field_error(
                "PRS106",
                "the value does not fit the field's format",
                plan,
                line,
                label,
                expected=exc.expected,
                found=raw,
            )
            return None

    def check_pending(self) -> None:
        self.check_quickly(self.pending.pop())

    def check_quickly(self, pending: list[Pending]) -> None:
        """Check computed fields with their generated checks, carefully where one does not
        match (or there is none: the record was read carefully)."""
        scope = self.scope
        for plan, raw, line, name, number, values, check in pending:
            try:
                if check is not None and check(scope, values, raw):
                    continue
            except NOT_ORDINARY:
                pass
            self.check_computed(plan, raw, line, f"{name}#{number}", values)

    def check_computed(
        self, plan: FieldPlan, raw: str, line: Line, label: str, values: dict[str, Any]
    ) -> None:
        assert plan.expression is not None
        self.scope["record"] = values
        expected_value = self.evaluate(plan.expression)
        del self.scope["record"]
        if expected_value is None:
            return
        try:
            text = plan.codec.encode(expected_value)
        except LeafError as exc:
            self.field_error(
                "PRS107",
                "the computed value does not fit the field",
                plan,
                line,
                label,
                expected=exc.expected,
                found=raw,
            )
            return
        width = plan.width
        if width is not None and len(text) < width:
            text = text.rjust(width, plan.pad) if plan.right else text.ljust(width, plan.pad)
        if text != raw:
            self.field_error(
                "PRS110",
                f"`{plan.name}` does not match the file's contents",
                plan,
                line,
                label,
                expected=text,
                found=raw,
            )
        else:
            values[plan.name] = expected_value

    def evaluate(self, expression: Expression) -> Any:
        return self.errors.value_of(expression, self.scope)

    def field_error(
        self,
        code: str,
        message: str,
        plan: FieldPlan,
        line: Line,
        label: str,
        *,
        expected: str | None,
        found: str | None,
    ) -> None:
        self.errors.add(
            ParseError(
                code,
                message,
                position=DataPosition(
                    file=self.file_name,
                    line=line.number,
                    column=plan.start + 1 if self.fixed else None,
                    end_column=plan.start + 1 + plan.width if plan.width else None,
                    byte_offset=line.offset + plan.start if self.fixed else line.offset,
                    record=label,
                    field=plan.name,
                ),
                expected=expected,
                found=found,
                span=plan.span,
            )
        )


def _walk(target: dict[str, Any], keys: ModelPath) -> dict[str, Any]:
    for key in keys:
        child = target.get(key)
        if not isinstance(child, dict):
            child = {}
            target[key] = child
        target = child
    return target
