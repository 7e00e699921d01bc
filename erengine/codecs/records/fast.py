"""The quick path of the record writer: one closure per field, built once per plan.

Most records of a file are ordinary: every value present and fitting its field. For those the
writer runs these closures, which do only the work such a record needs. Anything else (a
missing required value, a value that does not fit, a cut to report) raises ``Careful``, and
the writer writes that record again on its careful path, which reports exactly what is wrong.
Both paths write the same bytes for an ordinary record; tests hold them to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from erengine.codecs.base import ModelPath
from erengine.codecs.leaf import LeafError
from erengine.codecs.records.plan import FieldPlan

Values = dict[str, Any] | None
FieldEncoder = Callable[[dict[str, Any], Values, list[FieldPlan]], str]
FillIn = Callable[[ModelPath, Any, dict[str, Any]], None]


class Careful(Exception):
    """The record needs the careful path."""


def _fitter(plan: FieldPlan) -> Callable[[str], str]:
    width = plan.width
    if width is None:
        return lambda text: text
    pad, right = plan.pad, plan.right

    def fit(text: str) -> str:
        length = len(text)
        if length == width:
            return text
        if length > width:
            raise Careful  # an error, or a declared cut that must be reported
        return text.rjust(width, pad) if right else text.ljust(width, pad)

    return fit


def _encoder(plan: FieldPlan) -> Callable[[Any], str]:
    encode, fit = plan.codec.encode, _fitter(plan)

    def encode_and_fit(value: Any) -> str:
        try:
            return fit(encode(value))
        except LeafError:
            raise Careful from None

    return encode_and_fit


def field_encoder(plan: FieldPlan, fill_in: FillIn) -> FieldEncoder:
    """The closure writing ``plan``'s text for a record of the scope."""
    blank = " " * (plan.width or 0)
    if plan.kind in ("const", "fill"):
        text = plan.const if plan.kind == "const" else plan.pad * (plan.width or 0)
        assert text is not None
        return lambda scope, values, later: text
    encode, name, expression = _encoder(plan), plan.name, plan.expression
    if plan.kind == "value":
        assert expression is not None
        if plan.deferred:

            def deferred(scope: dict[str, Any], values: Values, later: list[FieldPlan]) -> str:
                later.append(plan)
                return blank

            return deferred

        def computed(scope: dict[str, Any], values: Values, later: list[FieldPlan]) -> str:
            value = expression.evaluate(scope)
            if value is None:
                raise Careful
            text = encode(value)
            if values is not None:
                values[name] = value
            return text

        return computed

    getters, optional, deferred_default = plan.getters, plan.optional, plan.deferred
    single = getters[0] if len(getters) == 1 else None
    path = plan.binds[0]

    def bound(scope: dict[str, Any], values: Values, later: list[FieldPlan]) -> str:
        value = single(scope) if single is not None else tuple(get(scope) for get in getters)
        if value is None:
            if expression is None:
                if optional:
                    return blank
                raise Careful  # a required value is missing
            if deferred_default:
                later.append(plan)
                return blank
            value = expression.evaluate(scope)
            if value is None:
                raise Careful
            fill_in(path, value, scope)
        text = encode(value)
        if values is not None:
            values[name] = value
        return text

    return bound


FieldDecoder = Callable[[Any, dict[str, Any], dict[str, Any], dict[str, Any]], None]


def _strip(plan: FieldPlan) -> Callable[[str], str]:
    if not plan.codec.strips_padding:
        return str.strip
    pad = plan.pad
    if plan.right:
        return lambda raw: raw.lstrip(pad)
    return lambda raw: raw.rstrip(pad)


def field_decoder(plan: FieldPlan, fixed: bool) -> FieldDecoder | None:
    """The closure reading ``plan`` from a record (its text, or its cells when delimited).

    ``None`` for fields the quick path leaves alone: constants (they identified the record),
    fillers, and computed fields (the reader checks those itself, in order).
    """
    if plan.kind != "bind":
        return None
    start, end = plan.start, plan.start + (plan.width or 0)
    strip, decode, name = _strip(plan), plan.codec.decode, plan.name
    blank_is_absent = plan.optional or plan.codec.strips_padding
    setters = plan.setters
    only = setters[0] if len(setters) == 1 else None

    def bound(
        source: Any, scope: dict[str, Any], root: dict[str, Any], values: dict[str, Any]
    ) -> None:
        text = strip(source[start:end] if fixed else source[start])
        if not text:
            if blank_is_absent:
                return
            raise Careful
        try:
            value = decode(text)
        except LeafError:
            raise Careful from None
        values[name] = value
        if only is not None:
            only(scope, root, value)
        else:
            for set_part, part in zip(setters, value, strict=True):
                if part is not None:  # a table row leaves an optional flag out
                    set_part(scope, root, part)

    return bound
