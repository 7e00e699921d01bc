"""Which XML message a file holds, from the namespace of its root element.

ISO 20022 namespaces end in the message identifier (``urn:iso:std:iso:20022:tech:xsd:
camt.053.001.02``); bank variants use their own (``…/pain.001.001.03.ch.02.xsd``). Only the
root is read, with the reader's hardening, so detection costs nothing on large files.
"""

from __future__ import annotations

from typing import BinaryIO

from lxml import etree

from erengine.codecs.xml.hardening import iterparse
from erengine.config.catalog import Catalog
from erengine.config.schema.xml import XmlFormatDocument
from erengine.errors import DataPosition, ErengineError, ParseError


def root_namespace(stream: BinaryIO, *, file_name: str | None = None) -> str | None:
    """The namespace of the document element (None when it has none)."""
    events = iterparse(stream, ("start",))
    try:
        for _, element in events:
            tag = str(element.tag)
            return tag[1:].partition("}")[0] if tag.startswith("{") else None
    except etree.XMLSyntaxError as exc:
        raise ParseError(
            "PRS201",
            f"not well-formed XML: {exc.msg}",
            position=DataPosition(file=file_name, line=exc.lineno),
        ) from None
    raise ParseError(
        "PRS201", "the file holds no XML document", position=DataPosition(file=file_name)
    )


def message_name(namespace: str) -> str:
    """``urn:…:camt.053.001.02`` -> ``camt.053.001.02``; ``…/pain.001.001.03.ch.02.xsd`` ->
    ``pain.001.001.03.ch.02``."""
    last = namespace.replace(":", "/").rstrip("/").rsplit("/", 1)[-1]
    return last.removesuffix(".xsd")


def formats_for_namespace(catalog: Catalog, namespace: str | None) -> list[str]:
    """References (``name@version``) of the XML formats that read ``namespace``, best first:
    a format named after the message, then the others by name."""
    found: list[tuple[bool, str, str]] = []
    for entry in catalog.list("format"):
        try:
            spec = catalog.resolve_entry(entry).spec
        except ErengineError:
            continue  # a broken configuration is reported by `validate`, not here
        if not isinstance(spec, XmlFormatDocument):
            continue
        accepted = {spec.file.namespace, *(n or None for n in spec.file.accept_namespaces)}
        if namespace in accepted:
            named = namespace is not None and entry.name == message_name(namespace)
            found.append((not named, entry.name, entry.label))
    return [label for _, _, label in sorted(found)]
