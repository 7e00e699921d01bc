"""The one error hierarchy of erengine.

Every failure a user can cause ends in one of these classes, each with a stable code
(``CFG…``, ``PRS…``, ``VAL…``, ``TRN…``), a message, and the place it happened: the
configuration span for configuration mistakes, the data position for data mistakes.
Rendering (human text or JSON) belongs to the CLI; the library only builds and raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """A place in a configuration file: 1-based line and column, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }


@dataclass(frozen=True, slots=True)
class DataPosition:
    """A place in a data file. Every part is optional: formats know different things."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    end_column: int | None = None
    byte_offset: int | None = None
    record: str | None = None  # record name and 1-based index in the file, e.g. "entry#17"
    field: str | None = None  # dotted field name inside the record
    xpath: str | None = None
    json_path: str | None = None  # for model data, e.g. "$.batches[0].payments[3].amount"

    def __str__(self) -> str:
        place = self.file or "<data>"
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
                if self.end_column is not None and self.end_column > self.column + 1:
                    place += f"-{self.end_column - 1}"
        parts = [place]
        if self.xpath:
            parts.append(self.xpath)
        if self.json_path:
            parts.append(self.json_path)
        if self.record:
            parts.append(f"record {self.record}")
        if self.field:
            parts.append(f"field {self.field}")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.__slots__ if getattr(self, key) is not None}


class ErengineError(Exception):
    """Base of every error erengine raises on purpose."""

    kind: ClassVar[str] = "error"
    code: str
    message: str
    hint: str | None

    def __init__(self, code: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def location(self) -> str:
        """Where it happened, as a short human string ('' when unknown)."""
        return ""

    def __str__(self) -> str:
        where = self.location()
        text = f"{self.code} {where}: {self.message}" if where else f"{self.code} {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "code": self.code, "message": self.message}
        if self.hint:
            data["hint"] = self.hint
        return data


class ConfigError(ErengineError):
    """A mistake in a configuration document (model, format, mapping, job, endpoint)."""

    kind = "config"

    def __init__(
        self,
        code: str,
        message: str,
        *,
        span: SourceSpan | None = None,
        config_path: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(code, message, hint=hint)
        self.span = span
        self.config_path = config_path

    def location(self) -> str:
        where = str(self.span) if self.span else ""
        if self.config_path:
            where = f"{where} ({self.config_path})" if where else self.config_path
        return where

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["span"] = self.span.to_dict() if self.span else None
        data["config_path"] = self.config_path
        return data


class DataError(ErengineError):
    """Base of the errors about data: where in the data, expected versus found."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        position: DataPosition | None = None,
        expected: str | None = None,
        found: str | None = None,
        span: SourceSpan | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(code, message, hint=hint)
        self.position = position or DataPosition()
        self.expected = expected
        self.found = found
        self.span = span  # the configuration element that read or wrote the data

    def location(self) -> str:
        return str(self.position)

    def __str__(self) -> str:
        text = ErengineError.__str__(self)
        if self.expected is not None or self.found is not None:
            text += f": expected {self.expected}, found {self.found!r}"
        if self.span:
            text += f"\n  format: {self.span}"
        return text

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["position"] = self.position.to_dict()
        data["expected"] = self.expected
        data["found"] = self.found
        data["span"] = self.span.to_dict() if self.span else None
        return data


class ParseError(DataError):
    """A data file does not match its format: position, expected versus found."""

    kind = "parse"


class ValidationError(DataError):
    """Data that is well-formed but breaks a rule (model type, IBAN, control sum, charset)."""

    kind = "validation"

    def __init__(
        self,
        code: str,
        message: str,
        *,
        rule: str,
        position: DataPosition | None = None,
        expected: str | None = None,
        found: str | None = None,
        span: SourceSpan | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(
            code, message, position=position, expected=expected, found=found, span=span, hint=hint
        )
        self.rule = rule

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["rule"] = self.rule
        return data


class TransportError(ErengineError):
    """A file could not be moved to or from an endpoint."""

    kind = "transport"

    def __init__(
        self,
        code: str,
        message: str,
        *,
        host: str | None = None,
        operation: str | None = None,
        remote_path: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(code, message, hint=hint)
        self.host = host
        self.operation = operation
        self.remote_path = remote_path

    def location(self) -> str:
        parts = [p for p in (self.host, self.operation, self.remote_path) if p]
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(host=self.host, operation=self.operation, remote_path=self.remote_path)
        return data


class JobError(ErengineError):
    """A job run cannot go on: a stored file changed, a batch is in another state, ..."""

    kind = "job"


class Evaluable(Protocol):
    """Anything with ``evaluate(scope)``: compiled expressions (kept free of an import cycle)."""

    def evaluate(self, scope: Mapping[str, Any]) -> Any: ...


@dataclass
class ErrorCollector:
    """Collects errors where a run can go on, up to a limit, then fails once.

    ``add`` records an error; once ``limit`` errors are held, the next one raises the
    group at once, so a hopeless file does not produce a million messages.
    """

    limit: int = 100
    errors: list[ErengineError] = field(default_factory=list)
    dropped: int = 0

    def add(self, error: ErengineError) -> None:
        if len(self.errors) >= self.limit:
            self.dropped += 1
            raise self.as_group()
        self.errors.append(error)

    def value_of(self, expression: Evaluable, scope: Mapping[str, Any]) -> Any:
        """The expression's value, or ``None`` with its error collected (the run goes on)."""
        try:
            return expression.evaluate(scope)
        except ErengineError as error:
            self.add(error)
            return None

    def extend(self, errors: Iterable[ErengineError]) -> None:
        for error in errors:
            self.add(error)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def as_group(self) -> ErrorGroup:
        return ErrorGroup(tuple(self.errors), truncated=self.dropped > 0)

    def raise_if_any(self) -> None:
        if self.errors:
            raise self.as_group()


class ErrorGroup(ErengineError):
    """Several errors found in one pass; ``kind`` is that of the first error."""

    def __init__(self, errors: tuple[ErengineError, ...], *, truncated: bool = False) -> None:
        if not errors:
            raise ValueError("an ErrorGroup needs at least one error")
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first.code, f"{first.message}{more}")
        self.errors = errors
        self.truncated = truncated

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.errors[0].kind

    def __iter__(self) -> Iterator[ErengineError]:
        return iter(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def __str__(self) -> str:
        lines = [str(error) for error in self.errors]
        if self.truncated:
            lines.append("… stopped after the error limit; fix these and run again")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "errors": [error.to_dict() for error in self.errors],
            "truncated": self.truncated,
        }


def flatten(error: ErengineError) -> tuple[ErengineError, ...]:
    """The single errors inside ``error`` (itself when it is not a group)."""
    if isinstance(error, ErrorGroup):
        return tuple(e for inner in error.errors for e in flatten(inner))
    return (error,)
