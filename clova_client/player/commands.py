"""What the engine asks of the machine: Play, PlayAll, ClearQueue, StreamDeliver, Pause,
Resume, Stop, Next, Previous, Replay, Seek, Restore, Shutdown, and the settings (repeat, shuffle,
volume, mute). The controls answer False when there was nothing to act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from clova_client.protocol.audioplayer import ClearBehavior, PlayBehavior, StreamDeliverPayload
from clova_client.redact import redact_url

from .attempt import Attempt, Phase, StreamError
from .core import ACTIVE, PAUSED, PLAYING, STOPPED
from .lifecycle import AttemptLifecycle
from .notices import NoticeKind
from .progress import PositionSample
from .queue import MAX_UPCOMING, QueueEntry, QueueRepeat
from .snapshot import parse_snapshot

log = structlog.get_logger(__name__)

SEEK_STALE_MARGIN_MS = 500
"""After a seek, a TIME value more than this short of the target (forward) or past it (back) is
from before the seek (``reactions.SEEK_STALE_DROPS`` of them at most are ignored)."""


class Commands(AttemptLifecycle):
    # === settings that need no job =======================================================

    def set_repeat(self, repeat: QueueRepeat) -> None:
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
        refused = None
        if self._is_current_item(item_id) or self._queue.is_upcoming(item_id):
            refused = "this audioItemId is already playing or queued"
        elif behavior is PlayBehavior.ENQUEUE and self._queue.full:
            refused = f"the queue is full ({MAX_UPCOMING} items wait behind the current one)"
        if refused is not None:
            log.info(
                "player.play_dropped",
                audio_item_id=item_id,
                token=entry.stream.token,
                play_behavior=behavior.value,
                reason=refused,
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
        for entry in entries[1 : MAX_UPCOMING + 1]:
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
        playing = self._playing_attempt(payload.audio_item_id) if attempt is None else None
        if playing is not None:
            await self._update_stream(playing, payload)
            return
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

    def _playing_attempt(self, audio_item_id: str) -> Attempt | None:
        """The current attempt, when it plays (or holds, paused) this item's delivered stream."""
        attempt = self._current
        if (
            attempt is not None
            and attempt.audio_item_id == audio_item_id
            and attempt.delivered
            and attempt.opened
            and attempt.phase in (Phase.OPENING, Phase.PLAYING, Phase.PAUSED)
        ):
            return attempt
        return None

    async def _update_stream(self, attempt: Attempt, payload: StreamDeliverPayload) -> None:
        """A StreamDeliver for the item that plays: its stream (what the context reports) and
        its progress-report values change from now on; the sound goes on from the source that
        is open (docs/ARCHITECTURE.md, Decisions)."""
        playing_url = attempt.url
        if attempt.phase is Phase.PLAYING:
            self._report_crossings(attempt, self._position(attempt))  # under the old values
        try:
            attempt.update_stream(payload.stream.raw)
        except StreamError as exc:
            log.warning(
                "player.stream_deliver_rejected",
                audio_item_id=attempt.audio_item_id,
                token=attempt.token,
                reason=str(exc),
            )
            return
        if attempt.progress is not None and attempt.info is not None:
            attempt.progress.update(attempt.info.progress_report)
        log.info(
            "player.stream_updated",
            audio_item_id=attempt.audio_item_id,
            token=attempt.token,
            url=redact_url(attempt.url),
            url_changed=attempt.url != playing_url,
            played_ms=attempt.progress.played_ms if attempt.progress else None,
        )
        self._plan(attempt)

    async def pause(self) -> bool:
        attempt = self._current
        if attempt is None or attempt.phase not in ACTIVE or attempt.phase is Phase.PAUSED:
            return False
        phase = attempt.phase
        position = self._position(attempt)
        if phase is Phase.PLAYING:
            self._report_crossings(attempt, position)  # what was played up to the pause
        attempt.sample = PositionSample(position, self._clock.now())
        attempt.phase = Phase.PAUSED
        self._timers.cancel()
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
        if attempt is None or attempt.phase not in ACTIVE:
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
        running = attempt.phase is Phase.PLAYING
        if running:
            self._report_crossings(attempt, old)  # what was played up to the seek
        await self._backend.seek(target)
        attempt.sample = PositionSample(target, self._clock.now(), running)
        attempt.last_time_ms = None
        attempt.sound_baseline_ms = target
        attempt.seek_floor_ms = target - SEEK_STALE_MARGIN_MS if target > old else None
        back = target < old - SEEK_STALE_MARGIN_MS
        attempt.seek_ceiling_ms = target + SEEK_STALE_MARGIN_MS if back else None
        attempt.seek_drops = 0
        log.info("player.seek", token=attempt.token, from_ms=old, to_ms=target)
        self._report_jump(attempt, target)
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
        self._timers.cancel()
        self._streams.cancel_all()
        await self._stop_backend()
        await self._backend.close()
