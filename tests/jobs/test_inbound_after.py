"""What an inbound job does with the remote file after it wrote the statement or refused it:
``after_success`` and ``after_failure`` over the endpoint's own pickup settings, on a drop
folder and on the real sshd."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from erengine.errors import ConfigError, ErrorGroup, flatten
from erengine.jobs import RunContext, load_job, run_inbound

from ..sftp.conftest import remote_dir, sshd, sshd_folder  # noqa: F401  (fixtures, reused)
from ..sftp.sshd import SshServer
from .conftest import MT940_CASES, Bank

STATEMENT = (MT940_CASES / "read-page-join" / "input.sta").read_bytes()

# the job's settings -> where the written and the refused file are afterwards (None: deleted)
CASES = [
    ("", "done/good.sta", "error/bad.sta"),  # the endpoint's: move both
    ("after_success: {action: delete}\n", None, "error/bad.sta"),
    ("after_success: {action: leave}\nafter_failure: {action: leave}\n", "good.sta", "bad.sta"),
    (
        "after_success: {action: move, folder: read/2024}\nafter_failure: {folder: refused}\n",
        "read/2024/good.sta",
        "refused/bad.sta",
    ),
]


def job_with(folder: Path, settings: str) -> Path:
    path = folder / "jobs" / "after.yaml"
    path.write_text(
        "kind: job\nname: after\nversion: 1.0.0\ndirection: inbound\n"
        "endpoint: endpoints/bank.yaml\nformat: mt940@^1\n"
        "outputs: [{type: json, folder: ../statements}]\n" + settings,
        encoding="utf-8",
    )
    return path


def left_in(inbox: Path) -> set[str]:
    return {str(path.relative_to(inbox)) for path in inbox.rglob("*") if path.is_file()}


@pytest.mark.parametrize("server", ["drop folder", pytest.param("sshd", marks=pytest.mark.sshd)])
@pytest.mark.parametrize(("settings", "good_at", "bad_at"), CASES)
def test_the_job_moves_deletes_or_leaves_the_remote_file_for_each_outcome(
    server: str,
    settings: str,
    good_at: str | None,
    bad_at: str,
    bank: Bank,
    context_for: Callable[[], RunContext],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    inbox = bank.inbox
    if server == "sshd":
        ssh_server: SshServer = request.getfixturevalue("sshd")
        folder: str = request.getfixturevalue("remote_dir")
        data = ssh_server.endpoint_data(
            folders={"outbox": f"{folder}/out", "inbox": f"{folder}/in"}
        )
        bank.endpoint_file.write_text(yaml.safe_dump(data), encoding="utf-8")
        inbox = ssh_server.root / folder / "in"
    (inbox / "good.sta").write_bytes(STATEMENT)
    (inbox / "bad.sta").write_bytes(b"not a statement\n")
    job = load_job(str(job_with(tmp_path, settings)))

    result = run_inbound(job, context_for())
    again = run_inbound(job, context_for())

    assert [item["remote_path"].rsplit("/", 1)[-1] for item in result.written] == ["good.sta"]
    assert [item["remote_path"].rsplit("/", 1)[-1] for item in result.rejected] == ["bad.sta"]
    assert (again.written, again.rejected) == ([], [])  # a file left is not taken again
    assert left_in(inbox) == {bad_at} | ({good_at} if good_at else set())
    assert len(list((tmp_path / "statements").iterdir())) == 1


@pytest.mark.parametrize(
    ("settings", "code", "message"),
    [
        ("after_failure: {action: delete}\n", "CFG212", "'delete' is not allowed here"),
        ("after_success: {folder: ../elsewhere}\n", "CFG213", "a folder inside the inbox"),
        ("after_success: {action: leave, folder: kept}\n", "CFG213", "only goes with `action"),
    ],
)
def test_a_refused_file_is_never_deleted_and_folders_stay_in_the_inbox(
    settings: str, code: str, message: str, bank: Bank, tmp_path: Path
) -> None:
    path = job_with(tmp_path, settings)

    with pytest.raises(ErrorGroup) as raised:
        load_job(str(path))

    (error,) = flatten(raised.value)
    assert isinstance(error, ConfigError)
    assert (error.code, error.span and error.span.line) == (code, 8)
    assert message in error.message
