"""Media time crossed by the current attempt: its progress reports, the duration cut, the next
item's stream request. One PROGRESS timer is armed for the nearest of them at its predicted
clock time and re-planned on every tick, pause and seek."""

from __future__ import annotations

from typing import Protocol

from .attempt import Attempt, AttemptPhase
from .notices import NoticeKind
from .prefetch import NextItem
from .progress import ReportKind
from .reported import Reported
from .settings import PlayerSettings
from .timers import AttemptTimers, TimerName

TIMER_EARLY_MS = 2
"""A timer may fire a hair early; a crossing this close counts as reached."""
_PROGRESS_NOTICE = {
    ReportKind.DELAY: NoticeKind.PROGRESS_DELAY,
    ReportKind.INTERVAL: NoticeKind.PROGRESS_INTERVAL,
    ReportKind.POSITION: NoticeKind.PROGRESS_POSITION,
}


class Host(Protocol):
    """What crossings need of the machine (``machine.PlayerMachine``)."""

    current: Attempt | None
    reported: Reported
    next_item: NextItem
    settings: PlayerSettings

    async def finish(self, attempt: Attempt, final_ms: int) -> None:
        """``attempt`` played to ``final_ms``, its end."""


class Crossings:
    def __init__(self, host: Host, timers: AttemptTimers) -> None:
        self._host = host
        self._reported = host.reported
        self._timers = timers
        self._next = host.next_item
        self._settings = host.settings

    def _current(self) -> Attempt | None:
        return self._host.current

    async def reach(self, attempt: Attempt, position_ms: int) -> None:
        """The media has played up to ``position_ms``: report, cut, ask ahead; plan the next."""
        cut = attempt.cut_ms
        if cut is not None:
            position_ms = min(position_ms, cut)
        self.passed(attempt, position_ms)
        if cut is not None and position_ms >= cut:
            await self._host.finish(attempt, cut)
            return
        self._next.ask_if_due(attempt, position_ms)
        self.plan(attempt)

    def passed(self, attempt: Attempt, position_ms: int) -> None:
        """Playback reached ``position_ms``: issue the progress reports due on the way."""
        if attempt.progress is not None:
            for crossing in attempt.progress.passed(position_ms):
                kind = _PROGRESS_NOTICE[crossing.kind]
                self._reported.notify(kind, report_ms=crossing.target_ms)

    def jumped(self, attempt: Attempt, position_ms: int) -> None:
        """A seek to ``position_ms``: no playback counted; a Position point it went past is
        reported at once."""
        if attempt.progress is not None:
            for crossing in attempt.progress.jump(position_ms):
                kind = _PROGRESS_NOTICE[crossing.kind]
                self._reported.notify(kind, report_ms=crossing.target_ms)

    def plan(self, attempt: Attempt) -> None:
        """Schedule the next media-time crossing at its predicted clock time (re-planned on
        every tick, so the prediction never runs far from a real position)."""
        self._timers.cancel(TimerName.PROGRESS)
        if attempt.phase is not AttemptPhase.PLAYING or attempt is not self._current():
            return
        progress = attempt.progress
        checked = progress.checked_ms if progress else attempt.sample.position_ms
        targets = [
            progress.next_target() if progress else None,
            attempt.cut_ms,
            self._next.ask_at_ms(attempt),
        ]
        ahead = [t for t in targets if t is not None and t > checked]
        if not ahead:
            return
        target = min(ahead)
        when = attempt.sample.crossing_time(target, self._settings.max_extrapolation_ms)
        if when is None:
            return
        delay = when - self._timers.now()
        self._timers.arm(TimerName.PROGRESS, delay, lambda: self._due(attempt, target))

    async def _due(self, attempt: Attempt, target: int) -> None:
        if attempt is not self._current() or attempt.phase is not AttemptPhase.PLAYING:
            return
        position = self._reported.position(attempt)
        if target - TIMER_EARLY_MS <= position < target:
            position = target
        if position < target:
            return  # extrapolation ran out (the media froze): the next tick plans again
        await self.reach(attempt, position)
