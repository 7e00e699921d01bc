"""The engine's front door: resolve configurations in a catalog and compile runnable formats.

``Engine(catalog).format("nacha@^1")`` resolves the format and the model it binds to,
compiles both once, and returns a ``CompiledFormat`` whose ``write`` and ``read`` run the
same plan in both directions. The CLI and jobs use nothing else of the engine's insides.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from erengine.codecs.base import FormatPlan, ListItem, ModelPath, ReadReport, WriteReport
from erengine.codecs.registry import CODECS
from erengine.config.catalog import Catalog, ResolvedDocument
from erengine.config.schema.mapping import MappingDocument
from erengine.config.versions import parse_reference
from erengine.errors import ConfigError, ErrorGroup, SourceSpan
from erengine.expr import ExpressionCompiler
from erengine.io import MappingPlan, compile_mapping, read_data, read_rows
from erengine.io.mapping import Row
from erengine.kinds import register_document_kinds
from erengine.model import ModelPlan, compile_model

register_document_kinds()


@dataclass(frozen=True, slots=True)
class CompiledFormat:
    """A format compiled with its model: writes and reads files."""

    document: ResolvedDocument
    model_document: ResolvedDocument
    model: ModelPlan
    plan: FormatPlan

    @property
    def label(self) -> str:
        return self.document.label

    @property
    def sha256(self) -> str:
        """Digest of the resolved format and model together: what a run depends on."""
        both = f"{self.document.sha256}:{self.model_document.sha256}"
        return hashlib.sha256(both.encode("ascii")).hexdigest()

    def write(
        self,
        data: Mapping[str, Any],
        sink: BinaryIO,
        *,
        context: Mapping[str, Any] | None = None,
    ) -> WriteReport:
        """Write typed model data (lists may be generators) to ``sink``."""
        return self.plan.write(data, sink, context=context)

    def read(self, stream: BinaryIO, *, file_name: str | None = None) -> Iterator[ListItem]:
        """Stream the items of the file's lists as they complete (memory stays flat)."""
        return iter(self.plan.reader(stream, file_name=file_name, attach=False))

    def read_document(
        self, stream: BinaryIO, *, file_name: str | None = None
    ) -> tuple[dict[str, Any], ReadReport]:
        """Read the whole file into typed model data, checked against the model.

        Model defaults fill what the format does not carry, so the result is complete model
        data that any other format on the same model can write.
        """
        reader = self.plan.reader(stream, file_name=file_name, attach=True)
        for _ in reader:
            pass
        problems = self.model.check(reader.root, source=file_name)
        if problems:
            raise ErrorGroup(tuple(problems))
        return self.model.from_json(
            self.model.to_json(reader.root), source=file_name
        ), reader.report


@dataclass
class Engine:
    catalog: Catalog
    _formats: dict[str, CompiledFormat] = field(default_factory=dict)
    _models: dict[str, ModelPlan] = field(default_factory=dict)

    @classmethod
    def from_folders(cls, folders: list[Path] | tuple[Path, ...] = ()) -> Engine:
        return cls(Catalog.default(tuple(folders)))

    def model(self, document: ResolvedDocument) -> ModelPlan:
        cached = self._models.get(document.sha256)
        if cached is None:
            cached = compile_model(document.spec, span_for=document.span)  # type: ignore[arg-type]
            self._models[document.sha256] = cached
        return cached

    def mapping(
        self, reference: str, model: ModelPlan, model_document: ResolvedDocument
    ) -> MappingPlan:
        """A mapping onto ``model``; its own model reference must accept that model."""
        document = self.catalog.resolve(reference, "mapping")
        spec = document.spec
        assert isinstance(spec, MappingDocument)
        wanted = parse_reference(spec.model, span=document.span(("model",)), config_path="model")
        if wanted.name != model.name or not wanted.range.matches(model_document.entry.version):
            raise ConfigError(
                "CFG701",
                f"mapping {document.label} maps onto {spec.model}, the format uses "
                f"{model_document.label}",
                span=document.span(("model",)),
                config_path="model",
                hint="use a mapping written for the format's model",
            )
        return compile_mapping(spec, model, span_for=document.span)

    def load_input(
        self,
        compiled: CompiledFormat,
        path: Path,
        *,
        mapping: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Typed model data from a file: model form (JSON, YAML, CSV, Avro) or via a mapping."""
        if mapping is None:
            return read_data(compiled.model, path)
        plan = self.mapping(mapping, compiled.model, compiled.model_document)
        return plan.read(path, context=context)

    def load_rows(
        self,
        compiled: CompiledFormat,
        rows: Iterable[Row],
        *,
        source: str,
        mapping: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Typed model data from rows that are already dicts (a database query's), numbered
        from 1: through a mapping, or in the model's flat CSV layout (docs/models.md). Typed
        values (Decimal, date) keep their types."""
        if mapping is None:
            return read_rows(compiled.model, rows, source=source, by_line=False)
        plan = self.mapping(mapping, compiled.model, compiled.model_document)
        return plan.apply(rows, context=context, source=source, by_line=False)

    def format(self, reference: str) -> CompiledFormat:
        document = self.catalog.resolve(reference, "format")
        return self.compile_format(document)

    def compile_format(self, document: ResolvedDocument) -> CompiledFormat:
        cached = self._formats.get(document.sha256)
        if cached is not None:
            return cached
        spec: Any = document.spec  # a format schema: every one has `model` and `file.type`
        codec = CODECS[spec.file.type]
        model_document = self.catalog.resolve(
            spec.model, "model", span=document.span(("model",)), config_path="model"
        )
        model = self.model(model_document)
        plan = codec.compile(
            document,
            expressions=ExpressionCompiler(),
            check_path=lambda path, span, where: _check_model_path(model, path, span, where),
        )
        compiled = CompiledFormat(document, model_document, model, plan)
        self._formats[document.sha256] = compiled
        return compiled


def _check_model_path(
    model: ModelPlan, path: ModelPath, span: SourceSpan | None, where: str
) -> ConfigError | None:
    dotted = ".".join(path)
    try:
        model.field_at(dotted)
    except KeyError as exc:
        close = difflib.get_close_matches(dotted, list(model.leaf_paths()), n=1, cutoff=0.7)
        return ConfigError(
            "CFG620",
            f"`{dotted}` is not in model {model.name}@{model.version}: no field `{exc.args[0]}`",
            span=span,
            config_path=where,
            hint=f"did you mean `{close[0]}`?"
            if close
            else f"see `erengine formats show {model.name}`",
        )
    return None
