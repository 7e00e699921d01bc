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

from erengine.codecs.leaf import LeafCodec, LeafError

#: Sets a value into the read scope: ``(scope, value)``.
ScopeSetter = Callable[[dict[str, Any], Any], None]
#: Reads a value from the write scope.
ScopeGetter = Callable[[dict[str, Any]], Any]


class SubfieldWriteError(ValueError):
    """Values that cannot be written as sub-fields: ``label`` names the key, ``found`` the text."""

    def __init__(self, label: str, problem: str, found: str) -> None:
        super().__init__(f"sub-field {label}: {problem}")
        self.label = label
        self.problem = problem
        self.found = found


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
    getters: tuple[ScopeGetter, ...] = ()  # the bound paths, for writing


@dataclass(frozen=True, slots=True)
class LeadingText:
    """Text before the first key (the German GVC code), taken only when it fits."""

    length: int | None
    digits_only: bool
    codec: LeafCodec
    setter: ScopeSetter
    implies: tuple[ScopeSetter, ...]
    # Written when no keyed sub-field binds the same path (SEPA's purpose goes under SVWZ+).
    getter: ScopeGetter | None = None

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
    prefix: str = ""
    suffix: str = ""
    key_length: int | None = None

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

    def compose(self, scope: dict[str, Any]) -> str:
        """The text that reading splits back into the values bound in ``scope``: the leading
        text, then each binding's text under its key(s), in the scheme's order. Text that
        would read back otherwise (it holds a key, or runs past the keys) is refused."""
        leading = ""
        if self.leading is not None and self.leading.getter is not None:
            value = self.leading.getter(scope)
            if isinstance(value, str) and self.leading.take(value) == value:
                leading = value
        pieces: list[tuple[str, str]] = []
        for target in self.targets:
            text = self.text_of(target, scope)
            if not text:
                continue
            if target.max_length is not None and len(text) > target.max_length:
                raise SubfieldWriteError(
                    target.label, f"longer than {target.max_length} characters", text
                )
            if text != text.strip():
                raise SubfieldWriteError(
                    target.label, "begins or ends with blanks, which reading drops", text
                )
            pieces.extend(self.spread(target, text))
        composed = leading + "".join(
            f"{self.prefix}{key}{self.suffix}{piece}" for key, piece in pieces
        )
        if self.split(composed) != (leading, pieces):
            wrong = next((text for _, text in pieces if self.pattern.search(text)), composed)
            raise SubfieldWriteError(
                self.name, "a text holds a key of the scheme and would read back otherwise", wrong
            )
        return composed

    def text_of(self, target: SubfieldTarget, scope: dict[str, Any]) -> str:
        if target.nested is not None:
            return target.nested.compose(scope)
        values = tuple(get(scope) for get in target.getters)
        if all(value is None for value in values):
            return ""
        try:
            return target.codec.encode(values[0] if len(values) == 1 else values)
        except LeafError as problem:
            raise SubfieldWriteError(target.label, problem.expected, repr(values)) from None

    def spread(self, target: SubfieldTarget, text: str) -> list[tuple[str, str]]:
        """``text`` under the target's first key, or in pieces of ``key_length`` under its
        keys in order."""
        size = self.key_length
        if size is None:
            return [(target.keys[0], text)]
        chunks = [text[start : start + size] for start in range(0, len(text), size)]
        if len(chunks) > len(target.keys):
            raise SubfieldWriteError(
                target.label,
                f"{len(text)} characters do not fit {len(target.keys)} keys of {size}",
                text,
            )
        return list(zip(target.keys, chunks, strict=False))


def compile_key_pattern(prefix: str, suffix: str, keys: tuple[str, ...]) -> re.Pattern[str]:
    # Longest keys first, so that a key that starts another one never cuts it short.
    alternatives = "|".join(re.escape(key) for key in sorted(set(keys), key=lambda k: -len(k)))
    return re.compile(f"{re.escape(prefix)}({alternatives}){re.escape(suffix)}")
