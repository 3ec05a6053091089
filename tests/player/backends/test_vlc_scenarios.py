"""PlayerEngine + VlcBackend("null") + a real local media server + the loop clock.

Everything here is real except the speaker: real libVLC decoding real WAV/MP3 over HTTP, paced
to real time by the null output. Assertions are on event order and on the media-time offsets
the events carry (``offsetInMilliseconds`` of their PlaybackState context), never on how long
something took.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from clova_client.agents.audioplayer_items import AudioPlayerPlays
from clova_client.agents.audioplayer_reporter import AudioPlayerReporter
from clova_client.agents.audioplayer_state import playback_state
from clova_client.agents.outbound import EventOut
from clova_client.clock import LoopClock
from clova_client.player.backends.vlc import VlcBackend
from clova_client.player.engine import PlayerEngine
from clova_client.player.settings import PlayerSettings
from clova_client.player.status import Activity
from clova_client.protocol.base import Event
from tests.player.helpers import Sent, play
from tests.support.fixtures import media_dir, media_server  # noqa: F401  (fixtures)
from tests.support.media import Format as Fmt
from tests.support.media import media_file
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.vlc

OFFSET_TOLERANCE_MS = 100


@dataclass
class Rig:
    engine: PlayerEngine
    backend: VlcBackend
    server: MediaServer
    sent: list[Sent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def audio(self) -> AudioPlayerPlays:
        """Play payloads handed to the engine as the AudioPlayer agent hands them."""
        return AudioPlayerPlays(self.engine)

    def url(self, kind: str, fmt: Fmt, length_ms: int) -> str:
        name = media_file(self.server.directory, fmt, length_ms).name
        if kind == "stall":
            size = (self.server.directory / name).stat().st_size
            return self.server.url("stall", name, stall_after=size // 2)
        return self.server.url(kind, name)

    def names(self, *, progress: bool = False) -> list[tuple[str, str | None]]:
        return [
            (s.name, s.token)
            for s in self.sent
            if progress or not s.name.startswith("ProgressReport")
        ]

    def named(self, name: str) -> list[Sent]:
        return [s for s in self.sent if s.name == name]

    async def wait_for(self, name: str, count: int = 1, *, within_s: float = 10.0) -> Sent:
        """The ``count``-th event named ``name`` (the limit only stops a hung test)."""
        async with asyncio.timeout(within_s):
            while len(self.named(name)) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.named(name)[count - 1]


RigFactory = Callable[..., Awaitable[Rig]]


@pytest.fixture
async def make_rig(media_server: MediaServer) -> AsyncIterator[RigFactory]:  # noqa: F811
    rigs: list[Rig] = []

    async def factory(settings: PlayerSettings | None = None) -> Rig:
        backend = VlcBackend("null")
        clock = LoopClock()
        sent: list[Sent] = []
        changed = asyncio.Event()

        def emit(event: Event) -> None:
            sent.append(Sent(clock.now(), event))
            changed.set()

        engine = PlayerEngine(backend, clock, settings or PlayerSettings())
        engine.subscribe(AudioPlayerReporter(EventOut(emit)).on_notice)
        await engine.start()
        rig = Rig(engine, backend, media_server, sent, changed)
        rigs.append(rig)
        return rig

    yield factory
    for rig in rigs:
        await rig.engine.close()


def near(value: int | None, target: int, tolerance: int = OFFSET_TOLERANCE_MS) -> bool:
    return value is not None and abs(value - target) <= tolerance


async def test_an_enqueued_playlist_plays_through_in_order(make_rig: RigFactory) -> None:
    rig = await make_rig()
    urls = [
        rig.url("range", "mp3", 1500),
        rig.url("range", "wav", 1500),
        rig.url("norange", "mp3", 1500),
    ]
    for item, url in zip("abc", urls, strict=True):
        await rig.audio.play(play(item, "ENQUEUE", url=url, report=False))
    await rig.wait_for("PlayFinished", 3, within_s=15)
    assert rig.names() == [
        ("PlayStarted", "tok-a"),
        ("PlayFinished", "tok-a"),
        ("PlayStarted", "tok-b"),
        ("PlayFinished", "tok-b"),
        ("PlayStarted", "tok-c"),
        ("PlayFinished", "tok-c"),
    ]
    for started in rig.named("PlayStarted"):
        assert near(started.offset, 0, 300)
    for finished in rig.named("PlayFinished"):
        # The context offset at the end is the media's own length (MP3 frames round up).
        assert 1500 - OFFSET_TOLERANCE_MS <= (finished.offset or 0) <= 1600
    assert rig.engine.state is Activity.STOPPED
    # b and c were pre-rolled while the item before them played, and that very connection
    # played them: every URL was fetched once.
    paths = [r.path for r in rig.server.requests]
    assert sorted(paths) == sorted(url.removeprefix(rig.server.base) for url in urls)


async def test_replace_all_mid_track_stops_it_and_plays_the_new_one(make_rig: RigFactory) -> None:
    rig = await make_rig()
    await rig.audio.play(play("a", url=rig.url("range", "mp3", 4000), report=False))
    await rig.audio.play(play("b", "ENQUEUE", url=rig.url("range", "wav", 1500), report=False))
    await rig.wait_for("PlayStarted")
    await asyncio.sleep(0.8)
    await rig.audio.play(play("c", url=rig.url("chunked", "mp3", 1500), report=False))
    await rig.wait_for("PlayFinished", within_s=10)
    assert rig.names() == [
        ("PlayStarted", "tok-a"),
        ("PlayStopped", "tok-a"),
        ("PlayStarted", "tok-c"),
        ("PlayFinished", "tok-c"),
    ]
    stopped = rig.named("PlayStopped")[0]
    assert stopped.offset is not None and 400 <= stopped.offset <= 2000
    assert rig.engine.state is Activity.STOPPED


async def test_pause_and_resume_continue_from_the_same_offset(make_rig: RigFactory) -> None:
    rig = await make_rig()
    await rig.audio.play(play("a", url=rig.url("range", "wav", 3000), report=False))
    await rig.wait_for("PlayStarted")
    await asyncio.sleep(0.7)
    assert await rig.engine.pause()
    paused = await rig.wait_for("PlayPaused")
    await asyncio.sleep(0.6)
    assert playback_state(rig.engine.status()).offset_ms == paused.offset  # frozen while paused
    assert await rig.engine.resume()
    resumed = await rig.wait_for("PlayResumed")
    finished = await rig.wait_for("PlayFinished", within_s=10)
    assert paused.offset is not None and 300 <= paused.offset <= 1500
    assert near(resumed.offset, paused.offset)
    assert near(finished.offset, 3000)
    assert rig.names() == [
        ("PlayStarted", "tok-a"),
        ("PlayPaused", "tok-a"),
        ("PlayResumed", "tok-a"),
        ("PlayFinished", "tok-a"),
    ]


async def test_a_missing_item_in_the_middle_is_skipped(make_rig: RigFactory) -> None:
    rig = await make_rig()
    await rig.audio.play(play("a", "ENQUEUE", url=rig.url("range", "mp3", 1500), report=False))
    await rig.audio.play(play("b", "ENQUEUE", url=rig.url("missing", "mp3", 1500), report=False))
    await rig.audio.play(play("c", "ENQUEUE", url=rig.url("range", "wav", 1500), report=False))
    await rig.wait_for("PlayFinished", 2, within_s=15)
    assert rig.names() == [
        ("PlayStarted", "tok-a"),
        ("PlayFinished", "tok-a"),
        ("PlayStarted", "tok-c"),
        ("PlayFinished", "tok-c"),
    ]


async def test_a_stalled_stream_is_abandoned_and_the_queue_goes_on(make_rig: RigFactory) -> None:
    settings = PlayerSettings(stall_timeout_s=1.0, open_timeout_s=3.0, max_extrapolation_ms=300)
    rig = await make_rig(settings)
    await rig.audio.play(play("a", "ENQUEUE", url=rig.url("stall", "mp3", 4000), report=False))
    await rig.audio.play(play("b", "ENQUEUE", url=rig.url("range", "wav", 1500), report=False))
    await rig.wait_for("PlayFinished", within_s=15)
    assert rig.names() == [
        ("PlayStarted", "tok-a"),
        ("PlayStopped", "tok-a"),
        ("PlayStarted", "tok-b"),
        ("PlayFinished", "tok-b"),
    ]
    stopped = rig.named("PlayStopped")[0]
    # Reported where the sound froze (within the extrapolation limit), far from the end.
    assert stopped.offset is not None and stopped.offset < 2500


async def test_duration_cuts_the_item_at_its_offset(make_rig: RigFactory) -> None:
    rig = await make_rig()
    url = rig.url("range", "mp3", 4000)
    await rig.audio.play(play("a", url=url, begin=500, duration=1200, report=False))
    finished = await rig.wait_for("PlayFinished", within_s=10)
    assert near(rig.named("PlayStarted")[0].offset, 500, 300)
    assert near(finished.offset, 1700)
    await asyncio.sleep(0.4)
    assert rig.names() == [("PlayStarted", "tok-a"), ("PlayFinished", "tok-a")]


@pytest.mark.parametrize("fmt", ["mp3", "wav"])
async def test_progress_reports_land_on_their_offsets(make_rig: RigFactory, fmt: Fmt) -> None:
    rig = await make_rig()
    url = rig.url("range", fmt, 4000)
    await rig.audio.play(play("a", url=url, delay=700, interval=900, position=1950))
    await rig.wait_for("PlayFinished", within_s=12)
    delay = rig.named("ProgressReportDelayPassed")
    interval = rig.named("ProgressReportIntervalPassed")
    position = rig.named("ProgressReportPositionPassed")
    assert [s.offset for s in delay] and near(delay[0].offset, 700)
    assert len(position) == 1 and near(position[0].offset, 1950)
    # Whole multiples of the interval up to the end: 900, 1800, 2700, 3600.
    assert len(interval) == 4
    for k, sent in enumerate(interval, start=1):
        assert near(sent.offset, 900 * k), (k, sent.offset)
    # Every report went out while playing, in media order.
    offsets = [s.offset or 0 for s in rig.sent if s.name.startswith("ProgressReport")]
    assert offsets == sorted(offsets)
    assert all(s.activity == "PLAYING" for s in delay + interval + position)
