"""An attempt from start to end: started (its stream asked for first if needed), opened in the
backend, sounding, crossing media positions (progress reports, the duration cut, the next item's
stream request), then finished, left, or given up on (open, stall and StreamDeliver timeouts).
Moving to the next item happens here too; the commands and the backend reactions build on it.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from clova_client.clock import Clock
from clova_client.redact import redact_text, redact_url

from .attempt import Attempt, Phase, StreamError
from .backend import PlayerBackend
from .core import ACTIVE, PAUSED, PLAYING, STOPPED, MachineCore, item_ref
from .notices import Notice, NoticeKind
from .prefetch import NextItem
from .progress import PositionSample, ProgressPlanner, ReportKind
from .queue import QueueEntry
from .serial import Job
from .settings import PlayerSettings
from .streams import StreamRequests
from .timers import TimerName

log = structlog.get_logger(__name__)

TIMER_EARLY_MS = 2
"""A timer may fire a hair early; a crossing this close counts as reached."""
_PROGRESS_NOTICE = {
    ReportKind.DELAY: NoticeKind.PROGRESS_DELAY,
    ReportKind.INTERVAL: NoticeKind.PROGRESS_INTERVAL,
    ReportKind.POSITION: NoticeKind.PROGRESS_POSITION,
}


class AttemptLifecycle(MachineCore):
    def __init__(
        self,
        backend: PlayerBackend,
        notify: Callable[[Notice], None],
        clock: Clock,
        settings: PlayerSettings,
        post: Callable[[Job], None],
    ) -> None:
        super().__init__(backend, notify, clock, settings, post)
        self._streams = StreamRequests(
            clock, settings.stream_deliver_timeout_s, self._need_stream, self._on_stream_expired
        )
        self._next = NextItem(
            backend, self._streams, self._new_attempt, round(settings.stream_request_lead_s * 1000)
        )

    # === moving between items ============================================================

    def _new_attempt(self, entry: QueueEntry, resume_at_ms: int | None = None) -> Attempt:
        return Attempt.for_entry(entry, next(self._source_ids), resume_at_ms)

    async def _start(self, attempt: Attempt) -> None:
        """Make ``attempt`` current and get it going (ask for its stream first if needed)."""
        self._current, self._resumable = attempt, None
        if attempt.delivered:
            await self._open(attempt)
            return
        await self._stop_backend()  # silence while the stream is fetched
        attempt.phase = Phase.AWAITING_STREAM
        self._streams.ask(attempt)

    async def _open(self, attempt: Attempt, start_ms: int | None = None) -> None:
        start = attempt.start_ms if start_ms is None else start_ms
        try:
            source = attempt.source(start)
        except StreamError as exc:
            await self._abandon(attempt, str(exc))
            return
        attempt.opened = True
        attempt.start_ms = start
        attempt.last_time_ms = None
        attempt.sample = PositionSample(start, self._clock.now())
        attempt.progress = ProgressPlanner(
            attempt.info.progress_report if attempt.info else None, start
        )
        self._await_sound(attempt, start)
        self._backend_active = True
        log.info(
            "player.open",
            audio_item_id=attempt.audio_item_id,
            token=attempt.token,
            url=redact_url(source.url),
            source_id=source.source_id,
            start_ms=start,
        )
        try:
            await self._backend.play(source)
        except Exception as exc:  # a backend that cannot even start is one more failure
            await self._abandon(attempt, f"backend play failed: {exc!r}")

    def _await_sound(self, attempt: Attempt, baseline_ms: int) -> None:
        attempt.phase = Phase.OPENING
        attempt.sound_baseline_ms = baseline_ms
        attempt.playing_seen = False
        seconds = self.settings.open_timeout_s
        self._timers.arm(TimerName.OPEN, seconds, lambda: self._on_open_timeout(attempt))

    async def _advance(self, *, auto: bool) -> None:
        """Play what the queue says comes next, or rest when nothing does."""
        entry = self._queue.advance(auto=auto)
        if entry is None:
            await self._stop_backend()
            self._next.drop()
            log.info("player.queue_ended", state=self._state.value)
            return
        await self._start(self._next.take(entry) or self._new_attempt(entry))

    def _leave_current(self, notice: NoticeKind = NoticeKind.STOPPED) -> None:
        """End the current attempt; an item that sounded is closed with ``notice``."""
        attempt = self._current
        if attempt is None or attempt.phase not in ACTIVE:
            return
        attempt.sample = PositionSample(self._position(attempt), self._clock.now())
        self._end(attempt)
        if attempt is self._shown and self._state in (PLAYING, PAUSED):
            self._transition(STOPPED, notice if attempt.announced else None, attempt)

    def _end(self, attempt: Attempt) -> None:
        self._timers.cancel()
        self._streams.cancel(attempt)
        attempt.phase = Phase.DONE

    async def _finish(self, attempt: Attempt, final_ms: int) -> None:
        attempt.sample = PositionSample(final_ms, self._clock.now())
        self._report_crossings(attempt, final_ms)
        self._end(attempt)
        self._failures = 0
        self._transition(STOPPED, NoticeKind.FINISHED, attempt)
        await self._advance(auto=True)

    async def _abandon(self, attempt: Attempt, reason: str) -> None:
        """Give up on ``attempt`` (log why), claim nothing that did not happen, move on."""
        paused = attempt.phase is Phase.PAUSED
        position = self._position(attempt)
        if attempt.phase is Phase.PLAYING and attempt.last_time_ms is not None:
            position = attempt.last_time_ms  # where it froze, not where it would be by now
        log.warning(
            "player.item_abandoned",
            reason=redact_text(reason),
            url=redact_url(attempt.url) if attempt.url else None,
            audio_item_id=attempt.audio_item_id,
            token=attempt.token,
            offset_ms=position,
            phase=attempt.phase.name,
        )
        attempt.sample = PositionSample(position, self._clock.now())
        self._end(attempt)
        self.notify(NoticeKind.FAILED, item=item_ref(attempt), reason=redact_text(reason))
        if attempt is self._shown and self._state in (PLAYING, PAUSED):
            self._transition(STOPPED, NoticeKind.STOPPED if attempt.announced else None, attempt)
        self._failures += 1
        if paused or self._failures >= max(1, self._queue.playlist_size) + 1:
            await self._stop_backend()
            self._next.drop()
            return
        await self._advance(auto=False)

    async def _stop_backend(self) -> None:
        if self._backend_active:
            self._backend_active = False
            await self._backend.stop()

    async def refresh_next(self) -> None:
        """Get the item after the current one ready (after any queue or repeat change)."""
        attempt = self._current
        if attempt is None or attempt.phase not in (Phase.PLAYING, Phase.PAUSED):
            return
        entry = self._queue.peek_next(auto=True) if self.settings.prefetch else None
        await self._next.refresh(entry, attempt, self._position(attempt))
        self._plan(attempt)

    # === media time: progress reports, the duration cut, the next stream request =========

    async def _reach(self, attempt: Attempt, position_ms: int) -> None:
        """The media has played up to ``position_ms``: report, cut, ask ahead; plan the next."""
        cut = attempt.cut_ms
        if cut is not None:
            position_ms = min(position_ms, cut)
        self._report_crossings(attempt, position_ms)
        if cut is not None and position_ms >= cut:
            await self._finish(attempt, cut)
            return
        self._next.ask_if_due(attempt, position_ms)
        self._plan(attempt)

    def _report_crossings(self, attempt: Attempt, position_ms: int) -> None:
        """Playback reached ``position_ms``: issue the progress reports due on the way."""
        if attempt.progress is None:
            return
        for crossing in attempt.progress.passed(position_ms):
            self.notify(_PROGRESS_NOTICE[crossing.kind], report_ms=crossing.target_ms)

    def _report_jump(self, attempt: Attempt, position_ms: int) -> None:
        """A seek to ``position_ms``: no playback counted; a Position point it went past is
        reported at once."""
        if attempt.progress is None:
            return
        for crossing in attempt.progress.jump(position_ms):
            self.notify(_PROGRESS_NOTICE[crossing.kind], report_ms=crossing.target_ms)

    def _plan(self, attempt: Attempt) -> None:
        """Schedule the next media-time crossing at its predicted clock time (re-planned on
        every tick, so the prediction never runs far from a real position)."""
        self._timers.cancel(TimerName.PROGRESS)
        if attempt.phase is not Phase.PLAYING or attempt is not self._current:
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
        when = attempt.sample.crossing_time(target, self.settings.max_extrapolation_ms)
        if when is None:
            return
        delay = when - self._clock.now()
        self._timers.arm(TimerName.PROGRESS, delay, lambda: self._on_progress_due(attempt, target))

    async def _on_progress_due(self, attempt: Attempt, target: int) -> None:
        if attempt is not self._current or attempt.phase is not Phase.PLAYING:
            return
        position = self._position(attempt)
        if target - TIMER_EARLY_MS <= position < target:
            position = target
        if position < target:
            return  # extrapolation ran out (the media froze): the next tick plans again
        await self._reach(attempt, position)

    # === giving up: no sound, a frozen position, no StreamDeliver ========================

    def _arm_stall(self, attempt: Attempt) -> None:
        seconds = self.settings.stall_timeout_s
        self._timers.arm(TimerName.STALL, seconds, lambda: self._on_stall(attempt))

    async def _on_open_timeout(self, attempt: Attempt) -> None:
        if attempt is self._current and attempt.phase is Phase.OPENING:
            await self._abandon(attempt, f"no sound within {self.settings.open_timeout_s:g} s")

    async def _on_stall(self, attempt: Attempt) -> None:
        if attempt is self._current and attempt.phase is Phase.PLAYING:
            seconds = self.settings.stall_timeout_s
            await self._abandon(
                attempt,
                f"stalled: position frozen at {attempt.last_time_ms} ms for {seconds:g} s",
            )

    def _on_stream_expired(self, attempt: Attempt) -> None:
        self._post(lambda: self._on_deliver_timeout(attempt))

    async def _on_deliver_timeout(self, attempt: Attempt) -> None:
        if not self._streams.waiting(attempt):
            return
        self._streams.cancel(attempt)
        seconds = self.settings.stream_deliver_timeout_s
        if attempt is self._current and not attempt.delivered and attempt.phase in ACTIVE:
            await self._abandon(attempt, f"no StreamDeliver within {seconds:g} s")
        else:
            log.warning(
                "player.stream_request_expired",
                audio_item_id=attempt.audio_item_id,
                reason=f"no StreamDeliver within {seconds:g} s; asked again when it is due",
            )
