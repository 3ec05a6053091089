"""Durable, ordered event queue in SQLite: an event is on disk before it is sent.

Journal: WAL with ``synchronous=FULL``. WAL keeps readers and the writer apart and makes each
commit one sequential append; FULL fsyncs the WAL on every commit. NORMAL survives a process
crash (``kill -9``) but may lose the last commits on power loss, and a Pi is usually switched off
by pulling the plug; since ``put`` promises the event is durable, FULL it is. Events are few (a
progress report every few seconds at most), so one fsync each is cheap.

Bound: at most ``max_events`` rows. When full, the oldest ``AudioPlayer.ProgressReport*`` goes
first, then the oldest event that is not a playback state event (``AudioPlayer.PlayStarted``,
``PlayPaused``, ``PlayResumed``, ``PlayStopped``, ``PlayFinished``). Those are never evicted: when
only they are queued, a new one goes over the bound and any other new event is refused. Each
eviction or refusal is a warning.

Thread-safe: the client calls it from one worker thread; tests may call it directly.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from ..protocol import Event

log = structlog.get_logger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    body TEXT NOT NULL,
    audio BLOB,
    created_at REAL NOT NULL
)
"""

PROGRESS_PREFIX = "AudioPlayer.ProgressReport"
PROTECTED = frozenset(
    f"AudioPlayer.{name}"
    for name in ("PlayStarted", "PlayPaused", "PlayResumed", "PlayStopped", "PlayFinished")
)
"""Playback state events: never evicted (not PlaybackQueueCleared, which only looks alike)."""
_PROTECTED_SQL = ", ".join(f"'{name}'" for name in sorted(PROTECTED))


def is_progress_report(full_name: str) -> bool:
    return full_name.startswith(PROGRESS_PREFIX)


def is_button(full_name: str) -> bool:
    """A press of one of the speaker's buttons: worth sending only while it is fresh."""
    return full_name.startswith("PlaybackController.") and full_name.endswith("CommandIssued")


def is_protected(full_name: str) -> bool:
    """A playback state event (PlayStarted, PlayPaused, ...): never evicted."""
    return full_name in PROTECTED


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    message_id: str
    full_name: str
    body: dict[str, object]
    audio: bytes | None
    created_at: float = 0.0
    """Wall time (Unix seconds) it was stored."""


@dataclass(frozen=True)
class PutResult:
    seq: int | None
    """The queue position; None when the event itself was refused (queue full, see Outbox)."""
    evicted: tuple[str, ...]
    """Events evicted to make room, as ``full_name:messageId``."""

    @property
    def stored(self) -> bool:
        return self.seq is not None


class Outbox:
    """SQLite-backed FIFO of pending events, bounded by ``max_events``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        max_events: int = 1000,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if max_events < 1:
            raise ValueError("outbox max_events must be >= 1")
        self.path = Path(path)
        self._wall = wall
        self.max_events = max_events
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        os.chmod(self.path, 0o600)
        self.pending = self.count()
        """Events stored and not yet delivered, kept up to date by ``put`` / ``remove``: safe to
        read from the event loop while the database works on another thread."""
        log.info("cic.outbox_opened", path=str(self.path), pending=self.pending)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def put(self, event: Event, audio: bytes | None = None) -> PutResult:
        """Store an event (durable on return), evicting per the policy if the queue is full."""
        body = json.dumps(event.to_json(), separators=(",", ":"))
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seq: int | None = None
                existing = self._seq_of(event.message_id)
                evicted, room = ([], True) if existing else self._make_room(event.full_name)
                if existing:
                    seq = existing
                elif room or is_protected(event.full_name):
                    cur = self._db.execute(
                        "INSERT INTO events (message_id, full_name, body, audio, created_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (event.message_id, event.full_name, body, audio, self._wall()),
                    )
                    seq = cur.lastrowid
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self.pending = int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        for item in evicted:
            log.warning(
                "cic.outbox_evicted",
                evicted=item,
                max_events=self.max_events,
                reason="outbox full: oldest progress report (else oldest non-Play* event) dropped",
            )
        if seq is None:
            log.warning(
                "cic.outbox_refused",
                event_name=event.full_name,
                message_id=event.message_id,
                max_events=self.max_events,
                reason="outbox full of Play* state events, which are never evicted",
            )
        return PutResult(seq, tuple(evicted))

    def _seq_of(self, message_id: str) -> int | None:
        row = self._db.execute("SELECT seq FROM events WHERE message_id = ?", (message_id,))
        found = row.fetchone()
        return int(found[0]) if found else None

    def _make_room(self, incoming: str) -> tuple[list[str], bool]:
        """Evict until a row fits; False when only Play* events are left to evict."""
        evicted: list[str] = []
        (count,) = self._db.execute("SELECT COUNT(*) FROM events").fetchone()
        while count >= self.max_events:
            row = (
                self._db.execute(
                    "SELECT seq, full_name, message_id FROM events WHERE full_name GLOB ?"
                    " ORDER BY seq LIMIT 1",
                    (PROGRESS_PREFIX + "*",),
                ).fetchone()
                or self._db.execute(
                    "SELECT seq, full_name, message_id FROM events"
                    f" WHERE full_name NOT IN ({_PROTECTED_SQL}) ORDER BY seq LIMIT 1"
                ).fetchone()
            )
            if row is None:
                if is_protected(incoming):
                    log.warning(
                        "cic.outbox_over_bound",
                        pending=count + 1,
                        max_events=self.max_events,
                        incoming=incoming,
                        reason="only Play* state events queued; they are never evicted",
                    )
                return evicted, False
            self._db.execute("DELETE FROM events WHERE seq = ?", (row[0],))
            evicted.append(f"{row[1]}:{row[2]}")
            count -= 1
        return evicted, True

    def peek(self, limit: int = 1) -> list[StoredEvent]:
        """The oldest pending events, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, message_id, full_name, body, audio, created_at FROM events"
                " ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [StoredEvent(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]

    def remove(self, seq: int) -> None:
        """Forget an event: delivered (2xx) or rejected for good."""
        with self._lock:
            removed = self._db.execute("DELETE FROM events WHERE seq = ?", (seq,)).rowcount
            self.pending = max(0, self.pending - removed)
