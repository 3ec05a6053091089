"""The AudioPlayer state machine: queue, item attempts, backend events, media time, transitions.

Every method here runs as one job of the engine's ``SerialRunner`` (never two at once), so a job
may await the backend without another one seeing its state half changed. ``_transition`` is the
one place the reported activity changes: it logs, issues the typed notice (``notices.py``) and
calls ``on_change``. The machine speaks no wire protocol: listeners turn notices into events.

The context describes the item that plays or played last. An item being opened, or waiting for
its StreamDeliver, has not sounded yet: until its first real TIME advance the context still
shows the previous item (STOPPED) or IDLE, so it never claims PLAYING for silence.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from clova_client.clock import Clock, Timer
from clova_client.protocol.audioplayer import (
    ClearBehavior,
    PlaybackState,
    PlayBehavior,
    PlayerActivity,
    StreamDeliverPayload,
)
from clova_client.protocol.base import JsonObject
from clova_client.redact import redact_text, redact_url

from .attempt import Attempt, Phase, StreamError
from .backend import BackendEvent, BackendEventType, PlayerBackend
from .notices import ItemRef, Notice, NoticeKind
from .prefetch import NextItem
from .progress import PositionSample, ProgressPlanner, ReportKind
from .queue import PlayQueue, QueueEntry, Repeat
from .settings import PlayerSettings
from .snapshot import build_snapshot, parse_snapshot
from .streams import StreamRequests

log = structlog.get_logger(__name__)

Job = Callable[[], Awaitable[Any]]

IDLE, PLAYING, PAUSED, STOPPED = (
    PlayerActivity.IDLE,
    PlayerActivity.PLAYING,
    PlayerActivity.PAUSED,
    PlayerActivity.STOPPED,
)

_ALLOWED: dict[PlayerActivity, set[PlayerActivity]] = {
    IDLE: {PLAYING, PAUSED, STOPPED},
    PLAYING: {PAUSED, STOPPED},
    PAUSED: {PLAYING, STOPPED},
    STOPPED: {PLAYING, PAUSED},
}

_ACTIVE = (Phase.AWAITING_STREAM, Phase.OPENING, Phase.PLAYING, Phase.PAUSED)
TIMER_EARLY_MS = 2
"""A timer may fire a hair early; a crossing this close counts as reached."""
SEEK_STALE_DROPS = 3
"""After a forward seek, at most this many older TIME values (in flight) are ignored."""
SEEK_STALE_MARGIN_MS = 500
_PROGRESS_NOTICE = {
    ReportKind.DELAY: NoticeKind.PROGRESS_DELAY,
    ReportKind.INTERVAL: NoticeKind.PROGRESS_INTERVAL,
    ReportKind.POSITION: NoticeKind.PROGRESS_POSITION,
}


@dataclass(frozen=True, slots=True)
class AttemptStatus:
    """The queue's current item and the engine's attempt to play it."""

    audio_item_id: str
    position_ms: int
    """Where the attempt is (or starts, or stopped), interpolated."""
    starting: bool
    """Being opened, or waiting for its stream: it has not sounded yet."""


class PlayerMachine:
    def __init__(
        self,
        backend: PlayerBackend,
        notify: Callable[[Notice], None],
        clock: Clock,
        settings: PlayerSettings,
        post: Callable[[Job], None],
    ) -> None:
        self._backend = backend
        self._notify = notify
        self._clock = clock
        self.settings = settings
        self._post = post
        self.on_change: Callable[[], None] | None = None
        self._queue = PlayQueue(settings.history_size)
        self._source_ids = itertools.count(1)
        self._state = IDLE
        self._shown: Attempt | None = None  # what the context describes
        self._current: Attempt | None = None  # the current attempt (may not have sounded yet)
        self._resumable: Attempt | None = None  # stopped by Stop: Resume restarts it
        self._streams = StreamRequests(
            clock, settings.stream_deliver_timeout_s, self._need_stream, self._on_stream_expired
        )
        self._next = NextItem(
            backend, self._streams, self._new_attempt, round(settings.stream_request_lead_s * 1000)
        )
        self._timers: dict[str, Timer] = {}  # open / stall / progress, for self._current
        self._backend_active = False
        self._failures = 0
        self.volume = 100
        self.muted = False

    # === queries (safe at any time) ======================================================

    @property
    def state(self) -> PlayerActivity:
        return self._state

    @property
    def shown(self) -> Attempt | None:
        """The attempt the context describes (None when IDLE)."""
        return self._shown if self._state is not IDLE else None

    @property
    def repeat(self) -> Repeat:
        return self._queue.repeat

    @property
    def shuffle(self) -> bool:
        return self._queue.shuffle

    def attempt(self) -> AttemptStatus | None:
        entry = self._queue.current
        if entry is None:
            return None
        attempt = (
            self._current if self._current is not None and self._current.entry is entry else None
        )
        if attempt is None:
            return AttemptStatus(entry.audio_item_id, 0, False)
        starting = attempt.phase in (Phase.AWAITING_STREAM, Phase.OPENING)
        return AttemptStatus(entry.audio_item_id, self._position(attempt), starting)

    def playback_state(self) -> PlaybackState:
        """The AudioPlayer.PlaybackState context as of now (the position interpolated)."""
        attempt = self._shown
        repeat_mode = self._queue.repeat.mode
        if self._state is IDLE or attempt is None:
            return PlaybackState(player_activity=self._state, repeat_mode=repeat_mode)
        return PlaybackState(
            player_activity=self._state,
            offset_ms=self._position(attempt),
            total_ms=attempt.total_ms,
            stream=attempt.stream,
            repeat_mode=repeat_mode,
        )

    def current_entry(self) -> tuple[QueueEntry, str | None] | None:
        """The queue's current item and the token its attempt plays (None: empty queue)."""
        entry = self._queue.current
        if entry is None:
            return None
        attempt = next((t for t in (self._current, self._shown) if t and t.entry is entry), None)
        return entry, attempt.token if attempt else entry.stream.token

    def upcoming(self) -> tuple[QueueEntry, ...]:
        return self._queue.upcoming

    def snapshot(self) -> JsonObject:
        entry = self._queue.current
        attempt = next((t for t in (self._current, self._shown) if t and t.entry is entry), None)
        return build_snapshot(
            self._state,
            self._queue,
            attempt,
            self._position(attempt) if attempt else None,
            resumable=attempt is not None and attempt is self._resumable,
            volume=self.volume,
            muted=self.muted,
        )

    # === settings that need no job =======================================================

    def set_repeat(self, repeat: Repeat) -> None:
        self._queue.repeat = repeat
        log.info("player.repeat", repeat=repeat.value)
        self._post(self.refresh_next)

    def set_shuffle(self, on: bool) -> None:
        self._queue.set_shuffle(on)
        log.info("player.shuffle", shuffle=on)
        self._post(self.refresh_next)

    async def set_volume(self, percent: int) -> None:
        self.volume = max(0, min(100, percent))
        await self._backend.set_volume(self.volume)

    async def set_mute(self, muted: bool) -> None:
        self.muted = muted
        await self._backend.set_mute(muted)

    # === commands =========================================================================

    async def play(self, entry: QueueEntry) -> None:
        item_id, behavior = entry.audio_item_id, entry.play.play_behavior
        if self._is_current_item(item_id) or self._queue.is_upcoming(item_id):
            log.info(
                "player.play_dropped",
                audio_item_id=item_id,
                token=entry.stream.token,
                play_behavior=behavior.value,
                reason="this audioItemId is already playing or queued",
            )
            return
        log.info(
            "player.play",
            audio_item_id=item_id,
            token=entry.stream.token,
            play_behavior=behavior.value,
            url_playable=entry.stream.url_playable,
            state=self._state.value,
        )
        if behavior is PlayBehavior.REPLACE_ALL:
            self._leave_current()
            self._next.drop()
            self._queue.replace_all(entry)
            await self._start(self._new_attempt(entry))
            return
        if behavior is PlayBehavior.REPLACE_ENQUEUED:
            self._queue.replace_enqueued(entry)
        else:
            self._queue.enqueue(entry)
        if self._is_busy():
            await self.refresh_next()
        else:
            await self._advance(auto=False)

    async def play_all(self, entries: list[QueueEntry]) -> None:
        if not entries:
            return
        log.info("player.play_all", count=len(entries), token=entries[0].stream.token)
        self._leave_current()
        self._next.drop()
        self._queue.replace_all(entries[0])
        for entry in entries[1:]:
            self._queue.enqueue(entry)
        await self._start(self._new_attempt(entries[0]))

    async def clear_queue(self, behavior: ClearBehavior) -> None:
        log.info("player.clear_queue", clear_behavior=behavior.value, state=self._state.value)
        if behavior is ClearBehavior.CLEAR_ALL:
            await self.stop()
        self._queue.clear_upcoming()
        self._next.drop()
        self.notify(NoticeKind.QUEUE_CLEARED)

    async def stream_deliver(self, payload: StreamDeliverPayload) -> None:
        attempt = self._streams.take(payload.audio_item_id)
        if attempt is None:
            log.warning(
                "player.stream_deliver_ignored",
                audio_item_id=payload.audio_item_id,
                reason="no StreamRequested is pending for this audioItemId",
            )
            return
        try:
            attempt.deliver(payload.stream.raw)
        except StreamError as exc:
            if attempt is self._current:
                await self._abandon(attempt, str(exc))
            else:
                log.warning(
                    "player.stream_deliver_rejected",
                    audio_item_id=attempt.audio_item_id,
                    reason=str(exc),
                )
                self._next.drop()
            return
        log.info(
            "player.stream_delivered",
            audio_item_id=attempt.audio_item_id,
            token=attempt.token,
            url=redact_url(attempt.url),
        )
        if attempt is self._current and attempt.phase is Phase.AWAITING_STREAM:
            await self._open(attempt)
        elif attempt is self._next.attempt:
            await self._next.prepare(attempt)

    async def pause(self) -> bool:
        attempt = self._current
        if attempt is None or attempt.phase not in _ACTIVE or attempt.phase is Phase.PAUSED:
            return False
        phase = attempt.phase
        attempt.sample = PositionSample(self._position(attempt), self._clock.now())
        attempt.phase = Phase.PAUSED
        self._cancel_timers()
        if attempt.opened:
            await self._backend.pause()
        if phase is Phase.PLAYING:
            self._transition(PAUSED, NoticeKind.PAUSED, attempt)
        elif self._state is not PAUSED:
            self._transition(PAUSED, None, attempt)  # paused before it ever sounded: no event
        return True

    async def resume(self) -> bool:
        attempt = self._current
        if attempt is not None and attempt.phase is Phase.PAUSED:
            if attempt.opened:
                self._await_sound(attempt, attempt.sample.position_ms)
                await self._backend.resume()
            elif attempt.delivered:
                await self._open(attempt, attempt.sample.position_ms)
            else:
                attempt.phase = Phase.AWAITING_STREAM
                self._streams.ask(attempt)
            return True
        stopped = self._resumable
        if self._state is STOPPED and stopped is not None and stopped is self._shown:
            await self._start(self._new_attempt(stopped.entry, self._position(stopped)))
            return True
        return False

    async def stop(self) -> bool:
        attempt = self._current
        if attempt is None or attempt.phase not in _ACTIVE:
            return False
        self._leave_current()
        await self._stop_backend()
        self._next.drop()
        self._resumable = attempt
        return True

    async def next(self) -> bool:
        entry = self._queue.peek_next(auto=False)
        if entry is None:
            return False
        self._leave_current()
        self._queue.advance(auto=False)
        await self._start(self._next.take(entry) or self._new_attempt(entry))
        return True

    async def previous(self) -> bool:
        entry = self._queue.back()
        if entry is None:
            return False
        self._leave_current()
        self._next.drop()
        await self._start(self._new_attempt(entry))
        return True

    async def replay(self) -> bool:
        entry = self._queue.current
        if entry is None:
            return False
        self._leave_current()
        await self._start(self._new_attempt(entry))
        return True

    async def seek(self, offset_ms: int) -> bool:
        attempt = self._current
        if (
            attempt is None
            or attempt.phase not in (Phase.PLAYING, Phase.PAUSED)
            or not attempt.opened
        ):
            return False
        end = attempt.end_ms
        target = max(0, offset_ms if end is None else min(offset_ms, end))
        old = self._position(attempt)
        await self._backend.seek(target)
        running = attempt.phase is Phase.PLAYING
        attempt.sample = PositionSample(target, self._clock.now(), running)
        attempt.last_time_ms = None
        attempt.sound_baseline_ms = target
        attempt.seek_floor_ms = target - SEEK_STALE_MARGIN_MS if target > old else None
        attempt.seek_drops = 0
        if attempt.progress:
            attempt.progress.jump(target)
        log.info("player.seek", token=attempt.token, from_ms=old, to_ms=target)
        if running:
            self._arm_stall(attempt)
            await self._reach(attempt, target)
        return True

    async def restore(self, snapshot: Mapping[str, Any], paused: bool) -> None:
        saved = parse_snapshot(snapshot)
        if self._is_busy():
            await self.stop()
        self._next.drop()
        self._queue.load(saved.current, saved.upcoming)
        self._queue.repeat = saved.repeat
        self._queue.set_shuffle(saved.shuffle)
        if saved.volume is not None:
            self.volume = saved.volume
            await self._backend.set_volume(saved.volume)
        if saved.muted is not None:
            self.muted = saved.muted
            await self._backend.set_mute(saved.muted)
        if saved.current is None:
            return
        attempt = self._new_attempt(saved.current, saved.offset_ms)
        if saved.stream is not None:
            attempt.stream = saved.stream  # what the server last saw, for the context
        attempt.sample = PositionSample(saved.offset_ms, self._clock.now())
        log.info(
            "player.restore",
            audio_item_id=attempt.audio_item_id,
            token=attempt.token,
            offset_ms=saved.offset_ms,
            state=saved.state.value,
        )
        self._current = attempt
        if saved.state in (PLAYING, PAUSED):
            attempt.announced = saved.announced
            attempt.phase = Phase.PAUSED
            self._transition(PAUSED, None, attempt)
            if not paused:
                await self.resume()
        elif saved.state is STOPPED:
            attempt.phase = Phase.DONE
            self._resumable = attempt if saved.resumable else None
            self._transition(STOPPED, None, attempt)

    async def shutdown(self) -> None:
        self._cancel_timers()
        self._streams.cancel_all()
        await self._stop_backend()
        await self._backend.close()

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
        self._arm("open", seconds, lambda: self._on_open_timeout(attempt))

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
        if attempt is None or attempt.phase not in _ACTIVE:
            return
        attempt.sample = PositionSample(self._position(attempt), self._clock.now())
        self._end(attempt)
        if attempt is self._shown and self._state in (PLAYING, PAUSED):
            self._transition(STOPPED, notice if attempt.announced else None, attempt)

    def _end(self, attempt: Attempt) -> None:
        self._cancel_timers()
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
        self.notify(NoticeKind.FAILED, item=_ref(attempt), reason=redact_text(reason))
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

    # === the next item =================================================================

    async def refresh_next(self) -> None:
        """Get the item after the current one ready (after any queue or repeat change)."""
        attempt = self._current
        if attempt is None or attempt.phase not in (Phase.PLAYING, Phase.PAUSED):
            return
        entry = self._queue.peek_next(auto=True) if self.settings.prefetch else None
        await self._next.refresh(entry, attempt, self._position(attempt))
        self._plan(attempt)

    # === backend events ==================================================================

    def on_backend_event(self, event: BackendEvent) -> None:
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
        if attempt.seek_floor_ms is not None:
            if time_ms < attempt.seek_floor_ms and attempt.seek_drops < SEEK_STALE_DROPS:
                attempt.seek_drops += 1
                return  # a tick from before the seek, still in flight
            attempt.seek_floor_ms = None
        now = self._clock.now()
        sound = attempt.is_sound(time_ms)
        moved = time_ms != attempt.last_time_ms
        attempt.last_time_ms = time_ms
        if attempt.phase is Phase.OPENING:
            if not sound:
                return
            self._cancel_timers("open")
            attempt.phase = Phase.PLAYING
            attempt.sample = PositionSample(time_ms, now, running=True)
            event = NoticeKind.RESUMED if attempt.announced else NoticeKind.STARTED
            attempt.announced = True
            self._failures = 0
            self._transition(PLAYING, event, attempt)
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
        if attempt.progress is None:
            return
        for crossing in attempt.progress.passed(position_ms):
            self.notify(_PROGRESS_NOTICE[crossing.kind])

    def _plan(self, attempt: Attempt) -> None:
        """Schedule the next media-time crossing at its predicted clock time (re-planned on
        every tick, so the prediction never runs far from a real position)."""
        self._cancel_timers("progress")
        if attempt.phase is not Phase.PLAYING or attempt is not self._current:
            return
        checked = attempt.progress.checked_ms if attempt.progress else attempt.sample.position_ms
        targets = [
            attempt.progress.next_target() if attempt.progress else None,
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
        self._arm("progress", delay, lambda: self._on_progress_due(attempt, target))

    async def _on_progress_due(self, attempt: Attempt, target: int) -> None:
        if attempt is not self._current or attempt.phase is not Phase.PLAYING:
            return
        position = self._position(attempt)
        if target - TIMER_EARLY_MS <= position < target:
            position = target
        if position < target:
            return  # extrapolation ran out (the media froze): the next tick plans again
        await self._reach(attempt, position)

    def _position(self, attempt: Attempt) -> int:
        position = attempt.sample.at_time(self._clock.now(), self.settings.max_extrapolation_ms)
        end = attempt.end_ms
        return (
            min(position, end) if end is not None and attempt.phase is Phase.PLAYING else position
        )

    # === timers ==========================================================================

    def _arm(self, name: str, delay: float, job: Callable[[], Awaitable[Any]]) -> None:
        self._cancel_timers(name)
        self._timers[name] = self._clock.call_later(delay, lambda: self._post(job))

    def _cancel_timers(self, *names: str) -> None:
        for name in names or tuple(self._timers):
            timer = self._timers.pop(name, None)
            if timer is not None:
                timer.cancel()

    def _arm_stall(self, attempt: Attempt) -> None:
        self._arm("stall", self.settings.stall_timeout_s, lambda: self._on_stall(attempt))

    async def _on_open_timeout(self, attempt: Attempt) -> None:
        if attempt is self._current and attempt.phase is Phase.OPENING:
            await self._abandon(attempt, f"no sound within {self.settings.open_timeout_s:g} s")

    async def _on_stall(self, attempt: Attempt) -> None:
        if attempt is self._current and attempt.phase is Phase.PLAYING:
            seconds = self.settings.stall_timeout_s
            await self._abandon(
                attempt, f"stalled: position frozen at {attempt.last_time_ms} ms for {seconds:g} s"
            )

    def _on_stream_expired(self, attempt: Attempt) -> None:
        self._post(lambda: self._on_deliver_timeout(attempt))

    async def _on_deliver_timeout(self, attempt: Attempt) -> None:
        if not self._streams.waiting(attempt):
            return
        self._streams.cancel(attempt)
        seconds = self.settings.stream_deliver_timeout_s
        if attempt is self._current and not attempt.delivered and attempt.phase in _ACTIVE:
            await self._abandon(attempt, f"no StreamDeliver within {seconds:g} s")
        else:
            log.warning(
                "player.stream_request_expired",
                audio_item_id=attempt.audio_item_id,
                reason=f"no StreamDeliver within {seconds:g} s; asked again when it is due",
            )

    # === the one place the reported state changes ========================================

    def _transition(self, new: PlayerActivity, notice: NoticeKind | None, attempt: Attempt) -> None:
        old = self._state
        if new not in _ALLOWED[old]:
            log.error("player.bad_transition", from_state=old.value, state=new.value)
        self._state, self._shown = new, attempt
        log.info(
            "player.state",
            from_state=old.value,
            state=new.value,
            notice=notice.value if notice else None,
            audio_item_id=attempt.audio_item_id,
            token=attempt.token,
            offset_ms=self._position(attempt),
        )
        if notice:
            self.notify(notice)
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:
                log.exception("player.on_change_failed")

    def notify(
        self,
        kind: NoticeKind,
        *,
        item: ItemRef | None = None,
        reason: str | None = None,
        dialog_request_id: str | None = None,
    ) -> None:
        """Issue a notice as of now (the item shown, unless ``item`` names another)."""
        shown = self._shown if self._state is not IDLE else None
        notice = Notice(
            kind,
            self.playback_state(),
            item or (_ref(shown) if shown else None),
            reason=reason,
            dialog_request_id=dialog_request_id,
        )
        self._notify(notice)

    def _need_stream(self, attempt: Attempt) -> None:
        self._notify(
            Notice(
                NoticeKind.STREAM_NEEDED,
                self.playback_state(),
                _ref(attempt),
                stream=attempt.entry.stream,
            )
        )

    # === small questions =================================================================

    def _is_busy(self) -> bool:
        return self._current is not None and self._current.phase in _ACTIVE

    def _is_current_item(self, audio_item_id: str) -> bool:
        return (
            self._is_busy()
            and self._current is not None
            and (self._current.audio_item_id == audio_item_id)
        )


def _ref(attempt: Attempt) -> ItemRef:
    return ItemRef(attempt.audio_item_id, attempt.token)
