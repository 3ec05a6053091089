"""Every spec example parses through the right model, with its key fields as the document shows."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from pydantic import BaseModel

from clova_client.protocol import audioplayer, mediaplayer, playback_controller, template_runtime
from clova_client.protocol.audioplayer import ClearBehavior, PlayBehavior, PlayerActivity
from clova_client.protocol.base import GenericPayload
from clova_client.protocol.registry import (
    EventRequest,
    ExtensionResponse,
    ParsedContext,
    ParsedEvent,
    _StreamRequestedIn,
)
from clova_client.protocol.validate import Kind, Message, parse_message

from .spec import dig, fixture_names, raw

D, E, C, P = Kind.DIRECTIVE, Kind.EVENT, Kind.CONTEXT, Kind.PAYLOAD
R, Q = Kind.EXTENSION_RESPONSE, Kind.EVENT_REQUEST

MSG_ID = "4e4080d6-c440-498a-bb73-ae86c6312806"
DIALOG_2017 = "277b40c3-b046-4f61-a551-783b1547e7b7"


class Expect(NamedTuple):
    kind: Kind
    name: str
    model: type[BaseModel]
    """The payload model (the first directive's for a CEK response, the value for a bare one)."""
    fields: dict[str, Any]


def ap_event(kind_name: str, activity: PlayerActivity, offset: int, **more: Any) -> Expect:
    """An AudioPlayer playback event with its substituted PlaybackState context."""
    return Expect(
        E,
        f"AudioPlayer.{kind_name}",
        audioplayer.PlaybackEventIn,
        {
            "header.message_id": MSG_ID,
            "parsed_context[0].payload.player_activity": activity,
            "parsed_context[0].payload.offset_in_milliseconds": offset,
            "parsed_context[0].payload.stream.token": "TR-NM-17740107",
            **more,
        },
    )


def ap_event_2017(kind_name: str, activity: PlayerActivity, offset: int) -> Expect:
    return ap_event(kind_name, activity, offset, **{"header.dialog_request_id": DIALOG_2017})


def stream_object(**fields: Any) -> Expect:
    return Expect(P, "AudioPlayer.AudioStreamInfoObject", audioplayer.AudioStreamInfo, fields)


def nugu_directive(name: str, model: type[BaseModel], **fields: Any) -> Expect:
    fields = {"header.version": "1.0", "payload.play_service_id": "nugu.builtin.music", **fields}
    return Expect(D, f"MediaPlayer.{name}", model, fields)


def nugu_event(name: str, **fields: Any) -> Expect:
    slug = "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
    fields = {"payload.token": f"tok-{slug}", "header.version": "1.0", **fields}
    return Expect(E, f"MediaPlayer.{name}", mediaplayer.EventIn, fields)


PLAY_1_STREAM = {
    "stream.url": "https://streaming.example.com/1212334548/2231122",
    "stream.url_playable": True,
    "stream.episodeId": 22346122,
}

EXPECTED: dict[str, Expect] = {
    # --- clova-cic-audioplayer.md (newer) ---
    "cic-audioplayer__clear-queue": Expect(
        D,
        "AudioPlayer.ClearQueue",
        audioplayer.ClearQueuePayload,
        {
            "payload.clear_behavior": ClearBehavior.CLEAR_ALL,
            "header.message_id": "823a703d-9447-438a-bad5-21fa7a62b623",
            "header.dialog_request_id": "8b81296d-218e-4a08-897a-bee51daad907",
        },
    ),
    "cic-audioplayer__play__1": Expect(
        D,
        "AudioPlayer.Play",
        audioplayer.PlayPayload,
        {
            "erratum": "Play payload under a header named StreamDeliver: handled as Play",
            "payload.audio_item.audio_item_id": "90b77646-93ab-444f-acd9-60f9f278ca38",
            "payload.source.name": "SamplePodCast",
            **{f"payload.audio_item.{k}": v for k, v in PLAY_1_STREAM.items()},
        },
    ),
    "cic-audioplayer__play__2": Expect(
        D,
        "AudioPlayer.Play",
        audioplayer.PlayPayload,
        {
            "header.dialog_request_id": "277b40c3-b046-4f61-a551-783b1547e7b7",
            "payload.audio_item.stream.token": "TR-NM-17716562",
            "payload.audio_item.stream.url_playable": False,
            "payload.audio_item.stream.duration_in_milliseconds": 60000,
            "payload.audio_item.album": {
                "albumId": "2000240",
                "genres": ["Ballard", "R&B/Urban"],
                "title": "Palette",
            },
        },
    ),
    "cic-audioplayer__play-finished": ap_event("PlayFinished", PlayerActivity.STOPPED, 180000),
    "cic-audioplayer__play-paused": ap_event("PlayPaused", PlayerActivity.PAUSED, 41000),
    "cic-audioplayer__play-resumed": ap_event("PlayResumed", PlayerActivity.PLAYING, 41000),
    "cic-audioplayer__play-started": ap_event("PlayStarted", PlayerActivity.PLAYING, 0),
    "cic-audioplayer__play-stopped": ap_event("PlayStopped", PlayerActivity.STOPPED, 52000),
    "cic-audioplayer__progress-report-delay-passed": ap_event(
        "ProgressReportDelayPassed", PlayerActivity.PLAYING, 3000
    ),
    "cic-audioplayer__progress-report-interval-passed": ap_event(
        "ProgressReportIntervalPassed", PlayerActivity.PLAYING, 60000
    ),
    "cic-audioplayer__progress-report-position-passed": ap_event(
        "ProgressReportPositionPassed", PlayerActivity.PLAYING, 60000
    ),
    "cic-audioplayer__stream-deliver": Expect(
        D,
        "AudioPlayer.StreamDeliver",
        audioplayer.StreamDeliverPayload,
        {
            "payload.audio_item_id": "5313c879-25bb-461c-93fc-f85d95edf2a0",
            "payload.stream.token": "b767313e-6790-4c28-ac18-5d9f8e432248",
            "payload.stream.url": "https://aod.musicservice.net/b767313e.mp3",
            "payload.stream.url_playable": None,
        },
    ),
    "cic-audioplayer__stream-requested": Expect(
        E,
        "AudioPlayer.StreamRequested",
        _StreamRequestedIn,
        {
            "header.message_id": "198cf12-4020-b98a-b73b-1234ab312806",
            "payload.audio_item_id": "ac192f4c-8f12-4a58-8ace-e3127eb297a4",
            "payload.audio_stream.token": "TR-NM-4435786",
            "payload.audio_stream.progress_report.progress_report_position_in_milliseconds": 60000,
        },
    ),
    "cic-audioplayer__audio-stream-info-object__1": stream_object(
        url="https://api-ex.podbbang.com/file/12548/22346122",
        url_playable=True,
        podcastId=12548,
        playType="NONE",
    ),
    "cic-audioplayer__audio-stream-info-object__2": stream_object(
        token="TR-NM-4435786",
        url="clova:TR-NM-4435786",
        url_playable=False,
        **{"progress_report.progress_report_delay_in_milliseconds": None},
    ),
    # --- clova-cic-audioplayer-2017.md ---
    "cic-audioplayer-2017__play__1": Expect(
        P,
        "AudioPlayer.Play",
        audioplayer.PlayPayload,
        {
            "play_behavior": PlayBehavior.REPLACE_ALL,
            "audio_item.type": "podcast",
            "audio_item.stream.url": "https://steaming.example.com/1212334548/2231122",
            "source": None,
        },
    ),
    "cic-audioplayer-2017__play__2": Expect(
        P,
        "AudioPlayer.Play",
        audioplayer.PlayPayload,
        {
            "audio_item.audio_item_id": "9CPWU-8362fe7c-f75c-42c6-806b-6f3e00aba8f1-c1862201",
            "audio_item.title": "이 지금",
            "audio_item.stream.token": "TR-NM-17716562",
            "audio_item.album": {
                "albumId": "2000240",
                "genres": ["발라드", "알앤비/어반"],
                "title": "Palette",
            },
        },
    ),
    "cic-audioplayer-2017__play-finished": ap_event_2017(
        "PlayFinished", PlayerActivity.STOPPED, 180000
    ),
    "cic-audioplayer-2017__play-paused": ap_event_2017("PlayPaused", PlayerActivity.PAUSED, 41000),
    "cic-audioplayer-2017__play-resumed": ap_event_2017(
        "PlayResumed", PlayerActivity.PLAYING, 41000
    ),
    "cic-audioplayer-2017__play-started": ap_event_2017("PlayStarted", PlayerActivity.PLAYING, 0),
    "cic-audioplayer-2017__play-stopped": ap_event_2017(
        "PlayStopped", PlayerActivity.STOPPED, 52000
    ),
    "cic-audioplayer-2017__progress-report-delay-passed": ap_event_2017(
        "ProgressReportDelayPassed", PlayerActivity.PLAYING, 3000
    ),
    "cic-audioplayer-2017__progress-report-interval-passed": ap_event_2017(
        "ProgressReportIntervalPassed", PlayerActivity.PLAYING, 60000
    ),
    "cic-audioplayer-2017__progress-report-position-passed": ap_event_2017(
        "ProgressReportPositionPassed", PlayerActivity.PLAYING, 60000
    ),
    "cic-audioplayer-2017__stream-deliver": Expect(
        D,
        "AudioPlayer.StreamDeliver",
        audioplayer.StreamDeliverPayload,
        {
            "header.dialog_request_id": DIALOG_2017,
            "payload.audio_item_id": "5313c879-25bb-461c-93fc-f85d95edf2a0",
            "payload.stream.url": "https://aod.musicservice.net/b767313e.mp3",
        },
    ),
    "cic-audioplayer-2017__stream-requested": Expect(
        E,
        "AudioPlayer.StreamRequested",
        _StreamRequestedIn,
        {
            "header.message_id": "msg-id-here-1",
            "header.dialog_request_id": "dialog-id-here-1",
            "payload.audio_item_id": None,
            "payload.audio_stream.token": "TR-NM-4435786",
        },
    ),
    "cic-audioplayer-2017__audio-stream-object__1": stream_object(
        url="https://api-ex.podbbang.com/file/12548/22346122",
        url_playable=True,
        episodeId=22346122,
        **{"progress_report.progress_report_interval_in_milliseconds": 60000},
    ),
    "cic-audioplayer-2017__audio-stream-object__2": stream_object(
        token="TR-NM-4435786",
        url_playable=False,
        begin_at_ms=0,
        **{"progress_report.progress_report_position_in_milliseconds": 60000},
    ),
    # --- clova-cic-playbackstate-context.md ---
    "cic-playbackstate-context__message-structure": Expect(
        C,
        "AudioPlayer.PlaybackState",
        audioplayer.PlaybackStatePayload,
        {
            "payload.player_activity": PlayerActivity.PLAYING,
            "payload.offset_in_milliseconds": 52000,
            "payload.total_in_milliseconds": 180000,
        },
    ),
    "cic-playbackstate-context__message-example__1": Expect(
        C,
        "AudioPlayer.PlaybackState",
        audioplayer.PlaybackStatePayload,
        {
            "payload.player_activity": PlayerActivity.STOPPED,
            "payload.offset_in_milliseconds": 1,
            "payload.total_in_milliseconds": 100,
            "payload.stream.token": "TR-NM-17740107",
        },
    ),
    "cic-playbackstate-context__message-example__2": Expect(
        C,
        "AudioPlayer.PlaybackState",
        audioplayer.PlaybackStatePayload,
        {
            "payload.player_activity": PlayerActivity.IDLE,
            "payload.offset_in_milliseconds": None,
            "payload.stream": None,
        },
    ),
    # --- clova-cek-providing-audio-content.md ---
    "cek-audio-content__play": Expect(
        R,
        "AudioPlayer.Play",
        audioplayer.PlayPayload,
        {
            "directives[0].header.message_id": "",
            "directives[0].payload.audio_item.stream.begin_at_in_milliseconds": 419704,
            "directives[0].payload.source.logo_url": (
                "https://img.musicservice.example.net/logo_180125.png"
            ),
            "body.response.shouldEndSession": True,
        },
    ),
    "cek-audio-content__pause": Expect(
        R,
        "PlaybackController.Pause",
        playback_controller.TargetedPayload,
        {"directives[0].payload.target": None, "body.version": "0.1.0"},
    ),
    "cek-audio-content__request-player-info": Expect(
        Q,
        "TemplateRuntime.RequestPlayerInfo",
        template_runtime.RequestPlayerInfoIn,
        {
            "event.payload.token": "eJyr5lIqSSyITy4tKs4vUrJSUE",
            "event.payload.range": {"after": 10},
            "request_id": "e5464288-50ff-4e99-928d-4a301e083d41",
            "playback_state": None,
        },
    ),
    "cek-audio-content__render-player-info": Expect(
        R,
        "TemplateRuntime.RenderPlayerInfo",
        template_runtime.RenderPlayerInfoPayload,
        {
            "directives[0].payload.display_type": "list",
            "directives[0].payload.playable_items[1].token": "eJyr5lIqSSyITy4tKs4vUrJSUEo2",
            "directives[0].payload.playable_items[1].is_live": True,
            "directives[0].payload.provider.name": "SampleMusicProvider",
        },
    ),
    "cek-audio-content__play-stopped": Expect(
        Q,
        "AudioPlayer.PlayStopped",
        audioplayer.PlaybackEventIn,
        {
            "playback_state.player_activity": PlayerActivity.STOPPED,
            "playback_state.offset_in_milliseconds": 60000,
            "playback_state.total_in_milliseconds": 300000,  # spelt totalInmillisecodns
            "context.System": "{ ... }",
        },
    ),
    "cek-audio-content__playback-state-context": Expect(
        P,
        "AudioPlayer.PlaybackState",
        audioplayer.PlaybackStatePayload,
        {
            "player_activity": PlayerActivity.PLAYING,
            "offset_in_milliseconds": 5077,
            "total_in_milliseconds": 195265,
            "stream.url_playable": True,
        },
    ),
    "cek-audio-content__play-url-not-playable": Expect(
        P,
        "AudioPlayer.Play",
        audioplayer.PlayPayload,
        {
            "audio_item.artist": "Unknown",
            "audio_item.stream.url": "clova:TR-NM-17413540",
            "audio_item.stream.needs_stream_request": True,
            "play_behavior": PlayBehavior.REPLACE_ALL,
        },
    ),
    "cek-audio-content__stream-requested": Expect(
        Q,
        "AudioPlayer.StreamRequested",
        _StreamRequestedIn,
        {
            "event.payload.audio_item_id": "9CPWU-c82302b2-ea29-4f6c-ba6e-20fd268d8c3b-c1570067",
            "event.payload.audio_stream.token": "TR-NM-17413540",  # sent as "stream"
            "event.payload.artist": "Unknown",
            "context": {},
        },
    ),
    "cek-audio-content__stream-deliver": Expect(
        R,
        "AudioPlayer.StreamDeliver",
        audioplayer.StreamDeliverPayload,
        {
            "directives[0].payload.audio_item_id": "5313c879-25bb-461c-93fc-f85d95edf2a0",
            "directives[0].payload.stream.url": "https://musicservice.example.net/b767313e.mp3",
        },
    ),
    # --- nugu-mediaplayer.md ---
    "nugu-mediaplayer__context": Expect(
        P,
        "MediaPlayer.PlaybackState",
        mediaplayer.MediaPlayerContextIn,
        {
            "app_status": "NORMAL",
            "player_activity": "PLAYING",
            "current_song.artist": ["아이유"],
            "toggle.repeat": mediaplayer.Repeat.ALL,
        },
    ),
    "nugu-mediaplayer__song": Expect(
        P,
        "MediaPlayer.Song",
        mediaplayer.Song,
        {"category": "CHART", "genre": ["발라드"], "issue_date": "2019-11-18"},
    ),
    "nugu-mediaplayer__play": nugu_directive(
        "Play",
        mediaplayer.MediaPlayPayload,
        **{
            "payload.token": "tok-play",
            "payload.action": mediaplayer.Action.CHECK,
            "payload.song.title": "Blueming",
            "payload.toggle.shuffle": mediaplayer.Shuffle.ON,
        },
    ),
    "nugu-mediaplayer__stop": nugu_directive("Stop", mediaplayer.ServicePayload),
    "nugu-mediaplayer__search": nugu_directive(
        "Search",
        mediaplayer.SearchPayload,
        **{"payload.token": "tok-search", "payload.asr_text": "아이유 노래 틀어줘"},
    ),
    "nugu-mediaplayer__previous": nugu_directive(
        "Previous",
        mediaplayer.StepPayload,
        **{
            "payload.token": "tok-previous",
            "payload.target": mediaplayer.MoveTarget.TRACK,
            "payload.data": {"requestId": "r-1"},
        },
    ),
    "nugu-mediaplayer__next": nugu_directive(
        "Next",
        mediaplayer.StepPayload,
        **{"payload.token": "tok-next", "payload.action": mediaplayer.Action.CHECK},
    ),
    "nugu-mediaplayer__move": nugu_directive(
        "Move",
        mediaplayer.MovePayload,
        **{
            "payload.token": "tok-move",
            "payload.direction": mediaplayer.Direction.FORWARD,
            "payload.sec": 30,
        },
    ),
    "nugu-mediaplayer__pause": nugu_directive(
        "Pause", mediaplayer.TokenPayload, **{"payload.token": "tok-pause"}
    ),
    "nugu-mediaplayer__resume": nugu_directive(
        "Resume", mediaplayer.TokenPayload, **{"payload.token": "tok-resume"}
    ),
    "nugu-mediaplayer__rewind": nugu_directive(
        "Rewind", mediaplayer.TokenPayload, **{"payload.token": "tok-rewind"}
    ),
    "nugu-mediaplayer__toggle": nugu_directive(
        "Toggle",
        mediaplayer.TogglePayload,
        **{
            "payload.repeat": mediaplayer.Repeat.ALL,
            "payload.like": mediaplayer.Like.TRUE,
            "payload.shuffle": mediaplayer.Shuffle.ON,
        },
    ),
    "nugu-mediaplayer__get-info": nugu_directive(
        "GetInfo", mediaplayer.TokenPayload, **{"payload.token": "tok-get-info"}
    ),
    "nugu-mediaplayer__play-succeeded": nugu_event("PlaySucceeded", **{"payload.message": "ok"}),
    "nugu-mediaplayer__play-suspended": nugu_event(
        "PlaySuspended",
        **{"payload.issueCode": "onlyPreview", "payload.song.title": "Blueming"},
    ),
    "nugu-mediaplayer__play-failed": nugu_event(
        "PlayFailed", **{"payload.errorCode": "searchFailed"}
    ),
    "nugu-mediaplayer__stop-succeeded": nugu_event("StopSucceeded"),
    "nugu-mediaplayer__stop-failed": Expect(
        E,
        "MediaPlayer.StopFailed",
        mediaplayer.EventIn,
        {"payload.token": "tok-stop-failedㅊ", "payload.errorCode": "appInternalServerError"},
    ),
    "nugu-mediaplayer__search-succeeded": nugu_event(
        "SearchSucceeded", **{"payload.message": "ok"}
    ),
    "nugu-mediaplayer__search-failed": nugu_event(
        "SearchFailed", **{"payload.errorCode": "appInternalServerError"}
    ),
    "nugu-mediaplayer__previous-succeeded": nugu_event(
        "PreviousSucceeded", **{"payload.message": "ok"}
    ),
    "nugu-mediaplayer__previous-suspended": nugu_event(
        "PreviousSuspended", **{"payload.target": "TRACK", "payload.playlist.number": "1"}
    ),
    "nugu-mediaplayer__previous-failed": nugu_event(
        "PreviousFailed",
        **{
            "payload.errorCode": "noPreviousTrack",
            "erratum": "event named PreviousFailed.PlayFailed: handled as PreviousFailed",
        },
    ),
    "nugu-mediaplayer__next-succeeded": nugu_event("NextSucceeded", **{"payload.message": "ok"}),
    "nugu-mediaplayer__next-suspended": nugu_event(
        "NextSuspended",
        **{"payload.song.title": "Blueming", "payload.data": {"requestId": "r-1"}},
    ),
    "nugu-mediaplayer__next-failed": nugu_event(
        "NextFailed",
        **{
            "payload.errorCode": "noNextTrack",
            "erratum": "event named NextFailed.PlayFailed: handled as NextFailed",
        },
    ),
    "nugu-mediaplayer__move-succeeded": nugu_event("MoveSucceeded", **{"payload.message": "ok"}),
    "nugu-mediaplayer__move-failed": nugu_event(
        "MoveFailed", **{"payload.errorCode": "appInternalServerError"}
    ),
    "nugu-mediaplayer__pause-succeeded": nugu_event("PauseSucceeded", **{"payload.message": "ok"}),
    "nugu-mediaplayer__pause-failed": nugu_event(
        "PauseFailed", **{"payload.errorCode": "noTargetSong"}
    ),
    "nugu-mediaplayer__resume-succeeded": nugu_event(
        "ResumeSucceeded", **{"payload.message": "ok"}
    ),
    "nugu-mediaplayer__resume-failed": nugu_event(
        "ResumeFailed", **{"payload.errorCode": "noTargetSong"}
    ),
    "nugu-mediaplayer__rewind-succeeded": nugu_event(
        "RewindSucceeded", **{"payload.message": "ok"}
    ),
    "nugu-mediaplayer__rewind-failed": nugu_event(
        "RewindFailed", **{"payload.errorCode": "noTargetSong"}
    ),
    "nugu-mediaplayer__toggle-succeeded": nugu_event(
        "ToggleSucceeded", **{"payload.message": "shuffleOn"}
    ),
    "nugu-mediaplayer__toggle-failed": nugu_event(
        "ToggleFailed", **{"payload.errorCode": "requireLogin"}
    ),
    "nugu-mediaplayer__get-info-succeeded": nugu_event(
        "GetInfoSucceeded",
        **{"payload.info.song.artist": ["아이유"], "payload.info.playTime": "217000"},
    ),
    "nugu-mediaplayer__get-info-failed": nugu_event(
        "GetInfoFailed",
        **{
            "payload.errorCode": "appInternalServerError",
            "erratum": "event named MediaPlayer.ResponseInfo: handled as GetInfoFailed",
        },
    ),
}


def payload_model(message: Message) -> BaseModel:
    value = message.value
    if isinstance(value, ExtensionResponse):
        payload: BaseModel = value.directives[0].payload
        return payload
    if isinstance(value, EventRequest):
        return value.event.payload
    if isinstance(value, BaseModel) and message.kind is Kind.PAYLOAD:
        return value
    return value.payload  # type: ignore[no-any-return]


def test_every_fixture_has_an_expectation() -> None:
    names = fixture_names()
    assert len(names) == 79
    assert sorted(EXPECTED) == names, "fixtures and expectation table differ"


@pytest.mark.parametrize("name", fixture_names())
def test_fixture_parses_with_its_key_fields(name: str) -> None:
    expect = EXPECTED[name]  # a fixture without an expectation fails here
    message = parse_message(raw(name))
    assert (message.kind, message.name) == (expect.kind, expect.name)
    model = payload_model(message)
    assert type(model) is expect.model
    assert not isinstance(model, GenericPayload)
    for path, value in expect.fields.items():
        assert dig(message.value, path) == value, path


@pytest.mark.parametrize("name", fixture_names())
def test_envelopes_are_known_and_complete(name: str) -> None:
    """Directives and events are known to the client; events carry their context list."""
    value = parse_message(raw(name)).value
    if isinstance(value, ParsedEvent):
        assert value.known
        assert len(value.parsed_context) == len(value.context)
        assert all(isinstance(c, ParsedContext) and c.known for c in value.parsed_context)
    elif isinstance(value, ExtensionResponse):
        assert value.directives and all(d.known for d in value.directives)
    elif hasattr(value, "known"):
        assert value.known
