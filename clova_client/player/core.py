"""The state machine's core: what it holds, what it answers, and the one place its state changes.

``_transition`` is the one place the reported activity changes: it logs, issues the typed notice
(``notices.py``) and calls ``on_change``. ``notify`` issues every other notice.

The context describes the item that plays or played last. An item being opened, or waiting for
its StreamDeliver, has not sounded yet: until its first real TIME advance the context still
shows the previous item (STOPPED) or IDLE, so it never claims PLAYING for silence.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from clova_client.clock import Clock
from clova_client.protocol.audioplayer import PlaybackState, PlayerActivity
from clova_client.protocol.base import JsonObject

from .attempt import Attempt, Phase
from .backend import PlayerBackend
from .notices import ItemRef, Notice, NoticeKind
from .queue import PlayQueue, QueueEntry, QueueRepeat
from .serial import Job
from .settings import PlayerSettings
from .snapshot import build_snapshot
from .timers import AttemptTimers

log = structlog.get_logger(__name__)

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

ACTIVE = (Phase.AWAITING_STREAM, Phase.OPENING, Phase.PLAYING, Phase.PAUSED)
"""The phases of an attempt that is under way."""


@dataclass(frozen=True, slots=True)
class AttemptStatus:
    """The queue's current item and the engine's attempt to play it."""

    audio_item_id: str
    position_ms: int
    """Where the attempt is (or starts, or stopped), interpolated."""
    starting: bool
    """Being opened, or waiting for its stream: it has not sounded yet."""


class MachineCore:
    """The state the layers above (``lifecycle.py``, ``commands.py``, ``reactions.py``) share."""

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
        self._timers = AttemptTimers(clock, post)  # open / stall / progress, for self._current
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
    def repeat(self) -> QueueRepeat:
        return self._queue.repeat

    @property
    def shuffle(self) -> bool:
        return self._queue.shuffle

    def attempt(self) -> AttemptStatus | None:
        entry = self._queue.current
        if entry is None:
            return None
        current = self._current
        attempt = current if current is not None and current.entry is entry else None
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
        attempt = self._attempt_of(entry)
        return entry, attempt.token if attempt else entry.stream.token

    def upcoming(self) -> tuple[QueueEntry, ...]:
        return self._queue.upcoming

    def snapshot(self) -> JsonObject:
        attempt = self._attempt_of(self._queue.current)
        return build_snapshot(
            self._state,
            self._queue,
            attempt,
            self._position(attempt) if attempt else None,
            resumable=attempt is not None and attempt is self._resumable,
            volume=self.volume,
            muted=self.muted,
        )

    def _attempt_of(self, entry: QueueEntry | None) -> Attempt | None:
        """The latest attempt (current, else the one shown) to play ``entry``."""
        return next((a for a in (self._current, self._shown) if a and a.entry is entry), None)

    def _position(self, attempt: Attempt) -> int:
        position = attempt.sample.at_time(self._clock.now(), self.settings.max_extrapolation_ms)
        end = attempt.end_ms
        if end is not None and attempt.phase is Phase.PLAYING:
            return min(position, end)
        return position

    def _is_busy(self) -> bool:
        return self._current is not None and self._current.phase in ACTIVE

    def _is_current_item(self, audio_item_id: str) -> bool:
        return (
            self._is_busy()
            and self._current is not None
            and (self._current.audio_item_id == audio_item_id)
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

    # === notices ==========================================================================

    def notify(
        self,
        kind: NoticeKind,
        *,
        item: ItemRef | None = None,
        reason: str | None = None,
        dialog_request_id: str | None = None,
        report_ms: int | None = None,
    ) -> None:
        """Issue a notice as of now (the item shown, unless ``item`` names another)."""
        shown = self._shown if self._state is not IDLE else None
        notice = Notice(
            kind,
            self.playback_state(),
            item or (item_ref(shown) if shown else None),
            reason=reason,
            dialog_request_id=dialog_request_id,
            report_ms=report_ms,
        )
        self._notify(notice)

    def _need_stream(self, attempt: Attempt) -> None:
        self._notify(
            Notice(
                NoticeKind.STREAM_NEEDED,
                self.playback_state(),
                item_ref(attempt),
                stream=attempt.entry.stream,
            )
        )


def item_ref(attempt: Attempt) -> ItemRef:
    return ItemRef(attempt.audio_item_id, attempt.token)
