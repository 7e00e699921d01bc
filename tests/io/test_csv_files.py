"""CSV files: headers and rows as the flattening rule reads them (tests/io/test_flat.py)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from erengine.errors import ParseError
from erengine.io.csv_files import iter_csv_rows, read_csv
from tests.io.test_flat import NESTED


def test_unknown_columns_and_ragged_rows() -> None:
    with pytest.raises(ParseError) as caught:
        read_csv(NESTED, io.StringIO("groups.tags\r\na\r\n"))
    assert caught.value.code == "PRS194"
    assert caught.value.hint == "did you mean 'groups.tag'?"
    with pytest.raises(ParseError) as caught:
        read_csv(NESTED, io.StringIO("groups.tag\r\na,b\r\n"), file="in.csv")
    assert (caught.value.code, caught.value.position.line) == ("PRS192", 2)
    with pytest.raises(ParseError) as caught:
        read_csv(NESTED, io.StringIO(""))
    assert caught.value.code == "PRS191"


def test_rows_are_read_lazily_with_their_line_numbers() -> None:
    pulled: list[str] = []

    def lines() -> Iterator[str]:
        for line in ["a,b\r\n", "1,2\r\n", "\r\n", '"x\r\n', 'y",3\r\n']:
            pulled.append(line)
            yield line

    rows = iter_csv_rows(lines(), file="in.csv")  # type: ignore[arg-type]
    assert next(rows) == (2, {"a": "1", "b": "2"})
    assert len(pulled) == 2  # nothing read ahead
    assert next(rows) == (5, {"a": "x\r\ny", "b": "3"})  # the line where the row ends
