"""The AudioPlayer reporter: the player's notices become AudioPlayer events for CIC.

Each event carries the ``AudioPlayer.PlaybackState`` context as of its notice, then the other
context objects ``more_context`` gives (``Speaker.VolumeState``), and a dialogRequestId: the one
of the directive it answers (ReportPlaybackState), or, for StreamRequested, one minted here so
its StreamDeliver echoes it. Payloads as the Clova guide shows them: the item's ``token`` and
``offsetInMilliseconds`` (a progress report's own offset), ReportPlaybackState the PlaybackState
fields and the token, StreamRequested the stream as the Play gave it.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from pydantic import BaseModel

from ..player.notices import Notice, NoticeKind
from ..player.status import Activity
from ..protocol import Event, JsonObject, make_event
from ..protocol.audioplayer import (
    NAMESPACE,
    PlaybackEventPayload,
    StreamRequestedPayload,
)
from .audioplayer_state import playback_state
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

    def __init__(
        self,
        send: Callable[[Event], None],
        dialogs: Dialogs | None = None,
        more_context: Callable[[], list[JsonObject]] | None = None,
    ) -> None:
        self._send = send
        self._dialogs = dialogs
        self._more_context = more_context

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
            offset_ms=event.payload.get("offsetInMilliseconds", state.get("offsetInMilliseconds")),
        )
        self._send(event)

    def event_for(self, notice: Notice) -> Event | None:
        name = EVENT_NAMES.get(notice.kind)
        if name is None:
            return None
        state = playback_state(notice.status)
        context = [state.context(), *(self._more_context() if self._more_context else [])]
        token = notice.item.token if notice.item else None
        payload: BaseModel | JsonObject
        if notice.kind is NoticeKind.STREAM_NEEDED:
            if notice.item is None or notice.stream is None:
                return None
            payload = StreamRequestedPayload(
                audio_item_id=notice.item.audio_item_id, audio_stream=notice.stream
            )
            minted = self._dialogs.mint() if self._dialogs is not None else None
            return make_event(NAMESPACE, name, payload, context, dialog_request_id=minted)
        if notice.kind is NoticeKind.STATE_REQUESTED:
            payload = state.report_payload(token)
        elif notice.status.activity is Activity.IDLE:
            payload = {}  # no item shown (PlaybackQueueCleared while idle)
        else:
            payload = PlaybackEventPayload(token=token, offset_in_milliseconds=notice.offset_ms)
        return make_event(
            NAMESPACE, name, payload, context, dialog_request_id=notice.dialog_request_id
        )
