"""One speaker for the media matrix, in its own process: ``python -m tests.media.runner JOB.json``.

It builds what ``app.py`` builds for AudioPlayer (a ``PlayerEngine`` on a real ``VlcBackend``,
the ``AudioPlayerReporter`` turning notices into events) with the output the job names, plays the
job's plays one after the other and records what really came out: the null output's blocks as
its paced play callback plays them (``output.PLAY_OBSERVER``), or the PulseAudio sink's monitor
(``parec``; ``PULSE_SERVER`` / ``PULSE_SINK`` come from the parent). Events, ``playback_state``
probes and command instants are stamped with ``time.monotonic()``, the clock of the recording.

Writes ``JOB.result.json``, the recording (``JOB.rec.json`` + ``JOB.rec.raw``, mono s16) and the
daemon's JSON log lines (``JOB.log``). A process per job: each speaker has its own sink and its
own interpreter, so jobs played side by side neither share an output nor a GIL.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import subprocess
import sys
import threading
import time
from array import array
from pathlib import Path
from typing import Any

from clova_client.agents.audioplayer_items import AudioPlayerPlays
from clova_client.agents.audioplayer_reporter import AudioPlayerReporter
from clova_client.agents.outbound import EventOut
from clova_client.clock import LoopClock
from clova_client.logging import configure_logging
from clova_client.player.backends.vlc import VlcBackend, output
from clova_client.player.engine import PlayerEngine
from clova_client.player.settings import PlayerSettings
from clova_client.protocol.audioplayer import PlayPayload
from clova_client.protocol.base import Event

RATE = 44100
PROBE_EVERY_S = 0.1
GAP_S = 0.6
"""Silence between two plays of a job, so each play's first sound stands apart."""

ENDS = ("PlayFinished", "PlayStopped")


class NullTap:
    """Records the null output's blocks (left channel) at the instant each starts to play."""

    def __init__(self) -> None:
        self.blocks: list[tuple[float, array[int]]] = []
        self._lock = threading.Lock()

    def __call__(self, samples: Any, count: int, start: float) -> None:
        if not samples or count <= 0:
            return
        raw = ctypes.string_at(samples, count * 2 * output.NULL_CHANNELS)
        frames = array("h", raw)[:: output.NULL_CHANNELS]
        with self._lock:
            self.blocks.append((start, frames))

    def stop(self) -> list[tuple[float, array[int]]]:
        output.PLAY_OBSERVER = None
        with self._lock:
            return list(self.blocks)


class MonitorTap:
    """Records a PulseAudio sink's monitor with ``parec``. Frame ``f`` played at
    ``base + f / RATE``: ``base`` is the earliest any read allows (the lower envelope of read
    instant minus frames read so far). The null sink hands its monitor what it renders, up to
    its latency ahead of playing it; asking for 10 ms keeps that error under ~10 ms (with 200 ms
    the first sound showed ~140 ms early). The price: the sink runs with ~10 ms of latency."""

    def __init__(self, sink: str) -> None:
        self.proc = subprocess.Popen(
            [
                "parec",
                f"--device={sink}.monitor",
                "--raw",
                "--format=s16le",
                f"--rate={RATE}",
                "--channels=1",
                "--latency-msec=10",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.data = bytearray()
        self.base = float("inf")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 8192)
            now = time.monotonic()
            if not chunk:
                return
            self.data += chunk
            self.base = min(self.base, now - (len(self.data) // 2) / RATE)

    def wait_running(self, limit_s: float = 5.0) -> None:
        end = time.monotonic() + limit_s
        while not self.data and time.monotonic() < end:
            time.sleep(0.01)
        if not self.data:
            raise RuntimeError("parec recorded nothing from the sink's monitor")

    def stop(self) -> list[tuple[float, array[int]]]:
        self.proc.terminate()
        self._thread.join(5)
        self.proc.wait(5)
        size = len(self.data) // 2 * 2
        return [(self.base, array("h", bytes(self.data[:size])))]


def payload(item: dict[str, Any], behavior: str) -> PlayPayload:
    stream: dict[str, Any] = {
        "token": item["token"],
        "url": item["url"],
        "urlPlayable": True,
        "beginAtInMilliseconds": item.get("begin", 0),
    }
    if item.get("progress"):
        delay, interval, position = item["progress"]
        stream["progressReport"] = {
            "progressReportDelayInMilliseconds": delay,
            "progressReportIntervalInMilliseconds": interval,
            "progressReportPositionInMilliseconds": position,
        }
    return PlayPayload.model_validate(
        {
            "audioItem": {"audioItemId": item["token"], "stream": stream, "type": "matrix"},
            "playBehavior": behavior,
            "source": {"name": "matrix"},
        }
    )


class Speaker:
    def __init__(self, engine: PlayerEngine) -> None:
        self.engine = engine
        self.plays = AudioPlayerPlays(engine)
        self.events: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    def emit(self, event: Event) -> None:
        state = event.context[0]["payload"] if event.context else {}
        stream = state.get("stream") or {}
        self.events.append(
            {
                "name": event.header.name,
                "at": time.monotonic(),
                "token": stream.get("token"),
                "offset": state.get("offsetInMilliseconds"),
                "total": state.get("totalInMilliseconds"),
                "has_total": "totalInMilliseconds" in state,
                "activity": state.get("playerActivity"),
            }
        )
        self.changed.set()

    def seen(self, name: str, token: str, since: int) -> dict[str, Any] | None:
        for ev in self.events[since:]:
            if ev["name"] == name and ev["token"] == token:
                return ev
        return None

    async def wait(self, names: tuple[str, ...], token: str, since: int, limit_s: float) -> bool:
        end = time.monotonic() + limit_s
        while not any(self.seen(n, token, since) for n in names):
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.changed.clear()
            try:
                async with asyncio.timeout(left):
                    await self.changed.wait()
            except TimeoutError:
                return False
        return True

    async def play(self, spec: dict[str, Any]) -> dict[str, Any]:
        """One play: its items (the first replaces all, the rest are enqueued), an optional
        seek or stop, until its last item ends."""
        since = len(self.events)
        probes: list[tuple[float, int | None, str]] = []
        out: dict[str, Any] = {"label": spec["label"], "commands": []}
        prober = asyncio.create_task(self._probe(probes))
        out["play_at"] = time.monotonic()
        for i, item in enumerate(spec["items"]):
            await self.plays.play(payload(item, "REPLACE_ALL" if i == 0 else "ENQUEUE"))
        first = spec["items"][0]["token"]
        last = spec["items"][-1]["token"]
        limit = spec.get("limit_s", 20.0)
        for action in spec.get("actions", []):
            if not await self.wait(("PlayStarted",), first, since, limit):
                break
            started = self.seen("PlayStarted", first, since)
            assert started is not None
            await asyncio.sleep(max(0.0, started["at"] + action["after_s"] - time.monotonic()))
            at = time.monotonic()
            if action["do"] == "seek":
                await self.engine.seek(action["to_ms"])
            elif action["do"] == "stop":
                await self.engine.stop()
            out["commands"].append({"do": action["do"], "at": at, "to_ms": action.get("to_ms")})
        out["ended"] = await self.wait(ENDS, last, since, limit)
        await asyncio.sleep(0.3)  # anything (wrongly) sent after the end is seen too
        prober.cancel()
        out["events"] = self.events[since:]
        out["probes"] = probes
        return out

    async def _probe(self, probes: list[tuple[float, int | None, str]]) -> None:
        while True:
            state = self.engine.status()
            probes.append((time.monotonic(), state.offset_ms, state.activity.value))
            await asyncio.sleep(PROBE_EVERY_S)


async def run(job: dict[str, Any]) -> dict[str, Any]:
    tap: NullTap | MonitorTap
    if job["output"] == "null":
        tap = NullTap()
        output.PLAY_OBSERVER = tap
    else:
        tap = MonitorTap(job["sink"])
        tap.wait_running()
    backend = VlcBackend(job["output"])
    engine = PlayerEngine(backend, LoopClock(), PlayerSettings())
    speaker = Speaker(engine)
    engine.subscribe(AudioPlayerReporter(EventOut(speaker.emit)).on_notice)
    await engine.start()
    plays = []
    try:
        for spec in job["plays"]:
            plays.append(await speaker.play(spec))
            await asyncio.sleep(GAP_S)
    finally:
        await engine.close()
        blocks = tap.stop()
    return {"plays": plays, "blocks": blocks}


def main(argv: list[str]) -> int:
    job_file = Path(argv[1])
    job = json.loads(job_file.read_text())
    stem = job_file.with_suffix("")
    with open(f"{stem}.log", "w", encoding="utf-8") as log_stream:
        configure_logging("json", "info", stream=log_stream, native_journal=False)
        result = asyncio.run(run(job))
    blocks = result.pop("blocks")
    with open(f"{stem}.rec.raw", "wb") as raw:
        for _, samples in blocks:
            raw.write(samples.tobytes())
    index = [[start, len(samples)] for start, samples in blocks]
    Path(f"{stem}.rec.json").write_text(json.dumps({"rate": RATE, "blocks": index}))
    Path(f"{stem}.result.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
