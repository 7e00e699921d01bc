"""A codec made of its parts: a schema, a plan compiler, a writer and a reader.

Every file kind's codec does the same three things with its own functions: compile a format
document into a plan, write model data through the plan, read a stream through it. This
module is that wiring once, so a codec is a declaration:

    RECORDS_CODEC = PlanCodec(RecordFormatDocument, compile_record_layout, write_records,
                              RecordReader)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, Generic, Protocol, TypeVar

from pydantic import BaseModel

from erengine.codecs.base import DocumentReader, PathCheck, WriteReport
from erengine.config.catalog import ResolvedDocument
from erengine.expr import ExpressionCompiler


class NamedPlan(Protocol):
    @property
    def name(self) -> str: ...


PlanT = TypeVar("PlanT", bound=NamedPlan)


class PlanCompiler(Protocol[PlanT]):  # type: ignore[misc]  # PlanT is produced, not taken
    def __call__(
        self,
        document: ResolvedDocument,
        *,
        expressions: ExpressionCompiler,
        check_path: PathCheck | None,
    ) -> PlanT: ...


class PlanWriter(Protocol[PlanT]):  # type: ignore[misc]
    def __call__(
        self,
        plan: PlanT,
        data: Mapping[str, Any],
        sink: BinaryIO,
        *,
        context: Mapping[str, Any] | None,
    ) -> WriteReport: ...


class PlanReaderFactory(Protocol[PlanT]):  # type: ignore[misc]
    def __call__(
        self, plan: PlanT, stream: BinaryIO, *, file_name: str | None, attach: bool
    ) -> DocumentReader: ...


@dataclass(frozen=True, slots=True)
class CompiledPlanFormat(Generic[PlanT]):
    """A compiled format as the engine uses it (the ``FormatPlan`` protocol)."""

    plan: PlanT
    writer: PlanWriter[PlanT]
    make_reader: PlanReaderFactory[PlanT]

    @property
    def name(self) -> str:
        return self.plan.name

    def write(
        self, data: Mapping[str, Any], sink: BinaryIO, *, context: Mapping[str, Any] | None
    ) -> WriteReport:
        return self.writer(self.plan, data, sink, context=context)

    def reader(self, stream: BinaryIO, *, file_name: str | None, attach: bool) -> DocumentReader:
        return self.make_reader(self.plan, stream, file_name=file_name, attach=attach)


@dataclass(slots=True)  # not frozen: the Codec protocol declares `schema` a plain attribute
class PlanCodec(Generic[PlanT]):
    """A codec (the ``Codec`` protocol) from its schema and its three functions."""

    schema: type[BaseModel]
    compile_plan: PlanCompiler[PlanT]
    writer: PlanWriter[PlanT]
    make_reader: PlanReaderFactory[PlanT]

    def compile(
        self,
        document: ResolvedDocument,
        *,
        expressions: ExpressionCompiler,
        check_path: PathCheck | None,
    ) -> CompiledPlanFormat[PlanT]:
        plan = self.compile_plan(document, expressions=expressions, check_path=check_path)
        return CompiledPlanFormat(plan, self.writer, self.make_reader)


__all__ = ["CompiledPlanFormat", "PlanCodec"]
