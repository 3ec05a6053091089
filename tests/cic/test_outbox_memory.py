"""Outbox, memory first: what reaches the disk and when, a disk that fails and comes back, the
old file format. Time is an injected clock; the flusher thread is off unless a test says so."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import structlog

from clova_client.cic.outbox import HOLD_S, RETRY_S, Outbox
from clova_client.cic.outbox_disk import DiskError, DiskState, OutboxFile, Row
from clova_client.protocol import Event, make_event


def ev(name: str = "ProgressReportIntervalPassed", i: int = 0) -> Event:
    return make_event("AudioPlayer", name, {"token": f"t{i}", "offsetInMilliseconds": i})


def on_disk(path: Path) -> list[str]:
    """The messageIds in the file, in order, read by another connection."""
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute("SELECT message_id FROM queue ORDER BY seq")]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FailingFile(OutboxFile):
    """The real file, failing with ``fail`` (a disk state) while it is set."""

    fail: DiskState | None = None
    writes = 0

    def open(self) -> list[Row]:
        if self.fail is not None:
            raise DiskError(self.fail, "injected")
        return super().open()

    def write(self, rows: Sequence[Row], delete: Sequence[int], *, replace_all: bool) -> None:
        self.writes += 1
        if self.fail is not None:
            raise DiskError(self.fail, "injected")
        super().write(rows, delete, replace_all=replace_all)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def box(tmp_path: Path, clock: Clock) -> Iterator[Outbox]:
    outbox = Outbox(tmp_path / "o.db", max_events=5, clock=clock, background=False)
    outbox._file = FailingFile(outbox.path)
    yield outbox
    outbox.close()


def online(box: Outbox) -> None:
    """CIC accepted an event: the outbox holds the next ones in memory."""
    box.remove(box.put(ev("PlayStarted", 99)).seq or 0)


def test_before_any_delivery_an_event_is_on_disk_when_put_returns(box: Outbox) -> None:
    e = ev()
    box.put(e)
    assert on_disk(box.path) == [e.message_id]
    assert (box.pending, box.in_memory, box.disk) == (1, 0, "ok")


def test_an_event_cic_takes_within_the_hold_is_never_written(box: Outbox, clock: Clock) -> None:
    online(box)
    file = box._file
    assert isinstance(file, FailingFile)
    before = file.writes
    for i in range(20):
        seq = box.put(ev(i=i)).seq
        assert box.in_memory == 1 and on_disk(box.path) == []
        clock.now += HOLD_S / 2
        assert seq is not None
        box.remove(seq)
    assert file.writes == before and box.pending == 0


def test_an_event_not_taken_in_time_is_written_and_the_next_ones_at_once(
    box: Outbox, clock: Clock
) -> None:
    online(box)
    first, second, third = ev(i=1), ev(i=2), ev(i=3)
    box.put(first)
    clock.now += HOLD_S
    box.write_due()  # what the flusher thread does when the hold runs out
    assert on_disk(box.path) == [first.message_id]
    box.put(second)  # CIC is slow or gone: no more holding
    assert on_disk(box.path) == [first.message_id, second.message_id]
    box.remove(box.peek()[0].seq)  # it answered again
    box.put(third)
    assert on_disk(box.path) == [second.message_id]
    assert [e.message_id for e in box.peek(5)] == [second.message_id, third.message_id]


def test_hold_zero_writes_every_event_before_put_returns(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", hold_s=0, background=False)
    first, second = ev(i=1), ev(i=2)
    box.remove(box.put(first).seq or 0)
    box.put(second)
    assert on_disk(box.path) == [second.message_id]
    box.close()


def test_close_writes_held_events_for_the_next_start(tmp_path: Path, clock: Clock) -> None:
    box = Outbox(tmp_path / "o.db", clock=clock, background=False)
    online(box)
    held = ev(i=7)
    box.put(held)
    assert on_disk(box.path) == []
    box.close()
    again = Outbox(tmp_path / "o.db", background=False)
    assert [e.message_id for e in again.peek(5)] == [held.message_id]
    again.close()


def test_the_flusher_thread_writes_an_event_whose_hold_ran_out(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", hold_s=0.05)
    online(box)
    e = box.put(ev())
    deadline = time.monotonic() + 10
    while on_disk(box.path) == [] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert on_disk(box.path) == [box.peek()[0].message_id] and e.stored
    box.close()


def test_full_disk_keeps_events_in_memory_and_writes_them_when_it_works_again(
    box: Outbox, clock: Clock
) -> None:
    file = box._file
    assert isinstance(file, FailingFile)
    file.fail = "full"
    with structlog.testing.capture_logs() as logs:
        events = [ev(i=i) for i in range(3)]
        for e in events:
            box.put(e)
        assert (box.disk, box.pending, box.in_memory) == ("full", 3, 3)
        writes = file.writes
        clock.now += RETRY_S / 2
        box.put(ev("PlayPaused"))  # no new try before retry_s
        assert file.writes == writes
        file.fail = None
        clock.now += RETRY_S
        box.write_due()
        assert (box.disk, box.pending, box.in_memory) == ("ok", 4, 0)
    assert on_disk(box.path) == [e.message_id for e in box.peek(5)]
    assert [(x["event"], x["log_level"]) for x in logs] == [
        ("cic.outbox_disk_unwritable", "warning"),
        ("cic.outbox_disk_recovered", "info"),
    ]
    assert logs[0]["disk"] == "full"


def test_while_the_disk_fails_the_bound_still_evicts_progress_reports_first(
    box: Outbox,
) -> None:
    file = box._file
    assert isinstance(file, FailingFile)
    file.fail = "read-only"
    started = ev("PlayStarted")
    reports = [ev(i=i) for i in range(6)]
    for e in [started, *reports]:
        box.put(e)
    kept = [started, *reports[2:]]  # the two oldest reports made room
    assert [e.message_id for e in box.peek(10)] == [e.message_id for e in kept]
    assert box.disk == "read-only" and box.in_memory == 5


def test_a_delivered_event_whose_delete_failed_is_deleted_later(box: Outbox, clock: Clock) -> None:
    e = ev()
    seq = box.put(e).seq
    assert seq is not None and on_disk(box.path) == [e.message_id]
    file = box._file
    assert isinstance(file, FailingFile)
    file.fail = "full"
    box.remove(seq)
    assert on_disk(box.path) == [e.message_id] and box.pending == 0
    file.fail = None
    clock.now += RETRY_S
    box.write_due()
    assert on_disk(box.path) == [] and box.disk == "ok"


def test_a_disk_that_fails_at_the_start_is_opened_later_and_old_events_kept(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "o.db"
    old = Outbox(path, background=False)
    left = ev("PlayStopped")
    old.put(left)
    old.close()

    monkeypatch.setattr(FailingFile, "fail", "error")
    monkeypatch.setattr("clova_client.cic.outbox.OutboxFile", FailingFile)
    box = Outbox(path, clock=clock, background=False)
    assert (box.disk, box.pending) == ("error", 0)
    new = ev("PlayStarted")
    box.put(new)
    monkeypatch.setattr(FailingFile, "fail", None)
    clock.now += RETRY_S
    box.write_due()
    assert box.disk == "ok"
    assert [e.message_id for e in box.peek(5)] == [new.message_id, left.message_id]
    assert on_disk(path) == [new.message_id, left.message_id]
    box.close()


def test_a_file_of_the_previous_format_is_moved_over_in_order(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    events = [ev(i=i) for i in range(3)]
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL"
            " UNIQUE, full_name TEXT NOT NULL, body TEXT NOT NULL, audio BLOB,"
            " created_at REAL NOT NULL)"
        )
        for e in events:
            db.execute(
                "INSERT INTO events (message_id, full_name, body, audio, created_at)"
                " VALUES (?, ?, ?, NULL, 1.0)",
                (e.message_id, e.full_name, '{"event": {}}'),
            )
    box = Outbox(path, background=False)
    assert [e.message_id for e in box.peek(5)] == [e.message_id for e in events]
    box.close()
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "events" not in tables and on_disk(path) == [e.message_id for e in events]


def test_a_lost_connection_writes_the_held_events_and_the_next_ones_at_once(
    box: Outbox, clock: Clock
) -> None:
    """Offline, an event is on disk before ``put`` returns: a kill -9 then loses nothing (the
    first report after CIC went away used to wait out the hold in memory)."""
    online(box)
    held = ev(i=1)
    box.put(held)
    assert on_disk(box.path) == []
    box.connection_lost()
    assert on_disk(box.path) == [held.message_id]
    after = ev(i=2)
    box.put(after)
    assert on_disk(box.path) == [held.message_id, after.message_id]
    assert box.in_memory == 0


# --- put_now / peek_now: the event loop's way in, never touching the disk or waiting -----


def lock_elsewhere(box: Outbox) -> tuple[threading.Event, threading.Thread]:
    """Hold the outbox's lock on another thread (as the flusher does while it writes)."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with box._lock:
            taken.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait(10)
    return release, thread


def test_put_now_takes_an_event_only_when_put_would_not_write(box: Outbox, clock: Clock) -> None:
    first = ev(i=1)
    assert box.put_now(first) is None  # before any delivery every event is written: not here
    assert box.pending == 0
    online(box)
    held = box.put_now(first)
    assert held is not None and held.stored and box.pending == 1
    assert on_disk(box.path) == [] and box.in_memory == 1  # held, as ``put`` holds it
    clock.now += HOLD_S
    assert box.put_now(ev(i=2)) is None  # the first one is due: writing is the outbox thread's
    box.write_due()
    assert on_disk(box.path) == [first.message_id]
    assert box.put_now(ev(i=3)) is None  # CIC was slow: the next ones are written at once


def test_put_now_refuses_a_failing_disk_a_full_outbox_and_a_busy_lock(
    box: Outbox, clock: Clock
) -> None:
    online(box)
    for i in range(box.max_events):
        assert box.put_now(ev(i=i)) is not None
    assert box.put_now(ev(i=99)) is None  # full: eviction is ``put``'s (it may delete rows)
    box.remove(box.peek()[0].seq)
    release, thread = lock_elsewhere(box)
    try:
        assert box.put_now(ev(i=100)) is None and box.peek_now(1) is None
    finally:
        release.set()
        thread.join()
    assert box.peek_now(5) == box.peek(5) and len(box.peek(5)) == box.max_events - 1
    file = box._file
    assert isinstance(file, FailingFile)
    file.fail = "full"
    clock.now += HOLD_S
    box.write_due()
    assert box.disk == "full" and box.put_now(ev(i=101)) is None
