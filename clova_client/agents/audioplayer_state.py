"""The AudioPlayer.PlaybackState context, built from the player's neutral ``PlayerStatus``."""

from __future__ import annotations

from ..player.status import PlayerStatus
from ..protocol.audioplayer import PlaybackState, PlayerActivity


def playback_state(status: PlayerStatus) -> PlaybackState:
    """The context as of ``status``: activity and repeat mode always; the position, length and
    the stream echoed exactly as the server sent it (merged with StreamDeliver) once an item is
    shown."""
    repeat_mode = status.repeat.mode
    if status.activity is PlayerActivity.IDLE:
        return PlaybackState(player_activity=status.activity, repeat_mode=repeat_mode)
    return PlaybackState(
        player_activity=status.activity,
        offset_ms=status.offset_ms,
        total_ms=status.total_ms,
        stream=status.stream,
        repeat_mode=repeat_mode,
    )
