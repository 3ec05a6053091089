"""The player's state machine, readable in one place.

An attempt (``attempt.py``) is one try at playing one queue item. ``TRANSITIONS`` is the whole
machine: each trigger, the phases it may come in, the phase it leads to, and the activity it
reports (PlayStarted, PlayPaused, PlayStopped, ... are the notices of those changes). ``_move``
is the one place a phase changes, ``_report`` the one place the reported activity follows it.

Every method runs as one job of the engine's ``SerialRunner`` (never two at once). Its
collaborators are objects it calls: the queue, what it reports (``reported.py``), media-time
crossings (``crossings.py``: progress reports, the duration cut), stream requests
(``streams.py``), the next item made ready (``prefetch.py``) and the timers (``timers.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from clova_client.clock import Clock
from clova_client.redact import redact_text, redact_url

from .attempt import ACTIVE, OPENED, Attempt, AttemptPhase, StreamError
from .backend import BackendEvent, BackendEventType, MediaBackend
from .crossings import Crossings
from .item import PlayItem
from .notices import Notice, NoticeKind
from .prefetch import NextItem
from .progress import PositionSample
from .queue import PlayQueue
from .reported import PAUSED, PLAYING, STOPPED, Reported, item_ref
from .serial import Job
from .settings import PlayerSettings
from .status import Activity
from .streams import StreamRequests
from .timers import AttemptTimers, TimerName

log = structlog.get_logger(__name__)

P = AttemptPhase


class Trigger(StrEnum):
    ASK_STREAM = "ask_stream"  # StreamRequested went out: it plays when StreamDeliver comes
    OPEN = "open"  # the backend was told to play or resume: no sound yet
    SOUND = "sound"  # the first TIME that proves sound
    PAUSE = "pause"
    RESTORE_PAUSED = "restore_paused"  # rebuilt after a restart, as it was saved
    RESTORE_STOPPED = "restore_stopped"
    FINISH = "finish"  # played to its end (or its duration cut)
    LEAVE = "leave"  # Stop, Next, Previous, Replay, a new Play
    GIVE_UP = "give_up"  # no sound, stalled, no StreamDeliver, a backend error


@dataclass(frozen=True, slots=True)
class Step:
    sources: frozenset[AttemptPhase]
    target: AttemptPhase
    reports: Activity | None
    shows: bool
    """The attempt becomes the one the context shows; otherwise the reported activity only
    follows it while it is shown, playing or paused."""


def _step(
    sources: set[AttemptPhase],
    target: AttemptPhase,
    reports: Activity | None = None,
    *,
    shows: bool = False,
) -> Step:
    return Step(frozenset(sources), target, reports, shows)


TRANSITIONS: dict[Trigger, Step] = {
    # trigger: from phases, to phase, the activity it reports, whether it shows the attempt
    Trigger.ASK_STREAM: _step({P.NEW, P.PAUSED}, P.AWAITING_STREAM),
    Trigger.OPEN: _step({P.NEW, P.AWAITING_STREAM, P.PAUSED}, P.OPENING),
    Trigger.SOUND: _step({P.OPENING}, P.PLAYING, PLAYING, shows=True),
    Trigger.PAUSE: _step({P.AWAITING_STREAM, P.OPENING, P.PLAYING}, P.PAUSED, PAUSED, shows=True),
    Trigger.RESTORE_PAUSED: _step({P.NEW}, P.PAUSED, PAUSED, shows=True),
    Trigger.RESTORE_STOPPED: _step({P.NEW}, P.DONE, STOPPED, shows=True),
    Trigger.FINISH: _step({P.OPENING, P.PLAYING, P.PAUSED}, P.DONE, STOPPED),
    Trigger.LEAVE: _step(set(ACTIVE), P.DONE, STOPPED),
    Trigger.GIVE_UP: _step({P.NEW, *ACTIVE}, P.DONE, STOPPED),
}
"""Every phase change of an attempt. A trigger in a phase not listed is logged as an error."""


class PlayerMachine:
    def __init__(
        self,
        backend: MediaBackend,
        notify: Callable[[Notice], None],
        clock: Clock,
        settings: PlayerSettings,
        post: Callable[[Job], None],
    ) -> None:
        self.backend = backend
        self._clock = clock
        self.settings = settings
        self.post = post
        self.queue = PlayQueue(settings.history_size)
        self.reported = Reported(self.queue, clock, settings, notify)
        self._timers = AttemptTimers(clock, post)  # open / stall / progress, for the current
        self.streams = StreamRequests(
            clock, settings.stream_deliver_timeout_s, self.reported.need_stream, self._expired
        )
        lead_ms = round(settings.stream_request_lead_s * 1000)
        self.next_item = NextItem(backend, self.streams, self.new_attempt, lead_ms)
        self.crossings = Crossings(self, self._timers)
        self._source_ids = itertools.count(1)
        self.current: Attempt | None = None  # the current attempt (may not have sounded yet)
        self.resumable: Attempt | None = None  # stopped by Stop: Resume restarts it
        self._backend_active = False
        self._failures = 0

    async def shutdown(self) -> None:
        self._timers.cancel()
        self.streams.cancel_all()
        await self.stop_backend()
        await self.backend.close()

    # === the one place a phase changes, and the activity that follows it =================

    def _move(self, attempt: Attempt, trigger: Trigger) -> None:
        step = TRANSITIONS[trigger]
        if attempt.phase not in step.sources:
            log.error("player.bad_step", phase=attempt.phase.name, trigger=trigger.value)
        attempt.phase = step.target

    def _report(self, attempt: Attempt, trigger: Trigger, notice: NoticeKind | None) -> None:
        step, reported = TRANSITIONS[trigger], self.reported
        if step.reports is None or not (step.shows or reported.is_shown(attempt)):
            return
        if notice is None and trigger is Trigger.PAUSE and reported.state is PAUSED:
            return  # paused again before it ever sounded: nothing to tell
        reported.change(step.reports, notice, attempt)

    def restored(self, attempt: Attempt, paused: bool) -> None:
        """``attempt`` comes back as saved (no event): paused where it was, or stopped."""
        self.current = attempt
        trigger = Trigger.RESTORE_PAUSED if paused else Trigger.RESTORE_STOPPED
        self._move(attempt, trigger)
        self._report(attempt, trigger, None)

    def is_busy(self) -> bool:
        return self.current is not None and self.current.phase in ACTIVE

    # === an attempt from start to end ====================================================

    def new_attempt(self, entry: PlayItem, resume_at_ms: int | None = None) -> Attempt:
        return Attempt.for_entry(entry, next(self._source_ids), resume_at_ms)

    async def start(self, attempt: Attempt) -> None:
        """Make ``attempt`` current and get it going (ask for its stream first if needed)."""
        self.current, self.resumable = attempt, None
        if attempt.delivered:
            await self.open(attempt)
            return
        await self.stop_backend()  # silence while the stream is fetched
        self._move(attempt, Trigger.ASK_STREAM)
        self.streams.ask(attempt)

    async def open(self, attempt: Attempt, start_ms: int | None = None) -> None:
        start = attempt.start_ms if start_ms is None else start_ms
        try:
            source = attempt.source(start)
        except StreamError as exc:
            await self.give_up(attempt, str(exc))
            return
        attempt.open_at(start, self._clock.now())
        self.await_sound(attempt, start)
        self._backend_active = True
        log.info(
            "player.open",
            audio_item_id=attempt.key,
            token=attempt.token,
            url=redact_url(source.url),
            source_id=source.source_id,
            start_ms=start,
        )
        try:
            await self.backend.play(source)
        except Exception as exc:  # a backend that cannot even start is one more failure
            await self.give_up(attempt, f"backend play failed: {exc!r}")

    def await_sound(self, attempt: Attempt, baseline_ms: int) -> None:
        self._move(attempt, Trigger.OPEN)
        attempt.sound_baseline_ms = baseline_ms
        attempt.playing_seen = False
        seconds = self.settings.open_timeout_s
        self._timers.arm(TimerName.OPEN, seconds, lambda: self._open_timed_out(attempt))

    def _sounded(self, attempt: Attempt, time_ms: int) -> None:
        self._timers.cancel(TimerName.OPEN)
        self._move(attempt, Trigger.SOUND)
        attempt.sample = PositionSample(time_ms, self._clock.now(), running=True)
        notice = NoticeKind.RESUMED if attempt.announced else NoticeKind.STARTED
        attempt.announced = True
        self._failures = 0
        self._report(attempt, Trigger.SOUND, notice)
        self.arm_stall(attempt)

    async def hold(self, attempt: Attempt) -> None:
        """Pause ``attempt`` where it is (what played up to here is reported first)."""
        sounding = attempt.phase is P.PLAYING
        position = self.reported.position(attempt)
        if sounding:
            self.crossings.passed(attempt, position)
        attempt.sample = PositionSample(position, self._clock.now())
        self._move(attempt, Trigger.PAUSE)
        self._timers.cancel()
        if attempt.opened:
            await self.backend.pause()
        self._report(attempt, Trigger.PAUSE, NoticeKind.PAUSED if sounding else None)

    async def unhold(self, attempt: Attempt) -> None:
        """Resume a paused ``attempt``: in its source, else open it, else ask for its stream."""
        if attempt.opened:
            self.await_sound(attempt, attempt.sample.position_ms)
            await self.backend.resume()
        elif attempt.delivered:
            await self.open(attempt, attempt.sample.position_ms)
        else:
            self._move(attempt, Trigger.ASK_STREAM)
            self.streams.ask(attempt)

    async def advance(self, *, auto: bool) -> None:
        """Play what the queue says comes next, or rest when nothing does."""
        entry = self.queue.advance(auto=auto)
        if entry is None:
            await self.stop_backend()
            self.next_item.drop()
            log.info("player.queue_ended", state=self.reported.state.value)
            return
        await self.start(self.next_item.take(entry) or self.new_attempt(entry))

    def leave_current(self) -> None:
        """End the current attempt; an item that sounded is closed with STOPPED."""
        attempt = self.current
        if attempt is None or attempt.phase not in ACTIVE:
            return
        attempt.sample = PositionSample(self.reported.position(attempt), self._clock.now())
        self._end(attempt, Trigger.LEAVE)
        self._report(attempt, Trigger.LEAVE, NoticeKind.STOPPED if attempt.announced else None)

    def _end(self, attempt: Attempt, trigger: Trigger) -> None:
        self._timers.cancel()
        self.streams.cancel(attempt)
        self._move(attempt, trigger)

    async def finish(self, attempt: Attempt, final_ms: int) -> None:
        attempt.sample = PositionSample(final_ms, self._clock.now())
        self.crossings.passed(attempt, final_ms)
        self._end(attempt, Trigger.FINISH)
        self._failures = 0
        self._report(attempt, Trigger.FINISH, NoticeKind.FINISHED)
        await self.advance(auto=True)

    async def give_up(self, attempt: Attempt, reason: str) -> None:
        """Give up on ``attempt`` (log why), claim nothing that did not happen, move on."""
        paused = attempt.phase is P.PAUSED
        position = self.reported.position(attempt)
        if attempt.phase is P.PLAYING and attempt.last_time_ms is not None:
            position = attempt.last_time_ms  # where it froze, not where it would be by now
        log.warning(
            "player.item_abandoned",
            reason=redact_text(reason),
            url=redact_url(attempt.url) if attempt.url else None,
            audio_item_id=attempt.key,
            token=attempt.token,
            offset_ms=position,
            phase=attempt.phase.name,
        )
        attempt.sample = PositionSample(position, self._clock.now())
        self._end(attempt, Trigger.GIVE_UP)
        self.reported.notify(NoticeKind.FAILED, item=item_ref(attempt), reason=redact_text(reason))
        self._report(attempt, Trigger.GIVE_UP, NoticeKind.STOPPED if attempt.announced else None)
        self._failures += 1
        if paused or self._failures >= max(1, self.queue.playlist_size) + 1:
            await self.stop_backend()
            self.next_item.drop()
            return
        await self.advance(auto=False)

    async def stop_backend(self) -> None:
        if self._backend_active:
            self._backend_active = False
            await self.backend.stop()

    async def refresh_next(self) -> None:
        """Get the item after the current one ready (after any queue or repeat change)."""
        attempt = self.current
        if attempt is None or attempt.phase not in (P.PLAYING, P.PAUSED):
            return
        entry = self.queue.peek_next(auto=True) if self.settings.prefetch else None
        await self.next_item.refresh(entry, attempt, self.reported.position(attempt))
        self.crossings.plan(attempt)

    # === what each backend event does (events of any other source are stale) =============

    def on_backend_event(self, event: BackendEvent) -> None:
        """Called by the backend (on the loop): the event is handled as one job."""
        self.post(lambda: self._handle(event))

    async def _handle(self, event: BackendEvent) -> None:
        attempt = self.current
        if attempt is None or event.source_id != attempt.source_id or attempt.phase not in OPENED:
            log.debug("player.stale_event", type=event.type.value, source_id=event.source_id)
            return
        match event.type:
            case BackendEventType.TIME if event.time_ms is not None:
                await self._on_time(attempt, event.time_ms)
            case BackendEventType.LENGTH if event.length_ms:
                attempt.length_ms = event.length_ms
                self.crossings.plan(attempt)
            case BackendEventType.ENDED:
                self._backend_active = False
                await self._on_ended(attempt)
            case BackendEventType.ERROR:
                self._backend_active = False
                await self.give_up(attempt, f"backend error: {event.reason or 'unknown'}")
            case BackendEventType.PLAYING if attempt.phase is P.OPENING:
                attempt.playing_seen = True
            case _:
                log.debug("player.backend_event", type=event.type.value, source_id=event.source_id)

    async def _on_time(self, attempt: Attempt, time_ms: int) -> None:
        if attempt.stale_tick(time_ms):
            return  # a tick from before the seek, still in flight
        sound = attempt.is_sound(time_ms)
        moved = time_ms != attempt.last_time_ms
        attempt.last_time_ms = time_ms
        if attempt.phase is P.OPENING:
            if not sound:
                return
            self._sounded(attempt, time_ms)
            await self.crossings.reach(attempt, time_ms)
            if self._still_playing(attempt):
                await self.refresh_next()
        elif attempt.phase is P.PLAYING:
            attempt.sample = PositionSample(time_ms, self._clock.now(), running=True)
            if moved:
                self.arm_stall(attempt)
            await self.crossings.reach(attempt, time_ms)

    def _still_playing(self, attempt: Attempt) -> bool:
        return attempt is self.current and attempt.phase is P.PLAYING

    async def _on_ended(self, attempt: Attempt) -> None:
        if not attempt.announced:
            await self.give_up(attempt, "ended without sound (garbage or unsupported media)")
            return
        position, length = self.reported.position(attempt), attempt.length_ms
        if length is not None and position < length - self.settings.end_of_media_guard_ms:
            await self.give_up(attempt, f"ended early at {position} of {length} ms")
            return
        final = length if length is not None else position
        cut = attempt.cut_ms
        await self.finish(attempt, final if cut is None else min(final, cut))

    # === timeouts: no sound, a frozen position, no StreamDeliver ==========================

    def arm_stall(self, attempt: Attempt) -> None:
        seconds = self.settings.stall_timeout_s
        self._timers.arm(TimerName.STALL, seconds, lambda: self._stalled(attempt))

    async def _open_timed_out(self, attempt: Attempt) -> None:
        if attempt is self.current and attempt.phase is P.OPENING:
            await self.give_up(attempt, f"no sound within {self.settings.open_timeout_s:g} s")

    async def _stalled(self, attempt: Attempt) -> None:
        if self._still_playing(attempt):
            seconds = self.settings.stall_timeout_s
            frozen = f"stalled: position frozen at {attempt.last_time_ms} ms for {seconds:g} s"
            await self.give_up(attempt, frozen)

    def _expired(self, attempt: Attempt) -> None:
        self.post(lambda: self._deliver_timed_out(attempt))

    async def _deliver_timed_out(self, attempt: Attempt) -> None:
        if not self.streams.waiting(attempt):
            return
        self.streams.cancel(attempt)
        seconds = self.settings.stream_deliver_timeout_s
        if attempt is self.current and not attempt.delivered and attempt.phase in ACTIVE:
            await self.give_up(attempt, f"no StreamDeliver within {seconds:g} s")
        else:
            log.warning(
                "player.stream_request_expired",
                audio_item_id=attempt.key,
                reason=f"no StreamDeliver within {seconds:g} s; asked again when it is due",
            )
