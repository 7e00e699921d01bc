"""The JSON Schema of the configuration language, for editors (VS Code's YAML extension).

Generated from the same pydantic schemas that check documents, so the editor and the engine
never disagree. A derived document (``extends``) only states what it changes, so it gets a
looser schema of its own: the full check happens after derivation, in the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from erengine.config.derive import ChangeSpec
from erengine.config.schema.base import NAME_PATTERN

SCHEMA_ID = "https://erengine.dev/schema/config.json"


def json_schema(schemas: Sequence[type[BaseModel]]) -> dict[str, Any]:
    """One schema accepting any document kind, with definitions for every part."""
    every: list[type[BaseModel]] = [*schemas, ChangeSpec]
    refs, top = models_json_schema(
        [(schema, "validation") for schema in every], ref_template="#/$defs/{model}"
    )
    definitions: dict[str, Any] = top.get("$defs", {})
    derived = {
        "title": "Derived document",
        "description": "A document that `extends` another and states only its changes.",
        "type": "object",
        "required": ["kind", "name", "version", "extends"],
        "properties": {
            "kind": {"enum": ["model", "format", "mapping", "job"]},
            "name": {"type": "string", "pattern": NAME_PATTERN},
            "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
            "extends": {"type": "string", "description": "NAME@RANGE of the parent document."},
            "description": {"type": "string"},
            "changes": {"type": "array", "items": refs[(ChangeSpec, "validation")]},
        },
    }
    full = [
        {"allOf": [refs[(schema, "validation")]], "not": {"required": ["extends"]}}
        for schema in schemas
    ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "erengine configuration document",
        "anyOf": [*full, derived],
        "$defs": definitions,
    }
