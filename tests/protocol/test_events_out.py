"""Outgoing events have exactly the documented shape: the spec examples, rebuilt by make_event."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from clova_client.protocol import make_event, parse_event
from clova_client.protocol.audioplayer import PlaybackState, PlayerActivity, StreamRequestedPayload
from clova_client.protocol.mediaplayer import (
    FailedPayload,
    GetInfoSucceededPayload,
    Info,
    PlaylistRef,
    SucceededPayload,
    SuspendedPayload,
)
from clova_client.protocol.playback_controller import (
    CommandIssuedPayload,
    CommandSource,
    SetRepeatModeCommandIssuedPayload,
)
from clova_client.protocol.template_runtime import Range, RequestPlayerInfoPayload

from .spec import doc

PLAYBACK_EVENTS = [
    "play-finished",
    "play-paused",
    "play-resumed",
    "play-started",
    "play-stopped",
    "progress-report-delay-passed",
    "progress-report-interval-passed",
    "progress-report-position-passed",
]


def rebuild(example: dict[str, Any], payload: Any = None, **kw: Any) -> dict[str, Any]:
    """make_event with the example's own header values and context."""
    header = example["event"]["header"]
    event = make_event(
        header["namespace"],
        header["name"],
        payload,
        example["context"],
        dialog_request_id=header.get("dialogRequestId"),
        message_id=header["messageId"],
        **kw,
    )
    result: dict[str, Any] = json.loads(json.dumps(event.to_json()))
    return result


@pytest.mark.parametrize("doc_prefix", ["cic-audioplayer", "cic-audioplayer-2017"])
@pytest.mark.parametrize("event", PLAYBACK_EVENTS)
def test_playback_events_equal_the_examples(doc_prefix: str, event: str) -> None:
    example = doc(f"{doc_prefix}__{event}")
    assert rebuild(example) == example


@pytest.mark.parametrize("event", PLAYBACK_EVENTS)
def test_playback_state_context_equals_the_example(event: str) -> None:
    """PlaybackState.context() builds the context object the fixtures carry."""
    example = doc(f"cic-audioplayer__{event}")["context"][0]
    p = example["payload"]
    state = PlaybackState(
        player_activity=PlayerActivity(p["playerActivity"]),
        offset_ms=p["offsetInMilliseconds"],
        total_ms=p["totalInMilliseconds"],
        stream=p["stream"],
    )
    assert state.context() == example


def test_idle_playback_state_equals_the_example() -> None:
    example = doc("cic-playbackstate-context__message-example__2")
    assert PlaybackState(player_activity=PlayerActivity.IDLE).context() == example
    # an IDLE player reports no offset even if one is known
    idle = PlaybackState(player_activity=PlayerActivity.IDLE, offset_ms=5, total_ms=9)
    assert idle.context() == example


def test_stopped_playback_state_equals_the_example() -> None:
    example = doc("cic-playbackstate-context__message-example__1")
    p = example["payload"]
    state = PlaybackState(
        player_activity=PlayerActivity.STOPPED, offset_ms=1, total_ms=100, stream=p["stream"]
    )
    assert json.dumps(state.context()) == json.dumps(example)  # key order too


def test_stream_requested_equals_the_example_nulls_kept() -> None:
    example = doc("cic-audioplayer__stream-requested")
    p = example["event"]["payload"]
    payload = StreamRequestedPayload(audio_item_id=p["audioItemId"], audio_stream=p["audioStream"])
    assert rebuild(example, payload) == example
    report = rebuild(example, payload)["event"]["payload"]["audioStream"]["progressReport"]
    assert report["progressReportDelayInMilliseconds"] is None  # the stream's nulls stay


def test_request_player_info_equals_the_cek_payload() -> None:
    sent = doc("cek-audio-content__request-player-info")["request"]["event"]["payload"]
    payload = RequestPlayerInfoPayload(token=sent["token"], range=Range(after=10))
    event = make_event("TemplateRuntime", "RequestPlayerInfo", payload).to_json()
    assert event["event"]["payload"] == sent  # no "before": null


def nugu(fixture: str, payload: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    example = doc(fixture)
    header = example["header"]
    event = make_event(
        header["namespace"],
        header["name"],
        payload,
        dialog_request_id=header["dialogRequestId"],
        version=header["version"],
        message_id=header["messageId"],
    ).to_json()
    assert event["context"] == []
    return event["event"], example


def test_nugu_failed_event_equals_the_example() -> None:
    built, example = nugu(
        "nugu-mediaplayer__play-failed",
        FailedPayload(
            play_service_id="nugu.builtin.music", token="tok-play-failed", error_code="searchFailed"
        ),
    )
    assert built == example


def test_nugu_succeeded_event_equals_the_example() -> None:
    built, example = nugu(
        "nugu-mediaplayer__toggle-succeeded",
        SucceededPayload(
            play_service_id="nugu.builtin.music", token="tok-toggle-succeeded", message="shuffleOn"
        ),
    )
    assert built == example


def test_nugu_suspended_event_equals_the_example() -> None:
    sent = doc("nugu-mediaplayer__previous-suspended")["payload"]
    built, example = nugu(
        "nugu-mediaplayer__previous-suspended",
        SuspendedPayload(
            play_service_id=sent["playServiceId"],
            token=sent["token"],
            song=sent["song"],
            target=sent["target"],
            playlist=PlaylistRef(**sent["playlist"]),
            data=sent["data"],
        ),
    )
    assert built == example


def test_nugu_get_info_succeeded_equals_the_example() -> None:
    info = doc("nugu-mediaplayer__get-info-succeeded")["payload"]["info"]
    built, example = nugu(
        "nugu-mediaplayer__get-info-succeeded",
        GetInfoSucceededPayload(
            play_service_id="nugu.builtin.music",
            token="tok-get-info-succeeded",
            info=Info(
                song=info["song"],
                issue_date=info["issueDate"],
                play_time=info["playTime"],
                playlist_name=info["playlistName"],
            ),
        ),
    )
    assert built == example


def test_header_has_a_fresh_message_id_and_no_unset_fields() -> None:
    first = make_event("PlaybackController", "NextCommandIssued", CommandIssuedPayload()).to_json()
    second = make_event("PlaybackController", "NextCommandIssued").to_json()
    header = first["event"]["header"]
    assert set(header) == {"namespace", "name", "messageId"}  # no dialogRequestId, no version
    assert uuid.UUID(header["messageId"]) != uuid.UUID(second["event"]["header"]["messageId"])
    assert first == {
        "context": [],
        "event": {
            "header": {
                "namespace": "PlaybackController",
                "name": "NextCommandIssued",
                "messageId": header["messageId"],
            },
            "payload": {},
        },
    }
    assert "null" not in json.dumps(first)


def test_dialog_request_id_only_when_set() -> None:
    event = make_event("AudioPlayer", "PlayStarted", dialog_request_id="d-1").to_json()
    assert event["event"]["header"]["dialogRequestId"] == "d-1"
    assert (
        "dialogRequestId"
        not in make_event("AudioPlayer", "PlayStarted").to_json()["event"]["header"]
    )


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (CommandIssuedPayload(), {}),
        (
            CommandIssuedPayload(source=CommandSource(namespace="MediaPlayer")),
            {"source": {"namespace": "MediaPlayer"}},
        ),
        (SetRepeatModeCommandIssuedPayload(repeat_mode="REPEAT_ONE"), {"repeatMode": "REPEAT_ONE"}),
        (
            StreamRequestedPayload(audio_item_id="a", audio_stream={"token": "t", "x": None}),
            {"audioItemId": "a", "audioStream": {"token": "t", "x": None}},
        ),
        ({"custom": None}, {"custom": None}),  # a dict payload is sent as given
    ],
)
def test_payloads_are_camel_case_without_unset_fields(payload: Any, expected: Any) -> None:
    assert make_event("X", "Y", payload).to_json()["event"]["payload"] == expected


def test_a_built_event_is_read_back_by_the_server_side_parser() -> None:
    example = doc("cic-audioplayer__play-paused")
    parsed = parse_event(rebuild(example))
    assert parsed.full_name == "AudioPlayer.PlayPaused"
    assert parsed.parsed_context[0].payload.player_activity is PlayerActivity.PAUSED  # type: ignore[attr-defined]
