"""The Clova guide's AudioPlayer payloads and Speaker.VolumeState: built exactly as its examples
show them, and read (validated) the way the mock CIC and ``clova-client validate`` read them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from clova_client.protocol import ProtocolError, make_event, parse_event
from clova_client.protocol.audioplayer import (
    PlaybackEventIn,
    PlaybackEventPayload,
    PlaybackState,
    PlayerActivity,
    RepeatMode,
    ReportPlaybackStateIn,
)
from clova_client.protocol.registry import parse_context
from clova_client.protocol.speaker import VolumeState, VolumeStateIn
from clova_client.protocol.validate import Kind, parse_message

# Handle_Audio_Playback.md: the ProgressReportIntervalPassed and PlayPaused examples
GUIDE_PLAYBACK_PAYLOADS = [
    ("ProgressReportIntervalPassed", {"token": "TR-NM-4435786", "offsetInMilliseconds": 120000}),
    ("PlayPaused", {"token": "TR-NM-4435786", "offsetInMilliseconds": 83100}),
]
# Handle_Audio_Playback.md: ReportPlaybackState while idle, and while playing
GUIDE_STREAM = {
    "beginAtInMilliseconds": 0,
    "progressReport": {
        "progressReportDelayInMilliseconds": None,
        "progressReportIntervalInMilliseconds": None,
        "progressReportPositionInMilliseconds": 30000,
    },
    "token": "TR-NM-4435786",
    "urlPlayable": False,
    "url": "clova:TR-NM-4435786",
}
GUIDE_REPORT_IDLE = {"playerActivity": "IDLE", "repeatMode": "NONE"}
GUIDE_REPORT_PLAYING = {
    "playerActivity": "PLAYING",
    "repeatMode": "NONE",
    "offsetInMilliseconds": 13000,
    "stream": GUIDE_STREAM,
    "token": "TR-NM-4435786",
}
# VolumeState.md
GUIDE_VOLUME: dict[str, Any] = {
    "header": {"namespace": "Speaker", "name": "VolumeState"},
    "payload": {"volume": 8, "muted": False},
}


def sent(name: str, payload: Any) -> dict[str, Any]:
    event = make_event("AudioPlayer", name, payload, [GUIDE_VOLUME])
    result: dict[str, Any] = json.loads(json.dumps(event.to_json()))
    return result


@pytest.mark.parametrize(("name", "example"), GUIDE_PLAYBACK_PAYLOADS)
def test_playback_event_payload_equals_the_guide(name: str, example: dict[str, Any]) -> None:
    payload = PlaybackEventPayload(
        token=example["token"], offset_in_milliseconds=example["offsetInMilliseconds"]
    )
    message = sent(name, payload)
    assert message["event"]["payload"] == example
    parsed = parse_event(message)
    assert isinstance(parsed.payload, PlaybackEventIn)
    assert parsed.payload.token == "TR-NM-4435786"
    assert parsed.payload.offset_in_milliseconds == example["offsetInMilliseconds"]


def test_report_playback_state_payloads_equal_the_guide() -> None:
    idle = PlaybackState(player_activity=PlayerActivity.IDLE, repeat_mode=RepeatMode.NONE)
    assert idle.report_payload("TR-NM-4435786") == GUIDE_REPORT_IDLE  # no token when idle
    playing = PlaybackState(
        player_activity=PlayerActivity.PLAYING,
        offset_ms=13000,
        stream=GUIDE_STREAM,
        repeat_mode=RepeatMode.NONE,
    )
    assert playing.report_payload("TR-NM-4435786") == GUIDE_REPORT_PLAYING
    parsed = parse_event(sent("ReportPlaybackState", GUIDE_REPORT_PLAYING)).payload
    assert isinstance(parsed, ReportPlaybackStateIn)
    assert parsed.player_activity is PlayerActivity.PLAYING
    assert parsed.offset_in_milliseconds == 13000
    assert parsed.token == "TR-NM-4435786"
    assert parsed.stream is not None and parsed.stream.token == "TR-NM-4435786"


def test_volume_state_equals_the_guide_and_is_read_back() -> None:
    assert VolumeState(volume=8, muted=False).context() == GUIDE_VOLUME
    parsed = parse_context(GUIDE_VOLUME)
    assert parsed.full_name == "Speaker.VolumeState"
    assert parsed.known and isinstance(parsed.payload, VolumeStateIn)
    assert (parsed.payload.volume, parsed.payload.muted) == (8, False)
    message = parse_message(GUIDE_VOLUME)
    assert (message.kind, message.name) == (Kind.CONTEXT, "Speaker.VolumeState")
    bare = parse_message(GUIDE_VOLUME["payload"])
    assert (bare.kind, bare.name) == (Kind.PAYLOAD, "Speaker.VolumeState")


@pytest.mark.parametrize("volume", [-1, 101])
def test_the_client_never_builds_a_volume_outside_0_to_100(volume: int) -> None:
    with pytest.raises(ValidationError):
        VolumeState(volume=volume, muted=False)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"volume": 8}, "payload.muted"),
        ({"muted": True}, "payload.volume"),
        ({"volume": "8", "muted": False}, "payload.volume"),
        ({"volume": 8.5, "muted": False}, "payload.volume"),
        ({"volume": 8, "muted": "no"}, "payload.muted"),
        ({"volume": -3, "muted": False}, "payload.volume"),
    ],
)
def test_a_bad_volume_state_names_its_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_context({**GUIDE_VOLUME, "payload": payload})
    assert [e.path for e in caught.value.errors] == [field]
