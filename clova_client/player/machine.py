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

from .backend import BackendEvent, BackendEventType, PlayerBackend
from .notices import ItemRef, Notice, NoticeKind
from .prefetch import NextItem
from .progress import PositionSample, ProgressPlanner, ReportKind
from .queue import PlayQueue, QueueEntry, Repeat
from .settings import PlayerSettings
from .snapshot import build_snapshot, parse_snapshot
from .streams import StreamRequests
from .track import Phase, StreamError, Track

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
class Attempt:
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
        self._shown: Track | None = None  # what the context describes
        self._track: Track | None = None  # the current attempt (may not have sounded yet)
        self._resumable: Track | None = None  # stopped by Stop: Resume restarts it
        self._streams = StreamRequests(
            clock, settings.stream_deliver_timeout_s, self._need_stream, self._on_stream_expired
        )
        self._next = NextItem(
            backend, self._streams, self._new_track, round(settings.stream_request_lead_s * 1000)
        )
        self._timers: dict[str, Timer] = {}  # open / stall / progress, for self._track
        self._backend_active = False
        self._failures = 0
        self.volume = 100
        self.muted = False

    # === queries (safe at any time) ======================================================

    @property
    def state(self) -> PlayerActivity:
        return self._state

    @property
    def shown(self) -> Track | None:
        """The attempt the context describes (None when IDLE)."""
        return self._shown if self._state is not IDLE else None

    @property
    def repeat(self) -> Repeat:
        return self._queue.repeat

    @property
    def shuffle(self) -> bool:
        return self._queue.shuffle

    def attempt(self) -> Attempt | None:
        entry = self._queue.current
        if entry is None:
            return None
        track = self._track if self._track is not None and self._track.entry is entry else None
        if track is None:
            return Attempt(entry.audio_item_id, 0, False)
        starting = track.phase in (Phase.AWAITING_STREAM, Phase.OPENING)
        return Attempt(entry.audio_item_id, self._position(track), starting)

    def playback_state(self) -> PlaybackState:
        """The AudioPlayer.PlaybackState context as of now (the position interpolated)."""
        track = self._shown
        repeat_mode = self._queue.repeat.mode
        if self._state is IDLE or track is None:
            return PlaybackState(player_activity=self._state, repeat_mode=repeat_mode)
        return PlaybackState(
            player_activity=self._state,
            offset_ms=self._position(track),
            total_ms=track.total_ms,
            stream=track.stream,
            repeat_mode=repeat_mode,
        )

    def current_entry(self) -> tuple[QueueEntry, str | None] | None:
        """The queue's current item and the token its attempt plays (None: empty queue)."""
        entry = self._queue.current
        if entry is None:
            return None
        track = next((t for t in (self._track, self._shown) if t and t.entry is entry), None)
        return entry, track.token if track else entry.stream.token

    def upcoming(self) -> tuple[QueueEntry, ...]:
        return self._queue.upcoming

    def snapshot(self) -> JsonObject:
        entry = self._queue.current
        track = next((t for t in (self._track, self._shown) if t and t.entry is entry), None)
        return build_snapshot(
            self._state,
            self._queue,
            track,
            self._position(track) if track else None,
            resumable=track is not None and track is self._resumable,
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
            await self._start(self._new_track(entry))
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
        await self._start(self._new_track(entries[0]))

    async def clear_queue(self, behavior: ClearBehavior) -> None:
        log.info("player.clear_queue", clear_behavior=behavior.value, state=self._state.value)
        if behavior is ClearBehavior.CLEAR_ALL:
            await self.stop()
        self._queue.clear_upcoming()
        self._next.drop()
        self.notify(NoticeKind.QUEUE_CLEARED)

    async def stream_deliver(self, payload: StreamDeliverPayload) -> None:
        track = self._streams.take(payload.audio_item_id)
        if track is None:
            log.warning(
                "player.stream_deliver_ignored",
                audio_item_id=payload.audio_item_id,
                reason="no StreamRequested is pending for this audioItemId",
            )
            return
        try:
            track.deliver(payload.stream.raw)
        except StreamError as exc:
            if track is self._track:
                await self._abandon(track, str(exc))
            else:
                log.warning(
                    "player.stream_deliver_rejected",
                    audio_item_id=track.audio_item_id,
                    reason=str(exc),
                )
                self._next.drop()
            return
        log.info(
            "player.stream_delivered",
            audio_item_id=track.audio_item_id,
            token=track.token,
            url=redact_url(track.url),
        )
        if track is self._track and track.phase is Phase.AWAITING_STREAM:
            await self._open(track)
        elif track is self._next.track:
            await self._next.prepare(track)

    async def pause(self) -> bool:
        track = self._track
        if track is None or track.phase not in _ACTIVE or track.phase is Phase.PAUSED:
            return False
        phase = track.phase
        track.sample = PositionSample(self._position(track), self._clock.now())
        track.phase = Phase.PAUSED
        self._cancel_timers()
        if track.opened:
            await self._backend.pause()
        if phase is Phase.PLAYING:
            self._transition(PAUSED, NoticeKind.PAUSED, track)
        elif self._state is not PAUSED:
            self._transition(PAUSED, None, track)  # paused before it ever sounded: no event
        return True

    async def resume(self) -> bool:
        track = self._track
        if track is not None and track.phase is Phase.PAUSED:
            if track.opened:
                self._await_sound(track, track.sample.position_ms)
                await self._backend.resume()
            elif track.delivered:
                await self._open(track, track.sample.position_ms)
            else:
                track.phase = Phase.AWAITING_STREAM
                self._streams.ask(track)
            return True
        stopped = self._resumable
        if self._state is STOPPED and stopped is not None and stopped is self._shown:
            await self._start(self._new_track(stopped.entry, self._position(stopped)))
            return True
        return False

    async def stop(self) -> bool:
        track = self._track
        if track is None or track.phase not in _ACTIVE:
            return False
        self._leave_current()
        await self._stop_backend()
        self._next.drop()
        self._resumable = track
        return True

    async def next(self) -> bool:
        entry = self._queue.peek_next(auto=False)
        if entry is None:
            return False
        self._leave_current()
        self._queue.advance(auto=False)
        await self._start(self._next.take(entry) or self._new_track(entry))
        return True

    async def previous(self) -> bool:
        entry = self._queue.back()
        if entry is None:
            return False
        self._leave_current()
        self._next.drop()
        await self._start(self._new_track(entry))
        return True

    async def replay(self) -> bool:
        entry = self._queue.current
        if entry is None:
            return False
        self._leave_current()
        await self._start(self._new_track(entry))
        return True

    async def seek(self, offset_ms: int) -> bool:
        track = self._track
        if track is None or track.phase not in (Phase.PLAYING, Phase.PAUSED) or not track.opened:
            return False
        end = track.end_ms
        target = max(0, offset_ms if end is None else min(offset_ms, end))
        old = self._position(track)
        await self._backend.seek(target)
        running = track.phase is Phase.PLAYING
        track.sample = PositionSample(target, self._clock.now(), running)
        track.last_time_ms = None
        track.sound_baseline_ms = target
        track.seek_floor_ms = target - SEEK_STALE_MARGIN_MS if target > old else None
        track.seek_drops = 0
        if track.progress:
            track.progress.jump(target)
        log.info("player.seek", token=track.token, from_ms=old, to_ms=target)
        if running:
            self._arm_stall(track)
            await self._reach(track, target)
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
        track = self._new_track(saved.current, saved.offset_ms)
        if saved.stream is not None:
            track.stream = saved.stream  # what the server last saw, for the context
        track.sample = PositionSample(saved.offset_ms, self._clock.now())
        log.info(
            "player.restore",
            audio_item_id=track.audio_item_id,
            token=track.token,
            offset_ms=saved.offset_ms,
            state=saved.state.value,
        )
        self._track = track
        if saved.state in (PLAYING, PAUSED):
            track.announced = saved.announced
            track.phase = Phase.PAUSED
            self._transition(PAUSED, None, track)
            if not paused:
                await self.resume()
        elif saved.state is STOPPED:
            track.phase = Phase.DONE
            self._resumable = track if saved.resumable else None
            self._transition(STOPPED, None, track)

    async def shutdown(self) -> None:
        self._cancel_timers()
        self._streams.cancel_all()
        await self._stop_backend()
        await self._backend.close()

    # === moving between items ============================================================

    def _new_track(self, entry: QueueEntry, resume_at_ms: int | None = None) -> Track:
        return Track.for_entry(entry, next(self._source_ids), resume_at_ms)

    async def _start(self, track: Track) -> None:
        """Make ``track`` current and get it going (ask for its stream first if needed)."""
        self._track, self._resumable = track, None
        if track.delivered:
            await self._open(track)
            return
        await self._stop_backend()  # silence while the stream is fetched
        track.phase = Phase.AWAITING_STREAM
        self._streams.ask(track)

    async def _open(self, track: Track, start_ms: int | None = None) -> None:
        start = track.start_ms if start_ms is None else start_ms
        try:
            source = track.source(start)
        except StreamError as exc:
            await self._abandon(track, str(exc))
            return
        track.opened = True
        track.start_ms = start
        track.last_time_ms = None
        track.sample = PositionSample(start, self._clock.now())
        track.progress = ProgressPlanner(track.info.progress_report if track.info else None, start)
        self._await_sound(track, start)
        self._backend_active = True
        log.info(
            "player.open",
            audio_item_id=track.audio_item_id,
            token=track.token,
            url=redact_url(source.url),
            source_id=source.source_id,
            start_ms=start,
        )
        try:
            await self._backend.play(source)
        except Exception as exc:  # a backend that cannot even start is one more failure
            await self._abandon(track, f"backend play failed: {exc!r}")

    def _await_sound(self, track: Track, baseline_ms: int) -> None:
        track.phase = Phase.OPENING
        track.sound_baseline_ms = baseline_ms
        track.playing_seen = False
        seconds = self.settings.open_timeout_s
        self._arm("open", seconds, lambda: self._on_open_timeout(track))

    async def _advance(self, *, auto: bool) -> None:
        """Play what the queue says comes next, or rest when nothing does."""
        entry = self._queue.advance(auto=auto)
        if entry is None:
            await self._stop_backend()
            self._next.drop()
            log.info("player.queue_ended", state=self._state.value)
            return
        await self._start(self._next.take(entry) or self._new_track(entry))

    def _leave_current(self, notice: NoticeKind = NoticeKind.STOPPED) -> None:
        """End the current attempt; an item that sounded is closed with ``notice``."""
        track = self._track
        if track is None or track.phase not in _ACTIVE:
            return
        track.sample = PositionSample(self._position(track), self._clock.now())
        self._end(track)
        if track is self._shown and self._state in (PLAYING, PAUSED):
            self._transition(STOPPED, notice if track.announced else None, track)

    def _end(self, track: Track) -> None:
        self._cancel_timers()
        self._streams.cancel(track)
        track.phase = Phase.DONE

    async def _finish(self, track: Track, final_ms: int) -> None:
        track.sample = PositionSample(final_ms, self._clock.now())
        self._report_crossings(track, final_ms)
        self._end(track)
        self._failures = 0
        self._transition(STOPPED, NoticeKind.FINISHED, track)
        await self._advance(auto=True)

    async def _abandon(self, track: Track, reason: str) -> None:
        """Give up on ``track`` (log why), claim nothing that did not happen, move on."""
        paused = track.phase is Phase.PAUSED
        position = self._position(track)
        if track.phase is Phase.PLAYING and track.last_time_ms is not None:
            position = track.last_time_ms  # where it froze, not where it would be by now
        log.warning(
            "player.item_abandoned",
            reason=redact_text(reason),
            url=redact_url(track.url) if track.url else None,
            audio_item_id=track.audio_item_id,
            token=track.token,
            offset_ms=position,
            phase=track.phase.name,
        )
        track.sample = PositionSample(position, self._clock.now())
        self._end(track)
        self.notify(NoticeKind.FAILED, item=_ref(track), reason=redact_text(reason))
        if track is self._shown and self._state in (PLAYING, PAUSED):
            self._transition(STOPPED, NoticeKind.STOPPED if track.announced else None, track)
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
        track = self._track
        if track is None or track.phase not in (Phase.PLAYING, Phase.PAUSED):
            return
        entry = self._queue.peek_next(auto=True) if self.settings.prefetch else None
        await self._next.refresh(entry, track, self._position(track))
        self._plan(track)

    # === backend events ==================================================================

    def on_backend_event(self, event: BackendEvent) -> None:
        self._post(lambda: self._handle(event))

    async def _handle(self, event: BackendEvent) -> None:
        track = self._track
        live = (Phase.OPENING, Phase.PLAYING, Phase.PAUSED)
        if track is None or event.source_id != track.source_id or track.phase not in live:
            log.debug("player.stale_event", type=event.type.value, source_id=event.source_id)
            return
        match event.type:
            case BackendEventType.TIME if event.time_ms is not None:
                await self._on_time(track, event.time_ms)
            case BackendEventType.LENGTH if event.length_ms:
                track.length_ms = event.length_ms
                self._plan(track)
            case BackendEventType.ENDED:
                self._backend_active = False
                await self._on_ended(track)
            case BackendEventType.ERROR:
                self._backend_active = False
                await self._abandon(track, f"backend error: {event.reason or 'unknown'}")
            case BackendEventType.PLAYING if track.phase is Phase.OPENING:
                track.playing_seen = True
            case _:
                log.debug("player.backend_event", type=event.type.value, source_id=track.source_id)

    async def _on_time(self, track: Track, time_ms: int) -> None:
        if track.seek_floor_ms is not None:
            if time_ms < track.seek_floor_ms and track.seek_drops < SEEK_STALE_DROPS:
                track.seek_drops += 1
                return  # a tick from before the seek, still in flight
            track.seek_floor_ms = None
        now = self._clock.now()
        sound = track.is_sound(time_ms)
        moved = time_ms != track.last_time_ms
        track.last_time_ms = time_ms
        if track.phase is Phase.OPENING:
            if not sound:
                return
            self._cancel_timers("open")
            track.phase = Phase.PLAYING
            track.sample = PositionSample(time_ms, now, running=True)
            event = NoticeKind.RESUMED if track.announced else NoticeKind.STARTED
            track.announced = True
            self._failures = 0
            self._transition(PLAYING, event, track)
            self._arm_stall(track)
            await self._reach(track, time_ms)
            if self._track is track and track.phase is Phase.PLAYING:
                await self.refresh_next()
        elif track.phase is Phase.PLAYING:
            track.sample = PositionSample(time_ms, now, running=True)
            if moved:
                self._arm_stall(track)
            await self._reach(track, time_ms)

    async def _on_ended(self, track: Track) -> None:
        if not track.announced:
            await self._abandon(track, "ended without sound (garbage or unsupported media)")
            return
        position, length = self._position(track), track.length_ms
        if length is not None and position < length - self.settings.end_of_media_guard_ms:
            await self._abandon(track, f"ended early at {position} of {length} ms")
            return
        final = length if length is not None else position
        cut = track.cut_ms
        await self._finish(track, final if cut is None else min(final, cut))

    # === media time: progress reports, the duration cut, the next stream request =========

    async def _reach(self, track: Track, position_ms: int) -> None:
        """The media has played up to ``position_ms``: report, cut, ask ahead; plan the next."""
        cut = track.cut_ms
        if cut is not None:
            position_ms = min(position_ms, cut)
        self._report_crossings(track, position_ms)
        if cut is not None and position_ms >= cut:
            await self._finish(track, cut)
            return
        self._next.ask_if_due(track, position_ms)
        self._plan(track)

    def _report_crossings(self, track: Track, position_ms: int) -> None:
        if track.progress is None:
            return
        for crossing in track.progress.passed(position_ms):
            self.notify(_PROGRESS_NOTICE[crossing.kind])

    def _plan(self, track: Track) -> None:
        """Schedule the next media-time crossing at its predicted clock time (re-planned on
        every tick, so the prediction never runs far from a real position)."""
        self._cancel_timers("progress")
        if track.phase is not Phase.PLAYING or track is not self._track:
            return
        checked = track.progress.checked_ms if track.progress else track.sample.position_ms
        targets = [
            track.progress.next_target() if track.progress else None,
            track.cut_ms,
            self._next.ask_at_ms(track),
        ]
        ahead = [t for t in targets if t is not None and t > checked]
        if not ahead:
            return
        target = min(ahead)
        when = track.sample.crossing_time(target, self.settings.max_extrapolation_ms)
        if when is None:
            return
        delay = when - self._clock.now()
        self._arm("progress", delay, lambda: self._on_progress_due(track, target))

    async def _on_progress_due(self, track: Track, target: int) -> None:
        if track is not self._track or track.phase is not Phase.PLAYING:
            return
        position = self._position(track)
        if target - TIMER_EARLY_MS <= position < target:
            position = target
        if position < target:
            return  # extrapolation ran out (the media froze): the next tick plans again
        await self._reach(track, position)

    def _position(self, track: Track) -> int:
        position = track.sample.at_time(self._clock.now(), self.settings.max_extrapolation_ms)
        end = track.end_ms
        return min(position, end) if end is not None and track.phase is Phase.PLAYING else position

    # === timers ==========================================================================

    def _arm(self, name: str, delay: float, job: Callable[[], Awaitable[Any]]) -> None:
        self._cancel_timers(name)
        self._timers[name] = self._clock.call_later(delay, lambda: self._post(job))

    def _cancel_timers(self, *names: str) -> None:
        for name in names or tuple(self._timers):
            timer = self._timers.pop(name, None)
            if timer is not None:
                timer.cancel()

    def _arm_stall(self, track: Track) -> None:
        self._arm("stall", self.settings.stall_timeout_s, lambda: self._on_stall(track))

    async def _on_open_timeout(self, track: Track) -> None:
        if track is self._track and track.phase is Phase.OPENING:
            await self._abandon(track, f"no sound within {self.settings.open_timeout_s:g} s")

    async def _on_stall(self, track: Track) -> None:
        if track is self._track and track.phase is Phase.PLAYING:
            seconds = self.settings.stall_timeout_s
            await self._abandon(
                track, f"stalled: position frozen at {track.last_time_ms} ms for {seconds:g} s"
            )

    def _on_stream_expired(self, track: Track) -> None:
        self._post(lambda: self._on_deliver_timeout(track))

    async def _on_deliver_timeout(self, track: Track) -> None:
        if not self._streams.waiting(track):
            return
        self._streams.cancel(track)
        seconds = self.settings.stream_deliver_timeout_s
        if track is self._track and not track.delivered and track.phase in _ACTIVE:
            await self._abandon(track, f"no StreamDeliver within {seconds:g} s")
        else:
            log.warning(
                "player.stream_request_expired",
                audio_item_id=track.audio_item_id,
                reason=f"no StreamDeliver within {seconds:g} s; asked again when it is due",
            )

    # === the one place the reported state changes ========================================

    def _transition(self, new: PlayerActivity, notice: NoticeKind | None, track: Track) -> None:
        old = self._state
        if new not in _ALLOWED[old]:
            log.error("player.bad_transition", from_state=old.value, state=new.value)
        self._state, self._shown = new, track
        log.info(
            "player.state",
            from_state=old.value,
            state=new.value,
            notice=notice.value if notice else None,
            audio_item_id=track.audio_item_id,
            token=track.token,
            offset_ms=self._position(track),
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

    def _need_stream(self, track: Track) -> None:
        self._notify(
            Notice(
                NoticeKind.STREAM_NEEDED,
                self.playback_state(),
                _ref(track),
                stream=track.entry.stream,
            )
        )

    # === small questions =================================================================

    def _is_busy(self) -> bool:
        return self._track is not None and self._track.phase in _ACTIVE

    def _is_current_item(self, audio_item_id: str) -> bool:
        return (
            self._is_busy()
            and self._track is not None
            and (self._track.audio_item_id == audio_item_id)
        )


def _ref(track: Track) -> ItemRef:
    return ItemRef(track.audio_item_id, track.token)
