"""The catalog: every configuration document the engine can see, by name and version.

Documents come from the shipped ``formats/`` folder, the folders in ``ERENGINE_PATH``
(separated by the platform's path separator) and folders given with ``--catalog``. Several
versions of a name coexist; ``name@range`` picks the newest match. Resolving a document
applies its ``extends`` chain and checks the result against the schema of its kind.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel

from erengine.config.derive import ChangeSpec, apply_changes, deep_merge
from erengine.config.documents import validate_document
from erengine.config.versions import (
    Reference,
    Version,
    format_version,
    parse_reference,
    parse_version,
)
from erengine.config.yaml_spans import DataPath, SpannedDict, load_yaml_file, span_at
from erengine.errors import ConfigError, ErengineError, ErrorCollector, SourceSpan

ENV_PATH = "ERENGINE_PATH"
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    kind: str
    name: str
    version: Version
    path: Path
    shipped: bool
    description: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}@{format_version(self.version)}"


@dataclass(frozen=True, slots=True)
class ResolvedDocument:
    """A document with its ``extends`` chain applied and checked against its schema."""

    entry: CatalogEntry
    data: SpannedDict
    spec: BaseModel
    sha256: str
    lineage: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def version(self) -> str:
        return format_version(self.entry.version)

    @property
    def label(self) -> str:
        return self.entry.label

    def span(self, path: DataPath, *, key: bool = False) -> SourceSpan | None:
        return span_at(self.data, path, key=key)


def shipped_folder() -> Path:
    return Path(str(files("erengine_formats")))


def document_digest(data: Any) -> str:
    """sha256 of a resolved document's canonical JSON (comments and layout do not count)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class Catalog:
    """Documents found in folders; resolution results are cached per catalog."""

    folders: tuple[Path, ...]
    entries: list[CatalogEntry] = field(default_factory=list)
    problems: list[ErengineError] = field(default_factory=list)
    _resolved: dict[Path, ResolvedDocument] = field(default_factory=dict, repr=False)

    @classmethod
    def default(
        cls,
        extra_folders: Sequence[Path] = (),
        *,
        environ: Mapping[str, str] = os.environ,
        include_shipped: bool = True,
    ) -> Catalog:
        """User folders first (``--catalog``, then ``ERENGINE_PATH``), shipped formats last."""
        from_env = [Path(p) for p in environ.get(ENV_PATH, "").split(os.pathsep) if p]
        shipped = [shipped_folder()] if include_shipped else []
        catalog = cls((*extra_folders, *from_env, *shipped))
        catalog.scan(shipped_root=shipped[0] if shipped else None)
        return catalog

    def scan(self, *, shipped_root: Path | None = None) -> None:
        for folder in self.folders:
            if not folder.is_dir():
                self.problems.append(
                    ConfigError("CFG307", f"catalog folder {folder} does not exist")
                )
                continue
            for path in sorted(p for p in folder.rglob("*") if p.suffix in _SUFFIXES):
                try:
                    self.entries.append(self._entry(path, shipped=folder == shipped_root))
                except ConfigError as error:
                    self.problems.append(error)

    @staticmethod
    def _entry(path: Path, *, shipped: bool) -> CatalogEntry:
        data = load_yaml_file(path)
        if not isinstance(data, dict) or not all(k in data for k in ("kind", "name", "version")):
            raise ConfigError(
                "CFG308",
                "not a configuration document: needs `kind`, `name` and `version`",
                span=getattr(data, "span", None) or SourceSpan(str(path), 1, 1),
            )
        try:
            version = parse_version(str(data["version"]))
        except ValueError as exc:
            raise ConfigError(
                "CFG309", str(exc), span=span_at(data, ("version",)), config_path="version"
            ) from None
        description = data.get("description")
        return CatalogEntry(
            kind=str(data["kind"]),
            name=str(data["name"]),
            version=version,
            path=path,
            shipped=shipped,
            description=description if isinstance(description, str) else None,
        )

    def list(self, kind: str | None = None) -> list[CatalogEntry]:
        chosen = [e for e in self.entries if kind is None or e.kind == kind]
        return sorted(chosen, key=lambda e: (e.kind, e.name, e.version))

    def find(
        self,
        reference: str | Reference,
        kind: str,
        *,
        span: SourceSpan | None = None,
        config_path: str | None = None,
    ) -> CatalogEntry:
        """The newest entry of ``kind`` matching ``reference``."""
        ref = (
            reference
            if isinstance(reference, Reference)
            else parse_reference(reference, span=span, config_path=config_path)
        )
        named = [e for e in self.entries if e.kind == kind and e.name == ref.name]
        if not named:
            names = sorted({e.name for e in self.entries if e.kind == kind})
            close = difflib.get_close_matches(ref.name, names, n=1)
            raise ConfigError(
                "CFG303",
                f"no {kind} named `{ref.name}` in the catalog",
                span=span,
                config_path=config_path,
                hint=f"did you mean `{close[0]}`?"
                if close
                else "see `erengine formats list`; add folders with --catalog or ERENGINE_PATH",
            )
        matching = [e for e in named if ref.range.matches(e.version)]
        if not matching:
            versions = ", ".join(format_version(e.version) for e in named)
            raise ConfigError(
                "CFG304",
                f"no version of {kind} `{ref.name}` matches `{ref.range.text}`",
                span=span,
                config_path=config_path,
                hint=f"available: {versions}",
            )
        newest = max(e.version for e in matching)
        best = [e for e in matching if e.version == newest]
        if len(best) > 1:
            places = " and ".join(str(e.path) for e in best)
            raise ConfigError(
                "CFG305",
                f"{best[0].label} is defined twice: {places}",
                span=span,
                config_path=config_path,
                hint="give the copy another name or version",
            )
        return best[0]

    def resolve(
        self,
        reference: str | Reference,
        kind: str,
        *,
        span: SourceSpan | None = None,
        config_path: str | None = None,
    ) -> ResolvedDocument:
        entry = self.find(reference, kind, span=span, config_path=config_path)
        return self.resolve_entry(entry)

    def resolve_path(self, path: Path) -> ResolvedDocument:
        """Resolve a document given by its file (``erengine validate FILE``)."""
        resolved_path = path.resolve()
        for entry in self.entries:
            if entry.path.resolve() == resolved_path:
                return self.resolve_entry(entry)
        return self.resolve_entry(self._entry(path, shipped=False))

    def resolve_entry(self, entry: CatalogEntry) -> ResolvedDocument:
        cached = self._resolved.get(entry.path)
        if cached is None:
            cached = self._resolve(entry, ())
            self._resolved[entry.path] = cached
        return cached

    def _resolve(self, entry: CatalogEntry, seen: tuple[str, ...]) -> ResolvedDocument:
        if entry.label in seen:
            chain = " -> ".join((*seen, entry.label))
            raise ConfigError("CFG306", f"`extends` goes round in a circle: {chain}")
        data = load_yaml_file(entry.path)
        assert isinstance(data, SpannedDict)
        merged, lineage = self._derive(entry, data, (*seen, entry.label))
        spec = validate_document(merged, str(entry.path))
        return ResolvedDocument(
            entry=entry,
            data=merged,
            spec=spec,
            sha256=document_digest(merged),
            lineage=lineage,
        )

    def _derive(
        self, entry: CatalogEntry, data: SpannedDict, seen: tuple[str, ...]
    ) -> tuple[SpannedDict, tuple[str, ...]]:
        lineage = (f"{entry.label} ({entry.path})",)
        extends = data.get("extends")
        changes = _changes(data)
        if extends is None:
            if changes:
                raise ConfigError(
                    "CFG321",
                    "`changes` only apply to a derived document",
                    span=span_at(data, ("changes",), key=True),
                    config_path="changes",
                    hint="add `extends: NAME@RANGE`",
                )
            return data, lineage
        if not isinstance(extends, str):
            raise ConfigError(
                "CFG301",
                "`extends` takes NAME@RANGE",
                span=span_at(data, ("extends",)),
                config_path="extends",
            )
        parent_entry = self.find(
            extends, entry.kind, span=span_at(data, ("extends",)), config_path="extends"
        )
        parent = self._resolve(parent_entry, seen)
        own = SpannedDict(span=data.span)
        for key, value in data.items():
            if key not in ("extends", "changes"):
                own[key] = value
                own.key_spans[key] = data.key_spans[key]
                own.value_spans[key] = data.value_spans[key]
        merged = deep_merge(parent.data, own)
        if "description" not in own:
            merged.pop("description", None)  # a parent's description does not fit the child
        apply_changes(merged, changes)
        return merged, lineage + parent.lineage


def _changes(data: SpannedDict) -> list[tuple[ChangeSpec, SourceSpan | None]]:
    raw = data.get("changes")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError(
            "CFG322",
            "`changes` is a list of set/remove/add operations",
            span=span_at(data, ("changes",)),
            config_path="changes",
        )
    collector = ErrorCollector()
    parsed: list[tuple[ChangeSpec, SourceSpan | None]] = []
    for index, item in enumerate(raw):
        span = span_at(data, ("changes", index))
        try:
            parsed.append((ChangeSpec.model_validate(item), span))
        except pydantic.ValidationError as exc:
            for error in exc.errors(include_url=False):
                message = str(error["msg"]).removeprefix("Value error, ")
                collector.add(
                    ConfigError(
                        "CFG323",
                        f"invalid change: {message}",
                        span=span,
                        config_path=f"changes[{index}]",
                    )
                )
    collector.raise_if_any()
    return parsed
