"""Fuzzing the NACHA reader with mutated corpus and generated files.

Whatever the bytes, reading ends in data or in erengine errors: never another exception, never
a hang. ``ERENGINE_FUZZ_EXAMPLES`` raises the number of examples for long campaigns.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erengine.engine import CompiledFormat, Engine
from erengine.errors import ErengineError

EXAMPLES = int(os.environ.get("ERENGINE_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def nacha() -> CompiledFormat:
    return Engine.from_folders().format("nacha@^1")


@pytest.fixture(scope="module")
def seeds(corpus: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((corpus / "nacha").glob("*.ach"))]


@st.composite
def mutations(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "line", "swap"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=120))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "line":
            lines = bytes(data).split(b"\n")
            index = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[index])
            data = bytearray(b"\n".join(lines))
        else:
            other = draw(st.integers(0, len(data) - 1))
            data[at], data[other] = data[other], data[at]
    return bytes(data)


def read_all(nacha: CompiledFormat, data: bytes) -> None:
    try:
        nacha.read_document(io.BytesIO(data), file_name="fuzz.ach")
    except ErengineError as error:
        assert str(error)  # every error renders, with its place
        assert error.to_dict()


@pytest.mark.corpus
def test_mutated_corpus_files_end_in_data_or_erengine_errors(
    nacha: CompiledFormat, seeds: list[bytes]
) -> None:
    @FUZZ
    @given(data=mutations(seeds))
    def run(data: bytes) -> None:
        read_all(nacha, data)

    run()


@FUZZ
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_end_in_erengine_errors(nacha: CompiledFormat, data: bytes) -> None:
    read_all(nacha, data)


@FUZZ
@given(
    lines=st.lists(
        st.sampled_from("1569789").flatmap(
            lambda kind: st.text(st.sampled_from("0123456789 ABCZ-"), min_size=93, max_size=93).map(
                lambda rest: kind + rest
            )
        ),
        max_size=25,
    )
)
def test_well_framed_records_with_random_content(nacha: CompiledFormat, lines: list[str]) -> None:
    read_all(nacha, "\n".join(lines).encode("ascii"))
