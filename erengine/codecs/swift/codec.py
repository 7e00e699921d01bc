"""The SWIFT MT codec as the engine sees it (compile, write, read), and detection."""

from __future__ import annotations

import re

from erengine.codecs.plan_codec import PlanCodec
from erengine.codecs.swift.format_plan import compile_swift_format
from erengine.codecs.swift.reader import SwiftReader
from erengine.codecs.swift.writer import write_messages
from erengine.config.schema.swift import SwiftFormatDocument

SWIFT_CODEC = PlanCodec(SwiftFormatDocument, compile_swift_format, write_messages, SwiftReader)

# An MT940/MT942 statement: a :20: reference and a :25: account within the first lines, or
# an application header naming message type 940 or 942.
_APPLICATION_HEADER = re.compile(rb"\{2:[IO]94[02]")
_TAG_20 = re.compile(rb"(?:^|[\r\n]):20:", re.MULTILINE)
_TAG_25 = re.compile(rb"[\r\n]:25[A-Z]?:")
_BALANCE_OR_LINE = re.compile(rb"[\r\n]:(?:60[FM]|61|62[FM]|34F|13D?):")


def detect(head: bytes) -> bool:
    """Does ``head`` (the first few KB of a file) look like an MT940 or MT942 file?"""
    sample = head.lstrip(b"\xef\xbb\xbf\x00\x01\x02\x03\x1a \t\r\n")
    if _APPLICATION_HEADER.search(sample):
        return True
    return bool(
        _TAG_20.search(sample) and _TAG_25.search(sample) and _BALANCE_OR_LINE.search(sample)
    )
