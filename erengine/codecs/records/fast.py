"""The quick paths of the record codec, built once per record of a plan.

Most records of a file are ordinary: every value present and fitting its field. For those
the writer runs one generated function per record and the reader one closure per field,
doing only the work such a record needs. Anything else (a missing required value, a value
that does not fit, a cut to report) raises ``Careful`` (or the codec's ``LeafError``), and
the record is written or read again on the careful path, which reports exactly what is
wrong. Both paths give the same bytes and data for an ordinary record; tests hold them to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from erengine.codecs.base import ModelPath
from erengine.codecs.leaf import LeafError
from erengine.codecs.records.plan import FieldPlan

Values = dict[str, Any] | None
FillIn = Callable[[ModelPath, Any, dict[str, Any]], None]


class Careful(Exception):
    """The record needs the careful path."""


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


RecordEncoder = Callable[[dict[str, Any], Values, list[FieldPlan]], list[str]]


def record_encoder(fields: tuple[FieldPlan, ...], fill_in: FillIn) -> RecordEncoder:
    """One function writing every field of a record: Python source generated from the plan.

    A record is written a million times; calling a closure per field, and a getter, an
    encoder and a fitter inside it, cost more than the work itself. The generated source
    does that work inline. It holds nothing from the configuration as code: every value
    comes in through the namespace (``N[i]``) or as ``repr()`` of a number, so no text of a
    configuration can become code. Errors raise ``Careful`` or ``LeafError`` exactly where
    the per-field closures would, and the writer then takes its careful path.
    """
    namespace: dict[str, Any] = {"Careful": Careful, "fill_in": fill_in}
    constants: list[Any] = []

    def const(value: Any) -> str:
        constants.append(value)
        return f"N[{len(constants) - 1}]"

    lines = ["def encode(scope, values, later):", "    parts = []", "    add = parts.append"]
    for plan in fields:
        lines.extend(f"    {line}" for line in _field_source(plan, const))
    lines.append("    return parts")
    namespace["N"] = tuple(constants)
    source = compile("\n".join(lines), f"<record encoder {fields[0].config_path}>", "exec")
    exec(source, namespace)  # noqa: S102 - source built from the plan, never from config text
    encoder: RecordEncoder = namespace["encode"]
    return encoder


def _field_source(plan: FieldPlan, const: Callable[[Any], str]) -> list[str]:
    if plan.kind in ("const", "fill"):
        text = plan.const if plan.kind == "const" else plan.pad * (plan.width or 0)
        return [f"add({const(text)})"]
    blank = const(" " * (plan.width or 0))
    write = _write_source(plan, const)
    if plan.kind == "value":
        if plan.deferred:
            return [f"later.append({const(plan)})", f"add({blank})"]
        return [
            f"value = {const(plan.expression)}.evaluate(scope)",
            "if value is None:",
            "    raise Careful",
            *write,
        ]
    if len(plan.getters) == 1:
        fetch = _fetch_source(plan.binds[0], const)
    else:
        getters = ", ".join(f"{const(get)}(scope)" for get in plan.getters)
        fetch = [f"value = ({getters},)"]
    if plan.expression is None:
        missing = [f"add({blank})"] if plan.optional else ["raise Careful"]
    elif plan.deferred:
        missing = [f"later.append({const(plan)})", f"add({blank})"]
    else:
        missing = [
            f"value = {const(plan.expression)}.evaluate(scope)",
            "if value is None:",
            "    raise Careful",
            f"fill_in({const(plan.binds[0])}, value, scope)",
            *write,
        ]
    return [
        *fetch,
        "if value is None:",
        *(f"    {line}" for line in missing),
        "else:",
        *(f"    {line}" for line in write),
    ]


def _fetch_source(path: ModelPath, const: Callable[[Any], str]) -> list[str]:
    """``value = `` the data at ``path``, dict lookups inline (what ``access.getter`` does)."""
    lines = [f"value = scope.get({const(path[0])})"]
    for key in path[1:]:
        lines.append(f"value = value.get({const(key)}) if value.__class__ is dict else None")
    return lines


def _write_source(plan: FieldPlan, const: Callable[[Any], str]) -> list[str]:
    lines = [f"text = {const(plan.codec.encode)}(value)"]
    if plan.width is not None:
        width, pad = plan.width, const(plan.pad)
        justify = "rjust" if plan.right else "ljust"
        lines += [
            f"if len(text) != {width!r}:",
            f"    if len(text) > {width!r}:",
            "        raise Careful",
            f"    text = text.{justify}({width!r}, {pad})",
        ]
    lines += ["if values is not None:", f"    values[{const(plan.name)}] = value", "add(text)"]
    return lines
