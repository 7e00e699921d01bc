"""YAML input of model data: safe loading only, with the scalar rules of configurations.

The same loader as configuration files: only `true`/`false` are booleans (a country code `NO`
stays text) and dates stay text until the model reads them.
"""

from __future__ import annotations

from typing import Any, TextIO

from erengine.config.yaml_spans import load_yaml_text
from erengine.errors import ConfigError, DataPosition, ParseError
from erengine.model.plan import ModelPlan


def read_yaml(plan: ModelPlan, source: TextIO, *, file: str | None = None) -> dict[str, Any]:
    name = file or "<data>"
    try:
        data = load_yaml_text(source.read(), name)
    except ConfigError as exc:  # the loader speaks of configurations; here it is data
        span = exc.span
        raise ParseError(
            "PRS199",
            exc.message,
            position=DataPosition(
                file=file, line=span.line if span else None, column=span.column if span else None
            ),
        ) from None
    typed: dict[str, Any] = plan.from_json(data, source=file)
    return typed
