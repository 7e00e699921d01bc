"""Does a file look like SWIFT MT940/MT942? For `erengine parse --detect`."""

from __future__ import annotations

import re

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
