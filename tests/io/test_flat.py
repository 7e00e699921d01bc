"""The CSV flattening rule: symmetric for everything it writes, explicit where it cannot be."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from erengine.errors import ConfigError, ErrorGroup, ParseError, ValidationError
from erengine.io.csv_files import read_csv, write_csv
from erengine.io.flat import flat_layout
from erengine.model import ModelPlan
from erengine.model.strategies import data_for
from tests.model.conftest import model

# Three levels, with everything that makes flattening hard: all-optional records, a leaf list,
# an optional nested record, an optional list level.
NESTED = model(
    {
        "File": {
            "fields": {
                "name": {"type": "text", "required": False, "max_length": 3},
                "groups": {"type": "list", "of": "Group"},
            }
        },
        "Group": {
            "fields": {
                "tag": {"type": "code", "codes": ["a", "b"], "required": False},
                "info": {"type": "record", "of": "Info"},
                "items": {"type": "list", "of": "Item", "required": False},
            }
        },
        "Info": {"fields": {"note": {"type": "text", "required": False, "max_length": 2}}},
        "Item": {
            "fields": {
                "n": {"type": "integer", "required": False, "minimum": 0, "maximum": 3},
                "flags": {"type": "list", "of": {"type": "boolean"}, "max_items": 2},
                "extra": {"type": "record", "of": "Info", "required": False},
            }
        },
    }
)


def _csv(plan: ModelPlan, data: Any) -> str:
    sink = io.StringIO()
    write_csv(plan, data, sink)
    return sink.getvalue()


def test_columns_are_dotted_paths_with_list_levels_implicit(payments: ModelPlan) -> None:
    headers = flat_layout(payments).headers
    assert headers[:2] == ("message_id", "created_at")
    for column in (
        "batches.requested_date",
        "batches.debtor.name",
        "batches.payments.amount",
        "batches.payments.creditor.name",
        "batches.payments.creditor.address.lines[1]",
    ):
        assert column in headers
    assert [level.name for level in flat_layout(payments).levels] == [
        "",
        "batches",
        "batches.payments",
    ]


def test_one_row_per_payment_with_parents_repeated(
    payments: ModelPlan, sample: dict[str, Any]
) -> None:
    text = _csv(payments, sample)
    lines = text.splitlines()
    assert len(lines) == 3  # header and two payments
    header = lines[0].split(",")
    first, second = (dict(zip(header, line.split(","), strict=True)) for line in lines[1:])
    assert first["message_id"] == second["message_id"] == "MSG-2025-0001"
    assert first["batches.requested_date"] == second["batches.requested_date"] == "2025-01-03"
    assert first["batches.payments.amount"] == "1500.00"
    assert second["batches.payments.prenote"] == "true"
    assert read_csv(payments, io.StringIO(text)) == sample


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_read_of_write_is_identity_for_payments(payments: ModelPlan, data: st.DataObject) -> None:
    _round_trip_or_refused(payments, data.draw(data_for(payments, max_items=2)))


@settings(max_examples=300, deadline=None)
@given(data_for(NESTED, max_items=3))
def test_read_of_write_is_identity_or_refused(document: dict[str, Any]) -> None:
    _round_trip_or_refused(NESTED, document)


def _round_trip_or_refused(plan: ModelPlan, document: dict[str, Any]) -> None:
    """What is written reads back equal; what is refused is refused for ambiguity only."""
    try:
        text = _csv(plan, document)
    except ValidationError as refused:
        if refused.code != "VAL120":
            raise
        reject()
    assert read_csv(plan, io.StringIO(text)) == document


def test_equal_neighbours_on_a_grouped_level_are_refused() -> None:
    group = {"info": {}, "items": [{"n": 1}]}
    with pytest.raises(ValidationError) as caught:
        _csv(NESTED, {"groups": [group, group]})
    assert caught.value.code == "VAL120"
    assert caught.value.position.json_path == "$.groups[1]"


def test_equal_neighbours_on_the_deepest_level_are_kept() -> None:
    item = {"n": 1, "flags": [True]}
    document = {"groups": [{"info": {}, "items": [item, item]}]}
    assert read_csv(NESTED, io.StringIO(_csv(NESTED, document))) == document


def test_an_empty_item_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        _csv(NESTED, {"groups": [{"tag": "a", "info": {}, "items": [{}]}]})
    assert caught.value.position.json_path == "$.groups[0].items[0]"


def test_parents_without_children_are_rows_with_empty_cells() -> None:
    document = {"name": "x", "groups": [{"tag": "a", "info": {}}, {"tag": "b", "info": {}}]}
    text = _csv(NESTED, document)
    assert text.splitlines()[1] == "x,a,,,,,"
    assert read_csv(NESTED, io.StringIO(text)) == document


def test_rows_that_contradict_the_grouping_are_parse_errors() -> None:
    text = "name,groups.tag,groups.info.note,groups.items.n\r\nx,a,,1\r\ny,a,,2\r\nx,b,,\r\n"
    text += "x,b,,\r\n"
    with pytest.raises(ErrorGroup) as caught:
        read_csv(NESTED, io.StringIO(text), file="in.csv")
    found = [(e.code, e.position.line) for e in caught.value.errors if isinstance(e, ParseError)]
    assert found == [("PRS190", 3), ("PRS190", 5)]


def test_bad_cells_are_reported_with_json_paths() -> None:
    text = "groups.tag,groups.items.n\r\nc,1\r\na,x\r\n"
    with pytest.raises(ErrorGroup) as caught:
        read_csv(NESTED, io.StringIO(text), file="in.csv")
    found = [
        (e.code, e.position.json_path, e.position.line)
        for e in caught.value.errors
        if isinstance(e, ValidationError)
    ]
    assert found == [("VAL109", "$.groups[0].tag", 2), ("VAL101", "$.groups[1].items[0].n", 3)]


@pytest.mark.parametrize(
    ("records", "code"),
    [
        (
            {
                "File": {
                    "fields": {
                        "a": {"type": "list", "of": "Item"},
                        "b": {"type": "list", "of": "Item"},
                    }
                },
                "Item": {"fields": {"n": {"type": "integer"}}},
            },
            "CFG520",
        ),
        (
            {"File": {"fields": {"next": {"type": "record", "of": "File", "required": False}}}},
            "CFG521",
        ),
        ({"File": {"fields": {"tags": {"type": "list", "of": {"type": "text"}}}}}, "CFG522"),
    ],
)
def test_models_csv_cannot_hold(records: dict[str, Any], code: str) -> None:
    with pytest.raises(ConfigError) as caught:
        flat_layout(model(records))
    assert caught.value.code == code
