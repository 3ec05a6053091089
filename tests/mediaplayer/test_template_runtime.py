"""TemplateRuntime: RequestPlayerInfo when an AudioPlayer item starts; RenderPlayerInfo kept
as "now playing" metadata and logged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from clova_client.control.status_builder import StatusBuilder
from tests.mediaplayer.conftest import Speaker, directive
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.vlc  # real libVLC (null output) plays the songs

RENDER = {  # the extension guide's example, trimmed to two items
    "controls": [{"enabled": True, "name": "PLAY_PAUSE", "selected": False, "type": "BUTTON"}],
    "displayType": "list",
    "playableItems": [
        {
            "artImageUrl": "https://musicmeta.example.com/album/662058.jpg?sig=SECRET",
            "headerText": "Classic",
            "lyrics": [{"data": None, "format": "PLAIN", "url": "https://lyrics.example/1"}],
            "isLive": False,
            "showAdultIcon": False,
            "titleSubText1": "Alice Sara Ott",
            "titleSubText2": "Wonderland",
            "titleText": "Grieg : Piano Concerto In A Minor",
            "token": "ap-1",
        },
        {"titleText": "Next one", "token": "ap-2", "lyrics": [{"data": "la", "format": "PLAIN"}]},
    ],
    "provider": {"name": "SampleMusicProvider", "logoUrl": "https://img.example/logo.png"},
}


@pytest.fixture
async def server(base: dict[str, Path]) -> AsyncIterator[MediaServer]:
    async with MediaServer(base[".mp3"].parent) as running:
        yield running


async def test_request_and_render_player_info(
    speaker: Speaker, server: MediaServer, base: dict[str, Path]
) -> None:
    stream = {"token": "ap-1", "url": server.url("range", base[".mp3"].name), "urlPlayable": True}
    play = {"audioItem": {"audioItemId": "i1", "stream": stream}, "playBehavior": "REPLACE_ALL"}
    await speaker.dispatch(directive("AudioPlayer", "Play", play))
    await speaker.until(lambda: len(speaker.events) >= 2)
    started, request = speaker.events
    assert started.full_name == "AudioPlayer.PlayStarted"
    assert request.full_name == "TemplateRuntime.RequestPlayerInfo"
    assert request.payload == {"token": "ap-1", "range": {"after": 10}}
    assert request.context == started.context  # the AudioPlayer.PlaybackState it started with

    with structlog.testing.capture_logs() as logs:
        await speaker.dispatch(directive("TemplateRuntime", "RenderPlayerInfo", RENDER))
    meta = speaker.template.metadata("ap-1")
    assert meta is not None
    assert meta.fields() == {
        "title": "Grieg : Piano Concerto In A Minor",
        "artist": "Alice Sara Ott",
        "album": "Wonderland",
        "art_url": "https://musicmeta.example.com/album/662058.jpg?sig=SECRET",
        "lyrics": "https://lyrics.example/1",
        "provider": "SampleMusicProvider",
    }
    next_meta = speaker.template.metadata("ap-2")
    assert next_meta is not None and next_meta.lyrics == "la"
    (line,) = [entry for entry in logs if entry["event"] == "now_playing"]
    assert (line["source"], line["title"], line["provider"]) == (
        "AudioPlayer",
        "Grieg : Piano Concerto In A Minor",
        "SampleMusicProvider",
    )
    assert "SECRET" not in str(line)  # the art URL is logged without its query

    await speaker.dispatch(directive("PlaybackController", "Pause"))
    await speaker.dispatch(directive("PlaybackController", "Resume"))
    await speaker.until(lambda: speaker.audio.state.value == "PLAYING")
    assert speaker.names("TemplateRuntime") == ["TemplateRuntime.RequestPlayerInfo"]  # once


NO: Any = None  # parts the music item does not need


async def test_library_songs_never_ask_for_player_info(speaker: Speaker) -> None:
    with structlog.testing.capture_logs() as logs:
        await speaker.mp("Play", song={"category": "NONE", "title": "solo"})
        await speaker.playing("Solo")
    assert speaker.names() == ["MediaPlayer.PlaySucceeded"]
    (line,) = [entry for entry in logs if entry["event"] == "now_playing"]
    assert (line["source"], line["title"], line["artist"], line["album"]) == (
        "MediaPlayer",
        "Solo",
        "Lonely",
        "Alone",
    )
    shown = StatusBuilder(
        speaker.audio, NO, NO, speaker.music, speaker.output, speaker.template, list
    )
    item = shown.music_item()
    assert item is not None
    assert (item["title"], item["lyrics"], item["provider"], item["source"]) == (
        "Solo",
        "la la",
        "library",
        "MediaPlayer",
    )
