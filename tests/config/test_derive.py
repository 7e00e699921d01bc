from __future__ import annotations

from typing import Any

import pytest

from erengine.config.derive import ChangeSpec, apply_changes, deep_merge
from erengine.config.yaml_spans import SpannedDict, load_yaml_text
from erengine.errors import ConfigError

PARENT = """\
file: {type: fixed, width: 10, encoding: ascii}
structure:
  - record: header
    fields: [{name: kind, len: 1, const: "H"}, {name: rest, len: 9, fill: " "}]
  - record: trailer
    fields: [{len: 10, fill: " "}]
"""


def parent() -> SpannedDict:
    data = load_yaml_text(PARENT, "parent.yaml")
    assert isinstance(data, SpannedDict)
    return data


def change(**fields: Any) -> tuple[ChangeSpec, None]:
    return ChangeSpec.model_validate(fields), None


def test_mappings_merge_and_the_parent_stays_untouched() -> None:
    base = parent()
    merged = deep_merge(base, load_yaml_text("file: {encoding: cp037}\n", "child.yaml"))
    assert merged["file"] == {"type": "fixed", "width": 10, "encoding": "cp037"}
    assert base["file"]["encoding"] == "ascii"
    assert merged.value_spans["file"].file == "child.yaml"


def test_set_remove_and_add_by_name_and_index() -> None:
    data = parent()
    apply_changes(
        data,
        [
            change(set="structure[header].fields[rest].fill", value="0"),
            change(add="structure", before="trailer", value={"record": "note"}),
            change(add="structure[header].fields", value={"len": 1}),
            change(remove="structure[0].fields[0]"),
        ],
    )
    assert [r["record"] for r in data["structure"]] == ["header", "note", "trailer"]
    assert data["structure"][0]["fields"] == [{"name": "rest", "len": 9, "fill": "0"}, {"len": 1}]


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (
            {"set": "structure[nope].len", "value": 1},
            "no item named `nope` (items: header, trailer)",
        ),
        ({"remove": "file.widht"}, "no key `widht` (keys: type, width, encoding)"),
        ({"remove": "structure[5]"}, "index 5 is outside the list of 2"),
        ({"add": "file", "value": 1}, "`add` needs a list"),
        ({"set": "structure..x", "value": 1}, "is not a path part"),
    ],
)
def test_changes_that_cannot_apply_say_why(operation: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        apply_changes(parent(), [change(**operation)])
    assert caught.value.code == "CFG320"
    assert message in caught.value.message


@pytest.mark.parametrize(
    "operation",
    [
        {"set": "a"},
        {"remove": "a", "add": "b", "value": 1},
        {"add": "a", "value": 1, "before": "x", "after": "y"},
    ],
)
def test_malformed_changes_are_refused(operation: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ChangeSpec.model_validate(operation)
