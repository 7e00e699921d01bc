"""hypothesis strategies for the values a compiled SWIFT notation accepts.

``notation_values(notation)`` draws part values that each fit their part (character set,
length, lines, decimal form, choices) and never contain the separator that ends them, so
format tests can round-trip whole MT fields without hand-written examples.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from hypothesis import strategies as st

from erengine.codecs.swift.grammar import LINE_BREAK
from erengine.codecs.swift.notation import FieldNotation
from erengine.codecs.swift.plan import Element, LiteralMatcher, PartMatcher

Values = dict[str, str]


def notation_values(notation: FieldNotation) -> st.SearchStrategy[Values]:
    """Part values that ``notation.write`` accepts part by part."""
    return _sequence(notation.elements)


def part_text(part: PartMatcher) -> st.SearchStrategy[str]:
    """One value that fits ``part`` on its own."""
    if part.choices:
        return st.sampled_from(part.choices)
    if part.is_decimal:
        return _decimal(part.min_length, part.max_length)
    members = part.charset.members
    alphabet: st.SearchStrategy[str] = (
        st.sampled_from(sorted(members))
        if members is not None
        else st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"))
    )
    if part.max_lines > 1:
        first = st.text(alphabet, min_size=1, max_size=part.max_length)
        more = st.lists(st.text(alphabet, max_size=part.max_length), max_size=part.max_lines - 1)
        text = st.builds(lambda head, tail: LINE_BREAK.join([head, *tail]), first, more)
    else:
        text = st.text(alphabet, min_size=part.min_length, max_size=part.max_length)
    if not part.stop_before:
        return text
    return text.filter(lambda value: _ends_before_separators(value, part.stop_before))


def _ends_before_separators(value: str, separators: Sequence[str]) -> bool:
    """The first separator in ``value + separator`` is the appended one (no 'AB/' + '//')."""
    return all((value + separator).find(separator) == len(value) for separator in separators)


def _decimal(min_length: int, max_length: int) -> st.SearchStrategy[str]:
    def build(whole: str, fraction: str) -> str:
        return f"{whole},{fraction}"[:max_length]

    digits = string.digits
    whole = st.text(digits, min_size=1, max_size=max(1, max_length - 1))
    fraction = st.text(digits, max_size=max_length)
    return st.builds(build, whole, fraction).filter(
        lambda value: min_length <= len(value) and "," in value
    )


def _sequence(elements: Sequence[Element]) -> st.SearchStrategy[Values]:
    parts = [_element(element) for element in elements]
    return st.tuples(*parts).map(_merge)


def _element(element: Element) -> st.SearchStrategy[Values]:
    if isinstance(element, LiteralMatcher):
        return st.just({})
    if isinstance(element, PartMatcher):
        return part_text(element).map(lambda value: {element.name: value})
    if element.name is not None:
        return st.sampled_from([{}, {element.name: element.text}])
    return st.one_of(st.just({}), _sequence(element.elements))


def _merge(dicts: tuple[Values, ...]) -> Values:
    merged: Values = {}
    for values in dicts:
        merged.update(values)
    return merged
