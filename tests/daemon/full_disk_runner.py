"""The full-disk test's child, run by ``test_full_disk.py`` in a private mount namespace whose
state directory is a small tmpfs: the real daemon (FakeBackend, real time) against a tiny h2c
CIC peer of its own whose answers to events can be held back. Prints one JSON report.

    python -m tests.daemon.full_disk_runner full|read-only STATE_DIR RUNTIME_DIR TOKEN_FILE

``full``: the tmpfs is filled after the daemon connected, and emptied later. ``read-only``: the
tmpfs is read-only from the start, and remounted read-write later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from clova_client.cic import TokenStore
from clova_client.clock import LoopClock
from clova_client.config import AuthSection, CicSection, Settings, SystemdSection
from clova_client.daemon import runtime as daemon_runtime
from clova_client.daemon.app import Daemon
from clova_client.daemon.recent_errors import RecentErrors
from clova_client.player.backends.fake import FakeBackend, FakeMedia
from tests.support.cic_peer import Peer, directive, serving

BOUNDARY = "full-disk"
URL = "https://media.test.invalid/long.mp3"
INTERVAL_MS = 200
WITHIN_S = 60.0
"""A safety net for every wait, never a timing assertion."""


def play() -> dict[str, Any]:
    stream = {
        "token": "tok-long",
        "url": URL,
        "urlPlayable": True,
        "progressReport": {"progressReportIntervalInMilliseconds": INTERVAL_MS},
    }
    item = {"audioItemId": "item-long", "stream": stream}
    payload = {"audioItem": item, "playBehavior": "REPLACE_ALL", "source": {"name": "test"}}
    return directive("AudioPlayer", "Play", payload)


async def until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(WITHIN_S):
        while not predicate():  # noqa: ASYNC110 - the daemon's state, polled
            await asyncio.sleep(0.02)


def fill(directory: Path) -> None:
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # ENOSPC: full
    finally:
        os.close(fd)


def on_disk(db: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return [row[0] for row in conn.execute("SELECT message_id FROM queue ORDER BY seq")]


async def scenario(kind: str, state: Path, runtime: Path, token: Path) -> dict[str, Any]:
    report: dict[str, Any] = {}
    peer = Peer(BOUNDARY)
    daemon_runtime.STATUS_EVERY_S = 1.0  # the state file's retry tick: sooner than in production
    async with serving(peer) as base_url:
        settings = Settings(
            state_dir=state,
            runtime_dir=runtime,
            auth=AuthSection(access_token_file=token),
            cic=CicSection(base_url=base_url, http2_prior_knowledge=True),
            systemd=SystemdSection(watchdog=False, ready_grace_s=0),
        )
        backend = FakeBackend(LoopClock(), {URL: FakeMedia(600_000)})
        daemon = Daemon(settings, TokenStore(token), RecentErrors(), backend)
        daemon.outbox.retry_s = 1.0  # sooner than in production
        outbox = daemon.outbox
        stop = asyncio.Event()
        run = asyncio.create_task(daemon.run(stop))
        await until(peer.connected.is_set)
        if kind == "full":
            fill(state)

        def reports() -> int:
            return sum(name.endswith("IntervalPassed") for name, _ in peer.received)

        peer.outgoing.put_nowait(play())  # CIC takes every event while the disk cannot
        await until(lambda: reports() >= 5)
        report["flowing"] = daemon.actions.status()["outbox"]

        peer.answering.clear()  # CIC stops answering: events pile up, in memory only
        await until(lambda: outbox.pending >= 10)
        report["piled_up"] = daemon.actions.status()["outbox"]

        if kind == "full":
            (state / "filler").unlink()
        else:
            remount = ["mount", "-o", "remount,rw", str(state)]
            await asyncio.to_thread(subprocess.run, remount, check=True)
        await until(lambda: outbox.disk == "ok" and outbox.in_memory == 0)
        report["written"] = daemon.actions.status()["outbox"]
        pending = [e.message_id for e in outbox.peek(1000)]
        report["on_disk_is_pending"] = on_disk(state / "outbox.db")[: len(pending)] == pending
        await until(lambda: daemon.saved.file.generation > 0 and not daemon.saved.dirty)

        peer.answering.set()  # CIC is back: everything goes out
        await until(lambda: outbox.pending == 0)
        report["drained"] = daemon.actions.status()["outbox"]
        report["on_disk_after_drain"] = on_disk(state / "outbox.db")
        stop.set()
        report["exit"] = await run
    report["received"] = [message_id for _, message_id in peer.received]
    return report


def main() -> None:
    kind, state, runtime, token = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    with structlog.testing.capture_logs() as logs:
        report = asyncio.run(scenario(kind, state, runtime, Path(token)))
    report["raised"] = [
        e["message_id"]
        for e in logs
        if e["event"] == "event" and e["event_name"].startswith("AudioPlayer.")
    ]
    report["logs"] = [
        {key: e.get(key) for key in ("event", "log_level", "disk")}
        for e in logs
        if e["event"].startswith(("cic.outbox_disk", "state_save", "cic.outbox_events_lost"))
    ]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
