"""The outbox's SQLite file: the events that must survive a restart, and why a write failed.

Schema: one table ``queue`` (``seq INTEGER PRIMARY KEY``: the rowid, no AUTOINCREMENT and its
``sqlite_sequence`` row; no index on ``message_id``: the outbox keeps that map in memory), pages
of 4096 bytes. An ``events`` table of an older version is moved into it on open. Journal: WAL
with ``synchronous=FULL``: an event is written here only when CIC has not taken it, so the few
that are written are the ones at risk, and each commit is fsynced.

Not thread-safe: the outbox calls it under its lock.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

DiskState = Literal["ok", "full", "read-only", "error"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
    seq INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    full_name TEXT NOT NULL,
    body TEXT NOT NULL,
    audio BLOB,
    created_at REAL NOT NULL
)
"""
_COLUMNS = "seq, message_id, full_name, body, audio, created_at"
_VALUES = "VALUES (?, ?, ?, ?, ?, ?)"

Row = tuple[int, str, str, str, bytes | None, float]
_PROBE: Row = (-1, "probe", "probe", "{}", None, 0.0)


class DiskError(Exception):
    """A write (or the open) failed: ``state`` says why in one word, ``reason`` in a line."""

    def __init__(self, state: DiskState, reason: str) -> None:
        super().__init__(reason)
        self.state = state
        self.reason = reason


class OutboxFile:
    """The SQLite file, opened on first use and again after a failure."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def open(self) -> list[Row]:
        """Open (create, migrate) the file; every stored row, oldest first."""
        if self._db is not None:
            return []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise self._error(exc) from exc
        try:
            db.execute("PRAGMA page_size=4096")  # only takes effect on a new file
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(_SCHEMA)
            self._migrate(db)
            os.chmod(self.path, 0o600)
            rows: list[Row] = db.execute(f"SELECT {_COLUMNS} FROM queue ORDER BY seq").fetchall()
        except (OSError, sqlite3.Error) as exc:
            db.close()
            raise self._error(exc) from exc
        self._db = db
        return rows

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        """Move the rows of the old ``events`` table (AUTOINCREMENT, UNIQUE) into ``queue``."""
        old = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='events'")
        if old.fetchone() is None:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(f"INSERT INTO queue ({_COLUMNS}) SELECT {_COLUMNS} FROM events")
            db.execute("DROP TABLE events")
            with contextlib.suppress(sqlite3.OperationalError):  # none without AUTOINCREMENT
                db.execute("DELETE FROM sqlite_sequence")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def write(self, rows: Sequence[Row], delete: Sequence[int], *, replace_all: bool) -> None:
        """One transaction: delete ``delete`` (or every row), insert ``rows``. With nothing
        to do, a probe: a row written and deleted again, to see whether the disk takes it."""
        self.open()
        db = self._db
        assert db is not None
        probe = not (rows or delete or replace_all)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                if replace_all:
                    db.execute("DELETE FROM queue")
                else:
                    db.executemany("DELETE FROM queue WHERE seq = ?", [(s,) for s in delete])
                db.executemany(f"INSERT OR REPLACE INTO queue ({_COLUMNS}) {_VALUES}", rows)
                if probe:
                    db.execute(f"INSERT INTO queue ({_COLUMNS}) {_VALUES}", _PROBE)
                    db.execute("DELETE FROM queue WHERE seq = ?", (_PROBE[0],))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except (OSError, sqlite3.Error) as exc:
            raise self._error(exc) from exc

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _error(self, exc: BaseException) -> DiskError:
        return DiskError(classify(exc, self.path.parent), f"{type(exc).__name__}: {exc}")


def classify(exc: BaseException, directory: Path) -> DiskState:
    """``full``, ``read-only`` or ``error`` from the exception, else from the file system."""
    name = str(getattr(exc, "sqlite_errorname", ""))
    code = getattr(exc, "errno", None)
    if name == "SQLITE_FULL" or code in (errno.ENOSPC, errno.EDQUOT):
        return "full"
    if name.startswith("SQLITE_READONLY") or code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "read-only"
    try:  # SQLITE_IOERR, SQLITE_CANTOPEN: the file system says more
        fs = os.statvfs(directory)
    except OSError:
        return "error"
    if fs.f_flag & os.ST_RDONLY or not os.access(directory, os.W_OK):
        return "read-only"
    if fs.f_bavail == 0:
        return "full"
    return "error"
