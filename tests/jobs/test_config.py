"""Job documents: checked like every configuration, each mistake with file:line:col."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from erengine.config.schema.job import InboundJobDocument, OutboundJobDocument
from erengine.errors import ConfigError, ErrorGroup, flatten
from erengine.jobs import load_job

from .conftest import SAMPLES

OUTBOUND = """\
kind: job
name: payables
version: 1.0.0
direction: outbound
source:
  files: [exports/*.csv]
format: nacha@^1
output:
  name: "acme-{period}.ach"
deliver: [bank.yaml]
"""


def errors_of(tmp_path: Path, text: str) -> list[ConfigError]:
    path = tmp_path / "job.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises((ConfigError, ErrorGroup)) as raised:
        load_job(str(path))
    found = [error for error in flatten(raised.value) if isinstance(error, ConfigError)]
    assert found
    return found


def test_the_sample_jobs_load() -> None:
    payments = load_job(str(SAMPLES / "jobs" / "acme-supplier-payments.yaml"))
    statements = load_job(str(SAMPLES / "jobs" / "demo-bank-statements.yaml"))
    assert isinstance(payments.spec, OutboundJobDocument)
    assert isinstance(statements.spec, InboundJobDocument)
    assert payments.label == "acme-supplier-payments@1.0.0"


def test_a_misspelt_key_is_located_with_a_hint(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, OUTBOUND.replace("deliver:", "delivr:"))
    assert sorted(error.code for error in errors) == ["CFG210", "CFG211"]  # and `deliver` missing
    error = next(error for error in errors if error.code == "CFG210")
    assert error.span is not None
    assert (error.span.line, error.span.column) == (10, 1)
    assert error.hint == "did you mean `deliver`?"


def test_an_unknown_placeholder_in_the_file_name_is_located(tmp_path: Path) -> None:
    (error,) = errors_of(tmp_path, OUTBOUND.replace("{period}", "{perod}"))
    assert error.code == "CFG213"
    assert error.config_path == "output.name"
    assert error.span is not None
    assert error.span.line == 9
    assert "{perod}" in error.message
    assert "{period}" in error.message


def test_a_wrong_direction_names_both(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, OUTBOUND.replace("direction: outbound", "direction: outward"))
    direction = next(error for error in errors if error.config_path == "direction")
    assert direction.code == "CFG212"
    assert direction.hint is not None
    assert "'outbound'" in direction.hint
    assert "'inbound'" in direction.hint


def test_an_inbound_job_needs_outputs(tmp_path: Path) -> None:
    text = dedent(
        """\
        kind: job
        name: statements
        version: 1.0.0
        direction: inbound
        endpoint: bank.yaml
        format: mt940@^1
        """
    )
    (error,) = errors_of(tmp_path, text)
    assert error.code == "CFG211"
    assert error.config_path == "outputs"


def test_an_unknown_placeholder_in_the_message_id_is_located(tmp_path: Path) -> None:
    text = OUTBOUND.replace('  name: "acme-{period}.ach"', '  name: "a.ach"\n  message_id: "{x}"')
    (error,) = errors_of(tmp_path, text)
    assert error.code == "CFG213"
    assert error.config_path == "output.message_id"
