"""What the player tells the rest of the speaker: typed notices, not wire events.

The state machine issues one ``Notice`` at each thing that happened (an item started, paused,
finished, failed, crossed a progress-report position, needs its stream, ...). Listeners turn
them into what they need: the AudioPlayer reporter (``agents/audioplayer_reporter.py``) into
events with the PlaybackState context (from the notice's ``PlayerStatus``), the music app
into play history, TemplateRuntime into a metadata request. The player itself speaks no wire
protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from .item import JsonObject
from .status import PlayerStatus

log = structlog.get_logger(__name__)


class NoticeKind(StrEnum):
    STARTED = "started"
    """The item's first sound (PlayStarted)."""
    PAUSED = "paused"
    RESUMED = "resumed"
    STOPPED = "stopped"
    """Left before its end (Stop, Next, a new Play, a failure after it sounded)."""
    FINISHED = "finished"
    """Played to its end."""
    FAILED = "failed"
    """Given up on (``reason``); a STOPPED follows if it had sounded."""
    PROGRESS_DELAY = "progress_delay"
    PROGRESS_INTERVAL = "progress_interval"
    PROGRESS_POSITION = "progress_position"
    STREAM_NEEDED = "stream_needed"
    """The item's URL is not playable: its stream must be asked for (``stream``)."""
    QUEUE_CLEARED = "queue_cleared"
    STATE_REQUESTED = "state_requested"
    """Someone asked what the player is doing (``dialog_request_id``: whoever asked)."""


@dataclass(frozen=True, slots=True)
class ItemRef:
    """Which queue item a notice is about."""

    audio_item_id: str
    token: str | None


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    status: PlayerStatus
    """What the player reports as of this notice (activity, item, position, repeat)."""
    item: ItemRef | None
    """The item concerned (for STREAM_NEEDED / FAILED: the one being started)."""
    stream: JsonObject | None = None
    """STREAM_NEEDED: what the item shows as queued (AudioPlayer: the stream as the Play gave
    it)."""
    reason: str | None = None
    """FAILED: why, one line."""
    dialog_request_id: str | None = None
    """STATE_REQUESTED: the id of the request it answers."""
    report_ms: int | None = None
    """PROGRESS_*: the media offset the report is for (where it fell due, or the Position
    point a seek went past), which the context's interpolated position may miss by a few ms."""

    @property
    def position_ms(self) -> int | None:
        return self.status.offset_ms

    @property
    def offset_ms(self) -> int | None:
        """The offset the event reports: ``report_ms`` for a progress report, else the state's."""
        return self.report_ms if self.report_ms is not None else self.status.offset_ms


Listener = Callable[[Notice], None]


class NoticeBoard:
    """Hands each notice to every listener, in subscription order; one failing listener is
    logged and never keeps a notice from the others."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add ``listener``; returns the function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, notice: Notice) -> None:
        for listener in list(self._listeners):
            try:
                listener(notice)
            except Exception:
                log.exception("player.listener_failed", notice=notice.kind.value)
