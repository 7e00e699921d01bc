"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
CORPUS = REPOSITORY.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The public sample corpus beside the clone (``../shared/corpus``).

    CI always has it, so there its absence fails the run; elsewhere the corpus tests skip
    with the reason, rather than pass without reading anything.
    """
    if not CORPUS.is_dir():
        message = f"the sample corpus is not at {CORPUS} (clone next to shared/)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CORPUS
