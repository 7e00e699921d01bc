"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .postgres import PASSWORD, PASSWORD_ENV, PostgresServer, server_binaries
from .unavailable import unavailable

REPOSITORY = Path(__file__).resolve().parents[1]
CORPUS = REPOSITORY.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The public sample corpus beside the clone (``../shared/corpus``).

    CI always has it, so there its absence fails the run; elsewhere the corpus tests skip
    with the reason, rather than pass without reading anything.
    """
    if not CORPUS.is_dir():
        unavailable(
            f"the sample corpus is not at {CORPUS} (clone next to shared/)",
            why_ci_needs_it="CI has ../shared beside the clone",
        )
    return CORPUS


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole run (see tests/postgres.py).

    Without the server binaries the tests that need it fail in CI (the check script
    installs them) and skip elsewhere with the reason.
    """
    binaries = server_binaries()
    if binaries is None:
        unavailable(
            "PostgreSQL's initdb is missing: apt-get install -y postgresql",
            why_ci_needs_it="PostgreSQL tests must run in CI",
        )
    # Under /tmp, not pytest's tmp_path: as root the server runs as `postgres`, which cannot
    # enter pytest-of-root (mode 0700).
    folder = Path(tempfile.mkdtemp(prefix="erengine-pg-"))
    server = PostgresServer(folder, binaries)
    server.init()
    server.start()
    previous = os.environ.get(PASSWORD_ENV)
    os.environ[PASSWORD_ENV] = PASSWORD
    try:
        yield server
    finally:
        server.stop("immediate")
        if previous is None:
            os.environ.pop(PASSWORD_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)
