"""Ordered, bounded event queue: in memory first, on disk as soon as an event is at risk.

Every pending event is in memory (``peek`` never reads the disk). One goes to the SQLite file
(``outbox_disk``) only if CIC has not accepted it within ``hold_s`` (1 s): while CIC takes
each event as it comes, nothing is written at all. Once an event had to be written (CIC down or
slow, or the connection ended: ``connection_lost``) and until CIC accepts one again, a new event
is written before ``put`` returns, as is every event put before the first delivery after a
start. The price: a ``kill -9`` or power loss
less than ``hold_s`` after an event was put, while CIC is up but has not answered it yet, loses
that event. ``hold_s=0`` writes every event before ``put`` returns.

Disk full or read-only: the events stay in memory (bounded as below); ``disk`` and ``in_memory``
say so (status), one warning when it starts and one info when it ends; writing is retried every
``retry_s`` and what waited is written in one transaction when it works again.

Bound: at most ``max_events`` events. When full, the oldest ``AudioPlayer.ProgressReport*`` goes
first, then the oldest event that is not a playback state event (``AudioPlayer.PlayStarted``,
``PlayPaused``, ``PlayResumed``, ``PlayStopped``, ``PlayFinished``). Those are never evicted: when
only they are queued, a new one goes over the bound and any other new event is refused. Each
eviction or refusal is a warning.

Thread-safe: the client calls it from one worker thread and a flusher thread writes the events
whose hold ran out; tests may call it directly (``background=False``, an injected ``clock``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import structlog

from ..protocol import Event
from .outbox_disk import DiskError, DiskState, OutboxFile, Row
from .outbox_items import PutResult, StoredEvent, is_progress_report, is_protected

log = structlog.get_logger(__name__)

HOLD_S = 1.0
"""How long an event may live in memory only while CIC takes events as they come: above a
real CIC's round trip from a home network (tens to a few hundred ms), so connected events are
not written; the bound of what a ``kill -9`` or power cut can lose (docs/ARCHITECTURE.md)."""
RETRY_S = 5.0
"""How often a disk that failed is tried again."""


@dataclass
class _Entry:
    event: StoredEvent
    due: float
    """Clock time by which it must be on disk."""
    held: bool = False
    """Put while CIC was taking events: written only if not accepted by ``due``."""
    on_disk: bool = False

    def row(self) -> Row:
        e = self.event
        body = json.dumps(e.body, separators=(",", ":"))
        return (e.seq, e.message_id, e.full_name, body, e.audio, e.created_at)


class Outbox:
    """The FIFO of pending events, bounded by ``max_events``; see the module's docstring."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        max_events: int = 1000,
        *,
        wall: Callable[[], float] = time.time,
        hold_s: float = HOLD_S,
        retry_s: float = RETRY_S,
        clock: Callable[[], float] = time.monotonic,
        background: bool = True,
    ) -> None:
        if max_events < 1:
            raise ValueError("outbox max_events must be >= 1")
        self.path = Path(path)
        self.max_events = max_events
        self.hold_s = hold_s
        self.retry_s = retry_s
        self._wall = wall
        self._clock = clock
        self._file = OutboxFile(self.path)
        self._entries: dict[int, _Entry] = {}
        self._ids: dict[str, int] = {}
        self._deleted: set[int] = set()
        """Removed from memory, still to be deleted on disk."""
        self._seqs = itertools.count(1)
        self._loaded = False
        """The file's rows are in memory (it was opened once)."""
        self._rewrite = False
        """The file holds rows under other seqs (a late open): replace them all."""
        self._online = False
        """CIC accepted an event since the last one that had to be written."""
        self._retry_at = 0.0
        self._closed = False
        self._lock = threading.Condition()
        self.disk: DiskState = "ok"
        """``ok``, or why events are kept in memory only: ``full``, ``read-only``, ``error``."""
        self.pending = 0
        """Events not yet delivered; like ``in_memory``, kept up to date under the lock and
        safe to read from the event loop while the queue works on another thread."""
        self.in_memory = 0
        """Pending events not (yet) on disk."""
        with self._lock:
            try:
                self._load(self._file.open(), late=False)
            except DiskError as err:
                self._failed(err, self._clock())
            self._count()
        log.info("cic.outbox_opened", path=str(self.path), pending=self.pending, disk=self.disk)
        self._flusher: threading.Thread | None = None
        if background:
            self._flusher = threading.Thread(target=self._flush, name="outbox-flush", daemon=True)
            self._flusher.start()

    # --- the public API ---------------------------------------------------------------

    def close(self) -> None:
        """Write everything still pending (a start sends it) and close the file."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        if self._flusher is not None:
            self._flusher.join()
        with self._lock:
            self._retry_at = 0.0
            self._sync(self._clock(), everything=True)
            self._count()
            if self.in_memory:
                log.error(
                    "cic.outbox_events_lost",
                    count=self.in_memory,
                    disk=self.disk,
                    reason="could not be written at stop",
                )
            self._file.close()

    def count(self) -> int:
        with self._lock:
            return len(self._entries)

    def put(self, event: Event, audio: bytes | None = None) -> PutResult:
        """Queue an event, evicting per the policy if full; on disk before this returns unless
        CIC is taking events as they come (then within ``hold_s``) or the disk fails."""
        with self._lock:
            existing = self._ids.get(event.message_id)
            if existing is not None:
                return PutResult(existing, ())
            now = self._clock()
            evicted, room = self._make_room(event.full_name)
            seq: int | None = None
            if room or is_protected(event.full_name):
                seq = next(self._seqs)
                stored = StoredEvent(
                    seq, event.message_id, event.full_name, event.to_json(), audio, self._wall()
                )
                held = self._online and self.hold_s > 0
                self._entries[seq] = _Entry(stored, now + self.hold_s if held else now, held)
                self._ids[event.message_id] = seq
            self._sync(now)
            self._count()
            self._lock.notify_all()
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

    def peek(self, limit: int = 1) -> list[StoredEvent]:
        """The oldest pending events, in order."""
        with self._lock:
            return [e.event for e in itertools.islice(self._entries.values(), limit)]

    def write_due(self) -> None:
        """Write the events whose hold ran out, and retry a failed disk when it is time (the
        flusher thread calls this; so do tests without it)."""
        with self._lock:
            self._sync(self._clock())
            self._count()

    def connection_lost(self) -> None:
        """CIC cannot take events now: the held ones and every new one go to disk at once (until
        CIC accepts one again), so a crash while offline loses nothing."""
        with self._lock:
            self._online = False
            now = self._clock()
            for entry in self._entries.values():
                entry.due = min(entry.due, now)
            self._sync(now)
            self._count()

    def remove(self, seq: int) -> None:
        """Forget an event: delivered (2xx) or rejected for good."""
        with self._lock:
            self._online = True
            self._drop(seq)
            self._sync(self._clock())
            self._count()

    # --- on the caller's thread, when there is no disk work ---------------------------------

    def put_now(self, event: Event, audio: bytes | None = None) -> PutResult | None:
        """``put`` when it needs no disk (CIC takes events as they come, so this one is held;
        nothing else is due; there is room) and the lock is free, else None: then ``put`` on
        the outbox's thread. Never blocks (the event loop calls it)."""
        with self._if_free() as free:
            if free and self._online and self.hold_s > 0 and self._disk_idle(room=True):
                return self.put(event, audio)
        return None

    def peek_now(self, limit: int = 1) -> list[StoredEvent] | None:
        """``peek`` (which never reads the disk) when the lock is free, else None."""
        with self._if_free() as free:
            return self.peek(limit) if free else None

    @contextlib.contextmanager
    def _if_free(self) -> Iterator[bool]:
        free = self._lock.acquire(blocking=False)
        try:
            yield free
        finally:
            if free:
                self._lock.release()

    def _disk_idle(self, *, room: bool = False) -> bool:
        """``_sync`` has nothing to write, delete or retry now (``room``: nor to evict)."""
        if self.disk != "ok" or not self._loaded or self._rewrite or self._deleted:
            return False
        if room and len(self._entries) >= self.max_events:
            return False
        now = self._clock()
        return all(e.on_disk or e.due > now for e in self._entries.values())

    # --- memory -------------------------------------------------------------------------

    def _make_room(self, incoming: str) -> tuple[list[str], bool]:
        """Evict until one more fits; False when only Play* events are left to evict."""
        evicted: list[str] = []
        while len(self._entries) >= self.max_events:
            events = [entry.event for entry in self._entries.values()]
            victim = next((e for e in events if is_progress_report(e.full_name)), None) or next(
                (e for e in events if not is_protected(e.full_name)), None
            )
            if victim is None:
                if is_protected(incoming):
                    log.warning(
                        "cic.outbox_over_bound",
                        pending=len(events) + 1,
                        max_events=self.max_events,
                        incoming=incoming,
                        reason="only Play* state events queued; they are never evicted",
                    )
                return evicted, False
            self._drop(victim.seq)
            evicted.append(f"{victim.full_name}:{victim.message_id}")
        return evicted, True

    def _drop(self, seq: int) -> None:
        entry = self._entries.pop(seq, None)
        if entry is None:
            return
        self._ids.pop(entry.event.message_id, None)
        if entry.on_disk:
            self._deleted.add(seq)

    def _count(self) -> None:
        self.pending = len(self._entries)
        self.in_memory = sum(not e.on_disk for e in self._entries.values())

    def _load(self, rows: list[Row], *, late: bool) -> None:
        """The file's rows into memory: at the start, in front with their own seqs; after a late
        open (the disk failed at the start), behind this run's events, renumbered, and the file
        rewritten on the next write."""
        for seq, message_id, full_name, body, audio, created_at in rows:
            if message_id in self._ids:
                continue
            seq = next(self._seqs) if late else seq
            stored = StoredEvent(seq, message_id, full_name, json.loads(body), audio, created_at)
            self._entries[seq] = _Entry(stored, due=0.0, on_disk=not late)
            self._ids[message_id] = seq
        if not late and rows:
            self._seqs = itertools.count(max(self._entries) + 1)
        self._loaded = True
        self._rewrite = late

    # --- disk ---------------------------------------------------------------------------

    def _sync(self, now: float, *, everything: bool = False) -> None:
        """Write what must be on disk by ``now`` (or ``everything``) and delete what left."""
        failing = self.disk != "ok"
        if failing and now < self._retry_at:
            return

        def due_now() -> list[_Entry]:
            return [
                e for e in self._entries.values() if not e.on_disk and (everything or e.due <= now)
            ]

        due = due_now()
        if self._loaded and not (due or self._deleted or self._rewrite or failing):
            return  # a failing disk is tried even with nothing to write, to see it recover
        try:
            if not self._loaded:
                self._load(self._file.open(), late=True)
                due = due_now()
            rows = [e.row() for e in due]
            self._file.write(rows, sorted(self._deleted), replace_all=self._rewrite)
        except DiskError as err:
            self._file.close()  # opened again on the next try
            self._failed(err, now)
            return
        self._deleted.clear()
        self._rewrite = False
        for entry in due:
            entry.on_disk = True
            if entry.held:
                self._online = False  # CIC did not take it in time: write the next ones at once
        if self.disk != "ok":
            log.info("cic.outbox_disk_recovered", path=str(self.path), written=len(due))
            self.disk = "ok"

    def _failed(self, err: DiskError, now: float) -> None:
        self._retry_at = now + self.retry_s
        if self.disk == "ok":
            log.warning(
                "cic.outbox_disk_unwritable",
                disk=err.state,
                reason=err.reason,
                path=str(self.path),
                action="events kept in memory (at most max_events); written when it works again",
            )
        self.disk = err.state

    def _flush(self) -> None:
        """The flusher thread: writes held events whose time ran out, retries a failed disk."""
        with self._lock:
            while not self._closed:
                self.write_due()
                self._lock.wait(self._next_wake(self._clock()))

    def _next_wake(self, now: float) -> float | None:
        """Seconds until the flusher has work (None: until woken)."""
        waiting = [e.due for e in self._entries.values() if not e.on_disk]
        if self.disk != "ok":  # nothing can be written before the retry
            return max(0.0, self._retry_at - now)
        return max(0.0, min(waiting) - now) if waiting else None
