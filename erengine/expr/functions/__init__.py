"""The function library of the expression language, in one frozen registry.

Every function is a plain typed Python function in a small module (text, amounts, dates,
lists, checks, values); codecs import them directly (the fixed-width codec reuses ``amount``,
``parse_amount`` and ``pad``). In expressions each is available both as a call,
``pad(name, 22)``, and as a filter, ``name | pad(22)``: the value is the first argument.
``today`` and ``now`` are calls only; the compiler passes them the run context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from erengine.expr.functions import amounts, checks, dates, lists, text, values

LIBRARY: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {
        # text
        "pad": text.pad,
        "lpad": text.lpad,
        "rpad": text.rpad,
        "truncate_to": text.truncate_to,
        "upper": text.upper,
        "lower": text.lower,
        "strip": text.strip,
        "replace": text.replace,
        "substr": text.substr,
        "digits": text.digits,
        "ascii": text.to_ascii,
        "swift_x": text.swift_x,
        "epc": text.epc,
        # amounts and numbers
        "amount": amounts.amount,
        "parse_amount": amounts.parse_amount,
        "dec": amounts.dec,
        "round": amounts.round_decimal,
        "abs": amounts.absolute,
        # dates
        "date": dates.format_date,
        "datetime": dates.format_datetime,
        "parse_date": dates.parse_date,
        "parse_datetime": dates.parse_datetime,
        "today": dates.today,
        "now": dates.now,
        # lists
        "length": lists.length,
        "count": lists.count,
        "sum": lists.total,
        "min": lists.minimum,
        "max": lists.maximum,
        "first": lists.first,
        "last": lists.last,
        "map": lists.project,
        "select": lists.select,
        "join": lists.join,
        "range": lists.number_range,
        # check digits
        "mod97": checks.mod97,
        "mod97_check_digits": checks.mod97_check_digits,
        "iban_valid": checks.iban_valid,
        "luhn": checks.luhn,
        "luhn_check_digit": checks.luhn_check_digit,
        "aba_check_digit": checks.aba_check_digit,
        "aba_valid": checks.aba_valid,
        # conversions
        "int": values.to_int,
        "str": values.to_str,
        "default": values.default,
    }
)

# Functions that read the run context: called with no arguments, they receive scope['context'].
CONTEXT_FUNCTIONS = frozenset({"today", "now"})
