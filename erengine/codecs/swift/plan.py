"""The compiled form of a SWIFT field notation: a tree of small matchers and one expression.

Compiling happens in three small passes over the syntax tree from ``grammar``:

1. ``_optional_lines``: a line whose content is entirely optional becomes optional as a whole,
   line break included, as SWIFT prints it (``[/34x]CrLf4!a2!a2!c[3!c]`` reads ``BNPAFRPP``
   without an empty first line; ``…[//16x]CrLf[34x]`` reads a ``:61:`` without line 2).
2. naming: every component is one part; an optional group holding only literals (``[N]``) is
   one part too, so its presence is not lost. Parts are named in the order they appear.
3. matchers: each variable-length part stops before a separator that may follow it (so
   ``16x[//16x]`` splits at ``//``), then everything becomes one regular expression.

The expression has no catastrophic backtracking: every part is possessive (it never gives
characters back), so the only choice points are the optional groups, tried present first.
A match costs at most ``2**groups`` passes over at most the notation's maximum length,
however long the input is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from erengine.codecs.swift.charsets import SWIFT_CHARSETS, SwiftCharset
from erengine.codecs.swift.grammar import (
    LINE_BREAK,
    ComponentSyntax,
    GroupSyntax,
    LiteralSyntax,
    Syntax,
)
from erengine.errors import ConfigError, SourceSpan

#: Configuration error codes of the notation compiler (CFG650 is the syntax, in grammar).
NOTATION_PART_NAMES = "CFG651"
NOTATION_OPTIONS = "CFG652"

_UNCOMPILED = re.compile("(?!)")  # placeholder until a part's own expression is built


@dataclass(frozen=True, slots=True)
class LiteralMatcher:
    """A separator written as is (``//``, ``/``, ``:``, a line break ...)."""

    text: str
    offset: int
    label: str  # how errors name it: "separator '//' before part bank_reference"


@dataclass(frozen=True, slots=True)
class PartMatcher:
    """One component of the notation, e.g. ``15d`` named ``amount``."""

    name: str
    source: str
    offset: int
    charset: SwiftCharset
    min_length: int
    max_length: int  # per line when ``max_lines > 1``
    max_lines: int
    choices: tuple[str, ...]  # allowed values, longest first; empty: any that fits
    stop_before: tuple[str, ...]  # separators this part never contains
    pattern: re.Pattern[str]  # the part alone, for error analysis
    # A decimal whose comma may be missing (``500`` for ``500,``): a bank tolerance, opt-in.
    comma_optional: bool = False

    @property
    def is_decimal(self) -> bool:
        return self.source.endswith("d")

    @property
    def label(self) -> str:
        return f"part {self.name} ({self.source})"

    def expected(self) -> str:
        """The rule in words: 'exactly 6 digits', 'up to 4 lines of up to 35 characters …'."""
        if self.choices:
            return "one of " + ", ".join(sorted(self.choices))
        if self.max_lines > 1:
            return f"up to {self.max_lines} lines of up to {self.max_length} {self.description()}"
        if self.min_length == self.max_length:
            noun = self.charset.singular if self.max_length == 1 else self.description()
            return f"exactly {self.max_length} {noun}"
        if self.min_length > 1:
            return f"{self.min_length} to {self.max_length} {self.description()}"
        return f"up to {self.max_length} {self.description()}"

    def description(self) -> str:
        if self.is_decimal:
            return "digits with one decimal comma"
        return self.charset.description


@dataclass(frozen=True, slots=True)
class OptionalGroup:
    """``[...]``: present or absent as a whole. ``name`` is set when it holds no part."""

    elements: tuple[Element, ...]
    offset: int
    name: str | None
    text: str  # the literal text of a named group, "" otherwise


Element = LiteralMatcher | PartMatcher | OptionalGroup


@dataclass(frozen=True, slots=True)
class CompiledElements:
    elements: tuple[Element, ...]
    part_names: tuple[str, ...]
    pattern: re.Pattern[str]


def compile_elements(
    syntax: tuple[Syntax, ...],
    *,
    notation: str,
    parts: Sequence[str] | None,
    choices: Mapping[str, Sequence[str]],
    charsets: Mapping[str, SwiftCharset],
    span: SourceSpan | None,
    lenient_decimals: bool = False,
) -> CompiledElements:
    shaped = _optional_lines(syntax)
    slots = _count_parts(shaped)
    names = _part_names(notation, slots, parts, span)
    builder = _Builder(
        iter(names),
        choices,
        {**SWIFT_CHARSETS, **charsets},
        notation,
        span,
        lenient_decimals=lenient_decimals,
    )
    elements = builder.sequence(shaped, follow=frozenset())
    unknown = sorted(set(choices) - set(builder.chosen))
    if unknown:
        raise _options_error(notation, span, f"choices name no part of it: {', '.join(unknown)}")
    pattern = re.compile("".join(_regex(element) for element in elements))
    return CompiledElements(elements, names, pattern)


# -- pass 1: optional lines ------------------------------------------------------------------


def _optional_lines(items: tuple[Syntax, ...]) -> tuple[Syntax, ...]:
    lines: list[list[Syntax]] = [[]]
    breaks: list[LiteralSyntax] = []
    for item in items:
        if isinstance(item, LiteralSyntax) and item.text == LINE_BREAK:
            breaks.append(item)
            lines.append([])
        else:
            lines[-1].append(item)
    if not breaks:
        return items

    def optional(line: list[Syntax]) -> bool:
        return bool(line) and all(isinstance(item, GroupSyntax) for item in line)

    out: list[Syntax] = list(lines[0])
    for index, line_break in enumerate(breaks):
        before, after = lines[index], lines[index + 1]
        if optional(after):
            out.append(_join_group([line_break, *after], line_break.offset))
        elif optional(before) and index == 0:
            out[:] = [_join_group([*before, line_break], before[0].offset)]
            out.extend(after)
        else:
            out.append(line_break)
            out.extend(after)
    return tuple(out)


def _join_group(items: list[Syntax], offset: int) -> GroupSyntax:
    groups = [item for item in items if isinstance(item, GroupSyntax)]
    # "[CrLf[34x]]" is just "[CrLf34x]": merge a single group that holds a part.
    if len(groups) == 1 and _count_parts(groups[0].items) > 0:
        merged: list[Syntax] = []
        for item in items:
            merged.extend(item.items if isinstance(item, GroupSyntax) else [item])
        return GroupSyntax(tuple(merged), offset)
    return GroupSyntax(tuple(items), offset)


# -- pass 2: naming -------------------------------------------------------------------------


def _holds_only_literals(group: GroupSyntax) -> bool:
    return all(isinstance(item, LiteralSyntax) for item in group.items)


def _count_parts(items: tuple[Syntax, ...]) -> int:
    count = 0
    for item in items:
        if isinstance(item, ComponentSyntax):
            count += 1
        elif isinstance(item, GroupSyntax):
            count += 1 if _holds_only_literals(item) else _count_parts(item.items)
    return count


def _part_names(
    notation: str, count: int, parts: Sequence[str] | None, span: SourceSpan | None
) -> tuple[str, ...]:
    if parts is None:
        return tuple(f"part{index}" for index in range(1, count + 1))
    names = tuple(parts)
    problem = ""
    if len(names) != count:
        problem = f"it has {count} parts but {len(names)} names were given"
    elif len(set(names)) != len(names):
        problem = "part names must be different from each other"
    elif not all(isinstance(name, str) and name for name in names):
        problem = "part names must be non-empty text"
    if problem:
        raise ConfigError(
            NOTATION_PART_NAMES,
            f"SWIFT notation {notation!r}: {problem}",
            span=span,
            hint="one name per component (16x, 6!n ...) and per optional group of only "
            "separators ([N]), in the order they appear",
        )
    return names


# -- pass 3: matchers -----------------------------------------------------------------------


def _first_literals(items: Sequence[Syntax]) -> tuple[frozenset[str], bool]:
    """Literals that can start ``items``, and whether ``items`` can match nothing."""
    found: set[str] = set()
    for item in items:
        if isinstance(item, LiteralSyntax):
            found.add(item.text)
            return frozenset(found), False
        if isinstance(item, ComponentSyntax):
            return frozenset(found), False
        inner, _ = _first_literals(item.items)
        found |= inner
    return frozenset(found), True


def _options_error(notation: str, span: SourceSpan | None, problem: str) -> ConfigError:
    return ConfigError(NOTATION_OPTIONS, f"SWIFT notation {notation!r}: {problem}", span=span)


class _Builder:
    def __init__(
        self,
        names: Iterator[str],
        choices: Mapping[str, Sequence[str]],
        charsets: Mapping[str, SwiftCharset],
        notation: str,
        span: SourceSpan | None,
        *,
        lenient_decimals: bool,
    ) -> None:
        self.names = names
        self.lenient_decimals = lenient_decimals
        self.choices = choices
        self.charsets = charsets
        self.notation = notation
        self.span = span
        self.chosen: list[str] = []

    def next_name(self) -> str:
        return next(self.names)

    def sequence(self, items: tuple[Syntax, ...], follow: frozenset[str]) -> tuple[Element, ...]:
        built: list[Element] = []
        for index, item in enumerate(items):
            rest_literals, rest_nullable = _first_literals(items[index + 1 :])
            item_follow = rest_literals | follow if rest_nullable else rest_literals
            built.append(self.element(item, item_follow))
        return tuple(_label_literals(built))

    def element(self, item: Syntax, follow: frozenset[str]) -> Element:
        if isinstance(item, LiteralSyntax):
            return LiteralMatcher(item.text, item.offset, label="")
        if isinstance(item, ComponentSyntax):
            return self.part(item, follow)
        if _holds_only_literals(item):
            text = "".join(
                literal.text for literal in item.items if isinstance(literal, LiteralSyntax)
            )
            name = self.next_name()
            literal = LiteralMatcher(text, item.offset, f"{_describe(text)} (part {name})")
            return OptionalGroup((literal,), item.offset, name, text)
        return OptionalGroup(self.sequence(item.items, follow), item.offset, None, "")

    def part(self, item: ComponentSyntax, follow: frozenset[str]) -> PartMatcher:
        name = self.next_name()
        charset = self.charsets[item.letter]
        variable = item.min_length != item.max_length or item.max_lines > 1
        stop_before = tuple(
            sorted(
                literal
                for literal in follow
                if variable and literal[0] != LINE_BREAK and charset.allows(literal[0])
            )
        )
        free = PartMatcher(
            name, item.source, item.offset, charset, item.min_length, item.max_length,
            item.max_lines, choices=(), stop_before=stop_before, pattern=_UNCOMPILED,
            comma_optional=self.lenient_decimals and item.source.endswith("d"),
        )  # fmt: skip
        free = replace(free, pattern=re.compile(_part_body(free)))
        if name not in self.choices:
            return free
        self.chosen.append(name)
        values = tuple(self.choices[name])
        for value in values:
            if not isinstance(value, str) or free.pattern.fullmatch(value) is None:
                raise _options_error(
                    self.notation,
                    self.span,
                    f"choice {value!r} for {free.label} does not fit: expected {free.expected()}",
                )
        # Longest first, so that RC wins over C when both could start the text.
        ordered = tuple(sorted(set(values), key=lambda value: (-len(value), value)))
        chosen = replace(free, choices=ordered)
        return replace(chosen, pattern=re.compile(_part_body(chosen)))


def _label_literals(elements: list[Element]) -> list[Element]:
    """Name each separator after the part it introduces, or else the part it follows."""
    labelled: list[Element] = []
    for index, element in enumerate(elements):
        if isinstance(element, LiteralMatcher):
            after = _first_part(elements[index + 1 :])
            before = _first_part(list(reversed(elements[:index])))
            shown = _describe(element.text)
            if after is not None:
                label = f"{shown} before part {after}"
            elif before is not None:
                label = f"{shown} after part {before}"
            else:
                label = shown
            labelled.append(LiteralMatcher(element.text, element.offset, label))
        else:
            labelled.append(element)
    return labelled


def _describe(literal: str) -> str:
    return "line break" if literal == LINE_BREAK else f"separator {literal!r}"


def _first_part(elements: Sequence[Element]) -> str | None:
    for element in elements:
        if isinstance(element, PartMatcher):
            return element.name
        if isinstance(element, OptionalGroup):
            return element.name or _first_part(element.elements)
    return None


def _part_body(part: PartMatcher) -> str:
    if part.choices:
        return "(?>" + "|".join(re.escape(value) for value in part.choices) + ")"
    if part.is_decimal:
        # The run of digits and commas fits the length; then digits, one comma, digits.
        run = f"[0-9,]{{{part.min_length - 1},{part.max_length - 1}}}+"
        comma = ",?+" if part.comma_optional else ","
        return f"(?=[0-9]{run}(?![0-9,]))[0-9]++{comma}[0-9]*+"
    unit = part.charset.regex_class
    if part.stop_before:
        unit = "(?:(?!" + "|".join(re.escape(text) for text in part.stop_before) + ")" + unit + ")"
    if part.max_lines > 1:
        line = f"{unit}{{0,{part.max_length}}}+"
        return f"{unit}{{1,{part.max_length}}}+(?:\\n{line}){{0,{part.max_lines - 1}}}+"
    if part.min_length == part.max_length:
        return f"{unit}{{{part.max_length}}}"
    return f"{unit}{{{part.min_length},{part.max_length}}}+"


def _regex(element: Element) -> str:
    """The element in the field's expression; each part (and named group) is one capture."""
    if isinstance(element, LiteralMatcher):
        return re.escape(element.text)
    if isinstance(element, PartMatcher):
        return f"({_part_body(element)})"
    inner = "".join(_regex(child) for child in element.elements)
    # Greedy, not possessive: an optional group gives way when the rest does not match.
    opener = "(" if element.name is not None else "(?:"
    return f"{opener}{inner})?"
