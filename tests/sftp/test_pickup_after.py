"""What happens to the remote file after a pickup: ``pickup.after`` for a file the consumer
took, ``pickup.after_failure`` for one it refused; on a drop folder and on the real sshd."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from erengine_sftp import Archive, Ledger, PickedFile, Picker, SftpEndpoint
from erengine_sftp.endpoint import LocalEndpoint

from .conftest import Rig, with_settings, write_file

# pickup settings -> where the taken and the refused file are afterwards (None: deleted)
CASES = [
    ({}, "done/good.sta", "error/bad.sta"),
    ({"after": "delete"}, None, "error/bad.sta"),  # a refused file is never deleted
    ({"after": "leave"}, "good.sta", "bad.sta"),
    ({"after_failure": "leave"}, "done/good.sta", "bad.sta"),
    ({"after": "delete", "after_failure": "leave"}, None, "bad.sta"),
    ({"after": "leave", "after_failure": "move"}, "good.sta", "error/bad.sta"),
]


def refuse_bad(picked: PickedFile) -> None:
    if picked.remote_path.endswith("bad.sta"):
        raise ValueError("not a statement")


def remaining(inbox: Path) -> set[str]:
    return {str(path.relative_to(inbox)) for path in inbox.rglob("*") if path.is_file()}


def pick_up_good_and_bad(
    endpoint: LocalEndpoint | SftpEndpoint,
    inbox: Path,
    ledger: Ledger,
    archive: Archive,
    landed: Path,
) -> set[str]:
    write_file(inbox / "good.sta", 100)
    write_file(inbox / "bad.sta", 100, seed=1)
    report = Picker(endpoint, ledger=ledger, archive=archive).pick_up(landed, refuse_bad)
    assert [p.remote_path.rsplit("/", 1)[-1] for p in report.picked] == ["good.sta"]
    assert [r.reason for r in report.rejected] == ["not a statement"]
    assert Picker(endpoint, ledger=ledger, archive=archive).pick_up(landed).picked == []
    return remaining(inbox)


@pytest.mark.parametrize("server", ["drop folder", pytest.param("sshd", marks=pytest.mark.sshd)])
@pytest.mark.parametrize(("settings", "good_at", "bad_at"), CASES)
def test_the_remote_file_is_moved_deleted_or_left_for_each_outcome_as_told(
    server: str,
    settings: dict[str, Any],
    good_at: str | None,
    bad_at: str,
    tmp_path: Path,
    ledger: Ledger,
    archive: Archive,
    request: pytest.FixtureRequest,
) -> None:
    endpoint: LocalEndpoint | SftpEndpoint
    if server == "sshd":
        rig: Rig = request.getfixturevalue("rig")
        endpoint = rig.endpoint(pickup={"stable_seconds": 0, "min_age_seconds": 0, **settings})
        inbox = rig.inbox
    else:
        local: LocalEndpoint = request.getfixturevalue("local_endpoint")
        endpoint = with_settings(local, "pickup", **settings)
        inbox = endpoint.root / "in"

    left = pick_up_good_and_bad(endpoint, inbox, ledger, archive, tmp_path / "landed")

    assert left == {bad_at} | ({good_at} if good_at else set())


def test_folders_for_both_outcomes_come_from_the_endpoint(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    endpoint = with_settings(local_endpoint, "folders", done="processed", error="refused/mt940")
    inbox = endpoint.root / "in"

    left = pick_up_good_and_bad(endpoint, inbox, ledger, archive, tmp_path / "landed")

    assert left == {"processed/good.sta", "refused/mt940/bad.sta"}
