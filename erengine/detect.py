"""Which formats of the catalog read a file: `erengine parse --detect`.

XML messages name themselves by their root namespace (camt.053.001.02, pain.001.001.09 ...);
SWIFT MT statements by their tags or application header. The answer is the catalog's formats
for that message, the plain one first and bank variants after it; a bank overlay is chosen by
naming it (`erengine parse --detect mt940-de FILE`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erengine.codecs.swift import detect as looks_like_swift
from erengine.codecs.xml.detect import formats_for_namespace, message_name, root_namespace
from erengine.config.catalog import Catalog
from erengine.errors import DataPosition, ErengineError, ParseError

_HEAD_BYTES = 16 * 1024
_MT942 = re.compile(rb"\{2:[IO]942|[\r\n]:(?:34F|13D):")


@dataclass(frozen=True, slots=True)
class Detection:
    message: str  # "camt.053.001.02", "MT940" ...
    formats: tuple[str, ...]  # catalog references (name@version) that read it, best first


def detect(catalog: Catalog, path: Path) -> Detection:
    """The message in ``path`` and the formats that read it; a ParseError when none does."""
    with path.open("rb") as stream:
        head = stream.read(_HEAD_BYTES)
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            stream.seek(0)
            namespace = root_namespace(stream, file_name=str(path))
            found = Detection(
                message_name(namespace) if namespace else "XML without a namespace",
                tuple(formats_for_namespace(catalog, namespace)),
            )
        elif looks_like_swift(head):
            message = "942" if _MT942.search(head) else "940"
            found = Detection(f"MT{message}", _swift_formats(catalog, message))
        else:
            found = Detection("records of fixed width", _fixed_formats(catalog, head))
    if not found.formats:
        raise ParseError(
            "PRS180",
            f"no format in the catalog reads this file ({found.message})",
            position=DataPosition(file=str(path)),
            hint="name the format: erengine parse FORMAT FILE",
        )
    return found


def _swift_formats(catalog: Catalog, message: str) -> tuple[str, ...]:
    found: list[tuple[bool, str, str]] = []
    for entry in catalog.list("format"):
        try:
            spec: Any = catalog.resolve_entry(entry).spec
        except ErengineError:
            continue  # a broken configuration is reported by `validate`, not here
        if getattr(spec.file, "type", None) == "swift" and spec.file.message == message:
            plain = entry.name == f"mt{message}"
            found.append((not plain, entry.name, entry.label))
    return tuple(label for _, _, label in sorted(found))


def _fixed_formats(catalog: Catalog, head: bytes) -> tuple[str, ...]:
    """Fixed-width formats whose first record (its width and constants) is the file's first."""
    first_line = head.split(b"\n", 1)[0].removesuffix(b"\r")
    found: list[str] = []
    for entry in catalog.list("format"):
        try:
            spec: Any = catalog.resolve_entry(entry).spec
        except ErengineError:
            continue
        if getattr(spec.file, "type", None) != "fixed":
            continue
        text = first_line[: spec.file.width].decode(spec.file.encoding, errors="replace")
        record = spec.structure[0]
        while not hasattr(record, "fields"):  # a group: its first record starts the file
            record = record.structure[0]
        if len(text) == spec.file.width and _constants_match(record.fields, text):
            found.append(entry.label)
    return tuple(found)


def _constants_match(fields: Any, text: str) -> bool:
    column = 0
    for field in fields:
        if field.const is not None and text[column : column + field.len] != field.const:
            return False
        column += field.len or 0
    return True


def choose(detection: Detection, wanted: str | None, catalog: Catalog) -> str:
    """The format to read with: the best candidate, or ``wanted`` when it reads the message."""
    if wanted is None:
        return detection.formats[0]
    name = wanted.partition("@")[0]
    chosen = catalog.find(wanted, "format")
    if chosen.label not in detection.formats:
        raise ParseError(
            "PRS181",
            f"format {name} does not read {detection.message}",
            hint=f"formats that do: {', '.join(detection.formats)}",
        )
    return chosen.label
