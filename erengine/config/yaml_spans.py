"""Safe YAML loading that remembers where every key and value came from.

Documents load into ``SpannedDict`` / ``SpannedList``: ordinary dicts and lists that also hold
the ``SourceSpan`` of each key and value. The spans travel with the objects through derivation
(``extends``), so an error in a merged document still points at the file and line that wrote
the offending value.

YAML 1.1 turns ``NO``, ``off`` or ``yes`` into booleans and ``2024-01-02`` into dates; a country
code ``NO`` silently becoming ``False`` is the kind of bug a bank file cannot afford, so only
``true``/``false`` are booleans here and dates stay text until a schema reads them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from erengine.errors import ConfigError, SourceSpan

PathPart = str | int
DataPath = tuple[PathPart, ...]


class SpannedDict(dict[str, Any]):
    """A mapping from YAML with the span of each key and each value."""

    span: SourceSpan | None
    key_spans: dict[str, SourceSpan]
    value_spans: dict[str, SourceSpan]

    def __init__(self, *args: Any, span: SourceSpan | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.span = span
        self.key_spans = {}
        self.value_spans = {}


class SpannedList(list[Any]):
    """A sequence from YAML with the span of each item."""

    span: SourceSpan | None
    item_spans: list[SourceSpan | None]

    def __init__(self, *args: Any, span: SourceSpan | None = None) -> None:
        super().__init__(*args)
        self.span = span
        self.item_spans = []


class _StrictBoolLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-like scalars: true/false only; timestamps stay strings."""


_StrictBoolLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictBoolLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _span(node: Node, file: str) -> SourceSpan:
    start, end = node.start_mark, node.end_mark
    return SourceSpan(file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


class _Builder:
    def __init__(self, loader: _StrictBoolLoader, file: str) -> None:
        self.loader = loader
        self.file = file

    def build(self, node: Node) -> Any:
        if isinstance(node, (MappingNode, SequenceNode)) and node.tag not in _PLAIN_TAGS:
            raise ConfigError(
                "CFG107",
                f"YAML tag `{node.tag}` is not allowed",
                span=_span(node, self.file),
                hint="configurations use plain mappings, lists and values only",
            )
        if isinstance(node, MappingNode):
            return self._mapping(node)
        if isinstance(node, SequenceNode):
            result = SpannedList(span=_span(node, self.file))
            for item in node.value:
                result.append(self.build(item))
                result.item_spans.append(_span(item, self.file))
            return result
        assert isinstance(node, ScalarNode)
        return self._scalar(node)

    def _scalar(self, node: Node) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise ConfigError(
                "CFG107",
                f"YAML: {exc.problem}",
                span=_span(node, self.file),
                hint="configurations use plain mappings, lists and values only",
            ) from None

    def _mapping(self, node: MappingNode) -> SpannedDict:
        self.loader.flatten_mapping(node)  # resolves `<<:` merge keys the safe way
        result = SpannedDict(span=_span(node, self.file))
        for key_node, value_node in node.value:
            key_span = _span(key_node, self.file)
            key = self._scalar(key_node)
            if not isinstance(key, str):
                raise ConfigError(
                    "CFG103",
                    f"keys must be text, found {type(key).__name__} {key!r}",
                    span=key_span,
                    hint="quote the key",
                )
            if key in result:
                raise ConfigError(
                    "CFG102",
                    f"key `{key}` appears twice in the same mapping (first at "
                    f"line {result.key_spans[key].line})",
                    span=key_span,
                    hint="YAML keeps only the last one; remove or rename one of them",
                )
            result[key] = self.build(value_node)
            result.key_spans[key] = key_span
            result.value_spans[key] = _span(value_node, self.file)
        return result


def load_yaml_text(text: str, file: str) -> Any:
    """Load one YAML document from text into spanned containers (safe loader only)."""
    loader = _StrictBoolLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError("CFG104", "the file is empty", span=SourceSpan(file, 1, 1))
        return _Builder(loader, file).build(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = SourceSpan(file, mark.line + 1, mark.column + 1) if mark else SourceSpan(file, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError("CFG101", f"YAML syntax: {problem}", span=span) from None
    except yaml.YAMLError as exc:
        raise ConfigError("CFG101", f"YAML syntax: {exc}", span=SourceSpan(file, 1, 1)) from None
    finally:
        loader.dispose()


def load_yaml_file(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError("CFG105", f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            "CFG106",
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start}",
            span=SourceSpan(str(path), line, 1),
            hint="save configuration files as UTF-8",
        ) from None
    return load_yaml_text(text, str(path))


def span_at(data: Any, path: DataPath, *, key: bool = False) -> SourceSpan | None:
    """The span of the value (or key) at ``path``, or of the nearest enclosing node."""
    best: SourceSpan | None = getattr(data, "span", None)
    node = data
    for part in path:
        if isinstance(node, SpannedDict) and isinstance(part, str) and part in node:
            best = node.key_spans[part] if key and part == path[-1] else node.value_spans[part]
            node = node[part]
        elif isinstance(node, SpannedList) and isinstance(part, int) and 0 <= part < len(node):
            best = node.item_spans[part] or best
            node = node[part]
        else:
            break
    return best


def format_path(path: DataPath) -> str:
    """``("records", 1, "len")`` -> ``records[1].len``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
