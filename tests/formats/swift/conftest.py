"""Helpers of the SWIFT format tests: a shipped format's plan, and all a read gives."""

from __future__ import annotations

import copy
import io
from typing import Any

from erengine.codecs.plan_codec import CompiledPlanFormat
from erengine.codecs.swift.format_plan import SwiftPlan
from erengine.codecs.swift.reader import SwiftReader
from erengine.engine import Engine
from erengine.errors import ErengineError, flatten

ENGINE = Engine.from_folders()


def plan_of(name: str) -> SwiftPlan:
    compiled = ENGINE.format(name)
    assert isinstance(compiled.plan, CompiledPlanFormat)
    plan = compiled.plan.plan
    assert isinstance(plan, SwiftPlan)
    return plan


def outcome(plan: SwiftPlan, data: bytes, *, quick: bool, file_name: str = "t.sta") -> Any:
    """Everything a read gives: each item as it was yielded (its list, index and a copy of
    its data then), the file's data, the warnings, the records, each error's ``to_dict()``."""
    reader = SwiftReader(plan, io.BytesIO(data), file_name=file_name, attach=True, quick=quick)
    items: list[Any] = []
    errors: list[dict[str, Any]] = []
    try:
        for item in reader:
            items.append((item.list_path, item.index, copy.deepcopy(item.item)))
    except ErengineError as error:
        errors = [single.to_dict() for single in flatten(error)]
    return items, reader.root, reader.report.warnings, reader.report.records, errors
