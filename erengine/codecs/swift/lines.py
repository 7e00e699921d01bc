"""Bytes to numbered text lines, streaming: any encoding, CRLF, LF or CR, bounded lines.

The file is read in chunks through an incremental decoder, so multi-byte encodings (UTF-8,
UTF-16) and line ends split across chunks come out right, and memory stays flat however large
the file. Undecodable bytes are an error naming the byte offset, never mojibake.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterator
from typing import Protocol

from erengine.errors import ConfigError, DataPosition, ParseError

UNDECODABLE = "PRS301"
LINE_TOO_LONG = "PRS302"
UNKNOWN_ENCODING = "CFG655"

_NEWLINE = re.compile(r"\r\n|\r|\n")
_CHUNK = 1 << 16


class ByteSource(Protocol):
    """What ``iter_messages`` reads: any binary file object."""

    def read(self, size: int = ..., /) -> bytes: ...


def decoded_lines(
    stream: ByteSource, *, file_name: str, encoding: str, max_line_length: int
) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` for each line, 1-based, without its line end."""
    return itertools.chain.from_iterable(
        _numbered_chunks(
            stream, file_name=file_name, encoding=encoding, max_line_length=max_line_length
        )
    )


def _numbered_chunks(
    stream: ByteSource, *, file_name: str, encoding: str, max_line_length: int
) -> Iterator[Iterator[tuple[int, str]]]:
    """The numbered lines of each chunk read (an ``enumerate``: no step of Python per line);
    a line too long raises once the lines before it are taken."""
    try:
        # Refuses byte-to-byte codecs such as base64 too, and any that cannot hold lines.
        "\n".encode(encoding)
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except (LookupError, UnicodeError):
        raise ConfigError(
            UNKNOWN_ENCODING,
            f"unknown encoding {encoding!r} for {file_name}",
            hint="e.g. utf-8, latin-1, iso8859-2, cp1252",
        ) from None
    carry = ""
    line_number = 0
    consumed = 0
    while True:
        chunk = stream.read(_CHUNK)
        final = not chunk
        buffered = decoder.getstate()[0]
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            raise _undecodable(
                error,
                encoding,
                file_name=file_name,
                object_offset=consumed - len(buffered),
                carry=carry,
                line_number=line_number,
            ) from None
        consumed += len(chunk)
        data = carry + text
        # A CR at the end of a chunk may be the first half of a CRLF.
        held = "\r" if data.endswith("\r") and not final else ""
        pieces = _split_lines(data[: len(data) - len(held)])
        carry = "" if final else pieces.pop() + held
        if final and pieces and pieces[-1] == "":
            pieces.pop()  # the file's last line end, not an empty last line
        if pieces and max(map(len, pieces)) > max_line_length:
            cut = next(index for index, piece in enumerate(pieces) if len(piece) > max_line_length)
            yield enumerate(pieces[:cut], line_number + 1)
            raise _too_long(pieces[cut], line_number + cut + 1, file_name, max_line_length)
        yield enumerate(pieces, line_number + 1)
        line_number += len(pieces)
        if len(carry) > max_line_length:
            raise _too_long(carry, line_number + 1, file_name, max_line_length)
        if final:
            return


def _split_lines(text: str) -> list[str]:
    """``text`` split at CRLF, CR and LF; a plain ``str.split`` when every line ends the
    same way (a file of CRLF or of LF lines), the expression only for mixed ends."""
    returns = text.count("\r")
    if not returns:
        return text.split("\n")
    if returns == text.count("\r\n") == text.count("\n"):
        return text.split("\r\n")
    return _NEWLINE.split(text)


def _too_long(text: str, line_number: int, file_name: str, max_line_length: int) -> ParseError:
    return ParseError(
        LINE_TOO_LONG,
        f"line is longer than {max_line_length} characters; is this a SWIFT MT file?",
        position=DataPosition(file=file_name, line=line_number, column=max_line_length + 1),
        expected=f"lines of at most {max_line_length} characters",
        found=text[:24] + "…",
    )


def _undecodable(
    error: UnicodeDecodeError,
    encoding: str,
    *,
    file_name: str,
    object_offset: int,
    carry: str,
    line_number: int,
) -> ParseError:
    before = carry + error.object[: error.start].decode(encoding, errors="replace")
    breaks = list(_NEWLINE.finditer(before))
    line = line_number + len(breaks) + 1
    column = len(before) - (breaks[-1].end() if breaks else 0) + 1
    bad = error.object[error.start : error.end]
    return ParseError(
        UNDECODABLE,
        f"bytes that are not {encoding}: {bad.hex(' ')}",
        position=DataPosition(
            file=file_name, line=line, column=column, byte_offset=object_offset + error.start
        ),
        expected=f"text in {encoding}",
        found=repr(bad),
        hint="banks also use latin-1, iso8859-2 or cp1252; set the format's encoding",
    )
