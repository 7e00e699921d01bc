"""Uniqueness in compact fingerprint tables: every duplicate found, through growth."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from erengine.validate.unique import UniqueKeys


def test_duplicates_are_found_after_the_table_grows() -> None:
    keys = UniqueKeys(capacity=4)
    assert keys.capacity == 256 * 4
    assert all(keys.add(f"E2E-{i}") for i in range(10_000))
    assert keys.capacity > 10_000  # grown, with room left in every table
    assert not keys.add("E2E-0")
    assert not keys.add("E2E-9999")
    assert keys.add("E2E-10000")


@given(st.lists(st.text(max_size=12), max_size=200))
def test_add_says_whether_the_key_is_new(values: list[str]) -> None:
    keys = UniqueKeys(capacity=2)
    seen: set[str] = set()
    for value in values:
        assert keys.add(value) == (value not in seen)
        seen.add(value)
