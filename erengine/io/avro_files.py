"""Avro container files of model data (fastavro), with the schema derived from the model.

One file holds one document: the root record, with its lists nested inside it. The schema is
written into the file, so any Avro tool can read it; docs/models.md lists the type mapping.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import fastavro

from erengine.errors import DataPosition, ErrorGroup, ParseError
from erengine.model.avro import from_avro, to_avro
from erengine.model.plan import ModelPlan


def write_avro(plan: ModelPlan, data: Any, sink: BinaryIO) -> None:
    """Write typed data (checked first: Avro would reject it with a less helpful message)."""
    problems = plan.check(data)
    if problems:
        raise ErrorGroup(tuple(problems))
    schema = fastavro.parse_schema(plan.avro_schema())
    fastavro.writer(sink, schema, [to_avro(plan, data)])


def read_avro(plan: ModelPlan, source: BinaryIO, *, file: str | None = None) -> dict[str, Any]:
    """Read the one document of an Avro file written by `write_avro` into typed data."""
    schema = fastavro.parse_schema(plan.avro_schema())
    try:
        documents = list(fastavro.reader(source, reader_schema=schema))
    except (ValueError, EOFError, fastavro.read.SchemaResolutionError) as exc:
        raise ParseError(
            "PRS197",
            f"not an Avro file of model {plan.name}: {exc}",
            position=DataPosition(file=file),
        ) from None
    if len(documents) != 1:
        raise ParseError(
            "PRS198",
            f"{len(documents)} documents in the file where one is expected",
            position=DataPosition(file=file),
        )
    typed = from_avro(plan, documents[0])
    problems = plan.check(typed, source=file)
    if problems:
        raise ErrorGroup(tuple(problems))
    return typed
