"""Which schema checks which document: one registration per document kind.

A `format` document's schema depends on its `file.type`: each codec in the registry brings
the schema of the file types it serves, so kinds register a picker that looks at the data.
"""

from __future__ import annotations

from pydantic import BaseModel

from erengine.codecs.registry import CODECS
from erengine.config.documents import register_kind
from erengine.config.schema.job import InboundJobDocument, OutboundJobDocument
from erengine.config.schema.mapping import MappingDocument
from erengine.config.schema.model import ModelDocument
from erengine.config.schema.records import RecordFormatDocument
from erengine.config.yaml_spans import SpannedDict

FORMAT_SCHEMAS: dict[str, type[BaseModel]] = {
    file_type: codec.schema for file_type, codec in CODECS.items()
}


def _format_schema(data: SpannedDict) -> type[BaseModel] | None:
    file = data.get("file")
    file_type = file.get("type") if isinstance(file, dict) else None
    # An unknown type still validates against the record schema, which names the allowed ones.
    return FORMAT_SCHEMAS.get(str(file_type), RecordFormatDocument)


JOB_SCHEMAS: dict[str, type[BaseModel]] = {
    "outbound": OutboundJobDocument,
    "inbound": InboundJobDocument,
}


def _job_schema(data: SpannedDict) -> type[BaseModel] | None:
    # A missing or unknown direction is checked by the outbound schema, whose error names both.
    return JOB_SCHEMAS.get(str(data.get("direction")), OutboundJobDocument)


def register_document_kinds() -> None:
    register_kind("model", lambda _: ModelDocument)
    register_kind("mapping", lambda _: MappingDocument)
    register_kind("format", _format_schema)
    register_kind("job", _job_schema)


def document_schemas() -> list[type[BaseModel]]:
    """Every document schema, for the JSON Schema that editors use."""
    unique: set[type[BaseModel]] = {
        ModelDocument,
        MappingDocument,
        *FORMAT_SCHEMAS.values(),
        *JOB_SCHEMAS.values(),
    }
    return sorted(unique, key=lambda schema: schema.__name__)
