"""The AudioPlayer reporter: the player's notices become AudioPlayer events for CIC.

Each event carries the ``AudioPlayer.PlaybackState`` context as of its notice (in place of the
registry's "now"), the other context objects as ``EventOut`` adds them, and a dialogRequestId:
the one of the directive it answers (ReportPlaybackState), or, for StreamRequested, one minted
here so its StreamDeliver echoes it. Payloads as the Clova guide shows them: the item's
``token`` and ``offsetInMilliseconds`` (a progress report's own offset), ReportPlaybackState the
PlaybackState fields and the token, StreamRequested the stream as the Play gave it.
"""

from __future__ import annotations

from pydantic import BaseModel

from ..player.notices import Notice, NoticeKind
from ..player.status import Activity
from ..protocol import Event, JsonObject
from ..protocol.audioplayer import (
    NAMESPACE,
    PlaybackEventPayload,
    StreamRequestedPayload,
)
from .audioplayer_state import playback_state
from .context import AUDIO_PLAYER_STATE
from .dialogs import Dialogs
from .outbound import EventOut

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
    """Subscribe ``on_notice`` to the AudioPlayer engine; events go out through ``out``."""

    def __init__(self, out: EventOut, dialogs: Dialogs | None = None) -> None:
        self._out = out
        self._dialogs = dialogs

    def on_notice(self, notice: Notice) -> None:
        self.report(notice)

    def report(self, notice: Notice) -> Event | None:
        """Send the notice's event; None: it has none."""
        name = EVENT_NAMES.get(notice.kind)
        if name is None:
            return None
        state = playback_state(notice.status)
        token = notice.item.token if notice.item else None
        payload: BaseModel | JsonObject
        dialog_request_id = notice.dialog_request_id
        if notice.kind is NoticeKind.STREAM_NEEDED:
            if notice.item is None or notice.stream is None:
                return None
            payload = StreamRequestedPayload(
                audio_item_id=notice.item.audio_item_id, audio_stream=notice.stream
            )
            dialog_request_id = self._dialogs.mint() if self._dialogs is not None else None
        elif notice.kind is NoticeKind.STATE_REQUESTED:
            payload = state.report_payload(token)
        elif notice.status.activity is Activity.IDLE:
            payload = {}  # no item shown (PlaybackQueueCleared while idle)
        else:
            payload = PlaybackEventPayload(token=token, offset_in_milliseconds=notice.offset_ms)
        context = state.context()
        offset = context["payload"].get("offsetInMilliseconds")
        if isinstance(payload, PlaybackEventPayload):
            offset = payload.offset_in_milliseconds  # a progress report's own offset
        return self._out.send(
            NAMESPACE,
            name,
            payload,
            dialog_request_id=dialog_request_id,
            context={AUDIO_PLAYER_STATE: context},
            log_fields={
                "audio_item_id": notice.item.audio_item_id if notice.item else None,
                "token": token,
                "state": context["payload"].get("playerActivity"),
                "offset_ms": offset,
            },
        )
