"""The one way erengine parses XML: streaming, and closed to entity and DTD tricks.

No entity resolution, no DTD loading, no network, no ``huge_tree``, never ``recover``: the
reader, format detection and XSD validation all parse through here, so none can drift.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from lxml import etree


def iterparse(
    stream: BinaryIO,
    events: tuple[str, ...],
    schema: Any = None,
    tags: tuple[str, ...] | None = None,
) -> Any:
    """``lxml.etree.iterparse`` over ``stream`` with the hardening (and ``schema``, if given;
    ``tags``: events of elements with these tags only)."""
    options: dict[str, Any] = {"schema": schema} if schema is not None else {}
    if tags is not None:
        options["tag"] = tags
    return etree.iterparse(
        stream,
        events=events,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        **options,
    )
