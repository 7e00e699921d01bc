"""What every configuration document has: kind, name, version, and how it derives."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class Strict(BaseModel):
    """Base of every schema node: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DocumentHeader(Strict):
    """The keys every document kind shares."""

    kind: str
    name: str = Field(pattern=NAME_PATTERN, description="Catalog name, e.g. `nacha-ppd`.")
    version: str = Field(description="Semantic version `MAJOR.MINOR.PATCH`.")
    description: str | None = None
    extends: str | None = Field(
        default=None,
        description="`NAME@RANGE` of the document this one derives from.",
    )

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not SEMVER.match(value):
            raise ValueError(f"version must be MAJOR.MINOR.PATCH, e.g. 1.0.0, not {value!r}")
        return value
