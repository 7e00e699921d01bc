"""Jobs against a real OpenSSH server: a payment file sent once, a statement picked up once.

The server, its keys and the per-test folders come from the transport's fixtures
(tests/sftp/conftest.py); only the endpoint file the jobs point at is written here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from erengine.jobs import RunContext, load_job, run_inbound, run_outbound

from ..sftp.conftest import remote_dir, sshd, sshd_folder  # noqa: F401  (fixtures, reused)
from ..sftp.sshd import SshServer
from .conftest import MT940_CASES, Bank, Crash, Events

pytestmark = pytest.mark.sshd


@pytest.fixture
def server_endpoint(bank: Bank, sshd: SshServer, remote_dir: str) -> Path:  # noqa: F811
    """The jobs' endpoint file switched from the drop folder to the real server."""
    data = sshd.endpoint_data(folders={"outbox": f"{remote_dir}/out", "inbox": f"{remote_dir}/in"})
    bank.endpoint_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    return sshd.root / remote_dir


def test_a_payment_job_sends_one_file_through_sftp_across_a_crash(
    outbound_job: Path,
    server_endpoint: Path,
    sshd: SshServer,  # noqa: F811
    context_for: Callable[[], RunContext],
    events: Events,
) -> None:
    events.crash_at = "transport published"
    with pytest.raises(Crash):
        run_outbound(load_job(str(outbound_job)), context_for(), period="2024-03-01")
    resumed = run_outbound(load_job(str(outbound_job)), context_for(), period="2024-03-01")
    again = run_outbound(load_job(str(outbound_job)), context_for(), period="2024-03-01")

    assert resumed.status == "delivered"
    assert again.status == "already_delivered"
    (sent,) = sorted((server_endpoint / "out").iterdir())
    assert resumed.run is not None
    assert resumed.run.generated is not None
    assert hashlib.sha256(sent.read_bytes()).hexdigest() == resumed.run.generated.sha256
    (delivery,) = resumed.deliveries
    assert delivery["host_key_fingerprint"] == sshd.fingerprint


def test_a_statement_job_picks_up_once_through_sftp_across_a_crash(
    inbound_job: Path,
    server_endpoint: Path,
    context_for: Callable[[], RunContext],
    events: Events,
    tmp_path: Path,
) -> None:
    statement = (MT940_CASES / "read-page-join" / "input.sta").read_bytes()
    (server_endpoint / "in" / "stmt.sta").write_bytes(statement)
    events.crash_at = "outputs written"
    with pytest.raises(Crash):
        run_inbound(load_job(str(inbound_job)), context_for())
    run_inbound(load_job(str(inbound_job)), context_for())
    final = run_inbound(load_job(str(inbound_job)), context_for())

    assert final.written == []
    assert len(list((tmp_path / "statements").glob("stmt-*.json"))) == 1
    assert (server_endpoint / "in" / "done" / "stmt.sta").read_bytes() == statement
