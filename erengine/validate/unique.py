"""Uniqueness of ids across a whole file, in memory that stays small as files grow.

A set of a million end-to-end ids holds every string (~90 MB). This keeps a 64-bit
fingerprint (blake2b) of each id in an open-addressing table in one bytearray: 8 bytes per
slot, at most half full, so a million ids take 16 MB. Two different ids share a fingerprint
with probability about n²/2⁶⁵ (3 in 100 million for a million ids); such a pair would be
reported as a duplicate — never the other way round: a real duplicate is always found.
"""

from __future__ import annotations

from hashlib import blake2b

_EMPTY = bytes(8)


class UniqueKeys:
    def __init__(self, capacity: int = 1 << 12) -> None:
        self.slots = bytearray(8 * capacity)
        self.capacity = capacity
        self.count = 0

    def add(self, key: str) -> bool:
        """Record ``key``; False when it (or its fingerprint) was recorded before."""
        fingerprint = blake2b(key.encode("utf-8"), digest_size=8).digest()
        if fingerprint == _EMPTY:  # the empty slot's value stands for nothing; map it aside
            fingerprint = b"\x00" * 7 + b"\x01"
        if self.count * 2 >= self.capacity:
            self._grow()
        if not self._insert(fingerprint):
            return False
        self.count += 1
        return True

    def _insert(self, fingerprint: bytes) -> bool:
        mask = self.capacity - 1
        index = int.from_bytes(fingerprint, "little") & mask
        slots = self.slots
        while True:
            at = index * 8
            current = slots[at : at + 8]
            if current == _EMPTY:
                slots[at : at + 8] = fingerprint
                return True
            if current == fingerprint:
                return False
            index = (index + 1) & mask

    def _grow(self) -> None:
        old, old_capacity = self.slots, self.capacity
        self.capacity *= 2
        self.slots = bytearray(8 * self.capacity)
        for at in range(0, 8 * old_capacity, 8):
            fingerprint = bytes(old[at : at + 8])
            if fingerprint != _EMPTY:
                self._insert(fingerprint)
