"""Uniqueness of ids across a whole file, in memory that stays small as files grow.

A set of a million end-to-end ids holds every string (~90 MB). This keeps a 64-bit
fingerprint (blake2b) of each id in open-addressing tables in bytearrays. The fingerprint's
first byte picks one of 256 tables and the other seven fill a slot, each table half to three
quarters full: a million ids take 10 to 14 MB. Each table grows on its own, so growing copies one
small table, never the whole set, and the peak stays that of the tables themselves. Two
different ids share a fingerprint with probability about n²/2⁶⁵ (3 in 100 million for a
million ids); such a pair would be reported as a duplicate — never the other way round: a real
duplicate is always found.
"""

from __future__ import annotations

from hashlib import blake2b

_TABLES = 256  # one per value of the fingerprint's first byte
_SLOT = 7  # bytes of a slot: the fingerprint without its first byte
_EMPTY = bytes(_SLOT)
_ASIDE = bytes(_SLOT - 1) + b"\x01"  # stands for the empty slot's value, which means nothing


class UniqueKeys:
    def __init__(self, capacity: int = 16) -> None:
        """``capacity``: slots of each table to begin with."""
        self.tables = [bytearray(_SLOT * capacity) for _ in range(_TABLES)]
        self.counts = [0] * _TABLES

    @property
    def capacity(self) -> int:
        """Slots of all tables together."""
        return sum(len(table) for table in self.tables) // _SLOT

    def add(self, key: str) -> bool:
        """Record ``key``; False when it (or its fingerprint) was recorded before."""
        fingerprint = blake2b(key.encode("utf-8"), digest_size=8).digest()
        number = fingerprint[0]
        rest = fingerprint[1:]
        if rest == _EMPTY:
            rest = _ASIDE
        table = self.tables[number]
        count = self.counts[number]
        if 4 * count >= 3 * (len(table) // _SLOT):  # three quarters full: half full after
            table = self.tables[number] = _grown(table, 2 * count)
        if not _insert(table, rest):
            return False
        self.counts[number] = count + 1
        return True


def _insert(table: bytearray, rest: bytes) -> bool:
    """Put a fingerprint's ``rest`` in ``table``; False when it is there already."""
    slots = len(table) // _SLOT
    index = int.from_bytes(rest, "little") % slots
    while True:
        at = index * _SLOT
        current = table[at : at + _SLOT]
        if current == _EMPTY:
            table[at : at + _SLOT] = rest
            return True
        if current == rest:
            return False
        index = index + 1 if index + 1 < slots else 0


def _grown(old: bytearray, slots: int) -> bytearray:
    table = bytearray(_SLOT * slots)
    for at in range(0, len(old), _SLOT):
        rest = bytes(old[at : at + _SLOT])
        if rest != _EMPTY:
            _insert(table, rest)
    return table
