"""The persistent record of what was delivered and picked up (SQLite, one file per user).

Pickup rows move through ``claimed → downloaded → processing → processed | rejected``, or
``claimed → duplicate``; the remote clean-up (move, delete, leave) then sets ``outcome``,
which closes the row. A claim is committed before any byte is fetched; a failed fetch deletes
it (release); a claim left by a crash is fetched again on the next run. A row leaves
``claimed`` only in its group's barrier commit, once its landed file and archive copy are
durable. Every step commits before the next side effect starts, so a restart continues where
the crash happened.

Delivery rows are ``sending → publishing → delivered`` and make "never send the same payment
file twice" hold even after the bank has taken the file away from the server. ``publishing``
is committed durably once the temp file on the server is complete and verified and the
archive copy is durable, before the rename: a row found in that state after a crash was
published (the final name holds the bytes, or the bank has taken them: neither name is
there) or is published now (the temp file is there), never sent again.

Durability: every commit survives a crash of the process. Only the commits that precede an
act nobody can take back are also fsynced against power loss (``synchronous=FULL``): the
``publishing`` mark of a group of deliveries before their renames; with a consumer, handing a
file over and recording its answer before the remote file is moved; without one, the landed
group's ``processed`` mark before the remote files are moved. The others (claims, downloads,
clean-up outcomes, a delivery that is starting or done) use ``NORMAL``, because losing one
only makes the next run redo a step that is safe to redo. A FULL commit also makes every
earlier one durable, so one FULL commit per group covers the rows of the whole group.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from .durable import data_folder
from .errors import LocalFileError

PickupState = Literal["claimed", "downloaded", "processing", "processed", "rejected", "duplicate"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pickups (
    id INTEGER PRIMARY KEY,
    endpoint TEXT NOT NULL,
    remote_path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    state TEXT NOT NULL,
    sha256 TEXT,
    local_path TEXT,
    archived_path TEXT,
    duplicate_of INTEGER REFERENCES pickups(id),
    outcome TEXT,
    error TEXT,
    claimed_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (endpoint, remote_path, size, mtime)
);
CREATE INDEX IF NOT EXISTS pickups_by_content ON pickups (endpoint, sha256);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    endpoint TEXT NOT NULL,
    remote_path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    state TEXT NOT NULL,
    started_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (endpoint, remote_path, sha256)
);
CREATE INDEX IF NOT EXISTS deliveries_by_content ON deliveries (endpoint, sha256);
"""


@dataclass(frozen=True, slots=True)
class PickupKey:
    endpoint: str
    remote_path: str
    size: int
    mtime: int


@dataclass(frozen=True, slots=True)
class PickupRow:
    id: int
    key: PickupKey
    state: PickupState
    sha256: str | None
    local_path: str | None
    archived_path: str | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class Download:
    """A fetched file, landed and archived: what its pickup row records."""

    row_id: int
    sha256: str
    local_path: Path
    archived_path: Path


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    remote_path: str
    state: Literal["sending", "publishing", "delivered"]
    delivered_at: str | None


@dataclass(frozen=True, slots=True)
class Publishing:
    """A delivery committed to publishing (temp file complete, archived) but not recorded
    as delivered."""

    remote_path: str
    sha256: str
    size: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Ledger:
    """Open (and create) the ledger at ``path``; use as a context manager or ``close()``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: each statement commits on its own unless inside _transaction.
            self._db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._synchronous = ""  # set per transaction, see _transaction
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise LocalFileError(f"cannot open ledger {path}: {exc}", operation="ledger") from exc

    @staticmethod
    def default_path() -> Path:
        return data_folder() / "ledger.sqlite"

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # --- pickup -------------------------------------------------------------------------

    def pickup(self, key: PickupKey) -> PickupRow | None:
        rows = self._select_pickups(
            "endpoint=? AND remote_path=? AND size=? AND mtime=?",
            (key.endpoint, key.remote_path, key.size, key.mtime),
        )
        return rows[0] if rows else None

    def claim(self, key: PickupKey) -> PickupRow:
        """Record our intent to fetch ``key`` (durably), or return the existing row."""
        now = _now()
        with self._transaction(durable=False):
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO pickups"
                " (endpoint, remote_path, size, mtime, state, claimed_at, updated_at)"
                " VALUES (?, ?, ?, ?, 'claimed', ?, ?)",
                (key.endpoint, key.remote_path, key.size, key.mtime, now, now),
            )
        if cursor.rowcount == 1 and cursor.lastrowid is not None:
            return PickupRow(cursor.lastrowid, key, "claimed", None, None, None, None)
        row = self.pickup(key)  # claimed before
        assert row is not None
        return row

    def release(self, row_id: int) -> None:
        """Forget a claim whose fetch failed, so the next run tries again from scratch."""
        with self._transaction(durable=False):
            self._db.execute("DELETE FROM pickups WHERE id=? AND state='claimed'", (row_id,))

    def set_state(
        self, row_id: int, state: PickupState, *, error: str | None = None, durable: bool = True
    ) -> None:
        self._update(row_id, durable=durable, state=state, error=error)

    def record_group(
        self,
        downloads: list[Download],
        duplicates: list[tuple[int, str, int]],
        *,
        state: PickupState,
    ) -> None:
        """The barrier of a pickup group, in one fsynced commit: each download (landed and
        archived, durably) reaches ``state`` (``downloaded``, or ``processed`` when landing
        was the hand-over), each (row, sha256, duplicate of) is recorded as a duplicate."""
        now = _now()
        with self._transaction(durable=True):
            self._db.executemany(
                "UPDATE pickups SET state=?, sha256=?, local_path=?, archived_path=?,"
                " updated_at=? WHERE id=?",
                [
                    (
                        state,
                        item.sha256,
                        str(item.local_path),
                        str(item.archived_path),
                        now,
                        item.row_id,
                    )
                    for item in downloads
                ],
            )
            self._db.executemany(
                "UPDATE pickups SET state='duplicate', sha256=?, duplicate_of=?, updated_at=?"
                " WHERE id=?",
                [(sha256, earlier, now, row_id) for row_id, sha256, earlier in duplicates],
            )

    def close_pickup(self, row_id: int, outcome: str) -> None:
        self._update(row_id, durable=False, outcome=outcome)

    def first_with_content(self, endpoint: str, sha256: str, *, other_than: int) -> int | None:
        """The earliest pickup of the same bytes from this endpoint (a re-dropped statement)."""
        row = self._db.execute(
            "SELECT id FROM pickups WHERE endpoint=? AND sha256=? AND id<>?"
            " AND state IN ('downloaded', 'processing', 'processed') ORDER BY id LIMIT 1",
            (endpoint, sha256, other_than),
        ).fetchone()
        return int(row[0]) if row else None

    def unfinished(self, endpoint: str) -> list[PickupRow]:
        """Rows a crash or a failed remote step left between download and close."""
        return self._select_pickups(
            "endpoint=? AND state<>'claimed' AND outcome IS NULL", (endpoint,)
        )

    def pickups(self, endpoint: str) -> list[PickupRow]:
        return self._select_pickups("endpoint=?", (endpoint,))

    # --- delivery -----------------------------------------------------------------------

    def delivered_content(self, endpoint: str, sha256: str) -> DeliveryRow | None:
        """An earlier delivery of the same bytes to this endpoint, under any name."""
        row = self._db.execute(
            "SELECT remote_path, state, delivered_at FROM deliveries"
            " WHERE endpoint=? AND sha256=? AND state='delivered' ORDER BY id LIMIT 1",
            (endpoint, sha256),
        ).fetchone()
        return DeliveryRow(row[0], row[1], row[2]) if row else None

    def begin_delivery(self, endpoint: str, remote_path: str, sha256: str, size: int) -> bool:
        """Note that sending starts; True when an earlier run was already sending this file
        (so a temp file found on the server is ours and may be resumed)."""
        with self._transaction(durable=False):
            existing = self._db.execute(
                "SELECT state FROM deliveries WHERE endpoint=? AND remote_path=? AND sha256=?",
                (endpoint, remote_path, sha256),
            ).fetchone()
            if existing is None:
                self._db.execute(
                    "INSERT INTO deliveries"
                    " (endpoint, remote_path, sha256, size, state, started_at)"
                    " VALUES (?, ?, ?, ?, 'sending', ?)",
                    (endpoint, remote_path, sha256, size, _now()),
                )
            else:
                self._db.execute(
                    "UPDATE deliveries SET state='sending', delivered_at=NULL"
                    " WHERE endpoint=? AND remote_path=? AND sha256=?",
                    (endpoint, remote_path, sha256),
                )
        return existing is not None and existing[0] in ("sending", "publishing")

    def mark_publishing(self, endpoint: str, parcels: list[tuple[str, str]]) -> None:
        """Durably (one fsync for the group): these (remote path, sha256) are about to be
        published; from now on a crash never makes them be sent again."""
        self._set_delivery_state(endpoint, parcels, "publishing", durable=True)

    def back_to_sending(self, endpoint: str, remote_path: str, sha256: str) -> None:
        """Undo ``mark_publishing`` before removing the temp file of a rename the server
        refused: with neither name on the server, the row must not read as published."""
        self._set_delivery_state(endpoint, [(remote_path, sha256)], "sending", durable=True)

    def finish_deliveries(self, endpoint: str, parcels: list[tuple[str, str]]) -> None:
        """Record a group as delivered. Not fsynced: a row that loses this commit stays
        ``publishing``, which the next run settles without sending anything again."""
        self._set_delivery_state(endpoint, parcels, "delivered", durable=False)

    def publishing(self, endpoint: str) -> list[Publishing]:
        """Deliveries a crash left between the publishing mark and their record."""
        rows = self._db.execute(
            "SELECT remote_path, sha256, size FROM deliveries"
            " WHERE endpoint=? AND state='publishing' ORDER BY id",
            (endpoint,),
        ).fetchall()
        return [Publishing(str(path), str(sha256), int(size)) for path, sha256, size in rows]

    def _set_delivery_state(
        self, endpoint: str, parcels: list[tuple[str, str]], state: str, *, durable: bool
    ) -> None:
        now = _now() if state == "delivered" else None
        with self._transaction(durable=durable):
            self._db.executemany(
                "UPDATE deliveries SET state=?, delivered_at=?"
                " WHERE endpoint=? AND remote_path=? AND sha256=?",
                [(state, now, endpoint, path, sha256) for path, sha256 in parcels],
            )

    # --- helpers ------------------------------------------------------------------------

    def _select_pickups(self, where: str, parameters: tuple[object, ...]) -> list[PickupRow]:
        # ``where`` is always a constant of this module; values travel as parameters.
        query = f"SELECT {_PICKUP_COLUMNS} FROM pickups WHERE {where} ORDER BY id"  # noqa: S608
        return [_pickup_row(row) for row in self._db.execute(query, parameters).fetchall()]

    def _update(self, row_id: int, *, durable: bool, **values: object) -> None:
        assignments = ", ".join(f"{column}=?" for column in values)
        with self._transaction(durable=durable):
            self._db.execute(
                f"UPDATE pickups SET {assignments}, updated_at=? WHERE id=?",  # noqa: S608
                (*values.values(), _now(), row_id),
            )

    @contextmanager
    def _transaction(self, *, durable: bool) -> Iterator[None]:
        level = "FULL" if durable else "NORMAL"
        if level != self._synchronous:
            self._db.execute(f"PRAGMA synchronous={level}")
            self._synchronous = level
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


_PICKUP_COLUMNS = (
    "id, endpoint, remote_path, size, mtime, state, sha256, local_path, archived_path, outcome"
)


def _pickup_row(row: tuple[object, ...]) -> PickupRow:
    row_id, endpoint, remote_path, size, mtime, state, sha256, local, archived, outcome = row
    return PickupRow(
        id=int(str(row_id)),
        key=PickupKey(str(endpoint), str(remote_path), int(str(size)), int(str(mtime))),
        state=state,  # type: ignore[arg-type]
        sha256=sha256 if isinstance(sha256, str) else None,
        local_path=local if isinstance(local, str) else None,
        archived_path=archived if isinstance(archived, str) else None,
        outcome=outcome if isinstance(outcome, str) else None,
    )
