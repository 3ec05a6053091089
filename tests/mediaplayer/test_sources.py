"""One speaker, two sources: MediaPlayer and AudioPlayer share the one output. Starting one
stops the other, and the side that lost says so the way its own interface does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clova_client.agents.audioplayer_state import playback_state
from clova_client.control import Button
from tests.mediaplayer.conftest import Speaker, context_of, directive
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.vlc  # real libVLC (null output) plays the songs

ALPHA_SONG = {"category": "NONE", "artist": ["Alpha Band"]}


@pytest.fixture
async def server(base: dict[str, Path]) -> AsyncIterator[MediaServer]:
    async with MediaServer(base[".mp3"].parent) as running:
        yield running


def audio_play(server: MediaServer, base: dict[str, Path], token: str) -> dict[str, object]:
    stream = {"token": token, "url": server.url("range", base[".mp3"].name), "urlPlayable": True}
    payload = {
        "audioItem": {"audioItemId": f"item-{token}", "stream": stream},
        "playBehavior": "REPLACE_ALL",
    }
    return directive("AudioPlayer", "Play", payload)


async def audio_playing(speaker: Speaker, token: str) -> None:
    await speaker.until(
        lambda: speaker.audio.state.value == "PLAYING" and speaker.audio.token == token
    )


def since(speaker: Speaker, mark: int) -> list[str]:
    return [e.full_name for e in speaker.events[mark:]]


async def test_media_player_takes_the_speaker_from_audio_player(
    speaker: Speaker, server: MediaServer, base: dict[str, Path]
) -> None:
    await speaker.dispatch(audio_play(server, base, "ap-1"))
    await audio_playing(speaker, "ap-1")
    await speaker.until(lambda: (playback_state(speaker.audio.status()).offset_ms or 0) > 0)
    assert speaker.names() == ["AudioPlayer.PlayStarted", "TemplateRuntime.RequestPlayerInfo"]

    mark = len(speaker.events)
    result = await speaker.mp("Play", song=ALPHA_SONG)
    assert since(speaker, mark) == ["AudioPlayer.PlayStopped", "MediaPlayer.PlaySucceeded"]
    stopped = speaker.events[mark]
    state = context_of(stopped, "AudioPlayer")
    assert (state["playerActivity"], state["stream"]["token"]) == ("STOPPED", "ap-1")
    assert state["offsetInMilliseconds"] > 0
    assert context_of(result, "AudioPlayer")["playerActivity"] == "STOPPED"
    assert context_of(result, "MediaPlayer")["playerActivity"] == "PLAYING"
    await speaker.playing("A1")
    await speaker.mp("Move", direction="FORWARD", sec=1)
    assert since(speaker, mark + 2) == ["MediaPlayer.MoveSucceeded"]  # nothing for AudioPlayer
    assert speaker.audio.state.value == "STOPPED"


async def test_audio_player_takes_the_speaker_from_media_player(
    speaker: Speaker, server: MediaServer, base: dict[str, Path]
) -> None:
    await speaker.mp("Play", song=ALPHA_SONG)
    await speaker.playing("A1")
    mark = len(speaker.events)
    await speaker.dispatch(audio_play(server, base, "ap-2"))
    await audio_playing(speaker, "ap-2")
    assert speaker.music.activity == "STOPPED"  # MediaPlayer: STOPPED, no event of its own
    assert since(speaker, mark) == ["AudioPlayer.PlayStarted", "TemplateRuntime.RequestPlayerInfo"]

    pressed = speaker.controller.press(Button.PAUSE)
    assert pressed.full_name == "PlaybackController.PauseCommandIssued"
    media = context_of(pressed, "MediaPlayer")
    assert (media["playerActivity"], media["currentSong"]["title"]) == ("STOPPED", "A1")
    assert context_of(pressed, "AudioPlayer")["playerActivity"] == "PLAYING"

    # the MediaPlayer wins it back with a targeted Resume; AudioPlayer reports its stop
    mark = len(speaker.events)
    resume = directive("PlaybackController", "Resume", {"target": {"namespace": "MediaPlayer"}})
    await speaker.dispatch(resume)
    await speaker.playing("A1")
    assert since(speaker, mark) == ["AudioPlayer.PlayStopped"]
    assert speaker.audio.state.value == "STOPPED"


async def test_playback_controller_targets_and_the_active_side(
    speaker: Speaker, server: MediaServer, base: dict[str, Path]
) -> None:
    def command(name: str, target: str | None = None) -> dict[str, object]:
        payload = {"target": {"namespace": target}} if target else {}
        return directive("PlaybackController", name, payload)

    await speaker.mp("Play", song=ALPHA_SONG)
    await speaker.playing("A1")
    mark = len(speaker.events)
    await speaker.dispatch(command("Pause", "AudioPlayer"))  # nothing plays there
    assert speaker.music.activity == "PLAYING"
    await speaker.dispatch(command("Pause", "MediaPlayer"))
    assert speaker.music.activity == "PAUSED"
    await speaker.dispatch(command("Resume"))  # no target: the active side
    await speaker.playing("A1")
    await speaker.dispatch(command("Next"))
    await speaker.playing("A2")
    await speaker.dispatch(command("Stop"))
    assert speaker.music.activity == "STOPPED"
    assert since(speaker, mark) == []  # MediaPlayer has no events for these; AudioPlayer idle

    await speaker.dispatch(audio_play(server, base, "ap-3"))
    await audio_playing(speaker, "ap-3")
    mark = len(speaker.events)
    await speaker.dispatch(command("Stop", "MediaPlayer"))  # already stopped: AudioPlayer plays on
    assert speaker.audio.state.value == "PLAYING"
    await speaker.dispatch(command("Pause"))  # no target: the active side is AudioPlayer now
    assert since(speaker, mark) == ["AudioPlayer.PlayPaused"]
