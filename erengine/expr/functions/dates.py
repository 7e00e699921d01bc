"""Dates and datetimes as text in both directions, with a fixed, locale-free set of codes.

Python's ``strftime`` depends on the platform and the locale; a bank file must not. The codes
here are a strict subset that always writes the same digits and reads back exactly what it
wrote: ``%Y`` (4-digit year), ``%y`` (2-digit year, read as 2000-2099), ``%m``, ``%d``, ``%j``
(day of the year), ``%H``, ``%M``, ``%S``, ``%f`` (microseconds, 6 digits) and ``%%``.

``today()`` and ``now()`` come from the run context in the scope (``scope['context'].now``),
never from the system clock, so that a run is reproducible and golden files are byte-exact.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from erengine.expr.errors import INVALID_VALUE, UNDEFINED_VALUE, ExpressionError
from erengine.expr.functions.coerce import wrong_type

# code -> (digits it writes, how to read it from a datetime)
_CODES: dict[str, tuple[int, str]] = {
    "Y": (4, "year"),
    "y": (2, "year"),
    "m": (2, "month"),
    "d": (2, "day"),
    "j": (3, "yday"),
    "H": (2, "hour"),
    "M": (2, "minute"),
    "S": (2, "second"),
    "f": (6, "microsecond"),
}
_TIME_CODES = frozenset("HMSf")
_CENTURY = 2000


@lru_cache(maxsize=256)
def _compile_format(fmt: str, function: str) -> tuple[tuple[str, ...], re.Pattern[str]]:
    """The format split into literal text and codes, and the regex that reads it."""
    parts: list[str] = []
    pattern = ""
    index = 0
    while index < len(fmt):
        char = fmt[index]
        if char != "%":
            parts.append(char)
            pattern += re.escape(char)
            index += 1
            continue
        code = fmt[index + 1 : index + 2]
        if code == "%":
            parts.append("%")
            pattern += "%"
        elif code in _CODES:
            parts.append("%" + code)
            pattern += rf"(?P<{code}>\d{{{_CODES[code][0]}}})"
        else:
            raise ExpressionError(
                INVALID_VALUE,
                f"{function}: unknown format code %{code} in {fmt!r}",
                hint="use %Y %y %m %d %j %H %M %S %f or %%",
            )
        index += 2
    return tuple(parts), re.compile(pattern, re.ASCII)


def _write(value: dt.date, fmt: str, function: str) -> str:
    parts, _ = _compile_format(fmt, function)
    out: list[str] = []
    for part in parts:
        if len(part) == 2 and part[0] == "%":
            code = part[1]
            if code in _TIME_CODES and not isinstance(value, dt.datetime):
                raise ExpressionError(
                    INVALID_VALUE, f"{function}: %{code} needs a datetime, found a date"
                )
            width, attribute = _CODES[code]
            number = value.timetuple().tm_yday if code == "j" else getattr(value, attribute)
            if code == "y":
                number %= 100
            out.append(str(number).zfill(width))
        else:
            out.append(part)
    return "".join(out)


def _read(text: Any, fmt: str, function: str) -> dict[str, int]:
    if not isinstance(text, str):
        raise wrong_type(function, "text", text)
    _, pattern = _compile_format(fmt, function)
    match = pattern.fullmatch(text)
    if match is None:
        raise ExpressionError(INVALID_VALUE, f"{function}: {text!r} does not match {fmt!r}")
    found = {code: int(digits) for code, digits in match.groupdict().items()}
    if "y" in found and "Y" not in found:
        found["Y"] = _CENTURY + found["y"]
    return found


def _build_date(found: dict[str, int], text: str, fmt: str, function: str) -> dt.date:
    if "Y" not in found:
        raise ExpressionError(INVALID_VALUE, f"{function}: {fmt!r} has no year (%Y or %y)")
    try:
        if "j" in found:
            first_day = dt.date(found["Y"], 1, 1)
            day = first_day + dt.timedelta(days=found["j"] - 1)
            if day.year != first_day.year:
                raise ValueError("day of the year out of range")
            return day
        return dt.date(found["Y"], found.get("m", 1), found.get("d", 1))
    except (ValueError, OverflowError):
        raise ExpressionError(INVALID_VALUE, f"{function}: {text!r} is not a valid date") from None


def format_date(value: Any, fmt: str) -> str:
    """A date (or the date part of a datetime) as text: ``date(d, '%y%m%d')`` -> '240131'."""
    if not isinstance(value, dt.date):
        raise wrong_type("date", "a date", value)
    return _write(value, fmt, "date")


def format_datetime(value: Any, fmt: str) -> str:
    """A datetime as text: ``datetime(t, '%Y-%m-%dT%H:%M:%S')``."""
    if not isinstance(value, dt.datetime):
        raise wrong_type("datetime", "a datetime", value)
    return _write(value, fmt, "datetime")


def parse_date(text: Any, fmt: str) -> dt.date:
    """The date a text stands for: ``parse_date('240131', '%y%m%d')`` -> 2024-01-31."""
    found = _read(text, fmt, "parse_date")
    if _TIME_CODES & found.keys():
        raise ExpressionError(
            INVALID_VALUE, f"parse_date: {fmt!r} has time codes; use parse_datetime"
        )
    return _build_date(found, text, fmt, "parse_date")


def parse_datetime(text: Any, fmt: str) -> dt.datetime:
    """The datetime a text stands for (naive; missing time parts are 0)."""
    found = _read(text, fmt, "parse_datetime")
    day = _build_date(found, text, fmt, "parse_datetime")
    try:
        return dt.datetime(
            day.year,
            day.month,
            day.day,
            found.get("H", 0),
            found.get("M", 0),
            found.get("S", 0),
            found.get("f", 0),
        )
    except ValueError:
        raise ExpressionError(
            INVALID_VALUE, f"parse_datetime: {text!r} is not a valid time"
        ) from None


def now(context: Any) -> dt.datetime:
    """The run's current time, from the run context (never the system clock)."""
    moment = context.get("now") if isinstance(context, Mapping) else getattr(context, "now", None)
    if not isinstance(moment, dt.datetime):
        raise ExpressionError(
            UNDEFINED_VALUE,
            "today()/now() need a run context with a datetime 'now' in the scope as 'context'",
            hint="the job or CLI passes the run context; tests pass one explicitly",
        )
    return moment


def today(context: Any) -> dt.date:
    """The run's current date, from the run context (never the system clock)."""
    return now(context).date()
