"""Player benchmark: start latency, progress-report accuracy, gaps between tracks, memory.

Run: ``.venv/bin/python bench/player.py`` (about 2 minutes). Prints a table, then, as its last
line, one JSON object:

* ``play_to_started_ms``: PlayerEngine.play(Play) called -> PlayStarted emitted (median).
* ``raw_vlc_ms``: python-vlc ``play()`` -> its first TimeChanged, same media, same run (median).
* ``start_ratio``: the two above divided.
* ``progress_error_ms_p50/p99/max``: |offsetInMilliseconds of a progress report - its target|
  over every report of a 50 s track with a 200 ms interval (>= 240 reports).
* ``gap_ms_median``: PlayFinished -> the next PlayStarted of an enqueued playlist.
* ``rss_growth_mib``: RSS after 500 play/stop cycles minus RSS after 50.

Everything runs headless: VlcBackend("null") (libVLC into a real-time paced memory sink), media
from a real aiohttp server on 127.0.0.1, made with ``lame`` from generated noise. No assertions.

This script imports ``vlc`` itself for the raw baseline only (the package's one libVLC user
stays ``clova_client.player.backends.vlc``).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog
import vlc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.raw_vlc import raw_vlc_start
from clova_client.agents.audioplayer_items import AudioPlayerPlays
from clova_client.agents.audioplayer_reporter import AudioPlayerReporter
from clova_client.agents.outbound import EventOut
from clova_client.clock import LoopClock
from clova_client.player.backend import BackendEvent, BackendEventType, MediaSource
from clova_client.player.backends.vlc import QUIET_ARGS, VlcBackend
from clova_client.player.engine import PlayerEngine
from clova_client.protocol.base import Event
from tests.player.helpers import play
from tests.support.media import media_file
from tests.support.media_server import MediaServer

START_RUNS = 12
PROGRESS_TRACK_MS = 50_000
PROGRESS_INTERVAL_MS = 200
PLAYLIST = 10
PLAYLIST_TRACK_MS = 1500
CYCLES_LOW, CYCLES_HIGH = 50, 500


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Recorder:
    """Engine events with the wall (monotonic) time they went out."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, Event]] = []
        self.changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.sent.append((time.monotonic(), event))
        self.changed.set()

    def named(self, name: str) -> list[tuple[float, Event]]:
        return [(t, e) for t, e in self.sent if e.header.name == name]

    async def wait(self, name: str, count: int = 1, within_s: float = 120.0) -> float:
        async with asyncio.timeout(within_s):
            while len(self.named(name)) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.named(name)[count - 1][0]


def offset(event: Event) -> int:
    return int(event.context[0]["payload"]["offsetInMilliseconds"])


# -- raw python-vlc baseline ------------------------------------------------------------------


# -- the engine -------------------------------------------------------------------------------


async def with_engine(job: Callable[[PlayerEngine, VlcBackend, Recorder], Awaitable[None]]) -> None:
    backend = VlcBackend("null")
    recorder = Recorder()
    engine = PlayerEngine(backend, LoopClock())
    engine.subscribe(AudioPlayerReporter(EventOut(recorder)).on_notice)
    await engine.start()
    try:
        await job(engine, backend, recorder)
    finally:
        await engine.close()


async def bench_start(url: str, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"engine": [], "engine_pcm": [], "raw": [], "raw_pcm": []}
    instance = vlc.Instance(["--aout=adummy", *QUIET_ARGS])

    async def job(engine: PlayerEngine, backend: VlcBackend, rec: Recorder) -> None:
        plays = AudioPlayerPlays(engine)
        for i in range(runs):
            t0 = time.monotonic()
            await plays.play(play(f"s{i}", url=url, report=False))
            started = await rec.wait("PlayStarted", i + 1)
            out["engine"].append((started - t0) * 1000)
            await asyncio.sleep(0.05)  # the first block may reach the output just after
            pcm = backend.audio_started_at
            out["engine_pcm"].append(((pcm or float("nan")) - t0) * 1000)
            await engine.stop()
            await asyncio.sleep(0.1)
            raw_time, raw_pcm = await asyncio.to_thread(raw_vlc_start, instance, url)
            out["raw"].append(raw_time)
            out["raw_pcm"].append(raw_pcm)
            await asyncio.sleep(0.1)

    await with_engine(job)
    instance.release()
    return out


async def bench_progress(url: str) -> tuple[list[float], list[float]]:
    errors: list[float] = []
    audio_errors: list[float] = []

    async def job(engine: PlayerEngine, backend: VlcBackend, rec: Recorder) -> None:
        plays = AudioPlayerPlays(engine)
        await plays.play(play("p", url=url, interval=PROGRESS_INTERVAL_MS))
        await rec.wait("PlayStarted")
        audio_start = backend.audio_started_at
        await rec.wait("PlayFinished", within_s=PROGRESS_TRACK_MS / 1000 + 30)
        for k, (at, event) in enumerate(rec.named("ProgressReportIntervalPassed"), start=1):
            target = k * PROGRESS_INTERVAL_MS
            errors.append(abs(offset(event) - target))
            if audio_start is not None:
                # When the report went out vs when the null output really played the target.
                audio_errors.append(abs((at - audio_start) * 1000 - target))

    await with_engine(job)
    return errors, audio_errors


async def bench_gaps(urls: list[str]) -> list[float]:
    gaps: list[float] = []

    async def job(engine: PlayerEngine, backend: VlcBackend, rec: Recorder) -> None:
        plays = AudioPlayerPlays(engine)
        for i, url in enumerate(urls):
            await plays.play(play(f"g{i}", "ENQUEUE", url=url, report=False))
        await rec.wait("PlayFinished", len(urls), within_s=len(urls) * 5 + 10)
        finished = [t for t, _ in rec.named("PlayFinished")]
        started = [t for t, _ in rec.named("PlayStarted")]
        gaps.extend((s - f) * 1000 for f, s in zip(finished, started[1:], strict=False))

    await with_engine(job)
    return gaps


async def bench_rss(url: str) -> dict[str, float]:
    backend = VlcBackend("null")
    got_time = asyncio.Event()

    def sink(event: BackendEvent) -> None:
        if event.type is BackendEventType.TIME:
            got_time.set()

    backend.attach(sink)
    marks: dict[str, float] = {}
    for cycle in range(1, CYCLES_HIGH + 1):
        got_time.clear()
        await backend.play(MediaSource(cycle, url))
        await asyncio.wait_for(got_time.wait(), 10)
        await backend.stop()
        if cycle in (CYCLES_LOW, CYCLES_HIGH):
            await asyncio.sleep(0.3)  # let the worker release the last player
            gc.collect()
            marks[f"rss_{cycle}"] = rss_mib()
            marks[f"threads_{cycle}"] = threading.active_count()
            marks[f"native_threads_{cycle}"] = len(os.listdir("/proc/self/task"))
            marks[f"fds_{cycle}"] = len(os.listdir("/proc/self/fd"))
    await backend.close()
    return marks


def row(name: str, values: list[float], note: str = "") -> str:
    vals = [v for v in values if v == v]
    if not vals:
        return f"| {name:<44} | {'-':>8} | {'-':>8} | {'-':>8} | {len(values):>4} | {note}"
    return (
        f"| {name:<44} | {statistics.median(vals):8.1f} | {pct(vals, 90):8.1f} | "
        f"{max(vals):8.1f} | {len(vals):>4} | {note}"
    )


async def main() -> None:
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    with tempfile.TemporaryDirectory(prefix="clova-bench-") as tmp:
        directory = Path(tmp)
        t_start = time.monotonic()
        mp3 = media_file(directory, "mp3", 3000).name
        wav = media_file(directory, "wav", 3000).name
        long_mp3 = media_file(directory, "mp3", PROGRESS_TRACK_MS).name
        short = [
            media_file(directory, "mp3", PLAYLIST_TRACK_MS, seed=s).name for s in range(PLAYLIST)
        ]
        short_wav = [
            media_file(directory, "wav", PLAYLIST_TRACK_MS, seed=s).name for s in range(PLAYLIST)
        ]
        async with MediaServer(directory) as server:
            start_mp3 = await bench_start(server.url("range", mp3), START_RUNS)
            start_wav = await bench_start(server.url("range", wav), START_RUNS)
            progress, progress_audio = await bench_progress(server.url("range", long_mp3))
            gaps = await bench_gaps([server.url("range", n) for n in short])
            gaps_wav = await bench_gaps([server.url("range", n) for n in short_wav])
            rss = await bench_rss(server.url("range", wav))
        elapsed = time.monotonic() - t_start

    print(
        f"| {'figure (ms unless said)':<44} | {'median':>8} | {'p90':>8} | {'max':>8} | {'n':>4} |"
    )
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 6}|")
    print(row("MP3: Play -> PlayStarted (engine)", start_mp3["engine"]))
    print(row("MP3: Play -> first PCM (engine)", start_mp3["engine_pcm"]))
    print(row("MP3: raw play() -> first TimeChanged", start_mp3["raw"]))
    print(row("MP3: raw play() -> first PCM", start_mp3["raw_pcm"]))
    print(row("WAV: Play -> PlayStarted (engine)", start_wav["engine"]))
    print(row("WAV: Play -> first PCM (engine)", start_wav["engine_pcm"]))
    print(row("WAV: raw play() -> first TimeChanged", start_wav["raw"]))
    print(row("WAV: raw play() -> first PCM", start_wav["raw_pcm"]))
    print(row("progress |offset - target| (MP3, 200 ms)", progress))
    print(row("progress sent vs audio clock (null output)", progress_audio))
    print(row("gap PlayFinished -> PlayStarted (MP3)", gaps))
    print(row("gap PlayFinished -> PlayStarted (WAV)", gaps_wav))
    print(
        f"RSS {rss['rss_50']:.1f} MiB after {CYCLES_LOW} play/stop cycles, "
        f"{rss['rss_500']:.1f} MiB after {CYCLES_HIGH}; Python threads "
        f"{rss['threads_50']:.0f} -> {rss['threads_500']:.0f}, native threads "
        f"{rss['native_threads_50']:.0f} -> {rss['native_threads_500']:.0f}, fds "
        f"{rss['fds_50']:.0f} -> {rss['fds_500']:.0f}; run took {elapsed:.0f} s"
    )
    engine_ms = statistics.median(start_mp3["engine"])
    raw_ms = statistics.median(start_mp3["raw"])
    result = {
        "play_to_started_ms": round(engine_ms, 1),
        "raw_vlc_ms": round(raw_ms, 1),
        "start_ratio": round(engine_ms / raw_ms, 3),
        "progress_error_ms_p50": round(pct(progress, 50), 1),
        "progress_error_ms_p99": round(pct(progress, 99), 1),
        "progress_error_ms_max": round(max(progress), 1),
        "gap_ms_median": round(statistics.median(gaps), 1),
        "rss_growth_mib": round(rss["rss_500"] - rss["rss_50"], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
