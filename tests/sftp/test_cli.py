"""`erengine sftp ...` against the real server: push, pull, ls, fingerprint, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from erengine_cli.cli import EXIT_OK, EXIT_TRANSPORT, main

from .conftest import write_file
from .sshd import SshServer


@pytest.fixture
def endpoint_file(tmp_path: Path, sshd: SshServer, remote_dir: str) -> Path:
    data = sshd.endpoint_data(
        name="bank",
        folders={"outbox": f"{remote_dir}/out", "inbox": f"{remote_dir}/in"},
        archive={"folder": str(tmp_path / "archive")},
    )
    path = tmp_path / "endpoints" / "bank.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.sshd
def test_push_then_pull_by_name(
    tmp_path: Path,
    sshd: SshServer,
    remote_dir: str,
    endpoint_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger = ["--ledger", str(tmp_path / "ledger.sqlite")]
    payment = write_file(tmp_path / "pay.xml", 2000)
    folder = ["--endpoints", str(endpoint_file.parent)]

    assert (
        main(
            [
                "sftp",
                "push",
                "bank",
                str(payment),
                *folder,
                *ledger,
                "--json",
                "--meta",
                "format=pain.001@1",
            ]
        )
        == EXIT_OK
    )
    [receipt] = json.loads(capsys.readouterr().out)
    assert receipt["status"] == "delivered"
    assert main(["sftp", "push", str(endpoint_file), str(payment), *ledger]) == EXIT_OK
    assert "already_delivered" in capsys.readouterr().out

    (sshd.root / remote_dir / "out" / "pay.xml").rename(sshd.root / remote_dir / "in" / "pay.xml")
    assert main(["sftp", "ls", str(endpoint_file)]) == EXIT_OK
    assert "pay.xml" in capsys.readouterr().out
    assert main(["sftp", "ls", str(endpoint_file), "--json"]) == EXIT_OK
    [listed] = json.loads(capsys.readouterr().out)
    assert listed == {"name": "pay.xml", "size": 2000, "mtime": listed["mtime"], "is_file": True}
    assert main(["sftp", "pull", str(endpoint_file), "--to", str(tmp_path / "got"), *ledger]) == 0
    assert "picked up" in capsys.readouterr().out
    assert (tmp_path / "got" / "pay.xml").read_bytes() == payment.read_bytes()


@pytest.mark.sshd
def test_fingerprint_matches_ssh_keygen(
    sshd: SshServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sftp", "fingerprint", f"127.0.0.1:{sshd.port}", "--json"]) == EXIT_OK

    shown = json.loads(capsys.readouterr().out)
    assert shown["fingerprint"] == sshd.fingerprint
    assert shown["known_hosts_line"].startswith(f"[127.0.0.1]:{sshd.port} ssh-ed25519 ")


@pytest.mark.sshd
def test_transport_errors_are_rendered_with_their_code(
    tmp_path: Path, endpoint_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(endpoint_file.read_text())
    data["host_keys"] = {"fingerprints": ["SHA256:" + "A" * 43]}
    endpoint_file.write_text(yaml.safe_dump(data))

    code = main(
        [
            "sftp",
            "push",
            str(endpoint_file),
            str(write_file(tmp_path / "p", 10)),
            "--ledger",
            str(tmp_path / "ledger.sqlite"),
        ]
    )

    assert code == EXIT_TRANSPORT
    assert capsys.readouterr().err.startswith("TRN111 127.0.0.1:")


def test_a_drop_folder_endpoint_works_without_a_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = tmp_path / "bank"
    (bank / "outbox").mkdir(parents=True)
    (bank / "inbox").mkdir()
    endpoints = tmp_path / "endpoints"
    endpoints.mkdir()
    (endpoints / "demo.yaml").write_text(
        "type: local\nname: demo\nroot: ../bank\n"
        "folders: {outbox: outbox, inbox: inbox}\n"
        "pickup: {stable_seconds: 0, min_age_seconds: 0}\n"
    )
    monkeypatch.setenv("ERENGINE_ENDPOINTS", str(endpoints))
    monkeypatch.setenv("ERENGINE_DATA_DIR", str(tmp_path / "data"))
    payment = write_file(tmp_path / "pay.xml", 300)

    assert main(["sftp", "push", "demo", str(payment)]) == EXIT_OK
    (bank / "outbox" / "pay.xml").rename(bank / "inbox" / "stmt.xml")
    assert main(["sftp", "pull", "demo", "--to", str(tmp_path / "got"), "--json"]) == EXIT_OK

    capsys.readouterr()
    assert (tmp_path / "got" / "stmt.xml").read_bytes() == payment.read_bytes()
    assert sorted(p.name for p in (bank / "inbox" / "done").iterdir()) == ["stmt.xml"]
    manifest = (tmp_path / "data" / "archive" / "manifest.jsonl").read_text().splitlines()
    assert [json.loads(line)["direction"] for line in manifest] == ["out", "in"]
    assert (tmp_path / "data" / "ledger.sqlite").exists()
