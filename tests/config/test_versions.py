from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erengine.config.versions import parse_range, parse_reference, parse_version
from erengine.errors import ConfigError

versions = st.tuples(*(st.integers(0, 30) for _ in range(3)))


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("^1.2", ["1.2.0", "1.9.9"], ["1.1.9", "2.0.0"]),
        ("^0.3", ["0.3.0", "0.3.7"], ["0.4.0", "0.2.9"]),
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0", "1.2.2"]),
        ("~1", ["1.0.0", "1.9.0"], ["2.0.0"]),
        ("1.2.3", ["1.2.3"], ["1.2.4", "1.2.2"]),
        ("1.2", ["1.2.0", "1.2.5"], ["1.3.0"]),
        (">=1.2,<1.5", ["1.2.0", "1.4.9"], ["1.5.0", "1.1.0"]),
        ("*", ["0.0.1", "9.9.9"], []),
        ("", ["1.0.0"], []),
    ],
)
def test_ranges(text: str, inside: list[str], outside: list[str]) -> None:
    version_range = parse_range(text)
    for version in inside:
        assert version_range.matches(parse_version(version)), version
    for version in outside:
        assert not version_range.matches(parse_version(version)), version


@given(versions)
def test_caret_of_a_version_matches_itself(version: tuple[int, int, int]) -> None:
    text = ".".join(map(str, version))
    assert parse_range(f"^{text}").matches(version)
    assert parse_range(f"~{text}").matches(version)
    assert parse_range(text).matches(version)


def test_reference_errors_have_codes_and_hints() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_reference("Bad Name@^1")
    assert caught.value.code == "CFG301"
    with pytest.raises(ConfigError) as caught:
        parse_reference("nacha@^x")
    assert caught.value.code == "CFG302"
    assert caught.value.hint


def test_versions_need_three_parts() -> None:
    with pytest.raises(ValueError):
        parse_version("1.2")
