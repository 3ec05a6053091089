"""The AudioPlayer reporter: the player's notices become AudioPlayer events for CIC.

Each event carries the ``AudioPlayer.PlaybackState`` context as of its notice (StreamRequested
carries none, as the spec shows), and a dialogRequestId: the one of the directive it answers
(ReportPlaybackState), or, for StreamRequested, one minted here so its StreamDeliver echoes it.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from ..player.notices import Notice, NoticeKind
from ..protocol import Event, make_event
from ..protocol.audioplayer import NAMESPACE, StreamRequestedPayload
from .dialogs import Dialogs

log = structlog.get_logger(__name__)

EVENT_NAMES: dict[NoticeKind, str] = {
    NoticeKind.STARTED: "PlayStarted",
    NoticeKind.PAUSED: "PlayPaused",
    NoticeKind.RESUMED: "PlayResumed",
    NoticeKind.STOPPED: "PlayStopped",
    NoticeKind.FINISHED: "PlayFinished",
    NoticeKind.PROGRESS_DELAY: "ProgressReportDelayPassed",
    NoticeKind.PROGRESS_INTERVAL: "ProgressReportIntervalPassed",
    NoticeKind.PROGRESS_POSITION: "ProgressReportPositionPassed",
    NoticeKind.STREAM_NEEDED: "StreamRequested",
    NoticeKind.QUEUE_CLEARED: "PlaybackQueueCleared",
    NoticeKind.STATE_REQUESTED: "ReportPlaybackState",
}
"""Every notice with an AudioPlayer event; FAILED has none (a PlayStopped follows if needed)."""


class AudioPlayerReporter:
    """Subscribe ``on_notice`` to the AudioPlayer engine; events go to ``send`` in order."""

    def __init__(self, send: Callable[[Event], None], dialogs: Dialogs | None = None) -> None:
        self._send = send
        self._dialogs = dialogs

    def on_notice(self, notice: Notice) -> None:
        event = self.event_for(notice)
        if event is None:
            return
        state = event.context[0]["payload"] if event.context else {}
        log.info(
            "player.event",
            name=event.full_name,
            message_id=event.message_id,
            audio_item_id=notice.item.audio_item_id if notice.item else None,
            token=notice.item.token if notice.item else None,
            state=state.get("playerActivity"),
            offset_ms=state.get("offsetInMilliseconds"),
        )
        self._send(event)

    def event_for(self, notice: Notice) -> Event | None:
        name = EVENT_NAMES.get(notice.kind)
        if name is None:
            return None
        if notice.kind is NoticeKind.STREAM_NEEDED:
            if notice.item is None or notice.stream is None:
                return None
            payload = StreamRequestedPayload(
                audio_item_id=notice.item.audio_item_id, audio_stream=notice.stream.raw
            )
            minted = self._dialogs.mint() if self._dialogs is not None else None
            return make_event(NAMESPACE, name, payload, [], dialog_request_id=minted)
        return make_event(
            NAMESPACE,
            name,
            {},
            [notice.state.context()],
            dialog_request_id=notice.dialog_request_id,
        )
