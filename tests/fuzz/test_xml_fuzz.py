"""Fuzzing the XML reader with mutated camt and pain.001 corpus files.

Mutations work on what XML is made of: bytes flipped, the file cut, elements dropped,
duplicated or renamed, text replaced by foreign values, entity and DTD fragments spliced in.
Whatever comes out, reading ends in data or in erengine errors, never another exception.
``ERENGINE_FUZZ_EXAMPLES`` raises the number of examples for long campaigns.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erengine.codecs.xml.detect import formats_for_namespace, root_namespace
from erengine.engine import Engine
from erengine.errors import ErengineError

pytestmark = pytest.mark.corpus

EXAMPLES = int(os.environ.get("ERENGINE_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ENGINE = Engine.from_folders()
ELEMENT = re.compile(rb"<([A-Za-z]+)>[^<]*</\1>")
FOREIGN = [b"", b"x", b"-1", b"1e5", b"2024-13-45", b"&amp;", b"&lol;", b"\xff\xfe", b"<a>", b"]]>"]
SPLICES = [
    b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    b"<!ENTITY y 'z'>",
    b"&x;",
    b"<?pi x?>",
    b"<!-- c -->",
    b"\x00",
]


@pytest.fixture(scope="module")
def seeds(corpus: Path) -> list[tuple[str, bytes]]:
    found = []
    for family in ("camt052", "camt053", "camt054", "pain001", "pain002", "pain008"):
        for path in sorted((corpus / family).glob("*.xml")):
            if ".expected." in path.name:
                continue
            with path.open("rb") as stream:
                candidates = formats_for_namespace(ENGINE.catalog, root_namespace(stream))
            if candidates:
                found.append((candidates[0], path.read_bytes()))
    return found


@st.composite
def mutations(draw: st.DrawFn, seeds: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    reference, original = draw(st.sampled_from(seeds))
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        leaves = list(ELEMENT.finditer(bytes(data)))
        choice = draw(st.integers(0, 5))
        if choice == 0 and data:
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
        elif choice == 1 and data:
            del data[draw(st.integers(0, len(data) - 1)) :]
        elif choice == 2 and leaves:
            leaf = draw(st.sampled_from(leaves))
            del data[leaf.start() : leaf.end()]
        elif choice == 3 and leaves:
            leaf = draw(st.sampled_from(leaves))
            data[leaf.end() : leaf.end()] = leaf.group(0)
        elif choice == 4 and leaves:
            leaf = draw(st.sampled_from(leaves))
            name = leaf.group(1)
            value = draw(st.sampled_from(FOREIGN))
            data[leaf.start() : leaf.end()] = b"<%s>%s</%s>" % (name, value, name)
        else:
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.sampled_from(SPLICES))
    return reference, bytes(data)


@FUZZ
@given(data=st.data())
def test_only_erengine_errors_escape(seeds: list[tuple[str, bytes]], data: st.DataObject) -> None:
    reference, mutated = data.draw(mutations(seeds))
    compiled = ENGINE.format(reference)
    try:
        compiled.read_document(io.BytesIO(mutated), file_name="fuzzed.xml")
    except ErengineError as error:
        assert str(error)
