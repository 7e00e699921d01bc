"""Model data files chosen by suffix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from erengine.errors import ParseError
from erengine.io import read_data, write_data
from erengine.model import ModelPlan


@pytest.mark.parametrize("suffix", [".json", ".csv", ".avro"])
def test_files_by_suffix(
    payments: ModelPlan, sample: dict[str, Any], tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"data{suffix}"
    write_data(payments, sample, path)
    assert read_data(payments, path) == sample


def test_unknown_suffix(payments: ModelPlan, sample: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ParseError) as caught:
        write_data(payments, sample, tmp_path / "data.txt")
    assert caught.value.code == "PRS188"
    with pytest.raises(ParseError):
        write_data(payments, sample, tmp_path / "data.yaml")
