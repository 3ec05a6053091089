"""The AudioPlayer.PlaybackState context, built from the player's neutral ``PlayerStatus``,
AudioPlayer's ``RepeatMode`` as the queue's repeat, and the player's state and token for the log
lines of directives and events (``note_for_logs``)."""

from __future__ import annotations

from ..logging import PLAYER_LOG
from ..player.notices import Notice
from ..player.queue import QueueRepeat
from ..player.status import Activity, PlayerStatus
from ..protocol.audioplayer import PlaybackState, PlayerActivity, RepeatMode


def repeat_of(mode: RepeatMode) -> QueueRepeat:
    return QueueRepeat.ONE if mode is RepeatMode.REPEAT_ONE else QueueRepeat.NONE


def repeat_mode(repeat: QueueRepeat) -> RepeatMode:
    """What the AudioPlayer context can say: CIC knows only NONE and REPEAT_ONE."""
    return RepeatMode.REPEAT_ONE if repeat is QueueRepeat.ONE else RepeatMode.NONE


def playback_state(status: PlayerStatus) -> PlaybackState:
    """The context as of ``status``: activity and repeat mode always; the position, length and
    the stream echoed exactly as the server sent it (merged with StreamDeliver) once an item is
    shown."""
    mode = repeat_mode(status.repeat)
    activity = PlayerActivity(status.activity.value)
    if status.activity is Activity.IDLE:
        return PlaybackState(player_activity=activity, repeat_mode=mode)
    return PlaybackState(
        player_activity=activity,
        offset_ms=status.offset_ms,
        total_ms=status.total_ms,
        stream=status.stream,
        repeat_mode=mode,
    )


def note_for_logs(notice: Notice) -> None:
    """Subscribed to the AudioPlayer engine first: the state and token as of its last notice
    fill the ``player`` (and a token-less event's ``token``) of lines logged in any task."""
    PLAYER_LOG.update(notice.status.activity.value, notice.item.token if notice.item else None)
