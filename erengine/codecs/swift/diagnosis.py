"""Why a field did not match its notation: the failing part, expected versus found, the column.

Only runs after the compiled expression has refused a field, so it may be slower than the
match itself, but never unbounded: it walks the same matchers with the same choices (parts
never give characters back; optional groups are tried present, then absent) and remembers
the farthest position any path reached. What was expected there, or the part that stopped
there, is to blame:

* a variable part that stopped on a character it cannot hold, where nothing after it could
  start with that character and the field could have ended: the character is not allowed in
  the part (PRS321);
* a part that is full while more of its characters follow: the part is too long (PRS322);
* otherwise the first thing expected at that position: a missing or malformed part, a
  missing separator, or text left over after the last part.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from erengine.codecs.swift.grammar import LINE_BREAK
from erengine.codecs.swift.plan import Element, LiteralMatcher, OptionalGroup, PartMatcher
from erengine.errors import DataPosition, ParseError, SourceSpan

PART_MISSING = "PRS320"
CHARACTER_NOT_ALLOWED = "PRS321"
WRONG_LENGTH = "PRS322"
SEPARATOR_EXPECTED = "PRS323"
TEXT_AFTER_LAST_PART = "PRS324"
NOT_A_CHOICE = "PRS325"
NOT_A_DECIMAL = "PRS326"

_SNIPPET = 24  # characters of found text shown in messages
_AMOUNT_LIKE = frozenset("0123456789.,'-+ ")
_WELL_FORMED_DECIMAL = re.compile(r"[0-9]+,[0-9]*")

#: None stands for "the end of the field" among the things expected at a position.
_Expectation = LiteralMatcher | PartMatcher | None


@dataclass(frozen=True, slots=True)
class _PartSpan:
    part: PartMatcher
    start: int


@dataclass(slots=True)
class _Walk:
    text: str
    farthest: int = -1
    expected: list[_Expectation] = field(default_factory=list)
    ended_at: dict[int, _PartSpan] = field(default_factory=dict)

    def fail(self, position: int, expectation: _Expectation) -> None:
        if position > self.farthest:
            self.farthest = position
            self.expected = [expectation]
        elif position == self.farthest:
            self.expected.append(expectation)

    def ends(self, elements: Sequence[Element], index: int, position: int) -> Iterator[int]:
        """Every position where ``elements[index:]`` can end, in the matcher's order."""
        if index == len(elements):
            yield position
            return
        element = elements[index]
        if isinstance(element, OptionalGroup):
            for inner_end in self.ends(element.elements, 0, position):
                yield from self.ends(elements, index + 1, inner_end)
            yield from self.ends(elements, index + 1, position)
            return
        end = self.step(element, position)
        if end is not None:
            yield from self.ends(elements, index + 1, end)

    def step(self, element: LiteralMatcher | PartMatcher, position: int) -> int | None:
        if isinstance(element, LiteralMatcher):
            if self.text.startswith(element.text, position):
                return position + len(element.text)
            self.fail(position, element)
            return None
        match = element.pattern.match(self.text, position)
        if match is None:
            self.fail(position, element)
            return None
        self.ended_at.setdefault(match.end(), _PartSpan(element, position))
        return match.end()


def explain_mismatch(
    elements: Sequence[Element],
    text: str,
    *,
    position: DataPosition,
    line_numbers: Sequence[int] | None,
    span: SourceSpan | None,
) -> ParseError:
    """The ParseError for a ``text`` that the notation's expression refused.

    Columns count in the file when ``position`` has one, else within the field (from 1).
    """
    walk = _Walk(text)
    for end in walk.ends(elements, 0, 0):
        walk.fail(end, None)
    at = walk.farthest
    char = text[at] if at < len(text) else None
    before = walk.ended_at.get(at)
    locate = _Locator(text, position, line_numbers, span)
    if (
        before is not None
        and char is not None
        and not any(_could_start(expectation, char) for expectation in walk.expected)
    ):
        blamed = _blame_previous_part(
            before, text, at, char, locate, only_end_expected=walk.expected[-1] is None
        )
        if blamed is not None:
            return blamed
    # The closest miss is an expectation that could at least start here; else the last one,
    # which is what remains once every optional group before it was left out.
    closest = next(
        (expectation for expectation in walk.expected if char and _could_start(expectation, char)),
        walk.expected[-1],
    )
    if closest is None and before is None:
        closest = walk.expected[0]  # "unexpected text" with no part before it says too little
    return _blame_expectation(closest, text, at, before, locate)


def _blame_previous_part(
    before: _PartSpan, text: str, at: int, char: str, locate: _Locator, *, only_end_expected: bool
) -> ParseError | None:
    part = before.part
    if char == LINE_BREAK and part.max_lines > 1:
        return locate.error(
            WRONG_LENGTH, f"{part.label} has too many lines", part, at,
            expected=part.expected(), found=f"more than {part.max_lines} lines",
        )  # fmt: skip
    if part.is_decimal and part.charset.allows(char):
        return _decimal_error(part, text, before.start, locate)
    if part.charset.allows(char) and not part.choices:
        if part.max_lines > 1:
            line_start = text.rfind(LINE_BREAK, 0, at) + 1
            found = _line_of(text, line_start)
            return locate.error(
                WRONG_LENGTH, f"{part.label} has a line that is too long", part, line_start,
                expected=part.expected(), found=found,
            )  # fmt: skip
        return locate.error(
            WRONG_LENGTH, f"{part.label} is too long", part, before.start,
            expected=part.expected(), found=_line_of(text, before.start),
        )  # fmt: skip
    if not only_end_expected or (part.min_length == part.max_length and part.max_lines == 1):
        return None  # a complete part is not to blame for a bad start of what must follow
    if any(text.startswith(separator, at) for separator in part.stop_before):
        return None  # it stopped on purpose, before a separator
    shown = _describe_char(char)
    return locate.error(
        CHARACTER_NOT_ALLOWED, f"{part.label}: {shown} is not allowed", part, at,
        expected=part.expected(), found=char,
    )  # fmt: skip


def _blame_expectation(
    expectation: _Expectation, text: str, at: int, before: _PartSpan | None, locate: _Locator
) -> ParseError:
    at_end = at >= len(text)
    if expectation is None:
        after = f" after {before.part.label}" if before is not None else ""
        return locate.error(
            TEXT_AFTER_LAST_PART, f"unexpected text{after}",
            before.part if before is not None else None, at,
            expected="the end of the field", found=_line_of(text, at),
        )  # fmt: skip
    found = "" if at_end else _line_of(text, at)
    if isinstance(expectation, LiteralMatcher):
        return locate.error(
            SEPARATOR_EXPECTED, f"{expectation.label} is missing", None, at,
            expected=repr(expectation.text), found=found,
        )  # fmt: skip
    part = expectation
    if at_end or text[at] == LINE_BREAK:
        return locate.error(
            PART_MISSING, f"{part.label} is missing", part, at,
            expected=part.expected(), found=found,
        )  # fmt: skip
    if part.choices:
        longest = len(part.choices[0])
        return locate.error(
            NOT_A_CHOICE, f"{part.label} has a value that is not allowed", part, at,
            expected=part.expected(), found=text[at : at + longest],
        )  # fmt: skip
    if part.is_decimal:
        return _decimal_error(part, text, at, locate)
    line_end = _line_end(text, at)
    offending = part.charset.first_offending(text, at, min(line_end, at + part.max_length))
    if offending is not None and offending - at < part.min_length:
        shown = _describe_char(text[offending])
        return locate.error(
            CHARACTER_NOT_ALLOWED, f"{part.label}: {shown} is not allowed", part,
            offending, expected=part.expected(), found=text[offending],
        )  # fmt: skip
    return locate.error(
        WRONG_LENGTH, f"{part.label} is too short", part, at,
        expected=part.expected(), found=found,
    )  # fmt: skip


def _decimal_error(part: PartMatcher, text: str, start: int, locate: _Locator) -> ParseError:
    """A decimal from ``start`` that does not fit: too long if well formed, else malformed."""
    run_end = start
    while run_end < len(text) and text[run_end] in _AMOUNT_LIKE:
        run_end += 1
    found = text[start : max(run_end, start + 1)]
    if _WELL_FORMED_DECIMAL.fullmatch(found):
        return locate.error(
            WRONG_LENGTH, f"{part.label} is too long", part, start,
            expected=part.expected(), found=found,
        )  # fmt: skip
    return locate.error(
        NOT_A_DECIMAL, f"{part.label} is not a SWIFT decimal", part, start,
        expected=part.expected(), found=found,
    )  # fmt: skip


def _could_start(expectation: _Expectation, char: str) -> bool:
    if expectation is None:
        return False
    if isinstance(expectation, LiteralMatcher):
        return expectation.text.startswith(char)
    if expectation.choices:
        return any(value.startswith(char) for value in expectation.choices)
    if expectation.is_decimal:
        return char.isdigit()
    return expectation.charset.allows(char)


def _describe_char(char: str) -> str:
    return "a line break" if char == LINE_BREAK else f"character {char!r}"


def _line_end(text: str, start: int) -> int:
    end = text.find(LINE_BREAK, start)
    return len(text) if end < 0 else end


def _line_of(text: str, start: int) -> str:
    """The found text from ``start`` to the end of its line, shortened for messages."""
    found = text[start : _line_end(text, start)]
    return found if len(found) <= _SNIPPET else found[: _SNIPPET - 1] + "…"


@dataclass(frozen=True, slots=True)
class _Locator:
    """Turns an index in the field's text into a file line and column."""

    text: str
    position: DataPosition
    line_numbers: Sequence[int] | None
    span: SourceSpan | None  # where the notation is configured

    def error(
        self,
        code: str,
        message: str,
        part: PartMatcher | None,
        index: int,
        *,
        expected: str,
        found: str,
    ) -> ParseError:
        line_index = self.text.count(LINE_BREAK, 0, index)
        column_in_line = index - (self.text.rfind(LINE_BREAK, 0, index) + 1)
        base = self.position
        line: int | None = None if base.line is None else base.line + line_index
        if self.line_numbers is not None and line_index < len(self.line_numbers):
            line = self.line_numbers[line_index]
        first_column = (base.column or 1) if line_index == 0 else 1
        dotted = part.name if part is not None else None
        if base.field and dotted:
            dotted = f"{base.field}.{dotted}"
        return ParseError(
            code,
            message,
            position=DataPosition(
                file=base.file,
                line=line,
                column=first_column + column_in_line,
                byte_offset=None,
                record=base.record,
                field=dotted or base.field,
            ),
            expected=expected,
            found=found,
            span=self.span,
        )
