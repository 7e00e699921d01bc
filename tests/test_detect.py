"""`erengine parse --detect`: which formats of the catalog read a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from erengine.detect import choose, detect
from erengine.engine import Engine
from erengine.errors import ParseError

REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_folders()


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("sample", "message", "best"),
    [
        ("camt053/genkgo-camt053.v2.minimal.xml", "camt.053.001.02", "camt.053.001.02@"),
        ("camt053/genkgo-camt053.v8.xml", "camt.053.001.08", "camt.053.001.08@"),
        ("mt940/wolph-jejik-ing.sta", "MT940", "mt940@"),
        ("mt940/wolph-self-mt942.sta", "MT942", "mt942@"),
        ("nacha/moov-ppd-debit.ach", "records of fixed width", "nacha@"),
    ],
)
def test_messages_are_recognised(
    engine: Engine, corpus: Path, sample: str, message: str, best: str
) -> None:
    found = detect(engine.catalog, corpus / sample)
    assert found.message == message
    assert found.formats[0].startswith(best)
    assert choose(found, None, engine.catalog) == found.formats[0]


@pytest.mark.corpus
def test_a_bank_variant_is_chosen_by_name_and_must_read_the_message(
    engine: Engine, corpus: Path
) -> None:
    found = detect(engine.catalog, corpus / "mt940" / "wolph-jejik-ing.sta")
    assert choose(found, "mt940-nl@^1", engine.catalog).startswith("mt940-nl@")
    with pytest.raises(ParseError) as caught:
        choose(found, "camt.053.001.02", engine.catalog)
    assert caught.value.code == "PRS181"


def test_a_file_no_format_reads_is_a_clear_error(engine: Engine) -> None:
    with pytest.raises(ParseError) as caught:
        detect(engine.catalog, REPOSITORY / "samples" / "payments.json")
    assert caught.value.code == "PRS180"
    assert caught.value.hint == "name the format: erengine parse FORMAT FILE"
