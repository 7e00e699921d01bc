"""The SWIFT MT codec as the engine sees it: compile, write, read, and detection."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from pydantic import BaseModel

from erengine.codecs.base import PathCheck, WriteReport
from erengine.codecs.swift.format_plan import SwiftPlan, compile_swift_format
from erengine.codecs.swift.reader import SwiftReader
from erengine.codecs.swift.writer import write_messages
from erengine.config.catalog import ResolvedDocument
from erengine.config.schema.swift import SwiftFormatDocument
from erengine.expr import ExpressionCompiler


@dataclass(frozen=True, slots=True)
class SwiftFormat:
    plan: SwiftPlan

    @property
    def name(self) -> str:
        return self.plan.name

    def write(
        self, data: Mapping[str, Any], sink: BinaryIO, *, context: Mapping[str, Any] | None
    ) -> WriteReport:
        return write_messages(self.plan, data, sink, context=context)

    def reader(self, stream: BinaryIO, *, file_name: str | None, attach: bool) -> SwiftReader:
        return SwiftReader(self.plan, stream, file_name=file_name, attach=attach)


class SwiftCodec:
    schema: type[BaseModel] = SwiftFormatDocument

    def compile(
        self,
        document: ResolvedDocument,
        *,
        expressions: ExpressionCompiler,
        check_path: PathCheck | None,
    ) -> SwiftFormat:
        return SwiftFormat(
            compile_swift_format(document, expressions=expressions, check_path=check_path)
        )


SWIFT_CODEC = SwiftCodec()

# An MT940/MT942 statement: a :20: reference and a :25: account within the first lines, or
# an application header naming message type 940 or 942.
_APPLICATION_HEADER = re.compile(rb"\{2:[IO]94[02]")
_TAG_20 = re.compile(rb"(?:^|[\r\n]):20:", re.MULTILINE)
_TAG_25 = re.compile(rb"[\r\n]:25[A-Z]?:")
_BALANCE_OR_LINE = re.compile(rb"[\r\n]:(?:60[FM]|61|62[FM]|34F|13D?):")


def detect(head: bytes) -> bool:
    """Does ``head`` (the first few KB of a file) look like an MT940 or MT942 file?"""
    sample = head.lstrip(b"\xef\xbb\xbf\x00\x01\x02\x03\x1a \t\r\n")
    if _APPLICATION_HEADER.search(sample):
        return True
    return bool(
        _TAG_20.search(sample) and _TAG_25.search(sample) and _BALANCE_OR_LINE.search(sample)
    )
