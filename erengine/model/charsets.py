"""Named character sets for text fields, as the banks define them.

Every text refuses control characters (C0, DEL, C1): a tab or line break inside a field breaks
fixed-width and delimited files alike, so no charset needs to say so.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from types import MappingProxyType

_CONTROL = r"\x00-\x1f\x7f-\x9f"  # C0, DEL and C1, as a regular-expression class range


@dataclass(frozen=True, slots=True)
class Charset:
    """A named set of characters: its `members` when small, else a code-point range."""

    name: str
    members: frozenset[str] | None  # None: the printable part of low..high
    low: int
    high: int
    outside: re.Pattern[str]  # finds the first character not in the set

    def first_offending(self, text: str) -> int | None:
        """Index of the first character outside the set, or None."""
        found = self.outside.search(text)
        return None if found is None else found.start()


def _members(name: str, chars: str) -> Charset:
    outside = re.compile(f"[^{re.escape(chars)}]")
    return Charset(name, frozenset(chars), ord(min(chars)), ord(max(chars)), outside)


def _printable(name: str, high: int) -> Charset:
    # Control characters stay outside even inside the range (C1 lies inside Latin-1).
    above = rf"\U{high + 1:08x}-\U0010ffff" if high < 0x10FFFF else ""
    outside = re.compile(f"[{_CONTROL}{above}]")
    return Charset(name, None, 0x20, high, outside)


_SWIFT_X = string.ascii_letters + string.digits + "/-?:().,'+ "

ANY_TEXT = _printable("text", 0x10FFFF)

CHARSETS: MappingProxyType[str, Charset] = MappingProxyType(
    {
        "ascii": _printable("ascii", 0x7E),
        "latin-1": _printable("latin-1", 0xFF),
        # SWIFT's X set and the EPC's Latin set are the same characters for one-line fields.
        "swift-x": _members("swift-x", _SWIFT_X),
        "epc": _members("epc", _SWIFT_X),
        "digits": _members("digits", string.digits),
        "alnum": _members("alnum", string.ascii_letters + string.digits),
    }
)
