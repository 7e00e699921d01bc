from __future__ import annotations

import pytest

from erengine.config.yaml_spans import SpannedDict, format_path, load_yaml_text, span_at
from erengine.errors import ConfigError

DOC = """\
kind: format
name: demo
records:
  - record: header
    fields:
      - {len: 1, const: "H"}
country: NO
enabled: yes
when: 2024-01-02
flag: true
"""


def test_every_key_and_value_has_its_line_and_column() -> None:
    data = load_yaml_text(DOC, "demo.yaml")
    assert isinstance(data, SpannedDict)
    span = span_at(data, ("records", 0, "fields", 0, "const"))
    assert span is not None
    assert (span.file, span.line, span.column) == ("demo.yaml", 6, 25)
    key = span_at(data, ("name",), key=True)
    assert key is not None
    assert (key.line, key.column) == (2, 1)


def test_missing_path_falls_back_to_the_nearest_enclosing_node() -> None:
    data = load_yaml_text(DOC, "demo.yaml")
    span = span_at(data, ("records", 0, "fields", 5, "len"))
    assert span is not None
    assert (span.line, span.column) == (6, 7)


def test_only_true_and_false_are_booleans_and_dates_stay_text() -> None:
    data = load_yaml_text(DOC, "demo.yaml")
    assert data["country"] == "NO"  # YAML 1.1 would have made Norway False
    assert data["enabled"] == "yes"
    assert data["when"] == "2024-01-02"
    assert data["flag"] is True


def test_duplicate_keys_are_an_error_naming_both_places() -> None:
    with pytest.raises(ConfigError) as caught:
        load_yaml_text("a: 1\nb: 2\na: 3\n", "dup.yaml")
    assert caught.value.code == "CFG102"
    assert caught.value.span is not None
    assert caught.value.span.line == 3
    assert "line 1" in caught.value.message


def test_syntax_errors_are_located() -> None:
    with pytest.raises(ConfigError) as caught:
        load_yaml_text("a: [1, 2\nb: 3\n", "bad.yaml")
    assert caught.value.code == "CFG101"
    assert caught.value.span is not None
    assert caught.value.span.file == "bad.yaml"


def test_unsafe_tags_are_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        load_yaml_text("a: !!python/object/apply:os.system ['true']\n", "evil.yaml")
    assert caught.value.code == "CFG107"
    with pytest.raises(ConfigError) as caught:
        load_yaml_text("a: !!python/name:os.system\n", "evil.yaml")
    assert caught.value.code == "CFG107"


def test_empty_file_is_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load_yaml_text("# nothing\n", "empty.yaml")
    assert caught.value.code == "CFG104"


def test_format_path() -> None:
    assert format_path(("records", 1, "fields", 2, "len")) == "records[1].fields[2].len"
