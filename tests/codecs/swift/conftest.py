"""The shared MT940 corpus, read in place, and what its manifest says about each file."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erengine.codecs.swift.tokenizer import iter_messages
from erengine.errors import ErengineError

from ...conftest import CORPUS

MT940_DIR = CORPUS / "mt940"

#: The tags of MT940 and MT942 (and the non-standard :NS:), as their formats declare them.
MT940_TAGS = frozenset(
    {"20", "21", "25", "28", "28C", "60F", "60M", "61", "86", "62F", "62M", "64", "65",
     "34F", "13", "13D", "90D", "90C", "NS"}
)  # fmt: skip

_ROW = re.compile(
    r"^\| `(?P<name>[^`]+\.sta)` \|.*\[(?P<facts>[^\]]*?)"
    r"(?P<statements>\d+) statements \(:20:\), (?P<lines>\d+) :61: lines\] \|$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    statements: int
    lines_61: int
    encoding: str

    def __str__(self) -> str:
        return self.path.name


def corpus_files() -> list[CorpusFile]:
    """Every ``.sta`` sample with the counts the manifest notes for it."""
    if not MT940_DIR.is_dir():
        return []
    manifest = (CORPUS / "MANIFEST.md").read_text(encoding="utf-8")
    files = []
    for row in _ROW.finditer(manifest):
        # The manifest marks the one 8-bit file; its bytes are Latin-2 (Hungarian).
        encoding = "iso8859-2" if "not UTF-8" in row["facts"] else "utf-8"
        files.append(
            CorpusFile(MT940_DIR / row["name"], int(row["statements"]), int(row["lines"]), encoding)
        )
    return files


def tokenized(data: bytes, *, quick: bool, **options: Any) -> list[Any]:
    """What ``iter_messages`` makes of ``data``: per message its start, header, preamble,
    fields, end and trailer, as far as it got; a refusal's ``to_dict()`` last."""
    found: list[Any] = []
    try:
        for message in iter_messages(io.BytesIO(data), file_name="t.sta", quick=quick, **options):
            record: list[Any] = [message.index, message.line, message.header, message.preamble]
            found.append(record)
            record.extend(message)
            record += [message.terminated, message.trailer]
    except ErengineError as error:
        found.append(error.to_dict())
    return found
