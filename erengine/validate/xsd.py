"""XSD lookup on a schema path, and streaming validation of XML files against a schema.

Banks hand out their own XSD variants, so schemas are not shipped in code: a format names its
schema file (`file.schema`) and it is looked up in the folders given with ``--schema-dir``
(first), then in ``ERENGINE_SCHEMA_PATH`` (folders separated like ``PATH``). Validation streams
(``iterparse`` with the schema), clearing what it checked, so a million-payment file is
validated in flat memory. Schema and data are parsed with the same hardening as the reader.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from erengine.codecs.xml.hardening import iterparse
from erengine.errors import DataPosition, ErrorGroup, ValidationError

SCHEMA_PATH_ENV = "ERENGINE_SCHEMA_PATH"


def schema_folders(extra: Sequence[Path] = ()) -> tuple[Path, ...]:
    """``extra`` (from ``--schema-dir``) first, then the folders of ERENGINE_SCHEMA_PATH."""
    from_env = os.environ.get(SCHEMA_PATH_ENV, "")
    return (*extra, *(Path(part) for part in from_env.split(os.pathsep) if part))


def find_schema(name: str, folders: Sequence[Path]) -> Path | None:
    """The first ``folder/name`` that exists, or None."""
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=32)
def load_schema(path: Path) -> Any:
    """The compiled schema (cached: compiling pain.001's XSD takes longer than a small file)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.XMLSchema(etree.parse(str(path), parser))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise ValidationError(
            "VAL221",
            f"the schema {path} cannot be used: {exc}",
            rule="xsd.schema",
            position=DataPosition(file=str(path)),
        ) from None


#: Above this size an invalid file reports the first violation only (found while streaming);
#: below it the whole document is parsed once more to list every violation with its line.
FULL_REPORT_BYTES = 50_000_000


def validate_file(
    path: Path, schema_path: Path, *, file_name: str | None = None, limit: int = 20
) -> list[ValidationError]:
    """The XSD violations of the document at ``path`` (up to ``limit``); [] when valid."""
    schema = load_schema(schema_path)
    name = file_name or str(path)
    with path.open("rb") as stream:
        first = _first_violation(stream, schema)
    if first is None:
        return []
    if path.stat().st_size > FULL_REPORT_BYTES:
        return [_problem(first.message, None, None, schema_path, name)]
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        document = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        return [_problem(str(exc), exc.lineno, None, schema_path, name)]
    schema.validate(document)
    return [
        _problem(entry.message, entry.line, entry.path, schema_path, name)
        for entry in list(schema.error_log)[:limit]
    ] or [_problem(first.message, None, None, schema_path, name)]


def _first_violation(stream: BinaryIO, schema: Any) -> Any:
    events = iterparse(stream, ("end",), schema)
    try:
        for _, element in events:
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        return exc.error_log.last_error or exc
    return None


def _problem(
    message: str, line: int | None, xpath: str | None, schema_path: Path, file_name: str
) -> ValidationError:
    return ValidationError(
        "VAL220",
        f"not valid against {schema_path.name}: {message}",
        rule="xsd",
        position=DataPosition(file=file_name, line=line or None, xpath=xpath),
    )


def check_against_schema(
    path: Path, schema_name: str, folders: Sequence[Path], *, file_name: str | None = None
) -> Path | None:
    """Validate ``path`` against ``schema_name`` found on ``folders``.

    Returns the schema used, or None when none was found (the caller says so plainly);
    raises an ErrorGroup of VAL220 errors when the document is not valid.
    """
    schema_path = find_schema(schema_name, folders)
    if schema_path is None:
        return None
    problems = validate_file(path, schema_path, file_name=file_name)
    if problems:
        raise ErrorGroup(tuple(problems))
    return schema_path
