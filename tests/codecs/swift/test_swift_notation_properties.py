"""Properties of compiled SWIFT notations: round trips, refusals that name a part, no hangs.

The refusal property needs to know whether a mutated text still fits; ``fits`` answers that
independently of the compiled expression, by trying every way to cut the text into the
notation's parts (memoised, so it stays quick on short fields).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from functools import cache

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from erengine.codecs.swift import FieldNotation, compile_notation
from erengine.codecs.swift.plan import Element, LiteralMatcher, OptionalGroup, PartMatcher
from erengine.codecs.swift.strategies import notation_values
from erengine.errors import ConfigError, DataPosition, ParseError, ValidationError

AT = DataPosition(file="prop.sta", line=1, column=5, field="tag")
MARKS = {"part3": ["C", "D", "RC", "RD"]}

#: Notations whose parts can always be told apart once written.
UNAMBIGUOUS = [
    compile_notation("16x"),
    compile_notation("35x"),
    compile_notation("4*35x"),
    compile_notation("6*65x"),
    compile_notation("6!n"),
    compile_notation("3!a15d"),
    compile_notation("[//16x]"),
    compile_notation("5n[/5n]"),
    compile_notation("1!a6!n3!a15d"),
    compile_notation("6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]CrLf[34x]", choices=MARKS),
    compile_notation("[N]3!a15d"),
    compile_notation(":4!c//8!n6!n"),
    compile_notation("[/34x]CrLf4!a2!a2!c[3!c]"),
    compile_notation("4!c[4!c]1-3n/12h"),
    compile_notation("3!a35y"),
    compile_notation("10z[/5e]"),
]
#: Notations where some values that fit part by part read back differently.
AMBIGUOUS = [
    compile_notation("[/1!a][/34x]"),
    compile_notation("6!n[4!n]2a[1!a]15d1!a3!c16x[//16x][34x]"),
    compile_notation("2a[1!a]15d"),
    compile_notation("4!c[4!c]1-3n12h"),
]
BAD_CHARACTER = "\x07"  # in no character set, so a text holding it never fits


def notation_and_values(
    notations: Sequence[FieldNotation],
) -> st.SearchStrategy[tuple[FieldNotation, dict[str, str]]]:
    # Drawn by index: hypothesis would print every matcher of a notation it reports.
    return st.sampled_from(range(len(notations))).flatmap(
        lambda index: st.tuples(st.just(notations[index]), notation_values(notations[index]))
    )


def fits(notation: FieldNotation, text: str) -> bool:
    """Whether some cut of ``text`` gives each part a text its own rule accepts."""

    @cache
    def ends(elements: tuple[Element, ...], position: int) -> frozenset[int]:
        if not elements:
            return frozenset({position})
        head, rest = elements[0], elements[1:]
        if isinstance(head, LiteralMatcher):
            if text.startswith(head.text, position):
                return ends(rest, position + len(head.text))
            return frozenset()
        if isinstance(head, OptionalGroup):
            reached = {end for inner in ends(head.elements, position) for end in ends(rest, inner)}
            return frozenset(reached | ends(rest, position))
        return frozenset(
            end
            for stop in range(position + 1, len(text) + 1)
            if _part_accepts(head, text[position:stop])
            and not _separator_inside(head, text, position, stop)
            for end in ends(rest, stop)
        )

    return len(text) in ends(notation.elements, 0)


def _part_accepts(part: PartMatcher, piece: str) -> bool:
    return part.pattern.fullmatch(piece) is not None


def _separator_inside(part: PartMatcher, text: str, start: int, stop: int) -> bool:
    """Whether a separator the part stops before begins at one of its characters, looking
    past the part's end as the compiled expression does: in ``16x[//16x]`` the reference
    ``/`` before ``//0`` would make ``///``, and SWIFT references never hold ``//``."""
    return any(
        text.startswith(separator, index)
        for index in range(start, stop)
        for separator in part.stop_before
    )


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(notation_and_values(UNAMBIGUOUS))
@example(
    (UNAMBIGUOUS[9], {"part1": "070904", "part3": "RC", "part4": "R", "part5": "204,88",
                      "part6": "N", "part7": "RTI", "part8": "A", "part9": "/B"}),
)  # fmt: skip
def test_values_that_fit_survive_write_then_read(
    case: tuple[FieldNotation, dict[str, str]],
) -> None:
    notation, values = case
    text = notation.write(values)
    assert notation.read(text, position=AT) == values
    assert fits(notation, text)


@settings(max_examples=200)
@given(notation_and_values(AMBIGUOUS))
def test_ambiguous_values_round_trip_or_are_refused_when_written(
    case: tuple[FieldNotation, dict[str, str]],
) -> None:
    notation, values = case
    try:
        text = notation.write(values)
    except ValidationError as error:
        assert error.code in ("VAL165",), str(error)
        return
    assert notation.read(text, position=AT) == values


def _check_refusal(notation: FieldNotation, text: str, fault: int | None) -> None:
    if fits(notation, text):
        notation.read(text, position=AT)
        return
    with pytest.raises(ParseError) as caught:
        notation.read(text, position=AT)
    error = caught.value
    assert error.code.startswith("PRS32"), str(error)
    assert "part " in error.message, str(error)
    assert error.expected
    if fault is not None:
        # The place reported is never after the character that broke the field.
        line_index = text.count("\n", 0, fault)
        assert error.position.line == AT.line + line_index  # type: ignore[operator]
        line_start = text.rfind("\n", 0, fault) + 1
        base = AT.column if line_index == 0 else 1
        assert error.position.column is not None
        assert error.position.column <= base + (fault - line_start)  # type: ignore[operator]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(notation_and_values(UNAMBIGUOUS + AMBIGUOUS), st.data())
def test_a_foreign_character_is_refused_at_or_before_its_place(
    case: tuple[FieldNotation, dict[str, str]], data: st.DataObject
) -> None:
    notation, values = case
    try:
        text = notation.write(values)
    except ValidationError:
        return
    index = data.draw(st.integers(0, len(text)))
    replace = data.draw(st.booleans())
    mutated = text[:index] + BAD_CHARACTER + text[index + (1 if replace else 0) :]
    _check_refusal(notation, mutated, index)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(notation_and_values(UNAMBIGUOUS), st.data())
def test_too_long_and_missing_parts_are_refused_naming_a_part(
    case: tuple[FieldNotation, dict[str, str]], data: st.DataObject
) -> None:
    notation, values = case
    text = notation.write(values)
    match = notation.pattern.fullmatch(text)
    assert match is not None
    present = [i for i, value in enumerate(match.groups()) if value is not None]
    if not present:
        return
    group = data.draw(st.sampled_from(present)) + 1
    start, end = match.span(group)
    part = notation.by_name[notation.parts[group - 1]]
    if data.draw(st.booleans()):
        # Missing: the part's text is cut out.
        mutated = text[:start] + text[end:]
    else:
        # Too long: the part's own last character repeated past its maximum.
        limit = part.max_length if isinstance(part, PartMatcher) else 1
        mutated = text[:end] + text[end - 1] * data.draw(st.integers(1, limit + 2)) + text[end:]
    _check_refusal(notation, mutated, None)


@settings(max_examples=500)
@given(
    st.text(st.sampled_from("0123456789!*-.[]/:nacdehxyzNCrLf\n "), max_size=30),
    st.text(st.sampled_from("0123456789,/ABCDEFabc:-\n@"), max_size=60),
)
def test_any_notation_text_compiles_or_is_a_config_error(notation: str, text: str) -> None:
    try:
        compiled = compile_notation(notation)
    except ConfigError as error:
        assert error.code in ("CFG650", "CFG651", "CFG652")
        return
    with contextlib.suppress(ParseError):
        compiled.read(text, position=AT)


@pytest.mark.parametrize(
    "notation",
    [*UNAMBIGUOUS, *AMBIGUOUS, compile_notation("[1!a]" * 10 + "1!n")],
    ids=lambda notation: notation.source,
)
@pytest.mark.timeout(60)
def test_hostile_long_inputs_are_refused_in_bounded_time(notation: FieldNotation) -> None:
    hostile = [
        "1" * 10_000,
        "/" * 10_000,
        "A" * 10_000,
        "1,1," * 2_500,
        ("1105240524D9,N192" + "NONREF/" * 1_500),
        "\n".join(["x" * 65] * 2_000),
        "//" * 5_000 + BAD_CHARACTER,
    ]

    def cost(size: int) -> float:
        began = time.perf_counter()
        for sample in hostile:
            text = (sample * (size // len(sample) + 1))[:size]
            with contextlib.suppress(ParseError):
                notation.read(text, position=AT)
        return time.perf_counter() - began

    cost(100)  # warm up
    small, large = cost(1_000), cost(10_000)
    # Ten times the input may not cost a hundred times the time (a loose bound that a
    # quadratic or exponential matcher breaks, while timer noise does not).
    assert large < max(small, 0.002) * 100
