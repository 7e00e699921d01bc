"""Unit tests of the SWIFT MT tokenizer on small hand-made files."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erengine.codecs.swift import compile_notation
from erengine.codecs.swift.tokenizer import SwiftMessage, _Scanner, iter_messages
from erengine.errors import ConfigError, ParseError

from .conftest import tokenized

Tagged = list[tuple[str, str]]


def messages(data: bytes, **options: object) -> list[SwiftMessage]:
    found = iter_messages(io.BytesIO(data), file_name="t.sta", **options)  # type: ignore[arg-type]
    return list(found)


def tagged(data: bytes, **options: object) -> list[Tagged]:
    found = iter_messages(io.BytesIO(data), file_name="t.sta", **options)  # type: ignore[arg-type]
    return [[(field.tag, field.value) for field in message] for message in found]


def refusal(data: bytes, **options: object) -> ParseError:
    with pytest.raises(ParseError) as caught:
        tagged(data, **options)
    return caught.value


def test_messages_without_envelope_split_at_terminator_or_next_start_tag() -> None:
    data = b"ABNANL2A\n940\n:20:ONE\n:25:123\n-\n:20:TWO\n:28C:1/1\n\n:20:THREE\n:61:x\n"
    assert tagged(data) == [
        [("20", "ONE"), ("25", "123")],
        [("20", "TWO"), ("28C", "1/1")],
        [("20", "THREE"), ("61", "x")],
    ]
    first, second, third = messages(data)
    assert first.preamble == ("ABNANL2A", "940")
    # iter_messages read each message to its end, so how each ended is known.
    assert (first.terminated, second.terminated, third.terminated) == (True, False, False)


def test_terminated_is_known_once_the_fields_are_read() -> None:
    found = iter_messages(io.BytesIO(b":20:A\n-\n:20:B\n"), file_name="t.sta")
    first = next(found)
    assert first.terminated is None
    assert [field.tag for field in first] == ["20"]
    assert first.terminated is True
    second = next(found)
    assert [field.tag for field in second] == ["20"]
    assert second.terminated is False


def test_continuation_lines_keep_their_line_breaks_and_file_lines() -> None:
    data = b":20:A\n:86:first\n second\n\nthird\n:62F:C1\n"
    message = next(iter_messages(io.BytesIO(data), file_name="t.sta"))
    details = next(field for field in message if field.tag == "86")
    assert details.value == "first\n second\nthird"
    assert details.value_lines == (2, 3, 5)
    assert (details.line, details.column, details.value_column) == (2, 1, 5)


def test_line_ends_crlf_cr_and_lf_and_a_missing_final_one() -> None:
    expected = [[("20", "A"), ("86", "x\ny")]]
    assert tagged(b":20:A\r\n:86:x\r\ny\r\n") == expected
    assert tagged(b":20:A\r:86:x\ry") == expected
    assert tagged(b":20:A\n:86:x\r\ny") == expected


def test_framing_bytes_and_byte_order_mark_are_skipped() -> None:
    assert tagged(b"\xef\xbb\xbf:20:A\n-\n") == [[("20", "A")]]
    assert tagged(b"\x01:20:A\n-\x03\n") == [[("20", "A")]]
    assert tagged(b"\x03\n\x01\n:20:A\n") == [[("20", "A")]]
    assert tagged(b":20:A\n:62F:C1\n\x1a") == [[("20", "A"), ("62F", "C1")]]


def test_the_preamble_keeps_the_last_lines_before_a_message() -> None:
    data = b"".join(b"junk %d\n" % number for number in range(40)) + b":20:A\n"
    (message,) = messages(data)
    assert message.preamble == tuple(f"junk {number}" for number in range(24, 40))


def test_known_tags_decide_what_is_a_tag() -> None:
    data = b":20:A\n:86:?24/PL 12-09-2014T16\n:26:37 Fo?25lgenr.\n:62F:C1\n"
    assert tagged(data, known_tags={"20", "86", "62F"}) == [
        [("20", "A"), ("86", "?24/PL 12-09-2014T16\n:26:37 Fo?25lgenr."), ("62F", "C1")]
    ]
    assert [tag for tag, _ in tagged(data)[0]] == ["20", "86", "26", "62F"]


def test_a_tag_split_after_its_colon_is_joined() -> None:
    assert tagged(b":61:1811261126CR\n30,00N\n:\n86:166?00GUT\n") == [
        [("61", "1811261126CR\n30,00N"), ("86", "166?00GUT")]
    ]
    # A lone ':' that does not start a tag is text.
    assert tagged(b":86:a\n:\nb\n") == [[("86", "a\n:\nb")]]


def test_terminators_and_hyphen_lines() -> None:
    assert tagged(b":20:A\n-XXX\n:20:B\n") == [[("20", "A")], [("20", "B")]]
    assert tagged(b":20:A\n:86:x\n-456 wrapped\n") == [[("20", "A"), ("86", "x\n-456 wrapped")]]
    assert tagged(b"-\n:20:A\n") == [[("20", "A")]]


def test_start_tag_can_be_turned_off() -> None:
    assert tagged(b":20:A\n:20:B\n", start_tag=None) == [[("20", "A"), ("20", "B")]]


def test_trailing_spaces_are_kept_unless_stripped() -> None:
    data = b":28C:00084/001 \n:86:x\n     \ny \n"
    assert tagged(data) == [[("28C", "00084/001 "), ("86", "x\n     \ny ")]]
    assert tagged(data, strip_trailing_spaces=True) == [[("28C", "00084/001"), ("86", "x\n\ny")]]


# -- envelopes -----------------------------------------------------------------------------

ENVELOPED = (
    b"{1:F01BANKBEBBAXXX0000000000}{2:O9401200111111BANKDEFFXXXX22222222221111111111N}"
    b"{3:{108:REF}}{4:\r\n:20:ONE\r\n:86:a\r\nb\r\n-}{5:{CHK:ABC}}\x03"
    b"\x01{1:F01X}{2:I942BANKDEFFXXXXN}{4::20:TWO\r\n-}\r\n{5:{CHK:DEF}}{S:{SPD:}}\r\n"
)


def test_envelope_blocks_header_and_trailer() -> None:
    found = iter_messages(io.BytesIO(ENVELOPED), file_name="t.fin")
    first = next(found)
    assert [(field.tag, field.value) for field in first] == [("20", "ONE"), ("86", "a\nb")]
    assert first.block("1") == "F01BANKBEBBAXXX0000000000"
    assert first.block("3") == "{108:REF}"
    assert first.block("5") == "{CHK:ABC}"
    assert first.message_type == "940"
    assert first.terminated is True
    second = next(found)
    fields = list(second)
    assert [(field.tag, field.value) for field in fields] == [("20", "TWO")]
    assert (fields[0].line, fields[0].column) == (5, 50)
    assert second.message_type == "942"
    assert (second.block("5"), second.block("S")) == ("{CHK:DEF}", "{SPD:}")
    assert next(found, None) is None


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [
        (b"{1:F01X\n", "PRS303", 1),
        (b"{1:F01X}junk{4:\n:20:A\n-}\n", "PRS303", 1),
        (b"{1:F01X}{4:\n:20:A\n:86:x\n", "PRS305", 1),
        (b"{1:F01X}{4:\n:20:A\n{1:F01Y}{4:\n:20:B\n-}\n", "PRS305", 3),
        (b"{1:F01X}{4:\nfree text\n:20:A\n-}\n", "PRS304", 2),
    ],
)
def test_broken_envelopes_are_errors(data: bytes, code: str, line: int) -> None:
    error = refusal(data)
    assert error.code == code, str(error)
    assert error.position.line == line
    assert error.position.file == "t.sta"


# -- encodings and limits ------------------------------------------------------------------


def test_undecodable_bytes_name_the_byte_offset_line_and_column() -> None:
    error = refusal(b":20:A\n:86:Gr\xfc\xdfe\n")
    assert error.code == "PRS301"
    assert error.position.byte_offset == 12
    assert (error.position.line, error.position.column) == (2, 7)
    assert "latin-1" in (error.hint or "")
    assert tagged(b":20:A\n:86:Gr\xfc\xdfe\n", encoding="latin-1")[0][1] == ("86", "Grüße")
    assert tagged(":20:A\n:86:Łódź\n".encode("iso8859-2"), encoding="iso8859-2")[0][1] == (
        "86",
        "Łódź",
    )


def test_utf16_files_read_like_any_other() -> None:
    assert tagged(":20:A\r\n:86:Grüße\r\n-\r\n".encode("utf-16"), encoding="utf-16") == [
        [("20", "A"), ("86", "Grüße")]
    ]


@pytest.mark.parametrize("encoding", ["no-such-codec", "base64", "rot13"])
def test_unknown_or_non_text_encoding_is_a_config_error(encoding: str) -> None:
    with pytest.raises(ConfigError) as caught:
        tagged(b":20:A\n", encoding=encoding)
    assert caught.value.code == "CFG655"


def test_limits_on_line_length_and_field_lines() -> None:
    assert refusal(b":20:" + b"A" * 200_000, max_line_length=10_000).code == "PRS302"
    assert refusal(b":86:a\n" + b"b\n" * 50, max_field_lines=20).code == "PRS306"


# -- positions and streaming ---------------------------------------------------------------


def test_read_field_places_notation_errors_in_the_file() -> None:
    line_61 = compile_notation("6!n[4!n]2a[1!a]15d1!a3!c[16x]", parts=[
        "value_date", "entry_date", "mark", "funds", "amount", "type", "code", "reference",
    ])  # fmt: skip
    data = b"{1:F01X}{4:\n:20:A\n:61:1105240524D9.50NTRF\n-}\n"
    message = next(iter_messages(io.BytesIO(data), file_name="t.fin"))
    (field,) = [field for field in message if field.tag == "61"]
    with pytest.raises(ParseError) as caught:
        message.read_field(field, line_61)
    error = caught.value
    assert error.code == "PRS326"
    assert (error.position.file, error.position.line, error.position.column) == ("t.fin", 3, 16)
    assert error.position.record == "message#1"
    assert error.position.field == "61.amount"


class _Statements:
    """A binary stream producing ``count`` statements on demand, never all at once."""

    def __init__(self, count: int) -> None:
        self.chunks = self._chunks(count)
        self.buffer = b""

    @staticmethod
    def _chunks(count: int) -> Iterator[bytes]:
        for number in range(count):
            yield (
                f":20:STMT{number}\n:25:123\n:28C:1/1\n:60F:C200101EUR0,\n"
                f":61:2001010101C1,NTRFNONREF\n:86:detail line one\nline two\n"
                f":62F:C200101EUR1,\n-\n"
            ).encode()

    def read(self, size: int = -1, /) -> bytes:
        while len(self.buffer) < size:
            chunk = next(self.chunks, b"")
            if not chunk:
                break
            self.buffer += chunk
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out


def test_memory_stays_flat_as_files_grow() -> None:
    def peak(count: int) -> int:
        tracemalloc.start()
        fields = 0
        for message in iter_messages(_Statements(count), file_name="big.sta"):
            fields += sum(1 for _ in message)
        _, highest = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert fields == count * 7
        return highest

    # Both sizes are far beyond one read chunk; ten times the statements, the same peak.
    small, large = peak(5_000), peak(50_000)
    assert large < small * 1.5


# -- the quick line loop against the careful one -----------------------------------------

# Lines that leave the quick loop (envelopes, terminators, split tags, control bytes, a new
# message, unknown tags, padding), beside ordinary ones.
TRICKY = [
    b":20:A\r\n:25:1\r\n:61:2001010101C1,NTRFNONREF\r\n:86:one\r\ntwo\r\n:62F:C1\r\n-\r\n",
    b":20:A\n:\n86:split tag\n:\nnot a tag\n:\n-\n",
    b"{1:F01X}{2:O940}{4:\n:20:A\n:86:x\n-}{5:{CHK:1}}\n{1:F01Y}{4::20:B\n-}\n{5:z}\n",
    b"{1:F01X}{4:\n:20:A\n{1:F01Y}{4:\n:20:B\n-}\n",
    b"{1:F01X}{4:\ntext first\n:20:A\n-}\n",
    b"{1:F01X}{4:\n:20:A\n:86:x\n",
    b":20:A\n:86:x\n-XXX\n:20:B\n:86:-not the end\n- \n:20:C\n-}\n",
    b"\x00:20:A\n\x1a\n:86:x\n\x01\n\x0c:62F:C1\n\x1a",
    b":20:A\n:86:x   \n   \n\t\n y \t\n:62F:C1  \n-\n",
    b":20:A\n:26:37 Fo\n:NS:22x\n:28C:1\n:20:B\n:20:C\n",
    b"  :20:A\n  :86:indented\n\t:61:tab\n:20:",
    b":20:A\n:86:1\n2\n3\n4\n5\n:62F:C1\n-\n",
    b"{not an envelope\n:20:A\n{oops\n-\n",
    b"ABNANL2A\n940\n:940:\n:20:A\n:86:x\n\n\n-\r\n\r\n",
    b":20:A\n:86:x\n:NSx\n:20A\n:2:x\n:123:x\n::\n:20C:y\n:NS:z\n:86::\n",
]
OPTIONS = [
    {},
    {"strip_trailing_spaces": True},
    {"known_tags": ["20", "25", "28C", "61", "62F", "86"]},
    {"start_tag": None, "max_field_lines": 3},
]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("data", TRICKY, ids=lambda data: repr(data[:24]))
def test_the_quick_line_loop_gives_the_careful_loops_messages_fields_and_errors(
    data: bytes, options: dict[str, Any]
) -> None:
    careful = tokenized(data, quick=False, **options)
    assert tokenized(data, quick=True, **options) == careful
    assert careful  # something was read or refused


_PIECES = st.sampled_from(
    [":20:", ":86:", ":61:", ":62F:", ":26:", ":NS:", ":", "-", "-}", "-XXX", "{1:A}", "{4:",
     "{5:B}", "86:", "\x1a", "\x00", " ", "\t", "x", "?20", "/NAME/", "20", "}"]
)  # fmt: skip
_LINES = st.lists(
    st.lists(_PIECES | st.text("ab :-{}\t", max_size=3), max_size=4).map("".join), max_size=14
)


@settings(max_examples=300, deadline=None)
@given(_LINES, st.sampled_from(["\n", "\r\n", "\r"]), st.sampled_from(OPTIONS))
def test_any_lines_read_the_same_through_the_quick_and_the_careful_loop(
    lines: list[str], end: str, options: dict[str, Any]
) -> None:
    data = end.join(lines).encode()
    assert tokenized(data, quick=True, **options) == tokenized(data, quick=False, **options)


def test_ordinary_lines_do_not_go_the_careful_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """The switch is real: with the quick loop on, only the lines it leaves go careful."""
    careful_lines: list[str] = []
    inside_line = _Scanner.inside_line

    def counted(self: _Scanner, number: int, text: str, indent: int) -> list[Any]:
        careful_lines.append(text)
        return inside_line(self, number, text, indent)

    monkeypatch.setattr(_Scanner, "inside_line", counted)
    data = b":20:A\n:25:1\n:61:2001010101C1,NTRFNONREF\n:86:one\ntwo\n:62F:C1\n-\n"
    tokenized(data, quick=True)
    assert careful_lines == [":20:A", "-"]  # the line opening the message, and its end
    careful_lines.clear()
    tokenized(data, quick=False)
    assert len(careful_lines) == 7


def test_a_line_too_long_is_refused_once_the_lines_before_it_are_read() -> None:
    data = b":20:A\r\n:86:x\r\n" + b"y" * 50 + b"\r\n:62F:C1\r\n"
    for quick in (True, False):
        *read, refused = tokenized(data, quick=quick, max_line_length=20)
        assert [field.tag for field in read[0][4:]] == ["20"]
        assert (refused["code"], refused["position"]["line"]) == ("PRS302", 3)


@pytest.mark.parametrize(
    "data",
    [
        b":20:A\n:86:x\ny\n",
        b":20:A\r\n:86:x\r\ny\r\n",
        b":20:A\r:86:x\ry\r",
        b":20:A\n:86:x\r\ny\r",
    ],
    ids=["lf", "crlf", "cr", "mixed"],
)
def test_every_kind_of_line_end_gives_the_same_lines(data: bytes) -> None:
    assert tagged(data) == [[("20", "A"), ("86", "x\ny")]]
