"""The record codec (fixed-width and delimited files) as the engine sees it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from pydantic import BaseModel

from erengine.codecs.base import PathCheck, WriteReport
from erengine.codecs.records.plan import RecordLayoutPlan, compile_record_layout
from erengine.codecs.records.read import RecordReader
from erengine.codecs.records.write import write_records
from erengine.config.catalog import ResolvedDocument
from erengine.config.schema.records import RecordFormatDocument
from erengine.expr import ExpressionCompiler


@dataclass(frozen=True, slots=True)
class RecordFormat:
    plan: RecordLayoutPlan

    @property
    def name(self) -> str:
        return self.plan.name

    def write(
        self, data: Mapping[str, Any], sink: BinaryIO, *, context: Mapping[str, Any] | None
    ) -> WriteReport:
        return write_records(self.plan, data, sink, context=context)

    def reader(self, stream: BinaryIO, *, file_name: str | None, attach: bool) -> RecordReader:
        return RecordReader(self.plan, stream, file_name=file_name, attach=attach)


class RecordsCodec:
    schema: type[BaseModel] = RecordFormatDocument

    def compile(
        self,
        document: ResolvedDocument,
        *,
        expressions: ExpressionCompiler,
        check_path: PathCheck | None,
    ) -> RecordFormat:
        return RecordFormat(
            compile_record_layout(document, expressions=expressions, check_path=check_path)
        )


RECORDS_CODEC = RecordsCodec()
