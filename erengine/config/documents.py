"""Checking a loaded document against the schema of its kind, with every error located.

pydantic reports all problems of a document at once; each is turned into a ``ConfigError``
with the file:line:col of the offending key or value, the config path, and a hint (the
closest allowed key for a misspelt one, the allowed values for a wrong choice).
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, get_args, get_origin

import pydantic
from pydantic import BaseModel

from erengine.config.yaml_spans import DataPath, SpannedDict, format_path, span_at
from erengine.errors import ConfigError, ErrorCollector

SchemaPicker = Callable[[SpannedDict], type[BaseModel] | None]

_KINDS: dict[str, SchemaPicker] = {}


def register_kind(kind: str, picker: SchemaPicker) -> None:
    """Register the schema (or a function choosing it from the data) of a document kind."""
    _KINDS[kind] = picker


def known_kinds() -> tuple[str, ...]:
    return tuple(sorted(_KINDS))


def schema_for(data: Any, file: str) -> type[BaseModel]:
    """The pydantic class that checks ``data``, or a located ``ConfigError``."""
    if not isinstance(data, SpannedDict):
        raise ConfigError(
            "CFG201",
            f"a configuration document is a mapping of keys, found {type(data).__name__}",
            span=getattr(data, "span", None),
        )
    kind = data.get("kind")
    if kind not in _KINDS:
        close = difflib.get_close_matches(str(kind), known_kinds(), n=1)
        raise ConfigError(
            "CFG202",
            f"unknown document kind {kind!r}" if kind is not None else "missing key `kind`",
            span=span_at(data, ("kind",)),
            config_path="kind",
            hint=f"did you mean `{close[0]}`?" if close else f"one of {', '.join(known_kinds())}",
        )
    schema = _KINDS[kind](data)
    if schema is None:
        raise ConfigError(
            "CFG203",
            f"cannot tell which kind of {kind} this is",
            span=data.span,
            hint="check `file.type`",
        )
    return schema


def validate_document(data: Any, file: str) -> BaseModel:
    """Check a loaded document; raise all its schema errors at once."""
    schema = schema_for(data, file)
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        collector = ErrorCollector(limit=200)
        for error in exc.errors(include_url=False):
            collector.add(_config_error(data, schema, error))
        raise collector.as_group() from None


def _config_error(data: SpannedDict, schema: type[BaseModel], error: Any) -> ConfigError:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    path = data_path(data, loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(path[-1])
        allowed = allowed_keys(schema, path[:-1], data)
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`?" if close else _allowed_hint(allowed)
        return ConfigError(
            "CFG210",
            f"unknown key `{key}`",
            span=span_at(data, path, key=True),
            config_path=format_path(path),
            hint=hint,
        )
    if kind == "missing":
        return ConfigError(
            "CFG211",
            f"missing key `{path[-1]}`",
            span=span_at(data, path[:-1]),
            config_path=format_path(path),
        )
    if kind in ("literal_error", "enum"):
        expected = error.get("ctx", {}).get("expected", "")
        found = error.get("input")
        return ConfigError(
            "CFG212",
            f"{found!r} is not allowed here",
            span=span_at(data, path),
            config_path=format_path(path),
            hint=f"use one of {expected}",
        )
    message = str(error["msg"]).removeprefix("Value error, ")
    return ConfigError(
        "CFG213",
        message,
        span=span_at(data, path),
        config_path=format_path(path),
    )


def _allowed_hint(allowed: Sequence[str]) -> str | None:
    return f"allowed keys: {', '.join(sorted(allowed))}" if allowed else None


def data_path(data: Any, loc: tuple[str | int, ...]) -> DataPath:
    """pydantic's error location without its union tags, as a path into the data.

    Locations of tagged unions contain the tag (``structure.0.record.fields``) although the
    data has no such level; a part is kept only when following it leads somewhere.
    """

    def walk(node: Any, rest: tuple[str | int, ...]) -> DataPath | None:
        if not rest:
            return ()
        part, tail = rest[0], rest[1:]
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            deeper = walk(node[part], tail)
            if deeper is not None:
                return (part, *deeper)
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            deeper = walk(node[part], tail)
            if deeper is not None:
                return (part, *deeper)
        if isinstance(node, dict) and not tail:
            return (part,)  # a missing or unknown key: the last part names it
        if isinstance(node, (dict, list)):
            return walk(node, tail)  # a union tag or a type name: not in the data
        return None

    return walk(data, loc) or ()


def allowed_keys(schema: type[BaseModel], path: DataPath, data: Any) -> list[str]:
    """The keys allowed at ``path`` (the node's schema class), for did-you-mean hints."""
    candidates: list[Any] = [schema]
    node = data
    for part in path:
        node = node[part] if isinstance(node, dict | list) else None  # type: ignore[index]
        next_candidates: list[Any] = []
        for annotation in _flatten(candidates):
            if isinstance(part, str) and _is_model(annotation):
                field = annotation.model_fields.get(part) or _by_alias(annotation, part)
                if field is not None:
                    next_candidates.append(field.annotation)
            elif isinstance(part, int) and get_origin(annotation) in (list, tuple):
                next_candidates.extend(get_args(annotation)[:1])
            elif isinstance(part, str) and get_origin(annotation) is dict:
                next_candidates.extend(get_args(annotation)[1:2])
        candidates = next_candidates
    models = [a for a in _flatten(candidates) if _is_model(a)]
    models = [m for m in models if _accepts(m, node)] or models
    keys: list[str] = []
    for model in models:
        keys.extend(f.alias or name for name, f in model.model_fields.items())
    return sorted(set(keys))


def _flatten(annotations: Iterable[Any]) -> list[Any]:
    flat: list[Any] = []
    for annotation in annotations:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            flat.extend(_flatten([get_args(annotation)[0]]))
        elif origin in (typing.Union, types.UnionType):
            flat.extend(_flatten(get_args(annotation)))
        else:
            flat.append(annotation)
    return flat


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _by_alias(model: type[BaseModel], alias: str) -> Any:
    return next((f for f in model.model_fields.values() if f.alias == alias), None)


def _accepts(model: type[BaseModel], node: Any) -> bool:
    """Whether ``node`` plausibly is a ``model``: its Literal tags match the data."""
    if not isinstance(node, dict):
        return True
    for name, field in model.model_fields.items():
        literal = get_origin(field.annotation) is Literal
        if literal and name in node and node[name] not in get_args(field.annotation):
            return False
    required_tags = [n for n, f in model.model_fields.items() if f.is_required()]
    return any(tag in node for tag in required_tags) if required_tags else True
