"""What each backend event does to the current attempt: a time tick (the first sound, media
time advancing), the media's length, its end, an error. Events of any other source are stale."""

from __future__ import annotations

import structlog

from .attempt import Attempt, Phase
from .backend import BackendEvent, BackendEventType
from .core import PLAYING
from .lifecycle import AttemptLifecycle
from .notices import NoticeKind
from .progress import PositionSample
from .timers import TimerName

log = structlog.get_logger(__name__)

SEEK_STALE_DROPS = 3
"""After a seek, at most this many older TIME values (in flight) are ignored."""


class BackendReactions(AttemptLifecycle):
    def on_backend_event(self, event: BackendEvent) -> None:
        """Called by the backend (on the loop): the event is handled as one job."""
        self._post(lambda: self._handle(event))

    async def _handle(self, event: BackendEvent) -> None:
        attempt = self._current
        live = (Phase.OPENING, Phase.PLAYING, Phase.PAUSED)
        if attempt is None or event.source_id != attempt.source_id or attempt.phase not in live:
            log.debug("player.stale_event", type=event.type.value, source_id=event.source_id)
            return
        match event.type:
            case BackendEventType.TIME if event.time_ms is not None:
                await self._on_time(attempt, event.time_ms)
            case BackendEventType.LENGTH if event.length_ms:
                attempt.length_ms = event.length_ms
                self._plan(attempt)
            case BackendEventType.ENDED:
                self._backend_active = False
                await self._on_ended(attempt)
            case BackendEventType.ERROR:
                self._backend_active = False
                await self._abandon(attempt, f"backend error: {event.reason or 'unknown'}")
            case BackendEventType.PLAYING if attempt.phase is Phase.OPENING:
                attempt.playing_seen = True
            case _:
                log.debug(
                    "player.backend_event", type=event.type.value, source_id=attempt.source_id
                )

    async def _on_time(self, attempt: Attempt, time_ms: int) -> None:
        floor, ceiling = attempt.seek_floor_ms, attempt.seek_ceiling_ms
        if floor is not None or ceiling is not None:
            stale = (floor is not None and time_ms < floor) or (
                ceiling is not None and time_ms > ceiling
            )
            if stale and attempt.seek_drops < SEEK_STALE_DROPS:
                attempt.seek_drops += 1
                return  # a tick from before the seek, still in flight
            attempt.seek_floor_ms = attempt.seek_ceiling_ms = None
        now = self._clock.now()
        sound = attempt.is_sound(time_ms)
        moved = time_ms != attempt.last_time_ms
        attempt.last_time_ms = time_ms
        if attempt.phase is Phase.OPENING:
            if not sound:
                return
            self._timers.cancel(TimerName.OPEN)
            attempt.phase = Phase.PLAYING
            attempt.sample = PositionSample(time_ms, now, running=True)
            notice = NoticeKind.RESUMED if attempt.announced else NoticeKind.STARTED
            attempt.announced = True
            self._failures = 0
            self._transition(PLAYING, notice, attempt)
            self._arm_stall(attempt)
            await self._reach(attempt, time_ms)
            if self._current is attempt and attempt.phase is Phase.PLAYING:
                await self.refresh_next()
        elif attempt.phase is Phase.PLAYING:
            attempt.sample = PositionSample(time_ms, now, running=True)
            if moved:
                self._arm_stall(attempt)
            await self._reach(attempt, time_ms)

    async def _on_ended(self, attempt: Attempt) -> None:
        if not attempt.announced:
            await self._abandon(attempt, "ended without sound (garbage or unsupported media)")
            return
        position, length = self._position(attempt), attempt.length_ms
        if length is not None and position < length - self.settings.end_of_media_guard_ms:
            await self._abandon(attempt, f"ended early at {position} of {length} ms")
            return
        final = length if length is not None else position
        cut = attempt.cut_ms
        await self._finish(attempt, final if cut is None else min(final, cut))
