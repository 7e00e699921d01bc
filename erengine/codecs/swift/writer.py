"""Writing SWIFT MT messages from model data through a compiled plan.

One message per item of the plan's root list, tags in the declared order, each tag's parts
encoded by their codecs and put together by the tag's notation (lengths, character sets,
line wrapping, transliteration or refusal as the format says). Messages are written one at
a time, so memory stays flat however many statements and entries the data holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO

from erengine.codecs.base import WriteReport
from erengine.codecs.leaf import LeafError
from erengine.codecs.swift.format_plan import GroupPlan, SwiftPlan, TagPlan
from erengine.codecs.swift.subfields import SubfieldScheme, SubfieldWriteError
from erengine.errors import DataPosition, SourceSpan, ValidationError

VALUE_NOT_WRITABLE = "VAL168"
DERIVED_MISMATCH = "VAL169"
LINE_WOULD_END_FIELD = "VAL170"
SUBFIELD_NOT_WRITABLE = "VAL171"
ENVELOPE_NOT_WRITABLE = "VAL172"

_RULE = "swift-format"


def write_messages(
    plan: SwiftPlan,
    data: Mapping[str, Any],
    sink: BinaryIO,
    *,
    context: Mapping[str, Any] | None,
) -> WriteReport:
    report = WriteReport()
    writer = _MessageWriter(plan, dict(context or {}))
    newline = plan.file.newline
    for index, item in enumerate(data.get(plan.list_key) or (), start=1):
        lines = writer.message(item, index)
        if plan.envelope:
            header, trailer = writer.envelope(item)
            lines.insert(0, header + "{4:")
            lines.append("-}" + trailer)
        else:
            lines.append("-")
        encoded = (newline.join(lines) + newline).encode(plan.file.encoding)
        sink.write(encoded)
        report.records += 1
        report.bytes_written += len(encoded)
    return report


class _MessageWriter:
    def __init__(self, plan: SwiftPlan, context: dict[str, Any]) -> None:
        self.plan = plan
        self.context = context
        self.record = ""

    def message(self, item: dict[str, Any], index: int) -> list[str]:
        self.record = f"{self.plan.item_name}#{index}"
        scope: dict[str, Any] = {self.plan.item_name: item, "context": self.context}
        # Several tags pick their items from one list (:60F: :62F: :64: from the balances):
        # a list given as a generator is taken once, into a list; repeated groups stream.
        for target in self.plan.tag_lists:
            items = target.items(scope)
            if not isinstance(items, (list, tuple)):
                item = scope[self.plan.item_name] = {**item, target.keys[0]: list(items)}
        lines: list[str] = []
        for slot in self.plan.slots:
            if isinstance(slot, GroupPlan):
                self.group(slot, scope, lines)
            else:
                self.tag(slot, scope, lines)
        return lines

    def group(self, group: GroupPlan, scope: dict[str, Any], lines: list[str]) -> None:
        for item in group.items.items(scope):
            scope[group.item_name] = item
            for name, target in group.first_items:
                first = next(iter(target.items(scope)), None)
                scope[name] = first if isinstance(first, dict) else {}
            for derived in group.derived:
                expected = derived.expression.evaluate(scope)
                given = derived.getter(scope)
                if given is not None and given != expected:
                    raise ValidationError(
                        DERIVED_MISMATCH,
                        f"`{derived.path}` cannot differ from what the message says once",
                        rule=_RULE,
                        position=DataPosition(record=self.record, field=derived.path),
                        expected=str(expected),
                        found=str(given),
                    )
            for tag in group.tags:
                self.tag(tag, scope, lines)

    def tag(self, tag: TagPlan, scope: dict[str, Any], lines: list[str]) -> None:
        if tag.items is None or tag.item_name is None:
            self.emit(tag, scope, lines)
            return
        for item in tag.items.items(scope):
            if isinstance(item, dict) and all(item.get(k) == v for k, v in tag.implies):
                scope[tag.item_name] = item
                self.emit(tag, scope, lines)

    def envelope(self, item: dict[str, Any]) -> tuple[str, str]:
        """The blocks before block 4 and after its end, e.g. ``{1:F01…}{2:I940…}``."""
        scope: dict[str, Any] = {self.plan.item_name: item, "context": self.context}
        header: list[str] = []
        trailer: list[str] = []
        for block in self.plan.envelope:
            text = self.render(block, scope)
            if text is None:
                continue
            # Block 3 nests blocks ({3:{108:…}}); an unbalanced brace would end the envelope.
            if "\n" in text or text.count("{") != text.count("}"):
                raise self.refused(
                    ENVELOPE_NOT_WRITABLE,
                    f"envelope block {block.tag} must be one line with balanced braces",
                    block.tag,
                    expected="one line, each { closed by }",
                    found=text,
                    span=block.span,
                )
            (trailer if block.tag == "5" else header).append(f"{{{block.tag}:{text}}}")
        return "".join(header), "".join(trailer)

    def emit(self, tag: TagPlan, scope: dict[str, Any], lines: list[str]) -> None:
        text = self.render(tag, scope)
        if text is None:
            return
        field_lines = f":{tag.tag}:{text}".split("\n")
        for number, line in enumerate(field_lines[1:], start=2):
            # A reader takes such a line for the next tag or the end of the message.
            if line.startswith((":", "-")):
                raise self.refused(
                    LINE_WOULD_END_FIELD,
                    f":{tag.tag}: line {number} would start with {line[0]!r}, which ends a field",
                    tag.tag,
                    expected="continuation lines that do not start with ':' or '-'",
                    found=line[:24],
                    span=tag.span,
                )
        lines.extend(field_lines)

    def render(self, tag: TagPlan, scope: dict[str, Any]) -> str | None:
        """The tag's text by its notation, or None when it is not written."""
        if tag.when is not None and not tag.when.evaluate(scope):
            return None
        values: dict[str, str] = {}
        for part in tag.parts:
            if part.kind == "const" and part.const is not None:
                values[part.name] = part.const
                continue
            if part.kind == "bind":
                got = tuple(get(scope) for get in part.getters)
                value: Any = got[0] if len(got) == 1 else got
                if all(one is None for one in got):
                    if part.default is not None:
                        values[part.name] = part.default
                    continue
            elif part.kind == "value" and part.expression is not None:
                value = part.expression.evaluate(scope)
                if value is None:
                    continue
            else:
                if part.default is not None:
                    values[part.name] = part.default
                continue
            try:
                values[part.name] = part.codec.encode(value)
            except LeafError as problem:
                raise self.refused(
                    VALUE_NOT_WRITABLE,
                    f"part {part.name} of :{tag.tag}: cannot be written",
                    f"{tag.tag}.{part.name}",
                    expected=problem.expected,
                    found=repr(value),
                    span=part.span,
                ) from None
        for part in tag.parts:
            if part.prefix is not None and part.name in values:
                # One value, two parts of the notation: the prefix's text comes first.
                text, width = values[part.name], part.prefix.width
                values[part.prefix.name], values[part.name] = text[:width], text[width:]
        if tag.subfields is not None:
            self.compose(tag, tag.subfields, scope, values)
        if tag.optional and not any(
            part.name in values for part in tag.parts if part.kind != "const"
        ):
            return None
        try:
            return tag.writing.write(values, transliterate=self.plan.file.transliterate)
        except ValidationError as error:
            raise ValidationError(
                error.code,
                f":{tag.tag}: {error.message}",
                rule=error.rule,
                position=DataPosition(
                    record=self.record, field=f"{tag.tag}.{error.position.field or ''}"
                ),
                expected=error.expected,
                found=error.found,
                span=tag.span,
            ) from None

    def compose(
        self, tag: TagPlan, scheme: SubfieldScheme, scope: dict[str, Any], values: dict[str, str]
    ) -> None:
        """Structured details written as sub-fields when the raw text is absent (a statement
        made from camt data, or from details alone); the raw text, when read, wins."""
        part = next((p for p in tag.parts if p.group == tag.subfield_part), None)
        if part is None or values.get(part.name):
            return
        try:
            text = scheme.compose(scope)
        except SubfieldWriteError as problem:
            raise self.refused(
                SUBFIELD_NOT_WRITABLE,
                f":{tag.tag}: {problem}",
                f"{tag.tag}.{part.name}",
                expected="text that fits the sub-fields and reads back the same",
                found=problem.found,
                span=tag.span,
            ) from None
        if text:
            values[part.name] = text

    def refused(
        self,
        code: str,
        message: str,
        field: str,
        *,
        expected: str,
        found: str,
        span: SourceSpan | None,
    ) -> ValidationError:
        return ValidationError(
            code,
            message,
            rule=_RULE,
            position=DataPosition(record=self.record, field=field),
            expected=expected,
            found=found,
            span=span,
        )


__all__ = ["write_messages"]
