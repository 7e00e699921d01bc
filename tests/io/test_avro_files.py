"""Avro files of model data through fastavro."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erengine.errors import ParseError
from erengine.io.avro_files import read_avro, write_avro
from erengine.model import ModelPlan
from erengine.model.strategies import data_for
from tests.model.conftest import model


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_read_of_write_is_identity(
    payments: ModelPlan, documents: st.SearchStrategy[dict[str, Any]], data: st.DataObject
) -> None:
    document = data.draw(documents)
    binary = io.BytesIO()
    write_avro(payments, document, binary)
    binary.seek(0)
    assert read_avro(payments, binary) == document


def test_avro_refuses_other_files(payments: ModelPlan) -> None:
    with pytest.raises(ParseError) as caught:
        read_avro(payments, io.BytesIO(b"not avro at all"), file="x.avro")
    assert caught.value.code == "PRS197"


TIMES = model(
    {
        "File": {
            "fields": {
                "local": {"type": "datetime", "timezone": "naive"},
                "aware": {"type": "datetime", "timezone": "aware"},
                "either": {"type": "datetime", "required": False},
                "day": {"type": "date"},
                "rate": {"type": "decimal", "required": False},
                "tags": {"type": "list", "of": {"type": "code", "codes": ["x", "y"]}},
            }
        }
    }
)


@settings(max_examples=100, deadline=None)
@given(data_for(TIMES))
def test_dates_and_times_keep_their_kind(document: dict[str, Any]) -> None:
    binary = io.BytesIO()
    write_avro(TIMES, document, binary)
    binary.seek(0)
    back = read_avro(TIMES, binary)
    assert back == document
    assert back["local"].tzinfo is None
    assert back["aware"].tzinfo is not None  # the same instant, given in UTC
    if "either" in document:
        assert back["either"].utcoffset() == document["either"].utcoffset()
