"""What the engine asks of the machine (Play, PlayAll, ClearQueue, StreamDeliver, Pause,
Resume, Stop, Next, Previous, Replay, Seek, Restore, repeat, shuffle) and what it
answers (the current attempt, the queue, a snapshot). Every phase change goes through the
machine (``machine.py``); the controls answer False when there was nothing to act on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from clova_client.clock import Clock
from clova_client.redact import redact_url

from .attempt import ACTIVE, Attempt, AttemptPhase, StreamError
from .item import Enqueue, JsonObject, PlayItem, Rebuild, Redeliver
from .machine import PlayerMachine
from .mixer import Mixer
from .notices import NoticeKind
from .progress import PositionSample
from .queue import MAX_UPCOMING, QueueRepeat
from .reported import PAUSED, PLAYING, STOPPED
from .snapshot import build_snapshot, parse_snapshot

log = structlog.get_logger(__name__)

P = AttemptPhase


@dataclass(frozen=True, slots=True)
class AttemptStatus:
    """The queue's current item and the engine's attempt to play it."""

    key: str
    position_ms: int
    """Where the attempt is (or starts, or stopped), interpolated."""
    starting: bool
    """Being opened, or waiting for its stream: it has not sounded yet."""


class Commands:
    def __init__(self, machine: PlayerMachine, clock: Clock, mixer: Mixer) -> None:
        self.machine = machine
        self._clock = clock
        self._mixer = mixer
        self._queue = machine.queue
        self._reported = machine.reported

    # === queries (safe at any time) ======================================================

    def attempt(self) -> AttemptStatus | None:
        entry = self._queue.current
        if entry is None:
            return None
        current = self.machine.current
        attempt = current if current is not None and current.entry is entry else None
        if attempt is None:
            return AttemptStatus(entry.key, 0, False)
        starting = attempt.phase in (P.AWAITING_STREAM, P.OPENING)
        return AttemptStatus(entry.key, self._reported.position(attempt), starting)

    def current_entry(self) -> tuple[PlayItem, str | None] | None:
        """The queue's current item and the token its attempt plays (None: empty queue)."""
        entry = self._queue.current
        if entry is None:
            return None
        attempt = self._attempt_of(entry)
        return entry, attempt.token if attempt else entry.token

    def snapshot(self) -> JsonObject:
        attempt = self._attempt_of(self._queue.current)
        return build_snapshot(
            self._reported.state,
            self._queue,
            attempt,
            self._reported.position(attempt) if attempt else None,
            resumable=attempt is not None and attempt is self.machine.resumable,
            volume=self._mixer.volume,
            muted=self._mixer.muted,
        )

    def _attempt_of(self, entry: PlayItem | None) -> Attempt | None:
        """The latest attempt (current, else the one shown) to play ``entry``."""
        candidates = (self.machine.current, self._reported.last_shown)
        return next((a for a in candidates if a and a.entry is entry), None)

    def _is_current_item(self, audio_item_id: str) -> bool:
        current = self.machine.current
        return self.machine.is_busy() and current is not None and current.key == (audio_item_id)

    # === settings that need no job =======================================================

    def set_repeat(self, repeat: QueueRepeat) -> None:
        self._queue.repeat = repeat
        log.info("player.repeat", repeat=repeat.value)
        self.machine.post(self.machine.refresh_next)

    def set_shuffle(self, on: bool) -> None:
        self._queue.set_shuffle(on)
        log.info("player.shuffle", shuffle=on)
        self.machine.post(self.machine.refresh_next)

    # === the queue ========================================================================

    async def play(self, entry: PlayItem, behavior: Enqueue) -> None:
        item_id = entry.key
        refused = None
        if self._is_current_item(item_id) or self._queue.is_upcoming(item_id):
            refused = "this audioItemId is already playing or queued"
        elif behavior is Enqueue.ENQUEUE and self._queue.full:
            refused = f"the queue is full ({MAX_UPCOMING} items wait behind the current one)"
        token = entry.token
        if refused is not None:
            log.info(
                "player.play_dropped",
                audio_item_id=item_id,
                token=token,
                play_behavior=behavior.value,
                reason=refused,
            )
            return
        log.info(
            "player.play",
            audio_item_id=item_id,
            token=token,
            play_behavior=behavior.value,
            url_playable=not entry.needs_stream,
            state=self._reported.state.value,
        )
        if behavior is Enqueue.REPLACE_ALL:
            await self._replace(entry, [])
            return
        if behavior is Enqueue.REPLACE_ENQUEUED:
            self._queue.replace_enqueued(entry)
        else:
            self._queue.enqueue(entry)
        if self.machine.is_busy():
            await self.machine.refresh_next()
        else:
            await self.machine.advance(auto=False)

    async def play_all(self, entries: list[PlayItem]) -> None:
        if entries:
            log.info("player.play_all", count=len(entries), token=entries[0].token)
            await self._replace(entries[0], entries[1 : MAX_UPCOMING + 1])

    async def _replace(self, first: PlayItem, rest: list[PlayItem]) -> None:
        self.machine.leave_current()
        self.machine.next_item.drop()
        self._queue.replace_all(first)
        for entry in rest:
            self._queue.enqueue(entry)
        await self.machine.start(self.machine.new_attempt(first))

    async def clear_queue(self, *, stop: bool) -> None:
        """Drop what waits; ``stop``: the current item too."""
        behavior = "CLEAR_ALL" if stop else "CLEAR_ENQUEUED"
        log.info("player.clear_queue", clear_behavior=behavior, state=self._reported.state.value)
        if stop:
            await self.stop()
        self._queue.clear_upcoming()
        self.machine.next_item.drop()
        self._reported.notify(NoticeKind.QUEUE_CLEARED)

    async def stream_deliver(self, key: str, redeliver: Redeliver) -> None:
        """The stream of the item ``key``: for the attempt that asked for it (merged into the
        queued item's), else for the one that plays (merged into what it shows)."""
        machine = self.machine
        attempt = machine.streams.take(key)
        playing = self._playing_attempt(key) if attempt is None else None
        if playing is not None:
            await self._update_stream(playing, redeliver)
            return
        if attempt is None:
            log.warning(
                "player.stream_deliver_ignored",
                audio_item_id=key,
                reason="no StreamRequested is pending for this audioItemId",
            )
            return
        try:
            attempt.deliver(_redelivered(redeliver, attempt.entry.stream, attempt.entry))
        except StreamError as exc:
            if attempt is machine.current:
                await machine.give_up(attempt, str(exc))
            else:
                log.warning(
                    "player.stream_deliver_rejected",
                    audio_item_id=attempt.key,
                    reason=str(exc),
                )
                machine.next_item.drop()
            return
        log.info(
            "player.stream_delivered",
            audio_item_id=attempt.key,
            token=attempt.token,
            url=redact_url(attempt.url),
        )
        if attempt is machine.current and attempt.phase is P.AWAITING_STREAM:
            await machine.open(attempt)
        elif attempt is machine.next_item.attempt:
            await machine.next_item.prepare(attempt)

    def _playing_attempt(self, key: str) -> Attempt | None:
        """The current attempt, when it plays (or holds, paused) this item's delivered stream."""
        attempt = self.machine.current
        if (
            attempt is not None
            and attempt.key == key
            and attempt.delivered
            and attempt.opened
            and attempt.phase in (P.OPENING, P.PLAYING, P.PAUSED)
        ):
            return attempt
        return None

    async def _update_stream(self, attempt: Attempt, redeliver: Redeliver) -> None:
        """A StreamDeliver for the item that plays: its stream (what the context reports) and
        its progress-report values change from now on; the sound goes on from the source that
        is open (docs/ARCHITECTURE.md, Decisions)."""
        playing_url = attempt.url
        crossings = self.machine.crossings
        if attempt.phase is P.PLAYING:  # what played so far, under the old values
            crossings.passed(attempt, self._reported.position(attempt))
        try:
            attempt.use(_redelivered(redeliver, attempt.stream, attempt.entry))
        except StreamError as exc:
            log.warning(
                "player.stream_deliver_rejected",
                audio_item_id=attempt.key,
                token=attempt.token,
                reason=str(exc),
            )
            return
        if attempt.progress is not None:
            attempt.progress.update(attempt.item.progress)
        log.info(
            "player.stream_updated",
            audio_item_id=attempt.key,
            token=attempt.token,
            url=redact_url(attempt.url),
            url_changed=attempt.url != playing_url,
            played_ms=attempt.progress.played_ms if attempt.progress else None,
        )
        crossings.plan(attempt)

    # === controls =========================================================================

    async def pause(self) -> bool:
        attempt = self.machine.current
        if attempt is None or attempt.phase not in ACTIVE or attempt.phase is P.PAUSED:
            return False
        await self.machine.hold(attempt)
        return True

    async def resume(self) -> bool:
        machine, attempt = self.machine, self.machine.current
        if attempt is not None and attempt.phase is P.PAUSED:
            await machine.unhold(attempt)
            return True
        stopped = machine.resumable
        shown = self._reported.last_shown
        if self._reported.state is STOPPED and stopped is not None and stopped is shown:
            position = self._reported.position(stopped)
            await machine.start(machine.new_attempt(stopped.entry, position))
            return True
        return False

    async def stop(self) -> bool:
        attempt = self.machine.current
        if attempt is None or attempt.phase not in ACTIVE:
            return False
        self.machine.leave_current()
        await self.machine.stop_backend()
        self.machine.next_item.drop()
        self.machine.resumable = attempt
        return True

    async def next(self) -> bool:
        entry = self._queue.peek_next(auto=False)
        if entry is None:
            return False
        self.machine.leave_current()
        self._queue.advance(auto=False)
        await self.machine.start(self.machine.next_item.take(entry) or self._new(entry))
        return True

    async def previous(self) -> bool:
        entry = self._queue.back()
        if entry is None:
            return False
        self.machine.leave_current()
        self.machine.next_item.drop()
        await self.machine.start(self._new(entry))
        return True

    async def replay(self) -> bool:
        entry = self._queue.current
        if entry is None:
            return False
        self.machine.leave_current()
        await self.machine.start(self._new(entry))
        return True

    def _new(self, entry: PlayItem) -> Attempt:
        return self.machine.new_attempt(entry)

    async def seek(self, offset_ms: int) -> bool:
        attempt = self.machine.current
        if attempt is None or attempt.phase not in (P.PLAYING, P.PAUSED) or not attempt.opened:
            return False
        end = attempt.end_ms
        target = max(0, offset_ms if end is None else min(offset_ms, end))
        old = self._reported.position(attempt)
        running = attempt.phase is P.PLAYING
        crossings = self.machine.crossings
        if running:
            crossings.passed(attempt, old)  # what was played up to the seek
        await self.machine.backend.seek(target)
        attempt.seeked(old, target, self._clock.now())
        log.info("player.seek", token=attempt.token, from_ms=old, to_ms=target)
        crossings.jumped(attempt, target)
        if running:
            self.machine.arm_stall(attempt)
            await crossings.reach(attempt, target)
        return True

    async def restore(self, snapshot: Mapping[str, Any], paused: bool, rebuild: Rebuild) -> None:
        """Rebuild the queue, the current attempt and the output as saved."""
        saved = parse_snapshot(snapshot, rebuild)
        if self.machine.is_busy():
            await self.stop()
        self.machine.next_item.drop()
        self._queue.load(saved.current, saved.upcoming)
        self._queue.repeat = saved.repeat
        self._queue.set_shuffle(saved.shuffle)
        await self._mixer.restore(saved.volume, saved.muted)  # the output's, saved with it
        if saved.current is None:
            return
        attempt = self.machine.new_attempt(saved.current, saved.offset_ms)
        if saved.stream is not None:
            attempt.stream = saved.stream  # what was shown last, shown again
            attempt.token = saved.token
        attempt.sample = PositionSample(saved.offset_ms, self._clock.now())
        log.info(
            "player.restore",
            audio_item_id=attempt.key,
            token=attempt.token,
            offset_ms=saved.offset_ms,
            state=saved.state.value,
        )
        if saved.state in (PLAYING, PAUSED):
            attempt.announced = saved.announced
            self.machine.restored(attempt, paused=True)
            if not paused:
                await self.resume()
        elif saved.state is STOPPED:
            self.machine.restored(attempt, paused=False)
            self.machine.resumable = attempt if saved.resumable else None
        else:
            self.machine.current = attempt


def _redelivered(redeliver: Redeliver, shown: JsonObject, queued: PlayItem) -> PlayItem:
    try:
        return redeliver(shown, queued)
    except ValueError as exc:
        raise StreamError(str(exc)) from exc
