"""The NACHA benchmark still runs as the engine evolves: its functions at a small size.

No timing is asserted; what must hold is that the hand-written loop does the engine's work:
the same bytes written and the same items read.
"""

from __future__ import annotations

import importlib.util
import io
import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from erengine.expr.functions.checks import aba_check_digit

if TYPE_CHECKING:
    from bench import nacha_bench
else:
    # bench/ holds scripts, not an importable package: load the script from its file.
    _SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "nacha_bench.py"
    _spec = importlib.util.spec_from_file_location("nacha_bench", _SCRIPT)
    nacha_bench = importlib.util.module_from_spec(_spec)
    sys.modules["nacha_bench"] = nacha_bench  # dataclasses look their module up by name
    _spec.loader.exec_module(nacha_bench)

ENTRIES = 200


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Several batches, the last one short, at a size that runs in well under a second.
    monkeypatch.setattr(nacha_bench, "ENTRIES_PER_BATCH", 75)


def test_the_loop_computes_check_digits_as_the_engine_does() -> None:
    picks = random.Random(7).sample(range(10**8), 500)
    for first_eight in (f"{pick:08d}" for pick in picks):
        digit = nacha_bench.aba_check_digit(first_eight)
        assert digit == aba_check_digit(first_eight)
        assert nacha_bench.aba_valid(first_eight + str(digit))


def test_the_loop_writes_the_engines_bytes_and_reads_the_same_items(tmp_path: Path) -> None:
    engine_file, hand_file = tmp_path / "engine.ach", tmp_path / "hand.ach"
    nacha_bench.run_in_process("engine-write", ENTRIES, engine_file)
    nacha_bench.run_in_process("hand-write", ENTRIES, hand_file)
    assert engine_file.read_bytes() == hand_file.read_bytes()

    _, engine_summary = nacha_bench.run_in_process("engine-read", ENTRIES, engine_file)
    _, hand_summary = nacha_bench.run_in_process("hand-read", ENTRIES, engine_file)
    assert engine_summary == hand_summary
    assert engine_summary is not None
    assert (engine_summary.batches, engine_summary.entries, engine_summary.addenda) == (3, 200, 20)

    fmt = nacha_bench.engine_format()
    content = engine_file.read_bytes()
    engine_items = list(nacha_bench.engine_items(fmt, io.BytesIO(content)))
    reader = nacha_bench.HandReader(io.BytesIO(content))
    assert list(reader) == engine_items
    sample = nacha_bench.typed_sample(fmt)
    assert reader.root["created_at"] == sample["created_at"]
    assert reader.root["destination"] == sample["destination"]


def test_the_loop_refuses_a_wrong_batch_total(tmp_path: Path) -> None:
    engine_file = tmp_path / "engine.ach"
    nacha_bench.run_in_process("engine-write", ENTRIES, engine_file)
    lines = engine_file.read_bytes().split(b"\n")
    control = next(i for i, line in enumerate(lines) if line.startswith(b"8"))
    lines[control] = lines[control][:31] + b"9" + lines[control][32:]  # total debit
    with pytest.raises(nacha_bench.NachaLoopError, match="batch control"):
        list(nacha_bench.HandReader(io.BytesIO(b"\n".join(lines))))
