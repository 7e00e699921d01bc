"""A consumer that cannot take a file now (``RetryLater``): the file is neither refused nor
acknowledged, and the next run hands it over again."""

from __future__ import annotations

from pathlib import Path

import pytest
from erengine_sftp import Archive, Ledger, PickedFile, Picker, RetryLater
from erengine_sftp.endpoint import LocalEndpoint

from .conftest import write_file


class DatabaseDown(RetryLater):
    pass


def test_a_file_the_consumer_cannot_take_now_stays_for_the_next_run(
    tmp_path: Path, local_endpoint: LocalEndpoint, ledger: Ledger, archive: Archive
) -> None:
    inbox = local_endpoint.root / "in"
    write_file(inbox / "stmt.sta", 100)
    handed: list[PickedFile] = []

    def unavailable(picked: PickedFile) -> None:
        handed.append(picked)
        raise DatabaseDown("the books database is down")

    with pytest.raises(DatabaseDown):
        Picker(local_endpoint, ledger=ledger, archive=archive).pick_up(
            tmp_path / "landed", unavailable
        )
    assert (inbox / "stmt.sta").exists()
    assert not (inbox / "error").exists()

    report = Picker(local_endpoint, ledger=ledger, archive=archive).pick_up(
        tmp_path / "landed", handed.append
    )

    first, again = handed
    assert (first.redelivered, again.redelivered) == (False, True)
    assert again.sha256 == first.sha256
    assert [picked.remote_path for picked in report.picked] == [first.remote_path]
    assert report.rejected == []
    assert (inbox / "done" / "stmt.sta").exists()
