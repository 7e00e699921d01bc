"""Fuzzing the MT940/MT942 formats with mutated corpus files.

Mutations work on what SWIFT files are made of: fields are dropped, duplicated or moved,
tags renamed, values cut or spliced with foreign bytes. Whatever comes out, reading ends in
data or in erengine errors, each with its place, and in bounded time (no regular expression
backtracks without bound). ``ERENGINE_FUZZ_EXAMPLES`` raises the number of examples.
"""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erengine.engine import CompiledFormat, Engine
from erengine.errors import ErengineError

from ..formats.swift.conftest import outcome, plan_of

EXAMPLES = int(os.environ.get("ERENGINE_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FORMATS = ("mt940@^1", "mt940-de@^2", "mt940-nl@^1", "mt942@^2")
_FIELD_START = re.compile(rb"(?m)^(?=:[0-9]{2}[A-Z]?:)")
# A file of a few KB reads in milliseconds; a second means something went quadratic.
SECONDS_PER_FILE = 2.0


@pytest.fixture(scope="module")
def formats() -> list[CompiledFormat]:
    engine = Engine.from_folders()
    return [engine.format(reference) for reference in FORMATS]


@pytest.fixture(scope="module")
def seeds(corpus: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted((corpus / "mt940").glob("*.sta"))]


@st.composite
def field_mutations(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    fields = _FIELD_START.split(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 5))):
        if not fields:
            break
        at = draw(st.integers(0, len(fields) - 1))
        kind = draw(st.sampled_from(["drop", "repeat", "move", "retag", "cut", "splice"]))
        if kind == "drop":
            del fields[at]
        elif kind == "repeat":
            fields.insert(at, fields[at])
        elif kind == "move":
            fields.insert(draw(st.integers(0, len(fields))), fields.pop(at))
        elif kind == "retag":
            tag = draw(st.sampled_from([b"20", b"25", b"28C", b"60F", b"61", b"86", b"62M", b"NS"]))
            fields[at] = re.sub(rb"^:[0-9A-Z]+:", b":" + tag + b":", fields[at])
        elif kind == "cut":
            fields[at] = fields[at][: draw(st.integers(0, len(fields[at])))]
        else:
            where = draw(st.integers(0, len(fields[at])))
            junk = draw(st.binary(min_size=1, max_size=80) | st.sampled_from([b",", b"?2", b"//"]))
            fields[at] = fields[at][:where] + junk + fields[at][where:]
    return b"".join(fields)


def read_all(compiled: CompiledFormat, data: bytes) -> None:
    started = time.perf_counter()
    try:
        compiled.read_document(io.BytesIO(data), file_name="fuzz.sta")
    except ErengineError as error:
        assert str(error)  # every error renders, with its place
        assert error.to_dict()
    assert time.perf_counter() - started < SECONDS_PER_FILE


@pytest.mark.corpus
def test_mutated_corpus_files_end_in_data_or_erengine_errors(
    formats: list[CompiledFormat], seeds: list[bytes]
) -> None:
    @FUZZ
    @given(data=field_mutations(seeds), which=st.integers(0, len(FORMATS) - 1))
    def run(data: bytes, which: int) -> None:
        read_all(formats[which], data)

    run()


@FUZZ
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_end_in_erengine_errors(formats: list[CompiledFormat], data: bytes) -> None:
    for compiled in formats:
        read_all(compiled, data)


def test_a_hostile_field_is_refused_in_bounded_time(formats: list[CompiledFormat]) -> None:
    hostile = (
        b":20:X\n:25:A\n:28C:1\n:60F:C240101EUR1,\n:61:"
        + b"1" * 9_000
        + b"\n:86:"
        + (b"?2" * 4_000)
        + b"\n-\n"
    )
    for compiled in formats:
        read_all(compiled, hostile)


@pytest.mark.corpus
def test_mutated_corpus_files_read_the_same_through_the_quick_and_the_careful_path(
    seeds: list[bytes],
) -> None:
    """Whatever the mutation, the quick paths give what the careful ones give: the same
    items, data, warnings and errors (each error's code, message and place)."""
    plans = [plan_of(reference) for reference in FORMATS]

    @FUZZ
    @given(data=field_mutations(seeds), which=st.integers(0, len(FORMATS) - 1))
    def run(data: bytes, which: int) -> None:
        careful = outcome(plans[which], data, quick=False)
        assert outcome(plans[which], data, quick=True) == careful

    run()
