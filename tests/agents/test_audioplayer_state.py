"""PlayerStatus as the AudioPlayer.PlaybackState context (agents/audioplayer_state.py)."""

from __future__ import annotations

from clova_client.agents.audioplayer_state import playback_state, repeat_mode, repeat_of
from clova_client.player.queue import QueueRepeat
from clova_client.player.status import Activity, PlayerStatus
from clova_client.protocol.audioplayer import PlayerActivity, RepeatMode


def test_repeat_mode_maps_to_and_from_cic() -> None:
    assert repeat_of(RepeatMode.REPEAT_ONE) is QueueRepeat.ONE
    assert repeat_of(RepeatMode.NONE) is QueueRepeat.NONE
    assert repeat_mode(QueueRepeat.ONE) is RepeatMode.REPEAT_ONE
    assert repeat_mode(QueueRepeat.ALL) is RepeatMode.NONE  # CIC knows no ALL


def test_idle_shows_no_item_and_a_shown_item_its_stream_as_given() -> None:
    idle = playback_state(PlayerStatus(Activity.IDLE, QueueRepeat.ONE, 5, 9, {"token": "t"}))
    assert idle.payload() == {"playerActivity": "IDLE", "repeatMode": "REPEAT_ONE"}
    stream = {"token": "t", "url": "https://h/a", "custom": None}
    state = playback_state(PlayerStatus(Activity.PAUSED, QueueRepeat.ALL, 1200, 9000, stream))
    assert state.player_activity is PlayerActivity.PAUSED
    assert state.payload()["stream"] == stream and state.payload()["repeatMode"] == "NONE"
    assert (state.offset_ms, state.total_ms) == (1200, 9000)
