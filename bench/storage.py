"""Storage bench: what the daemon writes to its state directory per hour of playback and idle.

    .venv/bin/python bench/storage.py [--track-s 150] [--idle-s 60] [--dir DIR]

The real ``clova_client.daemon.app.Daemon`` runs in a child process on ``FakeBackend`` (playback
simulated in real time: a TIME tick every 250 ms, the track ends at its length) against the
smallest CIC peer (``tests/support/cic_peer.py``: hypercorn over h2c on 127.0.0.1, downchannel
with Clova.Hello, 204 to every event and ping). The bench reads the
child's ``/proc/PID/io`` (``write_bytes``: bytes the child sent to the block layer, counted
when it dirties page-cache pages; ``syscw``: write calls of any kind) around two phases:

- warm-up (not in the hourly figures; reported as ``startup``): the start, then one track of
  ``--warmup-s`` seconds;
- idle: connected, the warm-up track over, nothing playing, ``--idle-s`` seconds;
- playing: a Play (REPLACE_ALL) then three ENQUEUEd tracks of ``--track-s`` seconds, each with
  progress reports (delay 60 s, interval 60 s), measured for one track plus 2 s, so the
  window holds one whole track and the next one's start.

Each phase is extrapolated to one hour. ``per_event_offline``: what one event costs while CIC is
unreachable (the real Outbox writes it when it is put and deletes it when it is delivered),
measured in another child. The child logs at level warning into a pipe (journald in
production), so steady-state ``syscw`` is the state directory's. The state directory (under
``--dir``, default /var/tmp) must be on a disk file system: tmpfs pages are never counted in
``write_bytes`` (the JSON says ``fs``). Last line: one JSON object with the figures and the
budget verdict (playing <= 1 MiB and 500 write calls per hour; idle <= 16 KiB and 20).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

BUDGET_PLAYING_BYTES = 1 << 20
BUDGET_PLAYING_WRITES = 500
BUDGET_IDLE_BYTES = 16 << 10
BUDGET_IDLE_WRITES = 20
BOUNDARY = "bench-b0und"
TRACKS = 4
WARMUP = 99
REPORT_MS = 60_000


def track_url(n: int) -> str:
    return f"https://media.bench.invalid/track-{n}.mp3"


# --- the child: the real daemon on the fake backend -------------------------------------------


async def child(args: argparse.Namespace) -> int:
    from clova_client.cic import TokenStore
    from clova_client.clock import LoopClock
    from clova_client.config import AuthSection, CicSection, Settings, SystemdSection
    from clova_client.daemon.app import Daemon
    from clova_client.daemon.recent_errors import RecentErrors
    from clova_client.logging import configure_logging
    from clova_client.player.backends.fake import FakeBackend, FakeMedia

    configure_logging("json", "warning", native_journal=False)
    settings = Settings(
        state_dir=Path(args.state_dir),
        runtime_dir=Path(args.runtime_dir),
        auth=AuthSection(access_token_file=Path(args.token_file)),
        cic=CicSection(base_url=args.base_url, http2_prior_knowledge=True),
        systemd=SystemdSection(watchdog=False, ready_grace_s=0),
    )
    media = {track_url(n): FakeMedia(int(args.track_s * 1000)) for n in range(TRACKS)}
    media[track_url(WARMUP)] = FakeMedia(int(args.warmup_s * 1000))
    backend = FakeBackend(LoopClock(), media)
    daemon = Daemon(settings, TokenStore(settings.auth.access_token_file), RecentErrors(), backend)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    return await daemon.run(stop)


def offline_event_cost(directory: Path, count: int = 200) -> dict[str, float]:
    """In a child process: what one event costs while CIC is unreachable (written when put,
    deleted when delivered): the real Outbox, a realistic ProgressReport with its context."""
    from clova_client.cic.outbox import Outbox
    from clova_client.protocol import context_item, make_event

    box = Outbox(directory / "offline.db", hold_s=0, background=False)
    stream = {"token": "bench-0", "url": track_url(0), "urlPlayable": True}
    state = {"playerActivity": "PLAYING", "offsetInMilliseconds": 60000, "stream": stream}
    context = [context_item("AudioPlayer", "PlaybackState", state)]
    before = proc_io(os.getpid())
    for i in range(count):
        payload = {"token": "bench-0", "offsetInMilliseconds": 60000 * i}
        event = make_event("AudioPlayer", "ProgressReportIntervalPassed", payload, context)
        box.put(event)  # hold_s=0: on disk when put returns, as while CIC is unreachable
        box.remove(box.peek()[0].seq)
    after = proc_io(os.getpid())
    box.close()
    return {k: round((after[k] - before[k]) / count, 1) for k in ("write_bytes", "syscw")}


# --- the parent: a minimal CIC peer, and the measurement ---------------------------------------


def play(n: int, behavior: str) -> dict[str, Any]:
    stream = {
        "token": f"bench-{n}",
        "url": track_url(n),
        "urlPlayable": True,
        "progressReport": {
            "progressReportDelayInMilliseconds": REPORT_MS,
            "progressReportIntervalInMilliseconds": REPORT_MS,
        },
    }
    item = {"audioItemId": f"item-{n}", "stream": stream, "title": f"Track {n}"}
    payload = {"audioItem": item, "playBehavior": behavior, "source": {"name": "bench"}}
    from tests.support.cic_peer import directive  # the parent's: the child imports no server

    return directive("AudioPlayer", "Play", payload)


def proc_io(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        key, value = line.split(":")
        fields[key] = int(value)
    return fields


def fs_type(path: Path) -> str:
    """The file system type of the mount holding ``path`` (longest mount point prefix)."""
    best, kind = "", "?"
    for line in Path("/proc/self/mounts").read_text().splitlines():
        _, point, fstype, *_ = line.split()
        inside = str(path) == point or str(path).startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fstype
    return kind


def per_hour(before: dict[str, int], after: dict[str, int], seconds: float) -> dict[str, int]:
    scale = 3600 / seconds
    return {
        "write_bytes": round((after["write_bytes"] - before["write_bytes"]) * scale),
        "syscw": round((after["syscw"] - before["syscw"]) * scale),
    }


async def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    token_file = work / "access_token"
    token_file.write_text("bench-access-token\n")
    token_file.chmod(0o600)
    runtime = Path(tempfile.mkdtemp(prefix="ccs"))  # short: AF_UNIX paths stop at 108 bytes
    from tests.support.cic_peer import Peer, serving

    peer = Peer(BOUNDARY)
    async with serving(peer) as base_url:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--child",
            f"--base-url={base_url}",
            f"--state-dir={work / 'state'}",
            f"--runtime-dir={runtime}",
            f"--token-file={token_file}",
            f"--track-s={args.track_s}",
            f"--warmup-s={args.warmup_s}",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stderr is not None
        log_lines: list[bytes] = []
        reader = asyncio.create_task(_collect(proc.stderr, log_lines))
        try:
            connected = asyncio.create_task(peer.connected.wait())
            await asyncio.wait({connected, reader}, timeout=30, return_when="FIRST_COMPLETED")
            if not connected.done():
                connected.cancel()
                tail = b"".join(log_lines[-20:]).decode(errors="replace")
                raise SystemExit(f"the daemon did not connect; its last lines:\n{tail}")
            # Warm-up, not counted in the hourly figures: one short track makes the files
            # (outbox, snapshot, position record) and brings the outbox to its steady state
            # (the first CIC answer of a run; before it, every event is written).
            peer.push(play(WARMUP, "REPLACE_ALL"))
            await peer.wait_event("AudioPlayer.PlayFinished", 60)
            await asyncio.sleep(1)
            startup = proc_io(proc.pid)

            idle_start, t0 = proc_io(proc.pid), time.monotonic()
            await asyncio.sleep(args.idle_s)
            idle = per_hour(idle_start, proc_io(proc.pid), time.monotonic() - t0)

            mark = len(peer.received)
            play_start, t0 = proc_io(proc.pid), time.monotonic()
            peer.push(play(0, "REPLACE_ALL"))
            for n in range(1, TRACKS):
                peer.push(play(n, "ENQUEUE"))
            await asyncio.sleep(args.track_s + 2)
            seconds = time.monotonic() - t0
            playing = per_hour(play_start, proc_io(proc.pid), seconds)
            events = Counter(name for name, _ in peer.received[mark:])
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
            await reader
            shutil.rmtree(runtime, ignore_errors=True)
    playing["events"] = round(sum(events.values()) * 3600 / seconds)
    offline = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--offline-event", f"--state-dir={work}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    per_event = json.loads((await offline.communicate())[0].decode().splitlines()[-1])
    verdict = (
        playing["write_bytes"] <= BUDGET_PLAYING_BYTES
        and playing["syscw"] <= BUDGET_PLAYING_WRITES
        and idle["write_bytes"] <= BUDGET_IDLE_BYTES
        and idle["syscw"] <= BUDGET_IDLE_WRITES
    )
    return {
        "bench": "storage",
        "fs": fs_type(work),
        "track_s": args.track_s,
        "startup": {k: startup[k] for k in ("write_bytes", "syscw")},
        "playing_s": round(seconds, 1),
        "idle_s": args.idle_s,
        "events_in_window": events,
        "per_hour_playing": playing,
        "per_hour_idle": idle,
        "per_event_offline": per_event,
        "budget": {
            "playing": {"write_bytes": BUDGET_PLAYING_BYTES, "syscw": BUDGET_PLAYING_WRITES},
            "idle": {"write_bytes": BUDGET_IDLE_BYTES, "syscw": BUDGET_IDLE_WRITES},
        },
        "within_budget": verdict,
        "child_log_lines": len(log_lines),
        "child_exit": proc.returncode,
    }


async def _collect(stream: asyncio.StreamReader, lines: list[bytes]) -> None:
    async for line in stream:
        lines.append(line)
        if b'"level": "error"' in line or b'"level": "warning"' in line:
            print(line.decode(errors="replace").rstrip(), file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--track-s", type=float, default=150.0, help="length of each track")
    parser.add_argument("--idle-s", type=float, default=60.0, help="the idle phase")
    parser.add_argument("--warmup-s", type=float, default=12.0, help="the warm-up track")
    parser.add_argument("--dir", type=Path, default=None, help="where the state directory goes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--offline-event", action="store_true", help=argparse.SUPPRESS)
    for name in ("--base-url", "--state-dir", "--runtime-dir", "--token-file"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return asyncio.run(child(args))
    if args.offline_event:
        print(json.dumps(offline_event_cost(Path(args.state_dir))))
        return 0
    base = args.dir or Path("/var/tmp")  # a disk on most systems (/tmp may be tmpfs)
    work = Path(tempfile.mkdtemp(prefix="storage-", dir=base))
    try:
        result = asyncio.run(measure(args, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))
    return 0 if result["child_exit"] == 0 else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.pop("NOTIFY_SOCKET", None)
    sys.exit(main())
