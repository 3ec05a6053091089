"""StateFile and player.state: the whole snapshot on state changes, only the position in the
current slot's header in between, in place; a torn slot falls back to the one before; a save
that fails is logged once and retried, never raised."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import structlog

from clova_client.daemon.state_file import StateFile
from clova_client.daemon.state_slots import HEAD_SIZE, PAGE


def snapshot(offset: int, state: str = "PLAYING", queue: int = 1) -> dict[str, Any]:
    current = {"audioItemId": "a", "token": "tok-a", "offsetInMilliseconds": offset}
    noise = random.Random(queue)  # stream urls compress little
    items = [{"url": f"https://cdn.invalid/{noise.getrandbits(128):032x}"} for _ in range(queue)]
    return {"state": state, "current": current, "queue": items}


def loaded(tmp_path: Path) -> dict[str, Any]:
    data = StateFile(tmp_path).load()
    assert data is not None
    return data


def offset_of(data: dict[str, Any]) -> int:
    return int(data["current"]["offsetInMilliseconds"])


def test_ticks_rewrite_only_the_position_in_place(tmp_path: Path) -> None:
    state = StateFile(tmp_path)
    state.save(snapshot(1000), durable=True)
    path = tmp_path / "player.state"
    before, inode = path.read_bytes(), os.stat(path).st_ino
    for offset in (11_000, 21_000, 31_000):
        state.save(snapshot(offset), durable=False)
    after = path.read_bytes()
    assert os.stat(path).st_ino == inode and len(after) == len(before) == PAGE  # 2 slots, 1 page
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed and all(i % (PAGE // 2) < HEAD_SIZE for i in changed)  # headers only
    assert offset_of(loaded(tmp_path)) == 31_000


def test_a_state_change_goes_to_the_other_slot_and_wins(tmp_path: Path) -> None:
    state = StateFile(tmp_path)
    state.save(snapshot(1000), durable=True)
    state.save(snapshot(11_000), durable=False)
    state.save(snapshot(12_500, state="PAUSED"), durable=True)
    data = loaded(tmp_path)
    assert (offset_of(data), data["state"]) == (12_500, "PAUSED")


def test_a_tick_that_sees_a_changed_queue_writes_the_whole_snapshot(tmp_path: Path) -> None:
    state = StateFile(tmp_path)
    state.save(snapshot(1000), durable=True)
    state.save(snapshot(11_000, queue=2), durable=False)  # an ENQUEUE while playing
    data = loaded(tmp_path)
    assert len(data["queue"]) == 2 and offset_of(data) == 11_000


def test_a_torn_slot_falls_back_to_the_one_before(tmp_path: Path) -> None:
    state = StateFile(tmp_path)
    state.save(snapshot(1000, state="PAUSED"), durable=True)  # generation 1: slot 1
    state.save(snapshot(5000), durable=True)  # generation 2: slot 0
    state.save(snapshot(15_000), durable=False)
    path = tmp_path / "player.state"
    data = bytearray(path.read_bytes())
    data[HEAD_SIZE + 3] ^= 0xFF  # slot 0's body, torn by a power cut
    path.write_bytes(bytes(data))
    back = loaded(tmp_path)
    assert (back["state"], offset_of(back)) == ("PAUSED", 1000)
    data[HEAD_SIZE + 3] ^= 0xFF
    data[9] ^= 0xFF  # slot 0's header instead
    path.write_bytes(bytes(data))
    assert loaded(tmp_path)["state"] == "PAUSED"


def test_a_file_with_no_valid_slot_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "player.state").write_bytes(b"\x01" * PAGE)
    state = StateFile(tmp_path)
    with structlog.testing.capture_logs() as logs:
        assert state.load() is None
    assert logs[0]["event"] == "state_unreadable"
    assert logs[0]["moved_to"] == str(tmp_path / "player.state.bad")
    state.save(snapshot(1), durable=True)  # a new file, and it works
    assert offset_of(loaded(tmp_path)) == 1


def test_a_snapshot_that_outgrows_its_slot_makes_the_file_anew(tmp_path: Path) -> None:
    state = StateFile(tmp_path)
    state.save(snapshot(1000), durable=True)
    assert (tmp_path / "player.state").stat().st_size == PAGE
    state.save(snapshot(2000, queue=200), durable=True)  # about 4 KB compressed: too big
    size = (tmp_path / "player.state").stat().st_size
    assert size > PAGE and size % (2 * PAGE) == 0
    state.save(snapshot(12_000, queue=200), durable=False)
    data = loaded(tmp_path)
    assert len(data["queue"]) == 200 and offset_of(data) == 12_000


def test_player_json_of_an_older_version_is_read_then_replaced(tmp_path: Path) -> None:
    old = tmp_path / "player.json"
    old.write_text(json.dumps(snapshot(7000, state="STOPPED")))
    state = StateFile(tmp_path)
    data = state.load()
    assert data is not None and offset_of(data) == 7000 and state.path == old
    state.save(snapshot(7000, state="STOPPED"), durable=True)
    assert not old.exists() and offset_of(loaded(tmp_path)) == 7000


def test_generations_go_on_across_restarts(tmp_path: Path) -> None:
    first = StateFile(tmp_path)
    first.save(snapshot(1000), durable=True)
    first.save(snapshot(2000, state="PAUSED"), durable=True)
    again = StateFile(tmp_path)
    again.load()
    assert again.generation == 2
    again.save(snapshot(2000, state="STOPPED"), durable=True)
    assert loaded(tmp_path)["state"] == "STOPPED"


def test_a_failing_save_is_logged_once_kept_dirty_and_recovers(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the directory should be")  # every write fails: ENOTDIR
    state = StateFile(blocker)
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
    assert offset_of(StateFile(blocker).load() or {}) == 4000
    assert not (blocker / "player.tmp").exists()


def test_snapshots_submitted_together_are_one_write_of_the_newest(tmp_path: Path) -> None:
    state = StateFile(tmp_path)
    state.coalesce_s = 0.0
    state.submit(snapshot(1000, state="STOPPED"), durable=True)  # a track ends...
    state.submit(snapshot(0), durable=True)  # ...the next one starts
    state.submit(snapshot(10), durable=False)  # and a position tick comes at once
    for _ in range(3):  # one writer job per submit
        state.write_submitted()
    data = loaded(tmp_path)
    assert (state.generation, data["state"], offset_of(data)) == (1, "PLAYING", 10)
