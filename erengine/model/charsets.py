"""Named character sets for text fields, as the banks define them.

Every text refuses control characters (C0, DEL, C1): a tab or line break inside a field breaks
fixed-width and delimited files alike, so no charset needs to say so.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from types import MappingProxyType

_SWIFT_X = frozenset(string.ascii_letters + string.digits + "/-?:().,'+ ")


@dataclass(frozen=True, slots=True)
class Charset:
    """A named set of characters; `members` lists them all for the sets that are small."""

    name: str
    members: frozenset[str] | None  # None: the printable part of a code-point range
    low: int = 0x20
    high: int = 0x10FFFF

    def allows(self, char: str) -> bool:
        if self.members is not None:
            return char in self.members
        return self.low <= ord(char) <= self.high and not is_control(char)

    def first_offending(self, text: str) -> int | None:
        """Index of the first character outside the set, or None."""
        return next((i for i, char in enumerate(text) if not self.allows(char)), None)


def is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0


ANY_TEXT = Charset("text", None)

CHARSETS: MappingProxyType[str, Charset] = MappingProxyType(
    {
        "ascii": Charset("ascii", None, high=0x7E),
        "latin-1": Charset("latin-1", None, high=0xFF),
        # SWIFT's X set and the EPC's Latin set are the same characters for one-line fields.
        "swift-x": Charset("swift-x", _SWIFT_X),
        "epc": Charset("epc", _SWIFT_X),
        "digits": Charset("digits", frozenset(string.digits)),
        "alnum": Charset("alnum", frozenset(string.ascii_letters + string.digits)),
    }
)
