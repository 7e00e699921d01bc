"""The tokenizer over every MT940 file of the shared corpus, and over mutations of them."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erengine.codecs.swift import compile_notation
from erengine.codecs.swift.lines import ByteSource
from erengine.codecs.swift.tokenizer import SwiftField, SwiftMessage, iter_messages
from erengine.errors import ErengineError

from .conftest import MT940_DIR, MT940_TAGS, CorpusFile, corpus_files, tokenized

# The root `corpus` fixture fails in CI and skips elsewhere when the corpus is missing.
pytestmark = [pytest.mark.corpus, pytest.mark.usefixtures("corpus")]

FILES = corpus_files()
LINE_61 = compile_notation(
    "6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]CrLf[34x]", choices={"part3": ["C", "D", "RC", "RD"]}
)


def read_all(data: bytes, name: str, encoding: str) -> list[tuple[SwiftMessage, list[str]]]:
    messages = []
    for message in iter_messages(
        io.BytesIO(data), file_name=name, encoding=encoding, known_tags=MT940_TAGS
    ):
        tags = []
        for swift_field in message:
            tags.append(swift_field.tag)
            if swift_field.tag == "61":
                # Real banks break the standard; only the kind of error matters here.
                with contextlib.suppress(ErengineError):
                    message.read_field(swift_field, LINE_61)
        messages.append((message, tags))
    return messages


def test_the_manifest_lists_every_sample() -> None:
    listed = {file.path.name for file in FILES}
    present = {path.name for path in MT940_DIR.glob("*.sta")}
    assert listed == present
    # Only .sta samples and expected results of other parsers live beside them.
    others = {path.name for path in MT940_DIR.iterdir()} - present
    assert all(".expected." in name for name in others)


@pytest.mark.parametrize("corpus_file", FILES, ids=str)
def test_messages_and_61_lines_match_the_manifest(corpus_file: CorpusFile) -> None:
    messages = read_all(corpus_file.path.read_bytes(), corpus_file.path.name, corpus_file.encoding)
    statements = sum(tags.count("20") for _, tags in messages)
    assert statements == corpus_file.statements
    assert sum(tags.count("61") for _, tags in messages) == corpus_file.lines_61
    if corpus_file.statements:
        assert len(messages) == corpus_file.statements
        assert all(tags[0] == "20" for _, tags in messages)
    else:
        # A fragment without :20: is still one message, so its fields are not lost.
        assert len(messages) == 1


def test_the_split_tag_and_the_wrapped_timestamp_stay_in_their_fields() -> None:
    sparkasse = read_all((MT940_DIR / "wolph-self-sparkassen.sta").read_bytes(), "s", "utf-8")
    assert sparkasse[0][1] == ["61", "86"]
    wrapped = read_all((MT940_DIR / "wolph-self-wrapped_timestamp.sta").read_bytes(), "w", "utf-8")
    assert "26" not in wrapped[0][1]
    ing = read_all((MT940_DIR / "wolph-jejik-ing.sta").read_bytes(), "i", "utf-8")
    assert ing[0][0].preamble[-1] == "940 00"
    assert ing[0][0].terminated is True


def _mutate(data: bytes, draw: st.DataObject) -> bytes:
    kind = draw.draw(st.sampled_from(["truncate", "flip", "insert", "delete_line", "dup_line"]))
    if not data:
        return data
    at = draw.draw(st.integers(0, len(data) - 1))
    if kind == "truncate":
        return data[:at]
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ draw.draw(st.integers(1, 255))]) + data[at + 1 :]
    if kind == "insert":
        return data[:at] + draw.draw(st.binary(min_size=1, max_size=40)) + data[at:]
    lines = data.split(b"\n")
    index = at % len(lines)
    if kind == "delete_line":
        return b"\n".join(lines[:index] + lines[index + 1 :])
    return b"\n".join(lines[: index + 1] + lines[index:])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, max(len(FILES) - 1, 0)), st.data())
def test_mutated_corpus_files_raise_only_erengine_errors(index: int, draw: st.DataObject) -> None:
    corpus_file = FILES[index]
    data = corpus_file.path.read_bytes()
    for _ in range(draw.draw(st.integers(1, 4))):
        data = _mutate(data, draw)
    for encoding in ("utf-8", "latin-1"):
        with contextlib.suppress(ErengineError):
            read_all(data, corpus_file.path.name, encoding)


@pytest.mark.parametrize("corpus_file", FILES, ids=str)
def test_corpus_files_read_the_same_through_a_trickle(corpus_file: CorpusFile) -> None:
    """One byte at a time: line ends and multi-byte characters split across reads."""

    class Trickle:
        def __init__(self, path: Path) -> None:
            self.data = io.BytesIO(path.read_bytes())

        def read(self, size: int = -1, /) -> bytes:
            return self.data.read(1)

    def fields(stream: ByteSource) -> list[list[SwiftField]]:
        messages = iter_messages(
            stream, file_name="f", encoding=corpus_file.encoding, known_tags=MT940_TAGS
        )
        return [list(message) for message in messages]

    whole = fields(io.BytesIO(corpus_file.path.read_bytes()))
    assert fields(Trickle(corpus_file.path)) == whole
    assert sum(len(message) for message in whole) > 0


@pytest.mark.parametrize("strip", [False, True], ids=["as-is", "strip-trailing-spaces"])
@pytest.mark.parametrize("corpus_file", FILES, ids=str)
def test_the_quick_line_loop_reads_each_corpus_file_as_the_careful_one(
    corpus_file: CorpusFile, strip: bool
) -> None:
    data = corpus_file.path.read_bytes()
    options = {
        "encoding": corpus_file.encoding,
        "known_tags": MT940_TAGS,
        "strip_trailing_spaces": strip,
    }
    careful = tokenized(data, quick=False, **options)
    assert tokenized(data, quick=True, **options) == careful
    assert any(isinstance(record, list) and len(record) > 6 for record in careful)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, max(len(FILES) - 1, 0)), st.data())
def test_mutated_corpus_files_read_the_same_through_the_quick_and_the_careful_loop(
    index: int, draw: st.DataObject
) -> None:
    corpus_file = FILES[index]
    data = corpus_file.path.read_bytes()
    for _ in range(draw.draw(st.integers(1, 4))):
        data = _mutate(data, draw)
    options = {"encoding": "latin-1", "known_tags": MT940_TAGS}
    assert tokenized(data, quick=True, **options) == tokenized(data, quick=False, **options)
