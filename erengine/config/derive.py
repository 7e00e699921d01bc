"""Derived configurations: ``extends: NAME@RANGE`` plus changes, like ER's derived formats.

A derived document takes its parent, deep-merges its own top-level keys over it (mappings
merge key by key; lists and values are replaced), then applies ``changes`` in order:

```yaml
changes:
  - set: structure[batch].structure[entry].fields[name].len
    value: 22
  - remove: structure[batch].structure[addenda]
  - add: structure[batch].structure
    after: entry
    value: {record: note, fields: [...]}
```

Path parts are keys separated by dots; ``[N]`` picks a list item by index and ``[NAME]`` by
its name (the value of its ``name``, ``record``, ``group``, ``element``, ``tag`` or ``id``).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import Field, model_validator

from erengine.config.schema.base import Strict
from erengine.config.yaml_spans import SpannedDict, SpannedList
from erengine.errors import ConfigError, SourceSpan

IDENTITY_KEYS = ("name", "record", "group", "element", "tag", "id")
_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\]]+\])*)")
_SELECTOR = re.compile(r"\[([^\]]+)\]")


class ChangeSpec(Strict):
    """One change a derived configuration makes to its parent."""

    set: str | None = Field(default=None, description="Path whose value is replaced.")
    remove: str | None = Field(default=None, description="Path removed.")
    add: str | None = Field(default=None, description="Path of a list that gets `value`.")
    value: Any = None
    before: str | None = Field(default=None, description="With `add`: insert before this item.")
    after: str | None = Field(default=None, description="With `add`: insert after this item.")

    @model_validator(mode="after")
    def _one_operation(self) -> ChangeSpec:
        operations = [op for op in ("set", "remove", "add") if getattr(self, op) is not None]
        if len(operations) != 1:
            raise ValueError("a change needs exactly one of set, remove or add")
        if (self.set is not None or self.add is not None) and "value" not in self.model_fields_set:
            raise ValueError("`set` and `add` need a `value`")
        if self.before is not None and self.after is not None:
            raise ValueError("give `before` or `after`, not both")
        return self


def identity(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in IDENTITY_KEYS:
            value = item.get(key)
            if isinstance(value, str):
                return value
    return None


def deep_merge(base: Any, override: Any) -> Any:
    """``override`` over ``base``: mappings merge recursively; anything else is replaced."""
    if isinstance(base, SpannedDict) and isinstance(override, dict):
        merged = copy.deepcopy(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
            if isinstance(override, SpannedDict):
                merged.key_spans[key] = override.key_spans[key]
                merged.value_spans[key] = override.value_spans[key]
        return merged
    return override


class _PathError(Exception):
    pass


def _split(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.split("."):
        match = _PART.fullmatch(piece.strip())
        if not match:
            raise _PathError(f"`{piece}` is not a path part (write key, key[3] or key[name])")
        parts.append(match.group(1))
        for selector in _SELECTOR.findall(match.group(2)):
            parts.append(int(selector) if selector.isdigit() else f"[{selector}]")
    return parts


def _step(node: Any, part: str | int) -> tuple[Any, str | int]:
    """The child of ``node`` named by ``part``, and its concrete key or index."""
    if isinstance(part, int) or part.startswith("["):
        if not isinstance(node, list):
            raise _PathError(f"{part} selects a list item, but this is not a list")
        if isinstance(part, int):
            if not 0 <= part < len(node):
                raise _PathError(f"index {part} is outside the list of {len(node)}")
            return node[part], part
        wanted = part[1:-1]
        for index, item in enumerate(node):
            if identity(item) == wanted:
                return item, index
        names = ", ".join(n for n in (identity(i) for i in node) if n)
        raise _PathError(f"no item named `{wanted}` (items: {names})")
    if not isinstance(node, dict) or part not in node:
        keys = ", ".join(node) if isinstance(node, dict) else "none"
        raise _PathError(f"no key `{part}` (keys: {keys})")
    return node[part], part


def _resolve(root: Any, path: str) -> tuple[Any, str | int]:
    parts = _split(path)
    node = root
    for part in parts[:-1]:
        node, _ = _step(node, part)
    _, last = _step(node, parts[-1])
    return node, last


def apply_changes(data: SpannedDict, changes: list[tuple[ChangeSpec, SourceSpan | None]]) -> None:
    """Apply each change in place; a change whose path does not exist is a ConfigError."""
    for index, (change, span) in enumerate(changes):
        path = change.set or change.remove or change.add or ""
        try:
            if change.set is not None:
                parent, key = _resolve(data, change.set)
                parent[key] = change.value
                value_span = getattr(change.value, "span", None) or span
                if isinstance(parent, SpannedDict) and value_span is not None:
                    parent.value_spans[key] = value_span  # type: ignore[index]
                elif isinstance(parent, SpannedList):
                    parent.item_spans[key] = value_span  # type: ignore[index]
            elif change.remove is not None:
                parent, key = _resolve(data, change.remove)
                del parent[key]
                if isinstance(parent, SpannedList):
                    del parent.item_spans[key]  # type: ignore[arg-type]
            else:
                _add(data, change)
        except _PathError as exc:
            raise ConfigError(
                "CFG320",
                f"change cannot apply to `{path}`: {exc}",
                span=span,
                config_path=f"changes[{index}]",
            ) from None


def _add(data: SpannedDict, change: ChangeSpec) -> None:
    parent, key = _resolve(data, change.add or "")
    target = parent[key]
    if not isinstance(target, list):
        raise _PathError("`add` needs a list")
    position = len(target)
    anchor = change.before or change.after
    if anchor is not None:
        _, found = _step(target, f"[{anchor}]")
        assert isinstance(found, int)
        position = found if change.before is not None else found + 1
    target.insert(position, change.value)
    if isinstance(target, SpannedList):
        target.item_spans.insert(position, getattr(change.value, "span", None))
