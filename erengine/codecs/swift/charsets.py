"""The SWIFT character sets of field notation (``n a c d e h x y z``) and transliteration.

Each set knows its members (for checks and for the regular expressions the notation compiler
builds), a short human description for error messages, and whether it may hold letters that a
transliteration can bring into it. The line break of multi-line fields is not a member of any
set: SWIFT allows CrLf only *between* the lines of an ``M*Nx`` component, so the notation
compiler handles it structurally and a single-line part never contains one.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from erengine.expr.functions.text import SWIFT_X_CHARACTERS, AsciiStyle, to_ascii


@dataclass(frozen=True, slots=True)
class SwiftCharset:
    """One character set: ``members`` lists every character; ``None`` means any printable one."""

    letter: str
    description: str  # plural noun phrase: "digits", "characters of the SWIFT x set"
    singular: str  # the same for one: "digit", "character of the SWIFT x set"
    members: frozenset[str] | None
    regex_class: str  # a character class for ``re``, never matching a line break

    def allows(self, char: str) -> bool:
        if self.members is not None:
            return char in self.members
        return _is_printable(char)

    def first_offending(self, text: str, start: int = 0, end: int | None = None) -> int | None:
        """Index of the first character of ``text[start:end]`` outside the set, or None."""
        stop = len(text) if end is None else end
        return next((i for i in range(start, stop) if not self.allows(text[i])), None)


def _charset(letter: str, singular: str, description: str, members: str) -> SwiftCharset:
    # Members are listed explicitly (never as ranges) so the class stays obviously right.
    regex_class = "[" + "".join(re.escape(char) for char in sorted(members)) + "]"
    return SwiftCharset(letter, description, singular, frozenset(members), regex_class)


_D_MEMBERS = string.digits + ","
_H_MEMBERS = string.digits + "ABCDEF"
_X_MEMBERS = "".join(sorted(SWIFT_X_CHARACTERS - {"\r", "\n"}))
_Y_MEMBERS = string.ascii_uppercase + string.digits + " .,-()/='+:?!\"%&*<>;"
_Z_MEMBERS = _X_MEMBERS + '=!"%&*<>;{@#_'

#: The character sets of SWIFT field notation, by their notation letter.
SWIFT_CHARSETS: Mapping[str, SwiftCharset] = MappingProxyType(
    {
        "n": _charset("n", "digit", "digits", string.digits),
        "a": _charset("a", "upper-case letter", "upper-case letters", string.ascii_uppercase),
        "c": _charset(
            "c",
            "upper-case letter or digit",
            "upper-case letters or digits",
            string.ascii_uppercase + string.digits,
        ),
        "d": _charset("d", "digit or decimal comma", "digits with one decimal comma", _D_MEMBERS),
        "e": _charset("e", "space", "spaces", " "),
        "h": _charset("h", "hexadecimal digit", "hexadecimal digits (0-9, A-F)", _H_MEMBERS),
        "x": _charset(
            "x", "character of the SWIFT x set", "characters of the SWIFT x set", _X_MEMBERS
        ),
        "y": _charset(
            "y",
            "character of the SWIFT y set",
            "characters of the SWIFT y set (EDIFACT level A)",
            _Y_MEMBERS,
        ),
        "z": _charset(
            "z", "character of the SWIFT z set", "characters of the SWIFT z set", _Z_MEMBERS
        ),
    }
)


def _is_printable(char: str) -> bool:
    # Must agree with ANY_PRINTABLE.regex_class below.
    code = ord(char)
    return not (code < 0x20 or 0x7F <= code < 0xA0 or char in "\u2028\u2029")


#: A tolerant stand-in for ``x`` that bank variants may bind when their files carry umlauts
#: or other letters outside the SWIFT set: any printable character, still one line.
ANY_PRINTABLE = SwiftCharset(
    "x",
    "printable characters",
    "printable character",
    None,
    # Control characters (C0, DEL, C1) and the Unicode line separators are never text.
    r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]",
)


def transliterate_into(text: str, charset: SwiftCharset, style: AsciiStyle) -> str:
    """``text`` with each character outside ``charset`` replaced by its ASCII spelling.

    Characters whose spelling still falls outside the set are kept, so the caller's check
    names them; ``style='german'`` writes ``ä`` as ``ae``, ``'plain'`` as ``a``.
    """
    if charset.first_offending(text) is None:
        return text
    out: list[str] = []
    for char in text:
        if charset.allows(char) or char == "\n":
            out.append(char)
            continue
        spelled = to_ascii(char, style)
        out.append(spelled if spelled and charset.first_offending(spelled) is None else char)
    return "".join(out)
