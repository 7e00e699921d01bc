"""Source records of an outbound batch: their ids, and leaving out those already taken.

The id rule (docs/jobs.md): an item of the list at ``source.records`` (e.g.
``batches.payments``) is identified by the value at ``source.record_key`` inside it (e.g. an
invoice number) when the job names one, else by the sha256 of its content (canonical JSON).
The record's content hash is kept beside its id either way, so an audit can tell a record
that changed after it was paid.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from erengine.errors import ValidationError
from erengine.jobs.ledger import SourceRecord


def content_sha256(item: Any) -> str:
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_id(item: dict[str, Any], key_path: str | None) -> str:
    """The id of one record under the id rule above."""
    if key_path is None:
        return f"sha256:{content_sha256(item)}"
    value: Any = item
    for part in key_path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None or value == "":
        raise ValidationError(
            "VAL190",
            f"a source record has no `{key_path}`, which the job uses as the record id",
            rule="record_key",
            hint="fill it in the source, or drop `source.record_key` to use content hashes",
        )
    return f"key:{value}"


def select_new_records(
    data: dict[str, Any], list_path: str, key_path: str | None, taken: set[str]
) -> list[SourceRecord]:
    """Remove from ``data`` (in place) the records whose id is in ``taken``; return the rest.

    A list item left without records (a batch whose payments were all sent) is removed too:
    an empty batch is not a payment.
    """
    kept: list[SourceRecord] = []

    def keep(item: dict[str, Any]) -> bool:
        identity = record_id(item, key_path)
        if identity in taken:
            return False
        kept.append(SourceRecord(identity, content_sha256(item)))
        return True

    _filter_lists(data, list_path.split("."), keep)
    return kept


def _filter_lists(
    node: dict[str, Any], parts: list[str], keep: Callable[[dict[str, Any]], bool]
) -> bool:
    """Filter the list at ``parts`` under ``node``; True when anything is left."""
    head, rest = parts[0], parts[1:]
    items = node.get(head)
    if not isinstance(items, list):
        return False
    if rest:
        node[head] = [item for item in items if _filter_lists(item, rest, keep)]
    else:
        node[head] = [item for item in items if keep(item)]
    return bool(node[head])
