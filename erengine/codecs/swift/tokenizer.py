"""SWIFT MT files into messages, and messages into ``(tag, value, line, column)`` fields.

Streaming: the file is read line by line, a message is an iterator over its fields, and
only the field being assembled is held in memory. Real files are untidy, so the rules are
tolerant where banks differ and strict where a difference would lose data:

* Messages come with the envelope ``{1:…}{2:…}{3:…}{4:`` … ``-}{5:…}`` or without one.
* Outside messages, free text (bank preambles such as ``ABNANL2A``, ``940``, ``:940:``),
  blank lines, stray control bytes (SOH, ETX, SUB, NUL) and a byte order mark are skipped;
  the free-text lines just before a message are kept as its ``preamble``.
* A message ends at a line ``-`` (or ``-}`` with the trailer blocks, or ``-`` followed only
  by capital letters, as ING's ``-XXX``), at the next start tag (``:20:``) when it has no
  envelope, or at the end of the file. A ``-`` followed by anything else is text: banks
  wrap ``:86:`` so that a line may start with a hyphen.
* A tag line starts with ``:TAG:`` where TAG is two digits and an optional capital letter,
  or ``NS``. When ``known_tags`` is given, only those tags are tags: ``:26:37 Fo`` in the
  middle of a wrapped ``:86:`` is then text, not a new field.
* Any other line continues the previous field, the line break kept as ``\\n``. Empty lines
  are skipped everywhere; lines of blanks are kept (they are text in a ``6*65x`` field).
* A line holding only ``:`` directly followed by a line ``86:…`` is one tag line split in two.
* An envelope that opens block 4 but never closes it is a truncated file: an error.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from erengine.codecs.swift.lines import ByteSource, decoded_lines
from erengine.codecs.swift.notation import FieldNotation
from erengine.errors import DataPosition, ParseError

BAD_ENVELOPE = "PRS303"
TEXT_BEFORE_FIRST_TAG = "PRS304"
MESSAGE_NOT_CLOSED = "PRS305"
FIELD_TOO_LONG = "PRS306"

_TAG_LINE = re.compile(r":(\d\d[A-Z]?|NS):")
_TAG_NAME = re.compile(r"\d\d[A-Z]?|NS")
_SPLIT_TAG_REST = re.compile(r"(\d\d[A-Z]?|NS):")
_ENVELOPE_START = re.compile(r"\{[0-9A-Z]{1,3}:")
# Bytes that transmission software and editors leave around messages (NUL, SOH, STX, ETX,
# EOT, form feed, the DOS end-of-file SUB, a byte order mark), never message text.
_CONTROLS = "\x00\x01\x02\x03\x04\x0c\x1a\ufeff"
_FRAMING = " \t" + _CONTROLS
_TRAILER_BLOCKS = frozenset({"5", "S"})
_PREAMBLE_LINES = 16


@dataclass(frozen=True, slots=True)
class EnvelopeBlock:
    """One ``{id:content}`` block of the envelope; ``content`` as written, nested braces too."""

    id: str
    content: str


class SwiftField(NamedTuple):
    """One tag and its value; ``line``/``column`` are where its ``:`` stands in the file.

    A named tuple, not a frozen dataclass: one is made per field of every file read, and a
    tuple is several times cheaper to build.
    """

    tag: str
    value: str  # lines joined with "\n"
    line: int
    column: int
    value_lines: tuple[int, ...]  # the file line of each line of the value
    value_column: int  # the column where the value starts on its first line


@dataclass(frozen=True, slots=True)
class _MessageStart:
    line: int
    header: tuple[EnvelopeBlock, ...]
    preamble: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _MessageEnd:
    terminated: bool
    trailer: tuple[EnvelopeBlock, ...] = ()


_Event = _MessageStart | SwiftField | _MessageEnd


class SwiftMessage:
    """One message: iterate it for its fields (once). ``trailer`` and ``terminated`` are
    known once the fields are exhausted; ``iter_messages`` skips what a caller leaves."""

    __slots__ = (
        "_done",
        "_events",
        "file_name",
        "header",
        "index",
        "line",
        "preamble",
        "terminated",
        "trailer",
    )

    def __init__(
        self, file_name: str, index: int, start: _MessageStart, events: Iterator[_Event]
    ) -> None:
        self.file_name = file_name
        self.index = index  # 1-based within the file
        self.line = start.line
        self.header = start.header
        self.preamble = start.preamble
        self.trailer: tuple[EnvelopeBlock, ...] = ()
        self.terminated: bool | None = None  # ended with "-" (True) or not (False)
        self._events = events
        self._done = False

    def __iter__(self) -> Iterator[SwiftField]:
        # A generator: resuming one costs less than a call of ``__next__`` per field.
        if self._done:
            return
        for event in self._events:
            if isinstance(event, SwiftField):
                yield event
                continue
            assert isinstance(event, _MessageEnd), "a message start inside a message"
            self._done = True
            self.terminated = event.terminated
            self.trailer = event.trailer
            return

    def block(self, block_id: str) -> str | None:
        """The content of envelope block ``block_id`` ('1', '2', '3', '5', 'S'), if present."""
        for block in (*self.header, *self.trailer):
            if block.id == block_id:
                return block.content
        return None

    @property
    def message_type(self) -> str | None:
        """'940' from an application header ``{2:O940…}`` or ``{2:I940…}``; None without."""
        application = self.block("2")
        if application and application[:1] in ("I", "O") and application[1:4].isdigit():
            return application[1:4]
        return None

    def position(self, swift_field: SwiftField) -> DataPosition:
        """Where ``swift_field``'s value starts, for errors about it."""
        return DataPosition(
            file=self.file_name,
            line=swift_field.value_lines[0],
            column=swift_field.value_column,
            record=f"message#{self.index}",
            field=swift_field.tag,
        )

    def read_field(self, swift_field: SwiftField, notation: FieldNotation) -> dict[str, str]:
        """``notation.read`` of the field's value, errors placed in the file."""
        return notation.read(
            swift_field.value,
            position=self.position(swift_field),
            line_numbers=swift_field.value_lines,
        )


def iter_messages(
    stream: ByteSource,
    *,
    file_name: str,
    encoding: str = "utf-8",
    known_tags: Collection[str] | None = None,
    start_tag: str | None = "20",
    strip_trailing_spaces: bool = False,
    max_line_length: int = 10_000,
    max_field_lines: int = 1_000,
    quick: bool = True,
) -> Iterator[SwiftMessage]:
    """The messages of an MT file read from ``stream`` (binary), one at a time.

    ``known_tags`` limits what counts as a tag line (see the module doc); ``start_tag``
    opens a new message when a message without envelope has no terminator (None: never);
    ``strip_trailing_spaces`` removes blanks some banks pad lines with. ``quick=False``
    sends every line the careful way (tests compare both; the fields are the same).
    """
    lines = decoded_lines(
        stream, file_name=file_name, encoding=encoding, max_line_length=max_line_length
    )
    scanner = _Scanner(
        file_name,
        frozenset(known_tags) if known_tags is not None else None,
        start_tag,
        strip_trailing_spaces,
        max_field_lines,
        quick,
    )
    events = scanner.events(lines)
    for index, event in enumerate(events, start=1):
        assert isinstance(event, _MessageStart), "fields outside a message"
        message = SwiftMessage(file_name, index, event, events)
        yield message
        for _ in message:
            pass  # skip what the caller did not read


@dataclass(slots=True)
class _FieldDraft:
    tag: str
    line: int
    column: int
    value_column: int
    lines: list[str]
    line_numbers: list[int]

    def done(self) -> SwiftField:
        lines = self.lines
        value = lines[0] if len(lines) == 1 else "\n".join(lines)
        numbers = tuple(self.line_numbers)
        # ``tuple.__new__`` directly: the named tuple's own ``__new__`` is a call more.
        return _new_field(
            SwiftField, (self.tag, value, self.line, self.column, numbers, self.value_column)
        )


_new_field = tuple.__new__


@dataclass(slots=True)
class _Scanner:
    """The state machine from lines to events."""

    file_name: str
    known_tags: frozenset[str] | None
    start_tag: str | None
    strip_trailing_spaces: bool
    max_field_lines: int
    quick: bool = True  # ordinary lines read inline in ``events``
    inside: bool = False
    enveloped: bool = False
    has_fields: bool = False
    draft: _FieldDraft | None = None
    split_colon_line: int | None = None
    header: list[EnvelopeBlock] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    pending_end: _MessageEnd | None = None
    message_line: int = 0

    def events(self, lines: Iterator[tuple[int, str]]) -> Iterator[_Event]:
        # The lines of nearly every file are tag lines of known tags and their continuation
        # lines; those are read here inline. Anything else (envelopes, terminators, a new
        # message, a tag split over two lines, a field too long, stray control bytes) goes
        # to ``inside_line``/``outside_line``, which give the same events for every line.
        known, start_tag, strip = self.known_tags, self.start_tag, self.strip_trailing_spaces
        controls, max_lines = _CONTROLS, self.max_field_lines
        quick = self.quick
        # A tag line is ':', a tag name, ':' (``_TAG_LINE``): the text before the second
        # ':' is looked up among the known tags that are tag names, or else matched.
        names = None if known is None else {tag for tag in known if _TAG_NAME.fullmatch(tag)}
        is_name = _TAG_NAME.fullmatch
        # The field the quick path is reading, in locals: its tag, where its tag and value
        # start, its lines and their numbers (``values`` None: none). The careful path keeps
        # it in ``self.draft``; it passes from one to the other before either reads a line.
        name, line_number, column, value_column = "", 0, 0, 0
        values: list[str] | None = None
        numbers: list[int] = []
        # What only the careful way changes, taken again after each of its lines: whether a
        # message is open, and whether lines may be read inline (``quick``, and no tag split
        # over two lines pending).
        inside, inline = self.inside, quick
        for number, text in lines:
            if inside:
                first = text[:1]
                # ``controls`` is a str, which holds '': an empty line goes the careful way.
                if inline and first not in controls:
                    line = text.rstrip(" \t") if strip else text
                    if first == ":":
                        end = line.find(":", 1)
                        found = line[1:end]
                        if (
                            end > 0
                            and (found in names if names is not None else is_name(found))
                            and (found != start_tag or not self.has_fields or self.enveloped)
                        ):
                            if values is not None:
                                yield _new_field(
                                    SwiftField,
                                    (
                                        name,
                                        values[0] if len(values) == 1 else "\n".join(values),
                                        line_number,
                                        column,
                                        tuple(numbers),
                                        value_column,
                                    ),
                                )
                            name, line_number, column, value_column = found, number, 1, end + 2
                            values, numbers = [line[end + 1 :]], [number]
                            self.has_fields = True
                            continue
                    elif first not in "-{" and values is not None and len(values) < max_lines:
                        values.append(line)
                        numbers.append(number)
                        continue
                if values is not None:
                    self.draft = _FieldDraft(
                        name, line_number, column, value_column, values, numbers
                    )
                    values = None
                yield from self.inside_line(number, text, 0)
            else:
                yield from self.outside_line(number, text)  # no field is being read
            inside, inline = self.inside, quick and self.split_colon_line is None
            draft = self.draft
            if quick and draft is not None:
                self.draft = None
                name, line_number, column = draft.tag, draft.line, draft.column
                value_column, values, numbers = draft.value_column, draft.lines, draft.line_numbers
        if values is not None:
            self.draft = _FieldDraft(name, line_number, column, value_column, values, numbers)
        if self.inside:
            if self.enveloped:
                raise self.error(
                    MESSAGE_NOT_CLOSED,
                    "the file ends inside block 4 of a message: it is truncated",
                    self.message_line,
                    1,
                    expected="'-}' closing the message",
                    found="the end of the file",
                )
            yield from self.end_message(_MessageEnd(terminated=False))
        if self.pending_end is not None:
            yield self.pending_end

    # -- outside messages ---------------------------------------------------------------

    def outside_line(self, number: int, raw: str, indent: int = 0) -> list[_Event]:
        out: list[_Event] = []
        # Trailing blanks of a tag line are its value's; only the start is framing.
        line = raw.lstrip(_FRAMING)
        text = line.rstrip(_FRAMING)
        if not text:
            return out
        column = indent + len(raw) - len(line) + 1
        blocks: list[EnvelopeBlock] = []
        opened: str | None = None
        if text.startswith("{"):
            blocks, opened = self.envelope(line, number, column)
        if self.pending_end is not None:
            # Trailer blocks ({5:…}, {S:…}) may stand on the lines after the terminator.
            trailing = 0
            while trailing < len(blocks) and blocks[trailing].id in _TRAILER_BLOCKS:
                trailing += 1
            end = self.pending_end
            self.pending_end = _MessageEnd(end.terminated, (*end.trailer, *blocks[:trailing]))
            del blocks[:trailing]
            if not blocks and opened is None and text.startswith("{"):
                return out
            out.append(self.pending_end)
            self.pending_end = None
        if text.startswith("{"):
            self.header.extend(blocks)
            if opened is not None:
                out.append(self.start_message(number, enveloped=True))
                rest = opened.lstrip(_FRAMING)
                if rest.rstrip(_FRAMING):
                    out.extend(self.inside_line(number, rest, column - 1 + len(line) - len(rest)))
            return out
        tag = _TAG_LINE.match(text)
        if tag is not None and self.is_known(tag.group(1)):
            out.append(self.start_message(number, enveloped=False))
            out.extend(self.inside_line(number, line, column - 1))
            return out
        if _is_terminator(text):
            return out  # a stray terminator with no message, as some files begin
        self.preamble.append(text)
        if len(self.preamble) > _PREAMBLE_LINES:
            del self.preamble[0]
        return out

    def envelope(
        self, text: str, number: int, column: int
    ) -> tuple[list[EnvelopeBlock], str | None]:
        """The blocks on a line; when block 4 opens, also the text after ``{4:``."""
        blocks: list[EnvelopeBlock] = []
        position = 0
        while position < len(text):
            opener = _ENVELOPE_START.match(text, position)
            if opener is None:
                raise self.error(
                    BAD_ENVELOPE,
                    "unexpected text in the envelope",
                    number,
                    column + position,
                    expected="a block such as {1:…}, {2:…} or {4:",
                    found=text[position : position + 24],
                )
            block_id = opener.group()[1:-1]
            if block_id == "4":
                return blocks, text[opener.end() :]
            end = _closing_brace(text, opener.end())
            if end is None:
                raise self.error(
                    BAD_ENVELOPE,
                    f"envelope block {{{block_id}: is not closed on its line",
                    number,
                    column + position,
                    expected="'}'",
                    found=text[position : position + 24],
                )
            blocks.append(EnvelopeBlock(block_id, text[opener.end() : end]))
            position = end + 1
            while position < len(text) and text[position] in _FRAMING:
                position += 1
        return blocks, None

    def start_message(self, number: int, *, enveloped: bool) -> _MessageStart:
        start = _MessageStart(number, tuple(self.header), tuple(self.preamble))
        self.header.clear()
        self.preamble.clear()
        self.inside = True
        self.enveloped = enveloped
        self.has_fields = False
        self.message_line = number
        return start

    # -- inside a message ---------------------------------------------------------------

    def inside_line(self, number: int, text: str, indent: int) -> list[_Event]:
        out: list[_Event] = []
        if not text.strip(_CONTROLS):
            return out  # empty, or only a stray control byte such as the DOS end-of-file mark
        if self.strip_trailing_spaces:
            text = text.rstrip(" \t")
        if self.split_colon_line is not None:
            colon_line, self.split_colon_line = self.split_colon_line, None
            rest = _SPLIT_TAG_REST.match(text)
            if rest is not None and self.is_known(rest.group(1)):
                done = self.open_field(
                    rest.group(1), colon_line, 1, text[rest.end() :], (number, rest.end() + 1)
                )
                return [done] if done is not None else out
            self.continue_field(colon_line, ":")
        first = text[:1]
        if first == "-" and _is_terminator(text):
            out.extend(self.end_message(_MessageEnd(terminated=True), hold=True))
            if text.startswith("-}"):
                # Trailer blocks, and maybe the next message's envelope, on the same line.
                out.extend(self.outside_line(number, text[2:], indent + 2))
            return out
        if first == "{" and _ENVELOPE_START.match(text):
            if self.enveloped:
                raise self.error(
                    MESSAGE_NOT_CLOSED,
                    "a new envelope starts before block 4 of the message was closed",
                    number,
                    indent + 1,
                    expected="'-}' closing the message",
                    found=text[:24],
                )
            out.extend(self.end_message(_MessageEnd(terminated=False)))
            out.extend(self.outside_line(number, text, indent))
            return out
        tag = _TAG_LINE.match(text) if first == ":" else None
        name = tag.group(1) if tag is not None else ""
        known = self.known_tags
        if tag is not None and (known is None or name in known):
            if name == self.start_tag and self.has_fields and not self.enveloped:
                out.extend(self.end_message(_MessageEnd(terminated=False)))
                out.append(self.start_message(number, enveloped=False))
            value_start = tag.end()
            done = self.open_field(
                name, number, indent + 1, text[value_start:], (number, indent + value_start + 1)
            )
            if done is not None:
                out.append(done)
            return out
        if text == ":":
            self.split_colon_line = number
            return out
        if self.draft is None:
            raise self.error(
                TEXT_BEFORE_FIRST_TAG,
                "text in block 4 before its first tag",
                number,
                indent + 1,
                expected="a tag line such as :20:",
                found=text[:24],
            )
        self.continue_field(number, text)
        return out

    def open_field(
        self, tag: str, line: int, column: int, value: str, value_start: tuple[int, int]
    ) -> SwiftField | None:
        """A new field; ``value_start`` is the line and column where its value begins.
        The field before it, now complete."""
        draft = self.draft
        value_line, value_column = value_start
        self.draft = _FieldDraft(tag, line, column, value_column, [value], [value_line])
        self.has_fields = True
        return draft.done() if draft is not None else None

    def continue_field(self, number: int, text: str) -> None:
        draft = self.draft
        if draft is None:
            return  # a split ':' before any field: nothing to continue
        if len(draft.lines) >= self.max_field_lines:
            raise self.error(
                FIELD_TOO_LONG,
                f"field :{draft.tag}: goes on for more than {self.max_field_lines} lines",
                draft.line,
                draft.column,
                expected=f"at most {self.max_field_lines} lines",
                found=f"line {number}",
            )
        draft.lines.append(text)
        draft.line_numbers.append(number)

    def end_message(self, end: _MessageEnd, *, hold: bool = False) -> list[_Event]:
        out: list[_Event] = []
        if self.split_colon_line is not None:
            self.continue_field(self.split_colon_line, ":")
            self.split_colon_line = None
        if self.draft is not None:
            out.append(self.draft.done())
            self.draft = None
        self.inside = False
        self.enveloped = False
        if hold:
            # Trailer blocks may follow ({5:…} after "-}"); the end waits for them.
            self.pending_end = end
        else:
            out.append(end)
        return out

    def is_known(self, tag: str) -> bool:
        return self.known_tags is None or tag in self.known_tags

    def error(
        self, code: str, message: str, line: int, column: int, *, expected: str, found: str
    ) -> ParseError:
        return ParseError(
            code,
            message,
            position=DataPosition(file=self.file_name, line=line, column=column),
            expected=expected,
            found=found,
        )


def _is_terminator(text: str) -> bool:
    if not text.startswith("-"):
        return False
    rest = text[1:].rstrip(_FRAMING)
    return (
        not rest or rest.startswith("}") or (rest.isascii() and rest.isalpha() and rest.isupper())
    )


def _closing_brace(text: str, start: int) -> int | None:
    """Index of the brace closing a block whose content starts at ``start`` (nesting counted)."""
    depth = 1
    for index in range(start, len(text)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return None
