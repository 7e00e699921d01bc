"""Precompiled access to model data along bound paths, built once per field.

A record layout reads and writes the same paths for every record of a file; walking a path
generically (loops, type checks) per value dominated the codec's time. These closures do the
walk for one path of one length, and nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from erengine.codecs.base import ModelPath

Getter = Callable[[dict[str, Any]], Any]
Setter = Callable[[dict[str, Any], dict[str, Any], Any], None]


def getter(path: ModelPath) -> Getter:
    """``scope -> value`` at ``path`` (first part a scope name); ``None`` where it is missing."""
    head = path[0]
    if len(path) == 1:
        return lambda scope: scope.get(head)
    if len(path) == 2:
        key = path[1]

        def get_two(scope: dict[str, Any]) -> Any:
            record = scope.get(head)
            return record.get(key) if isinstance(record, dict) else None

        return get_two
    keys = path[1:]

    def get_deep(scope: dict[str, Any]) -> Any:
        value = scope.get(head)
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    return get_deep


def combine_date_and_time(existing: Any, value: Any) -> Any:
    """Date, time and UTC offset fields bound to one datetime complete each other."""
    if isinstance(value, dt.tzinfo):
        if isinstance(existing, dt.datetime | dt.time):
            return existing.replace(tzinfo=value)
        if isinstance(existing, dt.date):
            return dt.datetime.combine(existing, dt.time(), value)
        return value
    if isinstance(existing, dt.tzinfo) and isinstance(value, dt.date | dt.time):
        return combine_date_and_time(value, existing)  # the offset came first
    if isinstance(existing, dt.date) and isinstance(value, dt.time):
        if not isinstance(existing, dt.datetime):
            existing = dt.datetime.combine(existing, dt.time())
        return existing.replace(hour=value.hour, minute=value.minute, second=value.second)
    if isinstance(existing, dt.time) and isinstance(value, dt.date):
        return dt.datetime.combine(value, existing)
    return value


@dataclass(frozen=True, slots=True)
class Target:
    """Where a value read from a file goes: under a list item of the scope, or the root.

    ``head``: the list item's name in the scope, or None for a path from the model root.
    ``combines``: the field shares its path with a date or time field.
    """

    head: str | None
    keys: ModelPath
    combines: bool


def target(path: ModelPath, *, in_item: bool, combines: bool) -> Target:
    """The target of ``path``; ``in_item``: it starts with a list item's name in the scope."""
    return Target(path[0] if in_item else None, path[1:] if in_item else path, combines)


def setter(path: ModelPath, *, in_item: bool, combines: bool) -> Setter:
    """``(scope, root, value)``: set ``value`` at ``path``, creating records on the way.

    ``in_item`` and ``combines`` as for ``target``.
    """
    where = target(path, in_item=in_item, combines=combines)
    head, middle, last = where.head, where.keys[:-1], where.keys[-1]

    def set_value(scope: dict[str, Any], root: dict[str, Any], value: Any) -> None:
        target: dict[str, Any] = scope[head] if head is not None else root
        for key in middle:
            child = target.get(key)
            if not isinstance(child, dict):
                child = target[key] = {}
            target = child
        target[last] = combine_date_and_time(target.get(last), value) if combines else value

    return set_value
