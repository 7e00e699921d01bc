"""SWIFT field notation compiled once into a reader and a writer for one field.

>>> amount = compile_notation("3!a15d", parts=["currency", "amount"])
>>> amount.read("EUR1234,56", position=DataPosition(file="f.sta", line=7, column=6))
{'currency': 'EUR', 'amount': '1234,56'}
>>> amount.write({"currency": "EUR", "amount": "0,"})
'EUR0,'

Part naming: every component (``16x``, ``6!n``, ``4*35x`` ...) is one part, and so is every
optional group that holds only separators (``[N]``); separators elsewhere are not parts.
Parts are named ``part1``, ``part2`` ... in the order they appear in the notation, or by the
``parts`` given. ``read`` leaves out the parts of optional groups that are absent; ``write``
treats a missing or empty value as absent and writes an optional group when any of its parts
has a value. See docs/swift-notation.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from erengine.codecs.swift.charsets import SwiftCharset, transliterate_into
from erengine.codecs.swift.diagnosis import explain_mismatch
from erengine.codecs.swift.grammar import LINE_BREAK, parse_notation
from erengine.codecs.swift.plan import (
    NOTATION_OPTIONS,
    Element,
    LiteralMatcher,
    OptionalGroup,
    PartMatcher,
    compile_elements,
)
from erengine.errors import ConfigError, DataPosition, SourceSpan, ValidationError
from erengine.expr.functions.text import AsciiStyle

#: Error codes of writing (the values, not a file, are wrong, hence validation errors).
VALUE_MISSING = "VAL160"
VALUE_CHARACTER_NOT_ALLOWED = "VAL161"
VALUE_WRONG_LENGTH = "VAL162"
VALUE_NOT_A_CHOICE = "VAL163"
VALUE_NOT_A_DECIMAL = "VAL164"
VALUE_NOT_READ_BACK = "VAL165"
VALUE_UNKNOWN_PART = "VAL166"
VALUE_NOT_TEXT = "VAL167"

_RULE = "swift-notation"
# Codes and numbers keep their SWIFT meaning; only free-text sets may be widened.
_REBINDABLE = frozenset({"x", "y", "z"})


@dataclass(frozen=True, slots=True)
class FieldNotation:
    """A compiled notation: ``read`` a field's text into parts, ``write`` parts into text."""

    source: str
    parts: tuple[str, ...]
    elements: tuple[Element, ...] = field(repr=False)
    pattern: re.Pattern[str] = field(repr=False)
    span: SourceSpan | None = field(default=None, repr=False)
    by_name: Mapping[str, PartMatcher | OptionalGroup] = field(default_factory=dict, repr=False)

    def read(
        self,
        text: str,
        *,
        position: DataPosition,
        line_numbers: Sequence[int] | None = None,
    ) -> dict[str, str]:
        """The parts present in ``text`` (one field value, lines joined by ``\\n``).

        ``position`` is where the value starts in the file; ``line_numbers`` gives the file
        line of each line of the value when they are not consecutive. A mismatch raises a
        ParseError (PRS32x) naming the part, expected versus found, and the column.
        """
        parts = self._parts_in(text)
        if parts is None:
            raise explain_mismatch(
                self.elements,
                text,
                position=position,
                line_numbers=line_numbers,
                span=self.span,
            )
        return parts

    def write(
        self,
        values: Mapping[str, str],
        *,
        transliterate: bool = False,
        style: AsciiStyle = "german",
    ) -> str:
        """The field text for ``values``; multi-line parts are wrapped at their line length.

        With ``transliterate``, characters outside a part's set are spelled in it where
        possible (``ä`` -> ``ae`` in the German ``style``, ``a`` in the ``plain`` one);
        anything still outside is refused with a ValidationError naming it and its column.
        """
        unknown = sorted(set(values) - set(self.parts))
        if unknown:
            raise _value_error(
                VALUE_UNKNOWN_PART,
                f"SWIFT notation {self.source!r} has no part {', '.join(unknown)}",
                None,
                expected="one of " + ", ".join(self.parts),
                found=", ".join(unknown),
            )
        writer = _FieldWriter(values, transliterate, style)
        text = writer.sequence(self.elements, required_by=None)
        read_back = self._parts_in(text)
        if read_back != writer.written:
            raise _value_error(
                VALUE_NOT_READ_BACK,
                f"the values cannot be told apart in SWIFT notation {self.source!r}: "
                "reading the field back would give other parts",
                None,
                expected=str(writer.written),
                found=str(read_back),
            )
        return text

    def _parts_in(self, text: str) -> dict[str, str] | None:
        match = self.pattern.fullmatch(text)
        if match is None:
            return None
        return {
            name: value
            for name, value in zip(self.parts, match.groups(), strict=True)
            if value is not None
        }


def compile_notation(
    notation: str,
    *,
    parts: Sequence[str] | None = None,
    span: SourceSpan | None = None,
    choices: Mapping[str, Sequence[str]] | None = None,
    charsets: Mapping[str, SwiftCharset] | None = None,
    lenient_decimals: bool = False,
) -> FieldNotation:
    """Compile SWIFT field notation such as ``6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]``.

    ``parts`` names the parts (see the module doc for what a part is). ``choices`` restricts
    named parts to listed values, which also settles ambiguous splits: with ``mark`` limited
    to C, D, RC and RD, ``CR`` reads as mark ``C`` plus funds code ``R``. ``charsets`` binds
    a text set (x, y or z) to another set, e.g. ``{"x": ANY_PRINTABLE}`` for a bank whose
    files carry umlauts. ``lenient_decimals`` reads decimals whose comma is missing (``500``),
    a tolerance some banks need; they are still written with it. Mistakes raise ConfigError
    (CFG650 syntax, CFG651 names, CFG652 options) naming the column in the notation.
    """
    chosen = dict(choices or {})
    bound = dict(charsets or {})
    unknown_letters = sorted(set(bound) - _REBINDABLE)
    if unknown_letters:
        raise ConfigError(
            NOTATION_OPTIONS,
            f"SWIFT notation {notation!r}: character set {', '.join(unknown_letters)} "
            "cannot be rebound",
            span=span,
            hint="only the text sets x, y and z can be bound to another set",
        )
    syntax = parse_notation(notation, span)
    compiled = compile_elements(
        syntax,
        notation=notation,
        parts=parts,
        choices=chosen,
        charsets=bound,
        span=span,
        lenient_decimals=lenient_decimals,
    )
    by_name: dict[str, PartMatcher | OptionalGroup] = {}
    _index_parts(compiled.elements, by_name)
    return FieldNotation(
        notation, compiled.part_names, compiled.elements, compiled.pattern, span, by_name
    )


def _index_parts(elements: Sequence[Element], into: dict[str, PartMatcher | OptionalGroup]) -> None:
    for element in elements:
        if isinstance(element, PartMatcher):
            into[element.name] = element
        elif isinstance(element, OptionalGroup):
            if element.name is not None:
                into[element.name] = element
            else:
                _index_parts(element.elements, into)


def _value_error(
    code: str, message: str, part: str | None, *, expected: str, found: str
) -> ValidationError:
    return ValidationError(
        code,
        message,
        rule=_RULE,
        position=DataPosition(field=part),
        expected=expected,
        found=found,
    )


class _FieldWriter:
    """Writes one field's parts in notation order and records what it wrote."""

    def __init__(self, values: Mapping[str, str], transliterate: bool, style: AsciiStyle) -> None:
        self.values = values
        self.transliterate = transliterate
        self.style = style
        self.written: dict[str, str] = {}

    def value_of(self, name: str) -> str:
        value = self.values.get(name, "")
        if not isinstance(value, str):
            raise _value_error(
                VALUE_NOT_TEXT,
                f"part {name} must be given as text",
                name,
                expected="text",
                found=type(value).__name__,
            )
        return value

    def has_content(self, elements: Sequence[Element]) -> str | None:
        """The name of a part among ``elements`` that has a value, if any."""
        for element in elements:
            if isinstance(element, PartMatcher) and self.value_of(element.name):
                return element.name
            if isinstance(element, OptionalGroup):
                if element.name is not None and self.value_of(element.name):
                    return element.name
                inner = self.has_content(element.elements)
                if inner is not None:
                    return inner
        return None

    def sequence(self, elements: Sequence[Element], required_by: str | None) -> str:
        out: list[str] = []
        for element in elements:
            if isinstance(element, LiteralMatcher):
                out.append(element.text)
            elif isinstance(element, PartMatcher):
                out.append(self.part(element, required_by))
            elif element.name is not None:
                out.append(self.separator_group(element))
            else:
                given = self.has_content(element.elements)
                if given is not None:
                    out.append(self.sequence(element.elements, required_by=given))
        return "".join(out)

    def separator_group(self, group: OptionalGroup) -> str:
        name = group.name or ""
        value = self.value_of(name)
        if not value:
            return ""
        if value != group.text:
            raise _value_error(
                VALUE_NOT_A_CHOICE,
                f"part {name} is either absent or {group.text!r}",
                name,
                expected=repr(group.text),
                found=value,
            )
        self.written[name] = value
        return value

    def part(self, part: PartMatcher, required_by: str | None) -> str:
        value = self.value_of(part.name)
        if not value:
            because = f", which part {required_by} needs" if required_by else ""
            raise _value_error(
                VALUE_MISSING,
                f"{part.label} is missing{because}",
                part.name,
                expected=part.expected(),
                found="no value",
            )
        if self.transliterate:  # before wrapping: "ä" -> "ae" makes lines longer
            value = transliterate_into(value, part.charset, self.style)
        if part.max_lines > 1:
            value = _wrap(value.replace("\r\n", LINE_BREAK).replace("\r", LINE_BREAK), part)
        if part.pattern.fullmatch(value) is None:
            raise _refusal(part, value)
        self.written[part.name] = value
        return value


def _wrap(text: str, part: PartMatcher) -> str:
    """Lines longer than the part's line length cut into lines of that length."""
    width = part.max_length
    lines: list[str] = []
    for line in text.split(LINE_BREAK):
        lines.extend([line[i : i + width] for i in range(0, len(line), width)] or [""])
    return LINE_BREAK.join(lines)


def _refusal(part: PartMatcher, value: str) -> ValidationError:
    """Why ``value`` does not fit ``part``, most specific reason first."""
    expected = part.expected()
    if part.choices:
        return _value_error(
            VALUE_NOT_A_CHOICE, f"{part.label} has a value that is not allowed", part.name,
            expected=expected, found=value,
        )  # fmt: skip
    if part.is_decimal:
        return _value_error(
            VALUE_NOT_A_DECIMAL, f"{part.label} is not a SWIFT decimal", part.name,
            expected=expected, found=value,
        )  # fmt: skip
    lines = value.split(LINE_BREAK) if part.max_lines > 1 else [value]
    for line_index, line in enumerate(lines):
        offending = part.charset.first_offending(line)
        if offending is not None:
            where = f"line {line_index + 1}, column" if len(lines) > 1 else "column"
            return _value_error(
                VALUE_CHARACTER_NOT_ALLOWED,
                f"{part.label}: character {line[offending]!r} at {where} {offending + 1} "
                "is not allowed",
                part.name, expected=expected, found=line[offending],
            )  # fmt: skip
    separators = [text for text in part.stop_before if text in value]
    if separators:
        return _value_error(
            VALUE_NOT_READ_BACK,
            f"{part.label} contains {separators[0]!r}, which separates it from the next part",
            part.name, expected=f"{expected} without {separators[0]!r}", found=value,
        )  # fmt: skip
    found = f"{len(lines)} lines" if len(lines) > part.max_lines else f"{len(value)} characters"
    return _value_error(
        VALUE_WRONG_LENGTH, f"{part.label} has the wrong length", part.name,
        expected=expected, found=found,
    )  # fmt: skip
