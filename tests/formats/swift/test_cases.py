"""Golden and error cases of the SWIFT MT formats (see tests/formats/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from erengine.engine import Engine

from ..conftest import FormatCase, load_cases, run_case

CASES = load_cases(Path(__file__).parent)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case: FormatCase, engine: Engine) -> None:
    run_case(case, engine.format(case.spec["format"]), "sta")
