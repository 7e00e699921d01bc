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
from erengine.codecs.records.access import Target, combine_date_and_time
from erengine.codecs.records.plan import FieldPlan, RecordPlan, TallyPlan

Values = dict[str, Any] | None
FillIn = Callable[[ModelPath, Any, dict[str, Any]], None]


class Careful(Exception):
    """The record needs the careful path."""


RecordEncoder = Callable[[dict[str, Any], Values, list[FieldPlan]], list[str]]


class Source:
    """Python source for one function, with the values it uses held apart in ``N``.

    Nothing from a configuration is ever written into the source as code: values come in
    through the namespace (``N[i]``), numbers as ``repr()``. So no text of a configuration
    (a constant, a pad character, a name) can become code.
    """

    def __init__(self, signature: str) -> None:
        self.lines = [f"def generated({signature}):"]
        self.constants: list[Any] = []

    def const(self, value: Any) -> str:
        self.constants.append(value)
        return f"N[{len(self.constants) - 1}]"

    def add(self, lines: list[str], indent: str = "    ") -> None:
        self.lines.extend(f"{indent}{line}" for line in lines)

    def build(self, where: str, **names: Any) -> Any:
        namespace: dict[str, Any] = {"N": tuple(self.constants), "Careful": Careful, **names}
        code = compile("\n".join(self.lines), f"<generated {where}>", "exec")
        exec(code, namespace)  # noqa: S102 - source built from the plan, never from config text
        return namespace["generated"]


def record_encoder(fields: tuple[FieldPlan, ...], fill_in: FillIn) -> RecordEncoder:
    """One function writing every field of a record, generated from the plan.

    A record is written a million times; calling a closure per field, and a getter, an
    encoder and a fitter inside it, cost more than the work itself. The generated source
    does that work inline. Errors raise ``Careful`` or ``LeafError`` where a field is not
    ordinary, and the writer then takes its careful path.
    """
    source = Source("scope, values, later")
    source.add(["parts = []", "add = parts.append"])
    for plan in fields:
        source.add(_field_source(plan, source.const))
    source.add(["return parts"])
    encoder: RecordEncoder = source.build(f"writer of {fields[0].config_path}", fill_in=fill_in)
    return encoder


RecordDecoder = Callable[[Any, dict[str, Any], dict[str, Any], dict[str, Any]], None]


def record_decoder(record: RecordPlan, fixed: bool) -> RecordDecoder:
    """One function reading every bound field of a record (its text, or its cells).

    Constants identified the record already; fillers carry nothing; what the record implies
    is set after its fields; computed fields are checked by the reader itself, after the
    bound ones, in order.
    """
    fields, implies = record.fields, record.implies
    source = Source("source, scope, root, values")
    for plan in fields:
        if plan.kind != "bind":
            continue
        end = plan.start + (plan.width or 0)
        take = f"source[{plan.start!r}:{end!r}]" if fixed else f"source[{plan.start!r}]"
        if not plan.codec.strips_padding:
            strip = "strip()"
        else:
            strip = f"{'lstrip' if plan.right else 'rstrip'}({source.const(plan.pad)})"
        if len(plan.targets) == 1:
            assign = _store_source(plan.targets[0], "value", source.const)
        else:
            # a row of another length is a table mistake; the careful path reports it
            assign = [f"if len(value) != {len(plan.targets)!r}:", "    raise Careful"]
            for position, target in enumerate(plan.targets):
                assign += [
                    f"part = value[{position!r}]",
                    "if part is not None:  # a table row leaves an optional flag out",
                    *(f"    {line}" for line in _store_source(target, "part", source.const)),
                ]
        blank_is_absent = plan.optional or plan.codec.strips_padding
        source.add(
            [
                f"text = {take}.{strip}",
                "if text:",
                f"    value = {source.const(plan.codec.decode)}(text)",
                f"    values[{source.const(plan.name)}] = value",
                *(f"    {line}" for line in assign),
                *([] if blank_is_absent else ["else:", "    raise Careful"]),
            ]
        )
    for implied in implies:
        source.add(_store_source(implied.target, source.const(implied.value), source.const))
    source.add(["return None"])
    decoder: RecordDecoder = source.build(
        f"reader of {fields[0].config_path}", combine=combine_date_and_time
    )
    return decoder


def _field_source(plan: FieldPlan, const: Callable[[Any], str]) -> list[str]:
    if plan.kind in ("const", "fill"):
        text = plan.const if plan.kind == "const" else plan.pad * (plan.width or 0)
        return [f"add({const(text)})"]
    blank = const(" " * (plan.width or 0))
    write = _write_source(plan, const)
    if plan.kind == "value":
        if plan.written_later:
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
    elif plan.written_later:
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


def _store_source(target: Target, value: str, const: Callable[[Any], str]) -> list[str]:
    """Set ``value`` at ``target``, dict walk inline (what ``access.setter`` does)."""
    lines = ["into = root" if target.head is None else f"into = scope[{const(target.head)}]"]
    for key in target.keys[:-1]:
        lines += [
            f"child = into.get({const(key)})",
            "if not isinstance(child, dict):",
            f"    child = into[{const(key)}] = {{}}",
            "into = child",
        ]
    last = const(target.keys[-1])
    if target.combines:
        return [*lines, f"into[{last}] = combine(into.get({last}), {value})"]
    return [*lines, f"into[{last}] = {value}"]


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


ComputedCheck = Callable[[dict[str, Any], dict[str, Any], str], bool]


def computed_check(plan: FieldPlan) -> ComputedCheck:
    """``check(scope, values, raw)``: whether a computed field's text is what it computes.

    True for a match (its value then joins the record's ``values``) or for no value to
    check; False for a mismatch, and an error raises: the reader's careful check then says
    what is wrong.
    """
    assert plan.expression is not None
    source = Source("scope, values, raw")
    width = plan.width
    source.add(
        [
            "scope['record'] = values",
            "try:",
            f"    value = {source.const(plan.expression.evaluate)}(scope)",
            "finally:",
            "    del scope['record']",
            "if value is None:",
            "    return True",
            f"text = {source.const(plan.codec.encode)}(value)",
            *(
                []
                if width is None
                else [
                    f"if len(text) < {width!r}:",
                    f"    text = text.{'rjust' if plan.right else 'ljust'}"
                    f"({width!r}, {source.const(plan.pad)})",
                ]
            ),
            "if text != raw:",
            "    return False",
            f"values[{source.const(plan.name)}] = value",
            "return True",
        ]
    )
    check: ComputedCheck = source.build(f"check of {plan.config_path}")
    return check


RecordTally = Callable[[dict[str, Any], Values, dict[str, Any]], None]


def record_tally(tally: TallyPlan) -> RecordTally:
    """One function adding a record to its totals, generated from its ``TallyPlan``.

    Conditions are evaluated first, each summand only where a condition lets it count (as
    the careful ``tally`` does), then the totals change; an expression error leaves them
    untouched, so the caller can tally the record again carefully and report it.
    """
    source = Source("scope, values, totals")
    guards: dict[int, list[str]] = {}
    for _, when, summand in tally.steps:
        if summand >= 0:
            guards.setdefault(summand, []).append(f"k{when}" if when >= 0 else "True")
    conditions = sorted({when for _, when, _ in tally.steps if when >= 0})
    source.add(["scope['record'] = values", "try:", "    pass"])
    for position in conditions:
        source.add(
            [f"k{position} = {source.const(tally.expressions[position].evaluate)}(scope)"],
            "        ",
        )
    for position, guard in sorted(guards.items()):
        if position in conditions:
            continue
        evaluate = source.const(tally.expressions[position].evaluate)
        test = "True" if "True" in guard else " or ".join(dict.fromkeys(guard))
        source.add([f"k{position} = {evaluate}(scope) if ({test}) else None"], "        ")
    source.add(["finally:", "    del scope['record']"])
    for name, when, summand in tally.steps:
        key = source.const(name)
        step = (
            f"totals[{key}] += 1"
            if summand < 0
            else (f"totals[{key}] += k{summand} if k{summand} is not None else 0")
        )
        source.add([f"if k{when}:", f"    {step}"] if when >= 0 else [step])
    source.add(["return None"])
    generated: RecordTally = source.build("totals")
    return generated
