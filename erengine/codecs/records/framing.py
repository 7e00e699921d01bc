"""Turning records into bytes and bytes into records: encodings, newlines, blocks, cells.

Reading is tolerant where real files vary (CRLF, LF or no newline at all, a missing final
newline, trimmed trailing blanks when the format allows) and strict where a difference means
data loss (undecodable bytes, over-long records). Nothing here reads a whole file at once.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from erengine.config.schema.records import DelimitedFileSpec, FixedFileSpec
from erengine.errors import DataPosition, ParseError

_FLUSH_BYTES = 1 << 16
_QUOTING: dict[str, Literal[0, 1, 2, 3]] = {
    "minimal": csv.QUOTE_MINIMAL,
    "all": csv.QUOTE_ALL,
    "none": csv.QUOTE_NONE,
}


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to make than a record to read
class Line:
    number: int  # 1-based physical line (or block) number
    offset: int  # byte offset of the line in the file
    text: str  # fixed: the record text; delimited: the raw line
    cells: tuple[str, ...] = ()  # delimited: the record's cells
    trimmed_to: int | None = None  # fixed: the length the file had, when padded on read


class RecordSink:
    """Writes encoded records with the file's newline convention, buffered."""

    def __init__(self, sink: BinaryIO, spec: FixedFileSpec | DelimitedFileSpec) -> None:
        self.sink = sink
        self.spec = spec
        self.encoding = spec.encoding
        self.newline = spec.newline.encode("ascii")
        self.final_newline = spec.final_newline
        self.count = 0
        self.bytes_written = 0
        self.start = sink.tell() if sink.seekable() else 0
        self._pending = bytearray()
        if isinstance(spec, DelimitedFileSpec):
            self._terminator = spec.record_terminator or ""
            self._buffer = io.StringIO()
            self._csv = csv.writer(
                self._buffer,
                delimiter=spec.delimiter,
                quotechar=spec.quote,
                quoting=_QUOTING[spec.quoting],
                lineterminator="",
                escapechar="\\" if spec.quoting == "none" else None,
            )

    def cells_to_text(self, cells: list[str]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._csv.writerow(cells)
        return self._buffer.getvalue() + self._terminator

    def write(self, text: str) -> int:
        """Write one record's text (laid out); return its byte offset from the start.

        Raises UnicodeEncodeError for characters the encoding cannot hold.
        """
        pending = self._pending
        if self.final_newline:
            offset = self.bytes_written + len(pending)
            pending += text.encode(self.encoding)
            pending += self.newline
        else:
            if self.count:
                pending += self.newline
            offset = self.bytes_written + len(pending)
            pending += text.encode(self.encoding)
        self.count += 1
        if len(pending) >= _FLUSH_BYTES:
            self.flush()
        return offset

    def patch(self, offset: int, data: bytes) -> None:
        """Overwrite bytes already written (a deferred field).

        Usually they are still in the buffer; older ones need a seekable sink.
        """
        inside = offset - self.bytes_written
        if inside >= 0:
            self._pending[inside : inside + len(data)] = data
            return
        self.flush()
        self.sink.seek(self.start + offset)
        self.sink.write(data)
        self.sink.seek(0, io.SEEK_END)

    def flush(self) -> None:
        if self._pending:
            self.sink.write(self._pending)
            self.bytes_written += len(self._pending)
            self._pending = bytearray()

    def finish(self) -> None:
        """Pad to whole blocks with filler records, then flush."""
        if isinstance(self.spec, FixedFileSpec) and self.spec.block is not None:
            block = self.spec.block
            filler = block.filler * self.spec.width
            while self.count % block.size:
                self.write(filler)
        self.flush()


def _decode(raw: bytes, encoding: str, number: int, offset: int, file: str | None) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        hint = None
        if number == 1 and raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            hint = "the file is UTF-16; convert it to the format's encoding"
        raise ParseError(
            "PRS101",
            f"byte 0x{raw[exc.start]:02x} is not valid {encoding}",
            position=DataPosition(
                file=file, line=number, column=exc.start + 1, byte_offset=offset + exc.start
            ),
            expected=f"{encoding} text",
            found=raw[max(0, exc.start - 8) : exc.start + 8].decode("latin-1"),
            hint=hint,
        ) from None


def iter_raw_lines(
    stream: BinaryIO, spec: FixedFileSpec | DelimitedFileSpec
) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, bytes without newline), whatever newlines the file uses."""
    width = spec.width if isinstance(spec, FixedFileSpec) else 0
    head = stream.read(max(width + 2, 8192))
    if width and b"\n" not in head[: width + 2] and b"\r" not in head[: width + 2]:
        yield from _iter_blocks(head, stream, width)
        return
    number, offset = 0, 0
    rest = head
    while True:
        chunk = stream.read(1 << 16)
        rest += chunk
        lines = rest.split(b"\n")
        rest = lines.pop() if chunk else b""
        if not chunk and lines and lines[-1] == b"" and not rest:
            lines.pop()  # the final newline ends the last line; it does not start one
        for raw in lines:
            number += 1
            yield number, offset, raw.removesuffix(b"\r")
            offset += len(raw) + 1
        if not chunk:
            return


def _iter_blocks(head: bytes, stream: BinaryIO, width: int) -> Iterator[tuple[int, int, bytes]]:
    buffer, number, offset = head, 0, 0
    while True:
        while len(buffer) >= width:
            number += 1
            yield number, offset, buffer[:width]
            buffer = buffer[width:]
            offset += width
        chunk = stream.read(1 << 16)
        if not chunk:
            break
        buffer += chunk
    if buffer.strip(b"\x00\x1a \r\n"):  # padding some systems leave after the last block
        number += 1
        yield number, offset, buffer


def iter_fixed_lines(
    stream: BinaryIO, spec: FixedFileSpec, file: str | None, warnings: list[str]
) -> Iterator[Line]:
    width = spec.width
    encoding = spec.encoding
    for number, offset, raw in iter_raw_lines(stream, spec):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:  # _decode raises, naming the byte
            text = _decode(raw, encoding, number, offset, file)
        if len(text) == width:
            yield Line(number, offset, text)
            continue
        if not text.strip():
            continue  # blank lines some systems append; they carry no record
        if len(text) < width and spec.short_records == "pad":
            warnings.append(
                f"{file or '<data>'}:{number}: record is {len(text)} characters, expected "
                f"{width}; read as padded with spaces"
            )
            yield Line(number, offset, text.ljust(width), trimmed_to=len(text))
            continue
        raise ParseError(
            "PRS102",
            f"record is {len(text)} characters long, the format's records are {width}",
            position=DataPosition(file=file, line=number, column=1, byte_offset=offset),
            expected=f"{width} characters",
            found=text if len(text) <= 40 else text[:37] + "...",
            hint="the file may be truncated, or use a different record width"
            if len(text) < width
            else None,
        )


def iter_delimited_lines(
    stream: BinaryIO, spec: DelimitedFileSpec, file: str | None
) -> Iterator[Line]:
    physical: list[tuple[int, int]] = []

    def texts() -> Iterator[str]:
        for number, offset, raw in iter_raw_lines(stream, spec):
            physical.append((number, offset))
            yield _decode(raw, spec.encoding, number, offset, file)

    reader = csv.reader(
        texts(),
        delimiter=spec.delimiter,
        quotechar=spec.quote,
        quoting=csv.QUOTE_NONE if spec.quoting == "none" else csv.QUOTE_MINIMAL,
        strict=True,
    )
    previous: Line | None = None
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number, offset = physical[-1] if physical else (1, 0)
            raise ParseError(
                "PRS103",
                f"malformed delimited record: {exc}",
                position=DataPosition(file=file, line=number, byte_offset=offset),
            ) from None
        start = physical[0] if physical else (1, 0)
        physical.clear()
        if not cells or cells == [""]:
            continue
        if spec.record_terminator and cells[-1].endswith(spec.record_terminator):
            cells[-1] = cells[-1][: -len(spec.record_terminator)]
        if spec.continuation is not None and cells[0] == spec.continuation and previous:
            previous = Line(
                previous.number, previous.offset, previous.text, previous.cells + tuple(cells[1:])
            )
            continue
        if previous is not None:
            yield previous
        previous = Line(start[0], start[1], spec.delimiter.join(cells), tuple(cells))
    if previous is not None:
        yield previous
