"""Keyed sub-fields inside free text, split by a scheme declared in YAML.

German banks write ``:86:`` as ``166?00SEPA-UEBERWEISUNG?20EREF+...?21SVWZ+...?32NAME``,
Dutch banks as ``/TRTP/SEPA OVERBOEKING/IBAN/NL.../NAME/...``, Triodos as ``>20...>21...``;
inside the German purpose lines SEPA keys follow (``EREF+``, ``SVWZ+``). One splitter serves
them all: a key starts a sub-field where ``prefix + key + suffix`` stands in the text, and only
listed keys count. The expression is an alternation of literal keys: one pass over the
text, no backtracking to fear whatever the input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from erengine.codecs.leaf import LeafCodec

#: Sets a value into the read scope: ``(scope, value)``.
ScopeSetter = Callable[[dict[str, Any], Any], None]


@dataclass(frozen=True, slots=True)
class SubfieldTarget:
    """Where one piece of text goes: a model path through a codec, or a nested scheme."""

    keys: tuple[str, ...]
    join: str
    codec: LeafCodec
    store: ScopeSetter | None  # sets the decoded text (several paths: one value each)
    nested: SubfieldScheme | None
    implies: tuple[ScopeSetter, ...]
    max_length: int | None
    label: str  # for warnings: "sepa EREF"


@dataclass(frozen=True, slots=True)
class LeadingText:
    """Text before the first key (the German GVC code), taken only when it fits."""

    length: int | None
    digits_only: bool
    codec: LeafCodec
    setter: ScopeSetter
    implies: tuple[ScopeSetter, ...]

    def take(self, text: str) -> str | None:
        piece = text if self.length is None else text[: self.length]
        if not piece or (self.length is not None and len(piece) != self.length):
            return None
        if self.digits_only and not (piece.isascii() and piece.isdigit()):
            return None
        return piece


@dataclass(frozen=True, slots=True)
class SubfieldScheme:
    name: str
    pattern: re.Pattern[str]  # one capture: the key
    unwrap: bool
    leading: LeadingText | None
    targets: tuple[SubfieldTarget, ...]

    def split(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """The text before the first key, and ``(key, value)`` pairs in order."""
        if self.unwrap:
            text = text.replace("\n", "")
        pieces: list[tuple[str, str]] = []
        lead_end: int | None = None
        key: str | None = None
        start = 0
        for match in self.pattern.finditer(text):
            if key is None:
                lead_end = match.start()
            else:
                pieces.append((key, text[start : match.start()]))
            key, start = match.group(1), match.end()
        if key is None:
            return text, pieces
        pieces.append((key, text[start:]))
        return text[:lead_end], pieces


def compile_key_pattern(prefix: str, suffix: str, keys: tuple[str, ...]) -> re.Pattern[str]:
    # Longest keys first, so that a key that starts another one never cuts it short.
    alternatives = "|".join(re.escape(key) for key in sorted(set(keys), key=lambda k: -len(k)))
    return re.compile(f"{re.escape(prefix)}({alternatives}){re.escape(suffix)}")
