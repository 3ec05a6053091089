"""FakeBackend: a PlayerBackend for tests that records every call and either lets a test fire
events by hand, or, given a clock and a media table, simulates playback the way libVLC behaves
(LENGTH, PLAYING and a TIME at the start position at once as sound begins, as after libVLC's
pre-roll; TIME ticks while sound flows, ENDED at the length, ERROR on 404 / refused, PLAYING then
ENDED without TIME for garbage, silence after a stall: no TIME at all where nothing flows).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from clova_client.clock import Clock, Timer

from ..backend import BackendEvent, BackendEventType, EventSink, MediaSource
from ..earcon import Earcon

Behaviour = Literal["ok", "404", "refused", "stall_at_ms", "garbage"]

_ERRORS = {"404": "HTTP 404 Not Found", "refused": "connection refused"}
GARBAGE_END_S = 0.04
"""libVLC reports EndReached 20-60 ms after Playing for garbage."""


@dataclass(frozen=True, slots=True)
class FakeMedia:
    length_ms: int
    behaviour: Behaviour = "ok"
    stall_at_ms: int | None = None


class FakeBackend:
    def __init__(
        self,
        clock: Clock | None = None,
        media: Mapping[str, FakeMedia] | None = None,
        tick_ms: int = 250,
    ) -> None:
        if tick_ms <= 0:
            raise ValueError("tick_ms must be positive")
        self.calls: list[tuple[str, object]] = []
        self.current: MediaSource | None = None
        self.volume = 100
        self.muted = False
        self.closed = False
        self.earcons: list[tuple[Earcon, int]] = []
        """Every earcon asked for, with its volume (an ``EarconOutput``; not in ``calls``)."""
        self._sink: EventSink | None = None
        self._clock = clock
        self._media = media
        self._tick_ms = tick_ms
        self._timers: dict[int, Timer] = {}
        self._timer_keys = itertools.count()
        self._playing_media: FakeMedia | None = None
        self._ticking = False
        self._ended = False
        self._pos_ms = 0
        self._pos_at = 0.0
        self._grid_ms = 0

    # --- PlayerBackend -------------------------------------------------------------------

    def attach(self, sink: EventSink) -> None:
        self._sink = sink

    async def play(self, source: MediaSource) -> None:
        self.calls.append(("play", source))
        self._cancel_timers()
        self.current = source
        self._ticking = self._ended = False
        if self._simulating:
            self._simulate_play(source)

    async def prepare(self, source: MediaSource) -> None:
        self.calls.append(("prepare", source))

    async def pause(self) -> None:
        self.calls.append(("pause", None))
        if not self._simulating or self.current is None:
            return
        if self._ticking:
            self._pos_ms = self._position_now()
            self._pos_at = self._now()
            self._ticking = False
            self._cancel_timers()
        self._later(0, BackendEventType.PAUSED)

    async def resume(self) -> None:
        self.calls.append(("resume", None))
        if not self._simulating or self.current is None or self._ticking or self._ended:
            return
        if self._playing_media is None:
            return
        self._later(0, BackendEventType.PLAYING)
        if self._pos_ms < self._limit_ms(self._playing_media):  # no tick where nothing flows
            self._later(0, BackendEventType.TIME, time_ms=self._pos_ms)  # libVLC: ~15 ms after
        self._run()

    async def seek(self, ms: int) -> None:
        self.calls.append(("seek", ms))
        if not self._simulating or self.current is None or self._playing_media is None:
            return
        self._pos_ms = max(0, min(ms, self._playing_media.length_ms))
        self._pos_at = self._now()
        self._grid_ms = self._pos_ms
        if self._ticking:
            self._cancel_timers()
            self._later(0, BackendEventType.TIME, time_ms=self._pos_ms)
            self._run()

    async def stop(self) -> None:
        self.calls.append(("stop", None))
        self._cancel_timers()
        self.current = None
        self._ticking = False

    async def set_volume(self, percent: int) -> None:
        self.calls.append(("set_volume", percent))
        self.volume = percent

    async def set_mute(self, muted: bool) -> None:
        self.calls.append(("set_mute", muted))
        self.muted = muted

    async def play_earcon(self, earcon: Earcon, volume: int) -> None:
        """Record it; the simulated playback is untouched (no call, no event)."""
        self.earcons.append((earcon, volume))

    async def close(self) -> None:
        self.calls.append(("close", None))
        self._cancel_timers()
        self.current = None
        self.closed = True

    # --- manual triggers (for the current source) ----------------------------------------

    def emit_playing(self) -> None:
        self._emit_now(BackendEventType.PLAYING)

    def emit_time(self, ms: int) -> None:
        self._emit_now(BackendEventType.TIME, time_ms=ms)

    def emit_length(self, ms: int) -> None:
        self._emit_now(BackendEventType.LENGTH, length_ms=ms)

    def emit_ended(self) -> None:
        self._emit_now(BackendEventType.ENDED)

    def emit_error(self, reason: str) -> None:
        self._emit_now(BackendEventType.ERROR, reason=reason)

    def emit(self, event: BackendEvent) -> None:
        """Deliver any event, e.g. one of a source the engine has already left."""
        if self._sink is None:
            raise RuntimeError("no sink attached")
        self._sink(event)

    def calls_named(self, name: str) -> list[object]:
        return [arg for call, arg in self.calls if call == name]

    # --- simulation ----------------------------------------------------------------------

    @property
    def _simulating(self) -> bool:
        return self._clock is not None and self._media is not None

    def _simulate_play(self, source: MediaSource) -> None:
        assert self._media is not None
        media = self._media.get(source.url)
        self._playing_media = None
        if media is None:
            self._later(0, BackendEventType.ERROR, reason="not found")
        elif media.behaviour in _ERRORS:
            self._later(0, BackendEventType.ERROR, reason=_ERRORS[media.behaviour])
        elif media.behaviour == "garbage":
            self._later(0, BackendEventType.PLAYING)
            self._later(GARBAGE_END_S, BackendEventType.ENDED, ended=True)
        else:
            self._playing_media = media
            self._pos_ms = self._grid_ms = min(source.start_ms, media.length_ms)
            self._pos_at = self._now()
            # as libVLC after a pre-roll: the length, Playing, then a tick at the start at once
            self._later(0, BackendEventType.LENGTH, length_ms=media.length_ms)
            self._later(0, BackendEventType.PLAYING)
            if self._pos_ms < self._limit_ms(media):  # a stream stalled at its start never sounds
                self._later(0, BackendEventType.TIME, time_ms=self._pos_ms)
            self._run()

    def _run(self) -> None:
        """Tick from the current position: TIME on every ``tick_ms`` grid point, then ENDED."""
        media = self._playing_media
        assert media is not None
        self._ticking = True
        self._pos_at = self._now()
        steps = (self._pos_ms - self._grid_ms) // self._tick_ms + 1
        next_tick = self._grid_ms + steps * self._tick_ms
        limit = self._limit_ms(media)
        if media.behaviour == "stall_at_ms" and media.stall_at_ms is not None:
            if next_tick > limit:
                return  # frozen: no more events, ever
        elif next_tick >= limit:
            self._later((limit - self._pos_ms) / 1000, BackendEventType.ENDED, ended=True)
            return
        self._schedule((next_tick - self._pos_ms) / 1000, lambda: self._tick(next_tick))

    def _tick(self, position_ms: int) -> None:
        self._pos_ms = position_ms
        self._deliver(BackendEventType.TIME, time_ms=position_ms)
        self._run()

    def _position_now(self) -> int:
        media = self._playing_media
        if not self._ticking or media is None:
            return self._pos_ms
        return min(self._limit_ms(media), self._pos_ms + round((self._now() - self._pos_at) * 1000))

    @staticmethod
    def _limit_ms(media: FakeMedia) -> int:
        """Where sound stops: the length, or the stall point."""
        if media.behaviour == "stall_at_ms" and media.stall_at_ms is not None:
            return min(media.length_ms, media.stall_at_ms)
        return media.length_ms

    def _now(self) -> float:
        return self._clock.now() if self._clock is not None else 0.0

    def _later(
        self,
        delay: float,
        type_: BackendEventType,
        *,
        time_ms: int | None = None,
        length_ms: int | None = None,
        reason: str | None = None,
        ended: bool = False,
    ) -> None:
        def fire() -> None:
            if ended:
                self._ended, self._ticking = True, False
            self._deliver(type_, time_ms=time_ms, length_ms=length_ms, reason=reason)

        self._schedule(delay, fire)

    def _schedule(self, delay: float, callback: Callable[[], None]) -> None:
        assert self._clock is not None
        key = next(self._timer_keys)

        def fire() -> None:
            self._timers.pop(key, None)
            callback()

        self._timers[key] = self._clock.call_later(delay, fire)

    def _deliver(
        self,
        type_: BackendEventType,
        *,
        time_ms: int | None = None,
        length_ms: int | None = None,
        reason: str | None = None,
    ) -> None:
        if self.current is None or self._sink is None:
            return
        self._sink(BackendEvent(self.current.source_id, type_, time_ms, length_ms, reason))

    def _emit_now(
        self,
        type_: BackendEventType,
        *,
        time_ms: int | None = None,
        length_ms: int | None = None,
        reason: str | None = None,
    ) -> None:
        if self.current is None:
            raise RuntimeError("nothing is playing")
        self.emit(BackendEvent(self.current.source_id, type_, time_ms, length_ms, reason))

    def _cancel_timers(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
