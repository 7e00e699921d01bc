"""Semantic versions and the ranges configurations use to refer to each other.

A reference is ``name@range``: ``^1.2`` (>=1.2.0 <2.0.0; for 0.x, <0.(x+1).0), ``~1.2.3``
(>=1.2.3 <1.3.0), an exact ``1.2.3``, ``*`` or no range (any), or comparators separated by
commas (``>=1.2,<1.5``). The newest version that matches wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from erengine.errors import ConfigError, SourceSpan

Version = tuple[int, int, int]

_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?$")
_COMPARATOR = re.compile(r"^(>=|<=|>|<|=)?\s*(\d+(?:\.\d+){0,2})$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def parse_version(text: str) -> Version:
    match = _VERSION.match(text)
    if not match or match.group(3) is None:
        raise ValueError(f"not a MAJOR.MINOR.PATCH version: {text!r}")
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)))


def format_version(version: Version) -> str:
    return ".".join(str(part) for part in version)


@dataclass(frozen=True, slots=True)
class VersionRange:
    """Inclusive lower and exclusive upper bounds; ``None`` leaves a side open."""

    text: str
    lower: Version | None
    upper: Version | None
    exact: Version | None = None

    def matches(self, version: Version) -> bool:
        if self.exact is not None:
            return version == self.exact
        if self.lower is not None and version < self.lower:
            return False
        return not (self.upper is not None and version >= self.upper)


def _partial(text: str) -> tuple[Version, int]:
    """A possibly partial version and how many parts were given."""
    match = _VERSION.match(text)
    if not match:
        raise ValueError(f"not a version: {text!r}")
    given = sum(1 for g in match.groups() if g is not None)
    parts = [int(g) if g is not None else 0 for g in match.groups()]
    return (parts[0], parts[1], parts[2]), given


def parse_range(text: str) -> VersionRange:
    text = text.strip()
    if text in ("", "*"):
        return VersionRange(text or "*", None, None)
    if text.startswith("^"):
        (major, minor, patch), _ = _partial(text[1:])
        upper = (major + 1, 0, 0) if major > 0 else (0, minor + 1, 0)
        return VersionRange(text, (major, minor, patch), upper)
    if text.startswith("~"):
        (major, minor, patch), given = _partial(text[1:])
        upper = (major + 1, 0, 0) if given == 1 else (major, minor + 1, 0)
        return VersionRange(text, (major, minor, patch), upper)
    if "," not in text and _COMPARATOR.match(text) and text[0] not in "<>=":
        version, given = _partial(text)
        if given == 3:
            return VersionRange(text, version, None, exact=version)
        upper = (version[0] + 1, 0, 0) if given == 1 else (version[0], version[1] + 1, 0)
        return VersionRange(text, version, upper)
    lower: Version | None = None
    upper_bound: Version | None = None
    for piece in text.split(","):
        match = _COMPARATOR.match(piece.strip())
        if not match:
            raise ValueError(f"not a version range: {text!r}")
        operator, version = match.group(1) or "=", _partial(match.group(2))[0]
        if operator == ">=":
            lower = version
        elif operator == ">":
            lower = (version[0], version[1], version[2] + 1)
        elif operator == "<":
            upper_bound = version
        elif operator == "<=":
            upper_bound = (version[0], version[1], version[2] + 1)
        else:
            return VersionRange(text, version, None, exact=version)
    return VersionRange(text, lower, upper_bound)


@dataclass(frozen=True, slots=True)
class Reference:
    """``name@range`` as written in a configuration."""

    name: str
    range: VersionRange

    def __str__(self) -> str:
        return f"{self.name}@{self.range.text}" if self.range.text != "*" else self.name


def parse_reference(
    text: str, *, span: SourceSpan | None = None, config_path: str | None = None
) -> Reference:
    name, _, range_text = text.partition("@")
    if not _NAME.match(name):
        raise ConfigError(
            "CFG301",
            f"{text!r} is not a configuration reference",
            span=span,
            config_path=config_path,
            hint="write NAME@RANGE, e.g. payments@^1",
        )
    try:
        return Reference(name, parse_range(range_text))
    except ValueError as exc:
        raise ConfigError(
            "CFG302",
            str(exc),
            span=span,
            config_path=config_path,
            hint="ranges look like ^1.2, ~1.2.3, 1.2.3, >=1.2,<2 or *",
        ) from None
