"""Parsing SWIFT field notation text into a syntax tree (no matching happens here).

The grammar, as supported (see docs/swift-notation.md for the full description)::

    notation   := item+
    item       := component | group | line_break | literal
    component  := LENGTH LETTER            16x   up to 16
                | LENGTH "!" LETTER        6!n   exactly 6
                | LENGTH "-" LENGTH LETTER 1-3n  1 to 3  (also written 1..3n)
                | LINES "*" LENGTH LETTER  4*35x up to 4 lines of up to 35
    group      := "[" item+ "]"            optional
    line_break := "CrLf" | a line break in the notation text
    literal    := a run of upper-case letters and punctuation (/, //, :, N, ISIN ...)

A lower-case letter is always a character set, so one without a length is a mistake, not a
literal; blanks are refused because SWIFT writes a blank as ``1!e``.
"""

from __future__ import annotations

from dataclasses import dataclass

from erengine.codecs.swift.charsets import SWIFT_CHARSETS
from erengine.errors import ConfigError, SourceSpan

#: Configuration error codes of the notation compiler.
NOTATION_SYNTAX = "CFG650"

LINE_BREAK = "\n"
_CRLF_WORD = "CrLf"
_MAX_LENGTH = 9999  # longer than any SWIFT field; keeps the compiled expressions small
# Matching tries optional groups present, then absent: 2**groups ways at worst. SWIFT fields
# have a handful; the cap keeps the worst case small whatever a configuration says.
MAX_OPTIONAL_GROUPS = 10
_LITERAL_PUNCTUATION = frozenset("/:,-.?()+'=#$%&;<>@_\"{}")


@dataclass(frozen=True, slots=True)
class LiteralSyntax:
    text: str
    offset: int  # 0-based index in the notation text


@dataclass(frozen=True, slots=True)
class ComponentSyntax:
    source: str  # the component as written, e.g. "4*35x"
    offset: int
    letter: str
    min_length: int
    max_length: int  # per line for multi-line components
    max_lines: int


@dataclass(frozen=True, slots=True)
class GroupSyntax:
    items: tuple[Syntax, ...]
    offset: int


Syntax = LiteralSyntax | ComponentSyntax | GroupSyntax


def parse_notation(notation: str, span: SourceSpan | None) -> tuple[Syntax, ...]:
    """The syntax tree of ``notation``; ConfigError (CFG650) names the offending column."""
    parser = _NotationParser(notation, span)
    items = parser.sequence(closing=None)
    if not items:
        raise parser.error(0, "the notation is empty")
    return items


class _NotationParser:
    def __init__(self, notation: str, span: SourceSpan | None) -> None:
        # A notation written over several YAML lines may carry CRLF line ends.
        self.text = notation.replace("\r\n", LINE_BREAK)
        self.span = span
        self.pos = 0
        self.groups = 0

    def error(self, offset: int, problem: str) -> ConfigError:
        return ConfigError(
            NOTATION_SYNTAX,
            f"SWIFT notation {self.text!r}, column {offset + 1}: {problem}",
            span=self.span,
            hint="notation is built from 16x, 6!n, 4*35x, [optional] parts and separators like //",
        )

    def sequence(self, closing: str | None) -> tuple[Syntax, ...]:
        items: list[Syntax] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "]":
                if closing is None:
                    raise self.error(self.pos, "']' without a matching '['")
                return tuple(items)
            items.append(self.item())
        if closing is not None:
            raise self.error(self.pos, "a '[' is never closed")
        return tuple(items)

    def item(self) -> Syntax:
        start = self.pos
        char = self.text[start]
        if char == "[":
            self.groups += 1
            if self.groups > MAX_OPTIONAL_GROUPS:
                raise self.error(start, f"more than {MAX_OPTIONAL_GROUPS} optional groups")
            self.pos += 1
            inner = self.sequence(closing="]")
            if not inner:
                raise self.error(start, "an optional group '[]' must hold something")
            self.pos += 1  # the closing bracket
            return GroupSyntax(inner, start)
        if char.isdigit():
            return self.component()
        if char == LINE_BREAK or self.text.startswith(_CRLF_WORD, start):
            self.pos += 1 if char == LINE_BREAK else len(_CRLF_WORD)
            return LiteralSyntax(LINE_BREAK, start)
        return self.literal()

    def literal(self) -> LiteralSyntax:
        start = self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char.isascii() and (char.isupper() or char in _LITERAL_PUNCTUATION):
                if self.text.startswith(_CRLF_WORD, self.pos):
                    break
                self.pos += 1
                continue
            if self.pos > start:
                break
            if char in SWIFT_CHARSETS:
                raise self.error(self.pos, f"character set '{char}' needs a length, e.g. 35{char}")
            if char.isspace():
                raise self.error(self.pos, "blanks are not notation; write a blank as 1!e")
            raise self.error(self.pos, f"unexpected character {char!r}")
        return LiteralSyntax(self.text[start : self.pos], start)

    def number(self) -> int:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isdigit():
            self.pos += 1
        value = int(self.text[start : self.pos])
        if not 1 <= value <= _MAX_LENGTH:
            raise self.error(start, f"a length must be between 1 and {_MAX_LENGTH}")
        return value

    def component(self) -> ComponentSyntax:
        start = self.pos
        first = self.number()
        min_length, max_length, max_lines = 1, first, 1
        if self.text.startswith("!", self.pos):
            self.pos += 1
            min_length = first
        elif self.text.startswith("*", self.pos):
            self.pos += 1
            self.expect_digit()
            max_lines, max_length = first, self.number()
        elif self.text.startswith(("-", ".."), self.pos):
            self.pos += 1 if self.text[self.pos] == "-" else 2
            self.expect_digit()
            min_length, max_length = first, self.number()
            if min_length > max_length:
                raise self.error(start, f"the range {first} to {max_length} is empty")
        letter_at = self.pos
        letter = self.text[letter_at : letter_at + 1]
        if letter not in SWIFT_CHARSETS:
            found = repr(letter) if letter else "the end"
            raise self.error(
                letter_at, f"expected a character set (n a c d e h x y z), found {found}"
            )
        self.pos += 1
        if letter == "d" and max_lines > 1:
            raise self.error(start, "a decimal (d) cannot span several lines")
        return ComponentSyntax(
            self.text[start : self.pos], start, letter, min_length, max_length, max_lines
        )

    def expect_digit(self) -> None:
        if not self.text[self.pos : self.pos + 1].isdigit():
            raise self.error(self.pos, "expected a length (digits)")
