"""Each erratum of the spec README is accepted (real servers send what the documents show)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clova_client.protocol import ProtocolError, parse_directive, parse_event
from clova_client.protocol.audioplayer import PlayerActivity, PlayPayload, StreamDeliverPayload
from clova_client.protocol.mediaplayer import EventIn, MovePayload
from clova_client.protocol.registry import parse_context, parse_event_request
from clova_client.protocol.system import ExceptionPayload

from .spec import doc


def directive(namespace: str, name: str, payload: Any, **header: Any) -> dict[str, Any]:
    head = {"namespace": namespace, "name": name, "messageId": "m-1", **header}
    return {"directive": {"header": head, "payload": payload}}


# --- AudioPlayer ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cic-audioplayer__play__1", "cic-audioplayer__play__2"])
def test_play_payload_under_a_streamdeliver_header_is_a_play(name: str) -> None:
    message = doc(name)
    assert message["directive"]["header"]["name"] == "StreamDeliver"
    parsed = parse_directive(message)
    assert parsed.full_name == "AudioPlayer.Play"
    assert isinstance(parsed.payload, PlayPayload)
    assert parsed.erratum and "StreamDeliver" in parsed.erratum
    assert parsed.header.message_id == message["directive"]["header"]["messageId"]


def test_a_real_streamdeliver_is_left_alone() -> None:
    parsed = parse_directive(doc("cic-audioplayer__stream-deliver"))
    assert parsed.full_name == "AudioPlayer.StreamDeliver"
    assert isinstance(parsed.payload, StreamDeliverPayload)
    assert parsed.erratum is None


def test_a_streamdeliver_without_stream_is_still_an_error() -> None:
    """Only a Play payload (audioItem, no audioItemId) is renamed; a broken StreamDeliver fails."""
    with pytest.raises(ProtocolError) as info:
        parse_directive(directive("AudioPlayer", "StreamDeliver", {"audioItemId": "a"}))
    assert [str(e) for e in info.value.errors] == ["directive.payload.stream: field required"]


@pytest.mark.parametrize("key", ["stream", "audioStream"])
def test_streamdeliver_stream_under_either_name(key: str) -> None:
    stream = {"token": "t-1", "url": "https://cdn.example/t-1.mp3", "custom": [1, None]}
    parsed = parse_directive(
        directive("AudioPlayer", "StreamDeliver", {"audioItemId": "a-1", key: stream})
    )
    assert parsed.payload.stream.url == "https://cdn.example/t-1.mp3"
    assert parsed.payload.stream.raw == stream


def test_streamrequested_without_audioitemid() -> None:
    event = parse_event(doc("cic-audioplayer-2017__stream-requested"))
    assert event.payload.audio_item_id is None  # type: ignore[attr-defined]
    assert event.payload.audio_stream.token == "TR-NM-4435786"  # type: ignore[attr-defined]


def test_streamrequested_stream_named_stream_in_the_cek_guide() -> None:
    request = parse_event_request(doc("cek-audio-content__stream-requested"))
    assert request.event.payload.audio_stream.url == "clova:TR-NM-17413540"  # type: ignore[attr-defined]


def playback_state(**payload: Any) -> dict[str, Any]:
    return {"header": {"namespace": "AudioPlayer", "name": "PlaybackState"}, "payload": payload}


def test_total_in_milliseconds_misspelt() -> None:
    state = parse_context(playback_state(playerActivity="PLAYING", totalInmillisecodns=300000))
    assert state.payload.total_in_milliseconds == 300000  # type: ignore[attr-defined]
    cek = parse_event_request(doc("cek-audio-content__play-stopped"))
    assert cek.playback_state is not None
    assert cek.playback_state.total_in_milliseconds == 300000


@pytest.mark.parametrize("spelling", ["PAUSE", "PAUSED"])
def test_pause_activity(spelling: str) -> None:
    state = parse_context(playback_state(playerActivity=spelling, offsetInMilliseconds=5))
    assert state.payload.player_activity is PlayerActivity.PAUSED  # type: ignore[attr-defined]


def test_other_activities_stay_strict() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_context(playback_state(playerActivity="PAUSING"))
    assert info.value.errors[0].path == "payload.playerActivity"


# --- NUGU MediaPlayer -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "sent", "read"),
    [
        ("nugu-mediaplayer__previous-failed", "PreviousFailed.PlayFailed", "PreviousFailed"),
        ("nugu-mediaplayer__next-failed", "NextFailed.PlayFailed", "NextFailed"),
        ("nugu-mediaplayer__get-info-failed", "MediaPlayer.ResponseInfo", "GetInfoFailed"),
    ],
)
def test_nugu_event_names(fixture: str, sent: str, read: str) -> None:
    message = doc(fixture)
    assert f"{message['header']['namespace']}.{message['header']['name']}" == sent
    event = parse_event(message)
    assert event.full_name == f"MediaPlayer.{read}"
    assert event.known and isinstance(event.payload, EventIn)
    assert event.erratum == f"event named {sent}: handled as {read}"
    assert event.header.message_id == message["header"]["messageId"]


def test_a_real_playfailed_is_left_alone() -> None:
    event = parse_event(doc("nugu-mediaplayer__play-failed"))
    assert (event.full_name, event.erratum) == ("MediaPlayer.PlayFailed", None)


@pytest.mark.parametrize("sec", [30, "30"])
def test_move_sec_as_long_and_as_string(sec: Any) -> None:
    message = doc("nugu-mediaplayer__move")
    message["payload"]["sec"] = sec
    parsed = parse_directive(message)
    assert isinstance(parsed.payload, MovePayload)
    assert parsed.payload.sec == 30


@pytest.mark.parametrize("sec", ["thirty", -3, None, "1.5"])
def test_move_sec_must_be_a_count_of_seconds(sec: Any) -> None:
    message = doc("nugu-mediaplayer__move")
    message["payload"]["sec"] = sec
    with pytest.raises(ProtocolError) as info:
        parse_directive(message)
    assert [e.path for e in info.value.errors] == ["payload.sec"]


def test_stopfailed_token_with_its_stray_character_is_echoed_as_sent() -> None:
    event = parse_event(doc("nugu-mediaplayer__stop-failed"))
    assert event.payload.token == "tok-stop-failedㅊ"  # type: ignore[attr-defined]


# --- System.Exception ---------------------------------------------------------------------------

EXCEPTION_HEADER = {"namespace": "System", "name": "Exception", "messageId": "e-1"}


@pytest.mark.parametrize("wrapped", [True, False])
@pytest.mark.parametrize(("code", "status"), [(401, 401), ("401", 401), ("500", 500)])
def test_system_exception_every_variant(wrapped: bool, code: Any, status: int) -> None:
    body = {"header": EXCEPTION_HEADER, "payload": {"code": code, "description": "expired"}}
    parsed = parse_directive({"directive": body} if wrapped else body)
    assert parsed.full_name == "System.Exception"
    assert isinstance(parsed.payload, ExceptionPayload)
    assert (parsed.payload.code, parsed.payload.status) == (str(status), status)
    assert parsed.payload.description == "expired"


@pytest.mark.parametrize("wrapped", [True, False])
def test_system_exception_without_message_id_still_gets_through(wrapped: bool) -> None:
    header = {"namespace": "System", "name": "Exception"}
    body = {"header": header, "payload": {"code": "429"}}
    parsed = parse_directive({"directive": body} if wrapped else body)
    assert parsed.payload.status == 429
    other = copy.deepcopy(body)
    other["header"]["name"] = "Other"
    with pytest.raises(ProtocolError):  # only the exception is read without a messageId
        parse_directive(other)


def test_system_exception_code_is_required() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_directive({"header": EXCEPTION_HEADER, "payload": {"description": "x"}})
    assert [str(e) for e in info.value.errors] == ["payload.code: field required"]


@pytest.mark.parametrize("code", ["²", "4O1", "", "-401", "UNAUTHORIZED"])
def test_system_exception_odd_code_has_no_status_and_never_raises(code: str) -> None:
    parsed = parse_directive({"header": EXCEPTION_HEADER, "payload": {"code": code}})
    assert isinstance(parsed.payload, ExceptionPayload)
    assert (parsed.payload.code, parsed.payload.status) == (code, None)
