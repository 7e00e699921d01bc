"""Endpoint files: strict schema, secrets kept out of messages, lookup by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from erengine_sftp import SftpEndpoint, find_endpoint, load_endpoint
from erengine_sftp.endpoint import ENDPOINTS_ENV
from erengine_sftp.errors import EndpointConfigError

GOOD = """\
type: sftp
name: acme
host: sftp.acme.example
user: erengine
auth: {key_file: keys/acme_ed25519}
host_keys:
  fingerprints: ["SHA256:Yq0bYl7r0u1hB9o7u4jXqT0b8q7b2x6sW7yT9rR0n2E"]
folders: {outbox: /upload, inbox: /download}
"""


def test_a_good_file_loads_and_relative_paths_follow_it(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(GOOD)

    endpoint = load_endpoint(tmp_path / "acme.yaml")

    assert isinstance(endpoint, SftpEndpoint)
    assert endpoint.port == 22
    assert endpoint.auth.key_file == tmp_path / "keys" / "acme_ed25519"
    assert endpoint.delivery.publish == "rename"


def test_a_password_in_the_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(GOOD.replace("auth: {", "auth: {password: s3cr3t-pw, "))

    with pytest.raises(EndpointConfigError) as caught:
        load_endpoint(tmp_path / "acme.yaml")

    assert "auth.password: Extra inputs are not permitted" in caught.value.message
    assert "s3cr3t-pw" not in str(caught.value)


def test_an_unpinned_server_is_a_configuration_error(tmp_path: Path) -> None:
    text = GOOD.replace(
        '  fingerprints: ["SHA256:Yq0bYl7r0u1hB9o7u4jXqT0b8q7b2x6sW7yT9rR0n2E"]\n', "  {}\n"
    )
    (tmp_path / "acme.yaml").write_text(text.replace("host_keys:\n  {}", "host_keys: {}"))

    with pytest.raises(EndpointConfigError, match="pin the server key"):
        load_endpoint(tmp_path / "acme.yaml")


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text("type: sftp\nname: [unclosed\n")

    with pytest.raises(EndpointConfigError, match=r"acme.yaml:3:1: not valid YAML"):
        load_endpoint(tmp_path / "acme.yaml")


def test_endpoints_are_found_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "acme.yaml").write_text(GOOD)
    monkeypatch.setenv(ENDPOINTS_ENV, str(tmp_path))

    assert find_endpoint("acme").name == "acme"
    with pytest.raises(EndpointConfigError, match="no endpoint 'other'"):
        find_endpoint("other")


def test_a_refused_file_cannot_be_set_to_be_deleted(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(GOOD + "pickup: {after: delete, after_failure: delete}\n")

    with pytest.raises(EndpointConfigError, match=r"pickup\.after_failure"):
        load_endpoint(tmp_path / "acme.yaml")
