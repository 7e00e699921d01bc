"""The quick paths of the record codec, built once per record of a plan.

Most records of a file are ordinary: every value present and fitting its field. For those
the writer runs one generated function per record and the reader one closure per field,
doing only the work such a record needs. Anything else (a missing required value, a value
that does not fit, a cut to report) raises ``Careful`` (or the codec's ``LeafError``), and
the record is written or read again on the careful path, which reports exactly what is
wrong. Both paths give the same bytes and data for an ordinary record; tests hold them to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Undefined  # what an expression run bare gives for missing data

from erengine.codecs.base import ModelPath
from erengine.codecs.records.access import Target, combine_date_and_time
from erengine.codecs.records.plan import FieldPlan, Implied, RecordPlan, TallyPlan
from erengine.errors import ErengineError
from erengine.expr import FAILURES, Expression

Values = dict[str, Any] | None
FillIn = Callable[[ModelPath, Any, dict[str, Any]], None]


class Careful(Exception):
    """The record needs the careful path."""


# What makes a quick path give up: a record that needs the careful path, or an error a field
# or an expression (run bare, ``Expression.run``) raises; the careful path reports it.
NOT_ORDINARY: tuple[type[Exception], ...] = (Careful, ErengineError, *FAILURES)


RecordEncoder = Callable[[dict[str, Any], Values, list[FieldPlan]], str | list[str]]


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
        namespace: dict[str, Any] = {
            "N": tuple(self.constants),
            "Careful": Careful,
            "Undefined": Undefined,
            **names,
        }
        code = compile("\n".join(self.lines), f"<generated {where}>", "exec")
        exec(code, namespace)  # noqa: S102 - source built from the plan, never from config text
        return namespace["generated"]


def record_encoder(
    fields: tuple[FieldPlan, ...],
    fill_in: FillIn,
    *,
    fixed: bool,
    kept: frozenset[str] | None,
    implies: tuple[Implied, ...] = (),
) -> RecordEncoder:
    """One function writing every field of a record, generated from the plan: its text
    (``fixed``), or its cells.

    A record is written a million times; calling a closure per field, and a getter, an
    encoder and a fitter inside it, cost more than the work itself. The generated source
    does that work inline. Errors raise ``Careful`` or ``LeafError`` where a field is not
    ordinary, and the writer then takes its careful path. ``values`` receives the fields
    named in ``kept`` (None: every field), what the record's totals read.
    """
    source = Source("scope, values, later")
    # each name of the scope the fields read from, looked up once (again after a fill-in)
    names: dict[str, str] = {}
    paths = [*(i.path for i in implies), *(b for f in fields if f.kind == "bind" for b in f.binds)]
    for path in paths:
        names.setdefault(path[0], f"s{len(names)}")
    fetch = [f"{local} = scope.get({source.const(name)})" for name, local in names.items()]
    source.add(fetch)
    shared = _Fields(source.const, names, fetch)
    for implied in implies:  # the data must hold what the record stands for, or get it
        where, value = source.const(implied.path), source.const(implied.value)
        source.add(
            [
                *_fetch_source(implied.path, shared, "actual"),
                "if actual is None:",
                f"    fill_in({where}, {value}, scope)",
                *(f"    {line}" for line in fetch),
                f"elif actual != {value}:",
                "    raise Careful",
            ]
        )
    outs = [f"t{position}" for position in range(len(fields))]
    for plan, out in zip(fields, outs, strict=True):
        keep = kept is None or plan.name in kept
        source.add(_field_source(plan, shared, out, keep))
    joined = ", ".join(outs)
    source.add([f'return "".join(({joined},))' if fixed else f"return [{joined}]"])
    encoder: RecordEncoder = source.build(f"writer of {fields[0].config_path}", fill_in=fill_in)
    return encoder


RecordDecoder = Callable[[Any, dict[str, Any], dict[str, Any], dict[str, Any]], None]


def record_decoder(record: RecordPlan, fixed: bool) -> RecordDecoder:
    """One function reading every bound field of a record (its text, or its cells).

    Constants identified the record already; fillers carry nothing; what the record implies
    is set after its fields; computed fields are checked by the reader itself, after the
    bound ones, in order. ``values`` receives the fields the record's expressions read.
    """
    fields, implies = record.fields, record.implies
    source = Source("source, scope, root, values")
    # the list items the record's values go into, each looked up once
    items: dict[str, str] = {}
    for target in (*(t for f in fields for t in f.targets), *(i.target for i in implies)):
        if target.head is not None and target.head not in items:
            items[target.head] = f"item{len(items)}"
            source.add([f"{items[target.head]} = scope[{source.const(target.head)}]"])
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
            assign = _store_source(plan.targets[0], "value", source.const, items)
        else:
            # a row of another length is a table mistake; the careful path reports it
            assign = [f"if len(value) != {len(plan.targets)!r}:", "    raise Careful"]
            for position, target in enumerate(plan.targets):
                store = _store_source(target, "part", source.const, items)
                assign += [
                    f"part = value[{position!r}]",
                    "if part is not None:  # a table row leaves an optional flag out",
                    *(f"    {line}" for line in store),
                ]
        blank_is_absent = plan.optional or plan.codec.strips_padding
        kept = record.values_read is None or plan.name in record.values_read
        decode = "text" if plan.codec.decodes_as_is else f"{source.const(plan.codec.decode)}(text)"
        source.add(
            [
                f"text = {take}.{strip}",
                "if text:",
                f"    value = {decode}",
                *([f"    values[{source.const(plan.name)}] = value"] if kept else []),
                *(f"    {line}" for line in assign),
                *([] if blank_is_absent else ["else:", "    raise Careful"]),
            ]
        )
    for implied in implies:
        value = source.const(implied.value)
        source.add(_store_source(implied.target, value, source.const, items))
    source.add(["return None"])
    decoder: RecordDecoder = source.build(
        f"reader of {fields[0].config_path}", combine=combine_date_and_time
    )
    return decoder


@dataclass(frozen=True, slots=True)
class _Fields:
    """What the source of a record's fields shares: its constants and scope names looked up
    once (``names``: scope name -> local; ``fetch``: the lines that look them up)."""

    const: Callable[[Any], str]
    names: dict[str, str]
    fetch: list[str]


def _field_source(plan: FieldPlan, fields: _Fields, out: str, keep: bool) -> list[str]:
    """``out = `` the field's text; ``keep``: its value goes into ``values`` too."""
    const = fields.const
    if plan.kind in ("const", "fill"):
        text = plan.const if plan.kind == "const" else plan.pad * (plan.width or 0)
        return [f"{out} = {const(text)}"]
    blank = const(" " * (plan.width or 0))
    write = _write_source(plan, const, out, keep)
    if plan.kind == "value":
        if plan.written_later:
            return [f"later.append({const(plan)})", f"{out} = {blank}"]
        return [*_evaluate_source(plan, const), *write]
    if len(plan.binds) == 1:
        fetch = _fetch_source(plan.binds[0], fields, "value")
    else:
        parts = [f"part{position}" for position in range(len(plan.binds))]
        fetch = [
            *(
                line
                for b, p in zip(plan.binds, parts, strict=True)
                for line in _fetch_source(b, fields, p)
            ),
            f"value = ({', '.join(parts)},)",
        ]
    if plan.expression is None:
        missing = [f"{out} = {blank}"] if plan.optional else ["raise Careful"]
    elif plan.written_later:
        missing = [f"later.append({const(plan)})", f"{out} = {blank}"]
    else:
        missing = [
            *_evaluate_source(plan, const),
            *_fill_in_source(plan, const),
            *fields.fetch,  # a fill-in may have added a record to the scope
            *write,
        ]
    return [
        *fetch,
        "if value is None:",
        *(f"    {line}" for line in missing),
        "else:",
        *(f"    {line}" for line in write),
    ]


def _fill_in_source(plan: FieldPlan, const: Callable[[Any], str]) -> list[str]:
    """Put a written default into the data: in a list item inline (what ``assign_path``
    does, the writer's ``fill_in`` for an item), else through ``fill_in``."""
    path = plan.binds[0]
    if plan.targets[0].head is None:
        return [f"fill_in({const(path)}, value, scope)"]
    lines = ["into = scope"]
    for key in path[:-1]:
        lines += [
            f"child = into.get({const(key)}) if isinstance(into, dict) else None",
            "if child is None and isinstance(into, dict):",
            f"    child = into[{const(key)}] = {{}}",
            "into = child",
        ]
    return [*lines, "if isinstance(into, dict):", f"    into[{const(path[-1])}] = value"]


def _evaluate_source(plan: FieldPlan, const: Callable[[Any], str]) -> list[str]:
    """``value = `` the field's expression, bare: the careful path reports what is unusual."""
    assert plan.expression is not None
    return [
        f"value = {const(plan.expression.run)}(scope)",
        "if value is None or isinstance(value, Undefined):",
        "    raise Careful",
    ]


def _store_source(
    target: Target, value: str, const: Callable[[Any], str], items: dict[str, str]
) -> list[str]:
    """Set ``value`` at ``target``, dict walk inline (what ``access.setter`` does);
    ``items``: the local name of each list item in the scope."""
    lines = [f"into = {'root' if target.head is None else items[target.head]}"]
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


def _fetch_source(path: ModelPath, fields: _Fields, into: str) -> list[str]:
    """``into = `` the data at ``path``, dict lookups inline (what ``access.getter`` does)."""
    lines, current = [], fields.names[path[0]]
    for key in path[1:]:
        key_text = fields.const(key)
        lines.append(f"{into} = {current}.get({key_text}) if {current}.__class__ is dict else None")
        current = into
    return lines or [f"{into} = {current}"]


def _write_source(plan: FieldPlan, const: Callable[[Any], str], out: str, keep: bool) -> list[str]:
    encode = f"{const(plan.codec.encode)}(value)"
    if plan.codec.keeps_text:
        encode = f"value if value.__class__ is str else {encode}"
    lines = [f"text = {encode}"]
    if plan.width is not None:
        width, pad = plan.width, const(plan.pad)
        justify = "rjust" if plan.right else "ljust"
        lines += [
            f"if len(text) != {width!r}:",
            f"    if len(text) > {width!r}:",
            "        raise Careful",
            f"    text = text.{justify}({width!r}, {pad})",
        ]
    if keep:
        lines.append(f"values[{const(plan.name)}] = value")
    return [*lines, f"{out} = text"]


def _with_record(expressions: Sequence[Expression], lines: list[str]) -> list[str]:
    """``lines`` with the record's values in the scope as ``record``, if an expression of
    ``expressions`` reads it (setting it costs more than most of them)."""
    if not any("record" in expression.names for expression in expressions):
        return lines
    body = [f"    {line}" for line in lines]
    return ["scope['record'] = values", "try:", *body, "finally:", "    del scope['record']"]


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
        _with_record([plan.expression], [f"value = {source.const(plan.expression.run)}(scope)"])
    )
    source.add(
        [
            "if isinstance(value, Undefined):",
            "    return False",
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
    runs = [
        f"k{position} = {source.const(tally.expressions[position].run)}(scope)"
        for position in conditions
    ]
    for position, guard in sorted(guards.items()):
        if position in conditions:
            continue
        evaluate = source.const(tally.expressions[position].run)
        test = "True" if "True" in guard else " or ".join(dict.fromkeys(guard))
        runs.append(f"k{position} = {evaluate}(scope) if ({test}) else None")
    source.add(_with_record(tally.expressions, runs))
    for position in range(len(tally.expressions)):
        source.add([f"if isinstance(k{position}, Undefined):", "    raise Careful"])
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
