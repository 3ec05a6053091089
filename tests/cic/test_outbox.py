"""Outbox: durable FIFO, WAL + synchronous=FULL, bound and eviction policy."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from clova_client.cic.outbox import Outbox
from clova_client.protocol import Event, make_event


def ev(name: str, i: int = 0) -> Event:
    return make_event("AudioPlayer", name, {"token": f"t{i}", "offsetInMilliseconds": i})


def names(box: Outbox) -> list[str]:
    return [e.full_name.split(".")[1] for e in box.peek(100)]


def test_fifo_survives_reopen_with_original_message_ids(tmp_path: Path) -> None:
    path = tmp_path / "state" / "outbox.db"
    box = Outbox(path)
    events = [ev("PlayStarted", i) for i in range(5)]
    for e in events:
        box.put(e, audio=b"\x00\x01" if e is events[2] else None)
    box.close()
    box = Outbox(path)
    pending = box.peek(10)
    assert [p.message_id for p in pending] == [e.message_id for e in events]
    assert pending[0].body == events[0].to_json()
    assert pending[2].audio == b"\x00\x01" and pending[0].audio is None
    box.remove(pending[0].seq)
    assert [p.message_id for p in box.peek(10)] == [e.message_id for e in events[1:]]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    box.close()


def test_wal_and_full_sync(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    with sqlite3.connect(tmp_path / "o.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert box._file._db is not None
    assert box._file._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    box.close()


def test_same_message_id_is_stored_once(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    e = ev("PlayStarted")
    first, second = box.put(e), box.put(e)
    assert first.seq == second.seq and box.count() == 1
    box.close()


def test_full_queue_evicts_oldest_progress_report_first(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", max_events=4)
    for name in ("PlayStarted", "ProgressReportDelayPassed", "PlaybackQueueCleared"):
        box.put(ev(name))
    box.put(ev("ProgressReportIntervalPassed"))
    result = box.put(ev("PlayPaused"))
    assert result.stored and len(result.evicted) == 1
    assert result.evicted[0].startswith("AudioPlayer.ProgressReportDelayPassed:")
    assert names(box) == [
        "PlayStarted",
        "PlaybackQueueCleared",
        "ProgressReportIntervalPassed",
        "PlayPaused",
    ]
    box.put(ev("PlayResumed"))  # the other progress report goes
    assert names(box) == ["PlayStarted", "PlaybackQueueCleared", "PlayPaused", "PlayResumed"]
    box.put(ev("PlayStopped"))  # no progress report left: oldest non-Play* event goes
    assert names(box) == ["PlayStarted", "PlayPaused", "PlayResumed", "PlayStopped"]
    box.close()


def test_play_state_events_are_never_evicted(tmp_path: Path, capsys: object) -> None:
    box = Outbox(tmp_path / "o.db", max_events=2)
    box.put(ev("PlayStarted"))
    box.put(ev("PlayFinished"))
    refused = box.put(ev("ProgressReportPositionPassed"))
    assert not refused.stored and refused.evicted == ()
    over = box.put(ev("PlayStarted", 1))
    assert over.stored and over.evicted == ()
    assert names(box) == ["PlayStarted", "PlayFinished", "PlayStarted"]
    box.close()


def test_eviction_is_warned(tmp_path: Path) -> None:
    import structlog

    box = Outbox(tmp_path / "o.db", max_events=1)
    box.put(ev("ProgressReportDelayPassed"))
    with structlog.testing.capture_logs() as logs:
        box.put(ev("PlayStarted"))
        box.put(ev("ProgressReportDelayPassed", 2))
    assert [entry["event"] for entry in logs] == ["cic.outbox_evicted", "cic.outbox_refused"]
    assert all(entry["log_level"] == "warning" for entry in logs)
    box.close()
