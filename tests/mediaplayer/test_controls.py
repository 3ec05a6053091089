"""Next / Previous (TRACK and PLAYLIST), Move, Pause, Resume, Rewind, Stop, Toggle, GetInfo:
each success path and each failure code, on real files played by libVLC."""

from __future__ import annotations

import pytest

from clova_client.protocol import Event
from tests.mediaplayer.conftest import ALPHA, Speaker, SpeakerFactory, context_of

pytestmark = pytest.mark.vlc  # real libVLC (null output) plays the songs

ALPHA_SONG = {"category": "NONE", "artist": ["Alpha Band"]}


def failure(event: Event) -> tuple[str, str]:
    return event.header.name, str(event.payload.get("errorCode"))


async def test_nothing_loaded_every_control_says_no_target_song(speaker: Speaker) -> None:
    assert failure(await speaker.mp("Next", action="CHECK", target="TRACK")) == (
        "NextFailed",
        "noTargetSong",
    )
    assert failure(await speaker.mp("Previous", target="TRACK")) == (
        "PreviousFailed",
        "noTargetSong",
    )
    assert failure(await speaker.mp("Move", direction="FORWARD", sec=10)) == (
        "MoveFailed",
        "noTargetSong",
    )
    assert failure(await speaker.mp("Pause")) == ("PauseFailed", "noTargetSong")
    assert failure(await speaker.mp("Resume")) == ("ResumeFailed", "noTargetSong")
    assert failure(await speaker.mp("Rewind")) == ("RewindFailed", "noTargetSong")
    assert failure(await speaker.mp("GetInfo")) == ("GetInfoFailed", "noTargetSong")
    assert failure(await speaker.mp("Toggle", like="TRUE")) == ("ToggleFailed", "noTargetSong")
    stop = await speaker.mp("Stop", playServiceId="svc")  # nothing to stop is no failure
    assert stop.full_name == "MediaPlayer.StopSucceeded"
    assert stop.payload == {"playServiceId": "svc", "token": stop.payload["token"]}
    assert [n for n in speaker.names() if not n.startswith("MediaPlayer.")] == []


async def test_next_and_previous_tracks(speaker: Speaker) -> None:
    await speaker.mp("Play", song=ALPHA_SONG)
    await speaker.playing("A1")
    for title in ALPHA[1:]:
        event = await speaker.mp("Next", action="CHECK", target="TRACK", data={"x": 1})
        assert event.payload == {"token": event.payload["token"]}  # data only in Suspended
        assert context_of(event, "MediaPlayer")["currentSong"]["title"] == title
        await speaker.playing(title)
    assert failure(await speaker.mp("Next", action="EXECUTE", target="TRACK")) == (
        "NextFailed",
        "noNextTrack",
    )
    for title in ("A2", "A1"):
        event = await speaker.mp("Previous", action="CHECK", target="TRACK")
        assert event.header.name == "PreviousSucceeded"
        await speaker.playing(title)
    assert failure(await speaker.mp("Previous", target="TRACK")) == (
        "PreviousFailed",
        "noPreviousTrack",
    )
    await speaker.mp("Toggle", repeat="ALL")  # the list wraps around now
    await speaker.mp("Next", target="TRACK")
    await speaker.mp("Next", target="TRACK")
    wrapped = await speaker.mp("Next", target="TRACK")
    assert context_of(wrapped, "MediaPlayer")["playlist"]["currentSongOrder"] == "1"
    await speaker.playing("A1")


async def test_next_and_previous_playlists(speaker: Speaker) -> None:
    first = await speaker.mp("Next", target="PLAYLIST")  # not in a playlist: the first one
    assert context_of(first, "MediaPlayer")["playlist"]["name"] == "chill"
    await speaker.playing("A2")
    skipped = await speaker.mp("Next", target="PLAYLIST")  # "empty" has no song: skipped
    assert context_of(skipped, "MediaPlayer")["playlist"]["number"] == "3"
    await speaker.playing("A1")
    assert failure(await speaker.mp("Next", target="PLAYLIST")) == (
        "NextFailed",
        "noNextPlaylist",
    )
    back = await speaker.mp("Previous", target="PLAYLIST")
    assert context_of(back, "MediaPlayer")["playlist"]["name"] == "chill"
    assert failure(await speaker.mp("Previous", target="PLAYLIST")) == (
        "PreviousFailed",
        "noPreviousPlaylist",
    )


async def test_no_playlists_to_step_to(make_speaker: SpeakerFactory) -> None:
    speaker = await make_speaker(playlists=False)
    assert failure(await speaker.mp("Next", target="PLAYLIST"))[1] == "noNextPlaylist"
    assert failure(await speaker.mp("Previous", target="PLAYLIST"))[1] == "noPreviousPlaylist"


async def test_move_forward_backward_and_clamped(speaker: Speaker) -> None:
    await speaker.mp("Play", song=ALPHA_SONG)
    await speaker.playing("A1")
    forward = await speaker.mp("Move", direction="FORWARD", sec="1")  # the table's string form
    assert forward.header.name == "MoveSucceeded"
    assert speaker.music.play_time_ms() >= 1000  # media time: the seek happened
    back = await speaker.mp("Move", direction="BACKWARD", sec=100)  # clamped to the start
    assert back.header.name == "MoveSucceeded"
    assert speaker.music.play_time_ms() < 1000
    await speaker.mp("Pause")
    paused = await speaker.mp("Move", direction="FORWARD", sec=1)  # works while paused too
    assert paused.header.name == "MoveSucceeded"
    assert speaker.music.activity == "PAUSED" and speaker.music.play_time_ms() >= 1000
    await speaker.mp("Resume")
    await speaker.mp("Move", direction="FORWARD", sec=3600)  # clamped to the end: it finishes
    await speaker.playing("A2")


async def test_pause_resume_rewind_stop(speaker: Speaker) -> None:
    await speaker.mp("Play", song=ALPHA_SONG)
    await speaker.playing("A1")
    pause = await speaker.mp("Pause", playServiceId="svc")
    assert pause.payload == {"playServiceId": "svc", "token": pause.payload["token"]}
    assert context_of(pause, "MediaPlayer")["playerActivity"] == "PAUSED"
    assert (await speaker.mp("Pause")).header.name == "PauseSucceeded"  # already paused
    resume = await speaker.mp("Resume")
    assert context_of(resume, "MediaPlayer")["playerActivity"] == "PLAYING"
    await speaker.playing("A1")
    assert (await speaker.mp("Resume")).header.name == "ResumeSucceeded"  # already playing

    await speaker.position_past(500)
    rewind = await speaker.mp("Rewind")
    assert rewind.header.name == "RewindSucceeded"
    assert speaker.music.play_time_ms() < 500
    await speaker.playing("A1")

    stop = await speaker.mp("Stop")
    assert context_of(stop, "MediaPlayer")["playerActivity"] == "STOPPED"
    assert context_of(stop, "MediaPlayer")["currentSong"]["title"] == "A1"  # the last one
    assert failure(await speaker.mp("Pause")) == ("PauseFailed", "noTargetSong")
    assert (await speaker.mp("Resume")).header.name == "ResumeSucceeded"
    await speaker.playing("A1")
    await speaker.mp("Stop")
    assert (await speaker.mp("Rewind")).header.name == "RewindSucceeded"  # plays it again
    await speaker.playing("A1")


async def test_resume_after_the_list_ended_plays_the_last_song_again(speaker: Speaker) -> None:
    await speaker.mp("Play", song={"category": "NONE", "title": "solo"})
    await speaker.playing("Solo")
    await speaker.mp("Move", direction="FORWARD", sec=60)
    await speaker.until(lambda: speaker.music.activity == "STOPPED")
    assert (await speaker.mp("Resume")).header.name == "ResumeSucceeded"
    await speaker.playing("Solo")


async def test_toggle_repeat_shuffle_like(speaker: Speaker) -> None:
    async def message(**toggle: str) -> str:
        event = await speaker.mp("Toggle", playServiceId="svc", **toggle)
        assert event.header.name == "ToggleSucceeded", event.payload
        return str(event.payload["message"])

    assert await message(repeat="ONE") == "repeatSongOn"  # settings need no song
    assert await message(repeat="ALL") == "repeatAllOn"
    assert await message(shuffle="ON") == "shuffleOn"
    assert speaker.music.context().to_json()["toggle"] == {"repeat": "ALL", "shuffle": "ON"}
    assert await message(repeat="NONE") == "repeatOff"
    assert await message(shuffle="OFF") == "shuffleOff"

    await speaker.mp("Play", song=ALPHA_SONG)
    assert await message(like="TRUE") == "addLikeSong"
    assert failure(await speaker.mp("Toggle", like="TRUE")) == (
        "ToggleFailed",
        "addLikeAlreadySong",
    )
    assert await message(like="FALSE") == "removeLikeSong"
    assert failure(await speaker.mp("Toggle", like="FALSE")) == (
        "ToggleFailed",
        "removeLikeNoSong",
    )
    assert await message(like="TRUE", repeat="ONE", shuffle="ON") == (
        "addLikeSong,repeatSongOn,shuffleOn"
    )


async def test_get_info(speaker: Speaker) -> None:
    await speaker.mp("Play", song=ALPHA_SONG)
    await speaker.playing("A1")
    await speaker.mp("Move", direction="FORWARD", sec=1)
    info = await speaker.mp("GetInfo", playServiceId="svc")
    assert info.full_name == "MediaPlayer.GetInfoSucceeded"
    body = info.payload["info"]
    assert body["song"]["title"] == "A1" and body["song"]["artist"] == ["Alpha Band"]
    assert (body["issueDate"], body["playlistName"]) == ("2021-01-01", "Alpha Band")
    assert int(body["playTime"]) >= 1000
    assert info.payload["playServiceId"] == "svc"
