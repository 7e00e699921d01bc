"""The XML codec as the engine sees it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from pydantic import BaseModel

from erengine.codecs.base import PathCheck, WriteReport
from erengine.codecs.xml.plan import XmlFormatPlan, compile_xml_format
from erengine.codecs.xml.read import XmlReader
from erengine.codecs.xml.write import XmlWriter
from erengine.codecs.xml.write_quick import QuickPaths, quick_paths
from erengine.config.catalog import ResolvedDocument
from erengine.config.schema.xml import XmlFormatDocument
from erengine.expr import ExpressionCompiler


@dataclass(frozen=True, slots=True)
class XmlFormat:
    plan: XmlFormatPlan
    # The writer's generated functions, built on the first write (reading needs none).
    _quick: list[QuickPaths] = field(default_factory=list, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def schema_file(self) -> str | None:
        """The XSD the format names, looked up on the schema path when validating."""
        return self.plan.file.schema_file

    def write(
        self, data: Mapping[str, Any], sink: BinaryIO, *, context: Mapping[str, Any] | None
    ) -> WriteReport:
        if not self._quick:
            self._quick.append(quick_paths(self.plan))
        return XmlWriter(self.plan, sink, context=context, quick=self._quick[0]).write(data)

    def reader(self, stream: BinaryIO, *, file_name: str | None, attach: bool) -> XmlReader:
        return XmlReader(self.plan, stream, file_name=file_name, attach=attach)


class XmlCodec:
    schema: type[BaseModel] = XmlFormatDocument

    def compile(
        self,
        document: ResolvedDocument,
        *,
        expressions: ExpressionCompiler,
        check_path: PathCheck | None,
    ) -> XmlFormat:
        return XmlFormat(
            compile_xml_format(document, expressions=expressions, check_path=check_path)
        )


XML_CODEC = XmlCodec()
