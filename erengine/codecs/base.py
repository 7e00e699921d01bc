"""What every codec offers the engine: the same verbs whatever the file kind.

A codec compiles a format document (of the file types it serves) into a plan; the plan writes
model data to a binary sink and reads a binary stream back, yielding list items as they
complete. ``erengine.codecs.registry`` maps file types to codecs; the engine knows nothing
else about them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from pydantic import BaseModel

from erengine.config.catalog import ResolvedDocument
from erengine.errors import ConfigError, ErrorCollector, SourceSpan
from erengine.expr import ExpressionCompiler

ModelPath = tuple[str, ...]

#: Checks a model path a format binds (list levels implicit); a ConfigError when it is wrong.
PathCheck = Callable[[ModelPath, SourceSpan | None, str], ConfigError | None]


@dataclass
class WriteReport:
    records: int = 0
    bytes_written: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class ReadReport:
    records: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to make than a record to read
class ListItem:
    """A completed item of a repeated model list (``list_path`` from the model root)."""

    list_path: ModelPath
    index: int
    item: dict[str, Any]
    parent: dict[str, Any]


class TreeReaderState:
    """What a reader that builds model data keeps while it reads: the records and XML readers.

    ``root`` receives the file-level values; list items go to their parents when
    ``attach``; expressions see ``totals`` and the run ``context`` through ``scope``.
    """

    def __init__(
        self,
        *,
        file_name: str | None,
        attach: bool,
        context: dict[str, Any] | None,
        error_limit: int,
    ) -> None:
        self.file_name = file_name
        self.attach = attach
        self.report = ReadReport()
        self.errors = ErrorCollector(limit=error_limit)
        self.root: dict[str, Any] = {}
        self.totals: dict[str, Any] = {}
        self.scope: dict[str, Any] = {"totals": self.totals, "context": context or {}}


class DocumentReader(Protocol):
    """Iterating reads the file; afterwards ``root`` holds its file-level data."""

    root: dict[str, Any]
    report: ReadReport

    def __iter__(self) -> Iterator[ListItem]: ...


class FormatPlan(Protocol):
    """A compiled format: immutable, reused for every file."""

    @property
    def name(self) -> str: ...

    def write(
        self, data: Mapping[str, Any], sink: BinaryIO, *, context: Mapping[str, Any] | None
    ) -> WriteReport:
        """Write typed model data (lists may be generators)."""
        ...

    def reader(self, stream: BinaryIO, *, file_name: str | None, attach: bool) -> DocumentReader:
        """A reader of ``stream``; ``attach`` keeps list items in their parents."""
        ...


class Codec(Protocol):
    """Compiles format documents of some file types."""

    schema: type[BaseModel]

    def compile(
        self,
        document: ResolvedDocument,
        *,
        expressions: ExpressionCompiler,
        check_path: PathCheck | None,
    ) -> FormatPlan: ...
