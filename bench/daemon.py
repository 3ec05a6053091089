"""Daemon benchmark: the real ``clova-client run`` process against the mock CIC on loopback.

    .venv/bin/python bench/daemon.py [--cli PATH]

About three minutes. The daemon measured is the one a speaker runs: ``scripts/install-pi
--prefix .bench/speaker`` stages it (the pinned runtime set only, none of the test tools;
idempotent, ~30 s the first time) and its venv's ``clova-client`` runs; ``--cli`` names another.
Prints a table, then, as its last line, one JSON object (no assertions; docs/PERFORMANCE.md has
the figures):

* ``ready_s``: process spawned -> ``READY=1`` on a notify socket (the mock is up, so READY
  follows Clova.Hello); median of a few starts.
* ``idle_cpu_pct`` / ``playing_cpu_pct``: CPU time of the daemon process (all threads, libVLC's
  included: utime + stime from /proc/PID/stat) over 30 s, in percent of one core; connected and
  idle, then playing an MP3 from the mock.
* ``rss_mib_idle`` / ``rss_mib_playing``: VmRSS at the end of each window.
* ``floor_rss_mib_idle`` / ``floor_rss_mib_playing``: the baseline, measured in the same run with
  the same Python: ``bench/stack_floor.py`` imports the stack the daemon is built on and keeps
  one of each thing it keeps (no code of this project), then plays the long MP3 on libVLC;
  ``rss_over_floor_*`` are the daemon's figures over these.
* ``directive_to_started_ms``: the mock pushes a Play (REPLACE_ALL, an MP3 it serves) -> the mock
  has recorded PlayStarted: downchannel, parse, router, engine, libVLC open and pre-roll, first
  TIME, event through the durable outbox and back over HTTP. Median of 10.
* ``floor_directive_to_started_ms``: the same measurement, same mock, same media, once the daemon
  has stopped, of ``bench/latency_floor.py``: the stack alone (httpx/h2 downchannel and POSTs,
  python-vlc with the same pre-roll and output) doing the least a speaker must do between a Play
  and its PlayStarted, none of this project's code: the floor the daemon's figure is read against.
* ``raw_vlc_ms``: in this process, python-vlc ``play()`` -> its first TimeChanged, same media
  URL, same kind of output (a memory sink paced to real time, as ``audio_output = "null"``).

The daemon runs as the unit runs it: journal log format at level info (into /dev/null here),
a notify socket and a watchdog (``WATCHDOG_USEC`` = 30 s, the unit's ``WatchdogSec``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import structlog
import vlc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.raw_vlc import raw_vlc_start
from clova_client.mock_cic import MockCicServer
from clova_client.player.backends.vlc.output import QUIET_ARGS
from tests.support.media import media_file

DEVICE = "bench-speaker"
ACCESS, REFRESH = "bench-access-token", "bench-refresh-token"
ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / ".bench" / "speaker"
STAGED_CLI = STAGE / "opt" / "clova-client" / "venv" / "bin" / "clova-client"
CLI = STAGED_CLI
READY_RUNS = 3
WINDOW_S = 30.0
START_RUNS = 10
SHORT_MS, LONG_MS = 4000, 40_000
TICK = os.sysconf("SC_CLK_TCK")


# -- /proc ------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (every thread), in seconds."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / TICK  # fields 14 and 15 of stat(5)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def cpu_pct(pid: int, seconds: float) -> float:
    wall0, cpu0 = time.monotonic(), cpu_seconds(pid)
    await asyncio.sleep(seconds)
    wall1, cpu1 = time.monotonic(), cpu_seconds(pid)
    return 100 * (cpu1 - cpu0) / (wall1 - wall0)


# -- the notify socket --------------------------------------------------------------------------


class NotifySocket:
    """A datagram socket like systemd's: records when each READY=1 arrives (monotonic)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)
        self.ready_at: list[float] = []
        self.ready = asyncio.Event()
        self._task = asyncio.create_task(self._receive())

    async def _receive(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            data = await loop.sock_recv(self.sock, 65536)
            if b"READY=1" in data.split(b"\n"):
                self.ready_at.append(time.monotonic())
                self.ready.set()

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.sock.close()


# -- the daemon ---------------------------------------------------------------------------------


class Speaker:
    def __init__(self, mock: MockCicServer, home: Path, notify: NotifySocket) -> None:
        self.mock = mock
        self.home = home
        self.notify = notify
        self.proc: asyncio.subprocess.Process | None = None
        token = home / "token.json"
        token.write_text(json.dumps({"access_token": ACCESS, "refresh_token": REFRESH}))
        token.chmod(0o600)
        config = home / "config.toml"
        config.write_text('[log]\nlevel = "info"\n')
        self.args = [str(CLI), "run", "--config", str(config), "--log-format", "journal"]
        runtime = home / "run"
        runtime.mkdir(mode=0o700)
        keep = {k: v for k, v in os.environ.items() if not k.startswith("CLOVA_")}
        for name in ("JOURNAL_STREAM", "WATCHDOG_PID"):
            keep.pop(name, None)
        self.env = {
            **keep,
            "CLOVA_STATE_DIR": str(home / "state"),
            "CLOVA_RUNTIME_DIR": str(runtime),
            "CLOVA_CIC__BASE_URL": mock.base_url,  # HTTP/2 over TLS
            "CLOVA_CIC__CA_FILE": str(mock.ca_file),
            "CLOVA_AUTH__AUTH_URL": mock.auth_url,
            "CLOVA_AUTH__ACCESS_TOKEN_FILE": str(token),
            "CLOVA_PLAYER__AUDIO_OUTPUT": "null",
            "NOTIFY_SOCKET": str(notify.path),
            "WATCHDOG_USEC": "30000000",
        }

    async def start(self) -> float:
        """Spawn the daemon; seconds until READY=1."""
        self.notify.ready.clear()
        t0 = time.monotonic()
        self.proc = await asyncio.create_subprocess_exec(
            *self.args,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.wait_for(self.notify.ready.wait(), 60)
        return self.notify.ready_at[-1] - t0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), 30)


def play(url: str, item_id: str, *, behavior: str = "REPLACE_ALL") -> dict[str, Any]:
    header = {"namespace": "AudioPlayer", "name": "Play", "messageId": str(uuid.uuid4())}
    stream = {"token": f"tok-{item_id}", "url": url, "urlPlayable": True}
    payload = {"audioItem": {"audioItemId": item_id, "stream": stream}, "playBehavior": behavior}
    return {"directive": {"header": header, "payload": payload}}


def stop_directive() -> dict[str, Any]:
    header = {"namespace": "PlaybackController", "name": "Stop", "messageId": str(uuid.uuid4())}
    return {"directive": {"header": header, "payload": {}}}


async def directive_to_started(mock: MockCicServer, url: str, runs: int) -> list[float]:
    out: list[float] = []
    for i in range(runs):
        index = len(mock.events(DEVICE, "AudioPlayer.PlayStarted"))
        pushed_at = time.time()  # the mock stamps received_at with time.time()
        await mock.push(DEVICE, play(url, f"start-{i}"))
        started = await mock.wait_event(DEVICE, "AudioPlayer.PlayStarted", index=index, timeout=30)
        out.append((started.received_at - pushed_at) * 1000)
        await asyncio.sleep(0.5)  # let it play a little, as a listener would
    await mock.push(DEVICE, stop_directive())
    return out


# -- raw python-vlc baseline (runs on a worker thread: the mock serves the media meanwhile) ------


def raw_vlc_runs(url: str, runs: int) -> list[float]:
    instance = vlc.Instance(["--quiet", "--no-video", "--aout=adummy"])
    try:
        return [raw_vlc_start(instance, url)[0] for _ in range(runs)]
    finally:
        instance.release()


# -- the baseline: the stack alone, same Python --------------------------------------------------


def stage_speaker() -> Path:
    """The daemon as ``scripts/install-pi`` installs it, staged under .bench/speaker."""
    import subprocess

    subprocess.run(
        [str(ROOT / "scripts" / "install-pi"), "--prefix", str(STAGE)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return STAGED_CLI


async def latency_floor(python: Path, mock: MockCicServer, url: str) -> list[float]:
    """``directive_to_started`` of bench/latency_floor.py: the stack alone, same mock."""
    proc = await asyncio.create_subprocess_exec(
        str(python), str(ROOT / "bench" / "latency_floor.py"), mock.base_url, str(mock.ca_file),
        ACCESS, *QUIET_ARGS, "--aout=adummy",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if line.strip() != b"ready":
            raise RuntimeError(f"bench/latency_floor.py did not start: {line!r}")
        return await directive_to_started(mock, url, START_RUNS)
    finally:
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), 30)


async def stack_floor(python: Path, url: str) -> tuple[float, float]:
    """VmRSS (MiB) of bench/stack_floor.py: idle, then playing ``url``."""
    proc = await asyncio.create_subprocess_exec(
        str(python), str(ROOT / "bench" / "stack_floor.py"), url, *QUIET_ARGS, "--aout=adummy",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 90)
    words = [line.split() for line in out.decode().splitlines()]
    figures = {w[0]: w[1] for w in words if len(w) == 2 and w[0] in ("idle", "playing")}
    return int(figures["idle"]) / 1024, int(figures["playing"]) / 1024


# -- report -------------------------------------------------------------------------------------


def row(name: str, values: list[float], unit: str, digits: int = 1) -> str:
    if not values:
        return f"| {name:<42} | {'-':>9} | {'-':>9} | {'-':>9} | {0:>3} | {unit}"
    median, low, high = statistics.median(values), min(values), max(values)
    return (
        f"| {name:<42} | {median:9.{digits}f} | {low:9.{digits}f} | "
        f"{high:9.{digits}f} | {len(values):>3} | {unit}"
    )


async def main() -> None:
    structlog.configure(  # the in-process mock: warnings only
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="clova-bench-") as tmp:
        home = Path(tmp)
        media = home / "media"
        short = media_file(media, "mp3", SHORT_MS).name
        long = media_file(media, "mp3", LONG_MS).name
        mock = MockCicServer(
            tokens={ACCESS: DEVICE}, refresh_tokens={REFRESH: DEVICE}, media_dir=media
        )
        async with mock:
            notify = NotifySocket(home / "notify")
            speaker = Speaker(mock, home, notify)
            try:
                ready = []
                for _ in range(READY_RUNS):
                    ready.append(await speaker.start())
                    await speaker.stop()

                await speaker.start()
                pid = speaker.pid
                await asyncio.sleep(2)  # let start-up work settle
                idle_cpu = await cpu_pct(pid, WINDOW_S)
                idle_rss = rss_mib(pid)

                short_url = mock.media_url(short)
                starts = await directive_to_started(mock, short_url, START_RUNS)

                index = len(mock.events(DEVICE, "AudioPlayer.PlayStarted"))
                await mock.push(DEVICE, play(mock.media_url(long), "long"))
                await mock.wait_event(DEVICE, "AudioPlayer.PlayStarted", index=index, timeout=30)
                await asyncio.sleep(1)
                playing_cpu = await cpu_pct(pid, WINDOW_S)
                playing_rss = rss_mib(pid)
                await mock.push(DEVICE, stop_directive())

                raw = await asyncio.to_thread(raw_vlc_runs, short_url, START_RUNS)
                await speaker.stop()
                floor_starts = await latency_floor(CLI.parent / "python", mock, short_url)
                floor_idle, floor_playing = await stack_floor(
                    CLI.parent / "python", mock.media_url(long)
                )
            finally:
                if speaker.proc is not None and speaker.proc.returncode is None:
                    speaker.proc.kill()
                    await speaker.proc.wait()
                await notify.close()
    elapsed = time.monotonic() - began

    print(f"| {'figure':<42} | {'median':>9} | {'min':>9} | {'max':>9} | {'n':>3} | unit")
    print(f"|{'-' * 44}|{'-' * 11}|{'-' * 11}|{'-' * 11}|{'-' * 5}|------")
    print(row("spawn -> READY=1 (mock up)", ready, "s", 3))
    print(row("Play pushed -> PlayStarted recorded (MP3)", starts, "ms"))
    print(row("  the same, the stack alone (latency floor)", floor_starts, "ms"))
    print(row("raw python-vlc play() -> TimeChanged (MP3)", raw, "ms"))
    print(row(f"CPU idle, connected ({WINDOW_S:.0f} s)", [idle_cpu], "% of one core", 2))
    print(row(f"CPU playing MP3 ({WINDOW_S:.0f} s)", [playing_cpu], "% of one core", 2))
    print(row("RSS idle", [idle_rss], "MiB"))
    print(row("RSS playing", [playing_rss], "MiB"))
    print(row("RSS floor idle (the stack alone)", [floor_idle], "MiB"))
    print(row("RSS floor playing (the stack alone)", [floor_playing], "MiB"))
    print(f"run took {elapsed:.0f} s")
    result = {
        "ready_s": round(statistics.median(ready), 3),
        "idle_cpu_pct": round(idle_cpu, 2),
        "playing_cpu_pct": round(playing_cpu, 2),
        "rss_mib_idle": round(idle_rss, 1),
        "rss_mib_playing": round(playing_rss, 1),
        "floor_rss_mib_idle": round(floor_idle, 1),
        "floor_rss_mib_playing": round(floor_playing, 1),
        "rss_over_floor_idle": round(idle_rss / floor_idle, 2),
        "rss_over_floor_playing": round(playing_rss / floor_playing, 2),
        "directive_to_started_ms": round(statistics.median(starts), 1),
        "floor_directive_to_started_ms": round(statistics.median(floor_starts), 1),
        "raw_vlc_ms": round(statistics.median(raw), 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Benchmark the daemon process.")
    parser.add_argument("--cli", type=Path, help="a clova-client to run instead of the staged one")
    options = parser.parse_args()
    CLI = options.cli or stage_speaker()
    asyncio.run(main())
