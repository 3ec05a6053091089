"""Test helpers for the player: a clock that can be stepped timer by timer, Play builders and a
harness wiring a PlayerEngine to a FakeBackend."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from clova_client.agents.audioplayer_items import AudioPlayerPlays, item_of_saved
from clova_client.agents.audioplayer_reporter import AudioPlayerReporter
from clova_client.agents.context import VOLUME_STATE
from clova_client.agents.outbound import EventOut
from clova_client.clock import ManualClock, Timer
from clova_client.player.backend import MediaSource
from clova_client.player.backends.fake import FakeBackend, FakeMedia
from clova_client.player.engine import PlayerEngine
from clova_client.player.settings import PlayerSettings
from clova_client.protocol.audioplayer import PlayPayload, StreamDeliverPayload
from clova_client.protocol.base import Event, JsonObject
from clova_client.protocol.speaker import VolumeState


@dataclass(eq=False)
class _Tracked:
    due: float
    done: bool = False
    inner: Timer | None = None

    def cancel(self) -> None:
        self.done = True
        if self.inner is not None:
            self.inner.cancel()


class SteppingClock(ManualClock):
    """A ManualClock that also says when its next live timer is due."""

    def __init__(self, start: float = 0.0) -> None:
        super().__init__(start)
        self._live: list[_Tracked] = []

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        tracked = _Tracked(self.now() + max(0.0, delay))

        def fire() -> None:
            tracked.done = True
            callback()

        tracked.inner = super().call_later(delay, fire)
        self._live.append(tracked)
        return tracked

    def next_due(self) -> float | None:
        self._live = [t for t in self._live if not t.done]
        return min((t.due for t in self._live), default=None)


def stream(
    item_id: str,
    *,
    url: str | None = None,
    playable: bool = True,
    token: str | None = None,
    begin: int | None = 0,
    duration: int | None = None,
    delay: int | None = None,
    interval: int | None = None,
    position: int | None = None,
    report: bool = True,
    **extra: Any,
) -> JsonObject:
    token = token or f"tok-{item_id}"
    raw: JsonObject = {
        "token": token,
        "url": url or (f"https://media.example/{item_id}.mp3" if playable else f"clova:{token}"),
        "urlPlayable": playable,
    }
    if begin is not None:
        raw["beginAtInMilliseconds"] = begin
    if duration is not None:
        raw["durationInMilliseconds"] = duration
    if report:
        raw["progressReport"] = {
            "progressReportDelayInMilliseconds": delay,
            "progressReportIntervalInMilliseconds": interval,
            "progressReportPositionInMilliseconds": position,
        }
    raw.update(extra)
    return raw


def play(
    item_id: str,
    behavior: str = "REPLACE_ALL",
    stream_raw: JsonObject | None = None,
    **stream_kw: Any,
) -> PlayPayload:
    return PlayPayload.model_validate(
        {
            "audioItem": {
                "audioItemId": item_id,
                "stream": stream_raw if stream_raw is not None else stream(item_id, **stream_kw),
                "type": "test",
                "title": f"Title {item_id}",
            },
            "playBehavior": behavior,
            "source": {"name": "Test"},
        }
    )


def deliver(item_id: str, stream_raw: JsonObject, *, key: str = "stream") -> StreamDeliverPayload:
    return StreamDeliverPayload.model_validate({"audioItemId": item_id, key: stream_raw})


def url_of(item_id: str) -> str:
    return f"https://media.example/{item_id}.mp3"


@dataclass
class Sent:
    at: float
    event: Event

    @property
    def name(self) -> str:
        return self.event.header.name

    @property
    def state(self) -> JsonObject:
        """The PlaybackState context payload sent with the event."""
        return self.event.context[0]["payload"] if self.event.context else {}

    @property
    def token(self) -> str | None:
        stream = self.state.get("stream") or {}
        return stream.get("token")

    @property
    def offset(self) -> int | None:
        return self.state.get("offsetInMilliseconds")

    @property
    def activity(self) -> str | None:
        return self.state.get("playerActivity")

    @property
    def reported(self) -> int | None:
        """The event payload's offsetInMilliseconds (a progress report's own offset)."""
        value = self.event.payload.get("offsetInMilliseconds")
        return value if isinstance(value, int) else None


@dataclass
class Harness:
    clock: SteppingClock
    backend: FakeBackend
    engine: PlayerEngine
    sent: list[Sent] = field(default_factory=list)

    @property
    def audio(self) -> AudioPlayerPlays:
        """Play, ClearQueue and StreamDeliver payloads, handed over as the agent does."""
        return AudioPlayerPlays(self.engine)

    def names(self, *, with_token: bool = False, progress: bool = True) -> list[Any]:
        out: list[Any] = []
        for s in self.sent:
            if not progress and s.name.startswith("ProgressReport"):
                continue
            out.append((s.name, s.token) if with_token else s.name)
        return out

    def named(self, name: str) -> list[Sent]:
        return [s for s in self.sent if s.name == name]

    def played(self) -> list[MediaSource]:
        """Every source the backend was told to play, in order."""
        return [s for s in self.backend.calls_named("play") if isinstance(s, MediaSource)]

    def clear(self) -> None:
        self.sent.clear()
        self.backend.calls.clear()

    async def settle(self) -> None:
        for _ in range(3):
            await self.engine.wait_idle()
            await asyncio.sleep(0)

    async def run(self, seconds: float) -> None:
        """Let ``seconds`` of clock time pass, handling every timer at its own due time."""
        await run_clock(self.clock, self.settle, seconds)

    async def run_until(self, name: str, limit_s: float = 120.0, step_s: float = 0.01) -> Sent:
        """Run until an event named ``name`` goes out (fails after ``limit_s``)."""
        seen = len(self.sent)
        end = self.clock.now() + limit_s
        while self.clock.now() < end:
            await self.run(step_s)
            for s in self.sent[seen:]:
                if s.name == name:
                    return s
        raise AssertionError(f"no {name} within {limit_s} s; sent {self.names()}")


async def make_harness(
    media: Mapping[str, FakeMedia] | None = None,
    *,
    simulate: bool = True,
    tick_ms: int = 250,
    settings: PlayerSettings | None = None,
) -> Harness:
    clock = SteppingClock()
    backend = FakeBackend(
        clock if simulate else None, dict(media or {}) if simulate else None, tick_ms
    )
    sent: list[Sent] = []
    engine = PlayerEngine(backend, clock, settings or PlayerSettings(), rebuild=item_of_saved)

    def volume() -> JsonObject:
        return VolumeState(volume=engine.volume, muted=engine.muted).context()

    out = EventOut(lambda e: sent.append(Sent(clock.now(), e)))
    out.context.provide(VOLUME_STATE, volume)
    reporter = AudioPlayerReporter(out)
    engine.subscribe(reporter.on_notice)
    await engine.start()
    return Harness(clock, backend, engine, sent)


def reports(sent: list[Sent]) -> list[tuple[str, int | None]]:
    return [
        (s.name.removeprefix("ProgressReport").removesuffix("Passed"), s.offset)
        for s in sent
        if s.name.startswith("ProgressReport")
    ]


def reported(sent: list[Sent]) -> list[tuple[str, int | None]]:
    """The progress reports with their payload's offsetInMilliseconds."""
    return [
        (s.name.removeprefix("ProgressReport").removesuffix("Passed"), s.reported)
        for s in sent
        if s.name.startswith("ProgressReport")
    ]


async def run_clock(
    clock: SteppingClock, settle: Callable[[], Awaitable[None]], seconds: float
) -> None:
    """Let ``seconds`` of ``clock`` time pass, every timer at its own due time, ``settle``
    (the loop's pending work) before and after each."""
    end = clock.now() + seconds
    while True:
        await settle()
        due = clock.next_due()
        if due is None or due > end:
            break
        clock.advance(max(0.0, due - clock.now()) + 1e-9)
    clock.advance(max(0.0, end - clock.now()))
    await settle()
