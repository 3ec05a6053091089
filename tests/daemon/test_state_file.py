"""StateFile: the whole snapshot on state changes, only a small position record in between,
validated on load; a save that fails is logged once and retried, never raised."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import structlog

from clova_client.daemon_state import StateFile
from clova_client.position_record import SIZE, Position, PositionRecord


def snapshot(offset: int, state: str = "PLAYING", queue: int = 1) -> dict[str, Any]:
    current = {"audioItemId": "a", "token": "tok-a", "offsetInMilliseconds": offset}
    return {"state": state, "current": current, "queue": [{"q": n} for n in range(queue)]}


def offset_of(saved: dict[str, Any] | None) -> int:
    assert saved is not None
    return int(saved["current"]["offsetInMilliseconds"])


def test_ticks_write_only_the_position_and_a_restart_gets_the_newest(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "player.json")
    state.save(snapshot(1000), durable=True)
    written = (tmp_path / "player.json").read_bytes()
    inode = os.stat(tmp_path / "player.json").st_ino
    for offset in (11_000, 21_000, 31_000):
        state.save(snapshot(offset), durable=False)
    assert (tmp_path / "player.json").read_bytes() == written  # not rewritten
    assert os.stat(tmp_path / "player.json").st_ino == inode
    assert (tmp_path / "position").stat().st_size == SIZE
    assert offset_of(StateFile(tmp_path / "player.json").load()) == 31_000


def test_a_state_change_after_ticks_wins_over_the_older_position(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "player.json")
    state.save(snapshot(1000), durable=True)
    state.save(snapshot(11_000), durable=False)
    state.save(snapshot(12_500, state="PAUSED"), durable=True)
    loaded = StateFile(tmp_path / "player.json").load()
    assert offset_of(loaded) == 12_500 and loaded is not None and loaded["state"] == "PAUSED"


def test_a_tick_that_sees_a_changed_queue_writes_the_whole_snapshot(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "player.json")
    state.save(snapshot(1000), durable=True)
    state.save(snapshot(11_000, queue=2), durable=False)  # an ENQUEUE while playing
    saved = json.loads((tmp_path / "player.json").read_text())
    assert len(saved["queue"]) == 2 and saved["current"]["offsetInMilliseconds"] == 11_000


def test_a_bad_or_foreign_position_record_is_ignored(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "player.json")
    state.save(snapshot(1000), durable=True)
    state.save(snapshot(11_000), durable=False)
    record = tmp_path / "position"
    data = bytearray(record.read_bytes())
    data[13] ^= 0xFF  # a torn write: the CRC no longer matches
    record.write_bytes(bytes(data))
    assert offset_of(StateFile(tmp_path / "player.json").load()) == 1000
    PositionRecord(record).write(Position(generation=99, offset_ms=5))  # of another snapshot
    assert offset_of(StateFile(tmp_path / "player.json").load()) == 1000
    record.write_bytes(b"\0" * 3)
    assert offset_of(StateFile(tmp_path / "player.json").load()) == 1000


def test_generations_go_on_across_restarts_past_any_record(tmp_path: Path) -> None:
    PositionRecord(tmp_path / "position").write(Position(generation=7, offset_ms=99_000))
    state = StateFile(tmp_path / "player.json")
    assert state.load() is None  # no snapshot: the record alone means nothing
    state.save(snapshot(1000), durable=True)
    assert json.loads((tmp_path / "player.json").read_text())["generation"] == 8
    assert offset_of(StateFile(tmp_path / "player.json").load()) == 1000
    again = StateFile(tmp_path / "player.json")
    again.load()
    again.save(snapshot(2000), durable=True)
    assert again.generation == 9


def test_a_failing_save_is_logged_once_kept_dirty_and_recovers(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the directory should be")  # every write fails: ENOTDIR
    state = StateFile(blocker / "player.json")
    with structlog.testing.capture_logs() as logs:
        state.save(snapshot(1000), durable=True)
        state.save(snapshot(2000), durable=False)
        state.save(snapshot(3000), durable=True)
        assert state.dirty
        blocker.unlink()
        blocker.mkdir()
        state.save(snapshot(4000), durable=True)
    assert not state.dirty
    assert [(e["event"], e["log_level"]) for e in logs] == [
        ("state_save_failed", "warning"),
        ("state_save_recovered", "info"),
    ]
    assert offset_of(StateFile(blocker / "player.json").load()) == 4000
    assert not (blocker / "player.tmp").exists()


def test_snapshots_submitted_together_are_one_write_of_the_newest(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "player.json")
    state.coalesce_s = 0.0
    state.submit(snapshot(1000, state="STOPPED"), durable=True)  # a track ends...
    state.submit(snapshot(0), durable=True)  # ...the next one starts
    state.submit(snapshot(10), durable=False)  # and a position tick comes at once
    for _ in range(3):  # one writer job per submit
        state.write_submitted()
    saved = json.loads((tmp_path / "player.json").read_text())
    assert (saved["generation"], saved["state"]) == (1, "PLAYING")  # one write, durable
    assert saved["current"]["offsetInMilliseconds"] == 10
