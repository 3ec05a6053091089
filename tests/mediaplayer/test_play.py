"""MediaPlayer.Play and Search: finding songs in the library, playing them, every failure code
and the Suspended flow (CHECK, then EXECUTE)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clova_client.agents.context import MEDIA_PLAYER_STATE
from clova_client.agents.mediaplayer import MediaPlayerAgent
from clova_client.agents.outbound import EventOut
from clova_client.agents.router import Router
from clova_client.clock import LoopClock
from clova_client.library import Library
from clova_client.library.music import MusicApp
from clova_client.player.backends.fake import FakeBackend
from clova_client.player.settings import PlayerSettings
from clova_client.protocol import Event
from tests.mediaplayer.conftest import Speaker, SpeakerFactory, context_of, directive

pytestmark = pytest.mark.vlc  # real libVLC (null output) plays the songs


async def test_play_songs_by_an_artist(speaker: Speaker) -> None:
    result = await speaker.mp(
        "Play",
        playServiceId="svc.music",
        token="play-1",
        action="CHECK",
        asrText="play alpha band",
        song={"category": "NONE", "artist": ["Alpha Band"]},
    )
    assert result.full_name == "MediaPlayer.PlaySucceeded"
    assert result.payload == {"playServiceId": "svc.music", "token": "play-1"}
    assert result.header.version == "1.0"
    state = context_of(result, "MediaPlayer")
    assert state["playerActivity"] == "PLAYING"
    assert state["currentSong"]["title"] == "A1"
    assert state["playlist"] == {
        "type": "DEFAULT",
        "name": "Alpha Band",
        "length": "3",
        "currentSongOrder": "1",
    }
    assert state["toggle"] == {"repeat": "NONE", "shuffle": "OFF"}
    assert context_of(result, "AudioPlayer")["playerActivity"] == "IDLE"
    await speaker.playing("A1")
    assert speaker.names() == ["MediaPlayer.PlaySucceeded"]  # no AudioPlayer.* for library songs


async def test_play_failures_name_the_reason(speaker: Speaker) -> None:
    async def code(song: dict[str, object]) -> str:
        event = await speaker.mp("Play", playServiceId="svc", action="CHECK", song=song)
        assert event.header.name == "PlayFailed", event.payload
        assert set(event.payload) == {"playServiceId", "token", "errorCode"}
        return str(event.payload["errorCode"])

    assert await code({"category": "NONE", "artist": ["Nobody"]}) == "searchFailed"
    assert await code({"category": "NONE", "title": "A1", "artist": ["Lonely"]}) == "searchFailed"
    assert await code({"category": "LIKE_SONG"}) == "noLikeSong"
    assert await code({"category": "LIKE_ALBUM"}) == "noLikeAlbum"
    assert await code({"category": "LIKE_ARTIST"}) == "noLikeArtist"
    assert await code({"category": "LIKE_THEME"}) == "noLikeTheme"
    assert await code({"category": "NOWPLAYING"}) == "noNowlist"
    assert await code({"category": "PLAYLIST", "title": "no such list"}) == "noPlaylist"
    (speaker.root / "Lonely" / "Solo.ogg").unlink()  # gone since the scan
    assert await code({"category": "NONE", "artist": ["Lonely"]}) == "disableAll"
    assert speaker.music.activity == "STOPPED" and speaker.music.current() is None


async def test_no_playlist_at_all(make_speaker: SpeakerFactory) -> None:
    speaker = await make_speaker(playlists=False)
    event = await speaker.mp("Play", song={"category": "PLAYLIST"})
    assert (event.header.name, event.payload["errorCode"]) == ("PlayFailed", "noPlaylist")


async def test_no_library_configured(make_speaker: SpeakerFactory) -> None:
    speaker = await make_speaker(configured=False)
    event = await speaker.mp("Play", song={"category": "NONE", "title": "A1"})
    assert (event.header.name, event.payload["errorCode"]) == ("PlayFailed", "searchFailed")
    assert context_of(event, "MediaPlayer")["appStatus"] == "NOT_RUNNING"


async def test_recent_played_without_history_is_suspended_then_executed(speaker: Speaker) -> None:
    data = {"flow": "recent", "n": 1}
    song = {"category": "RECENT_PLAYED"}
    check = await speaker.mp("Play", playServiceId="svc", action="CHECK", song=song, data=data)
    assert check.full_name == "MediaPlayer.PlaySuspended"
    assert check.payload == {
        "playServiceId": "svc",
        "token": check.payload["token"],
        "song": {
            "category": "RECENT_PLAYED",
            "title": "A1",
            "artist": ["Alpha Band"],
            "album": "First",
            "genre": ["Rock"],
            "duration": check.payload["song"]["duration"],
            "issueDate": "2021-01-01",
        },
        "issueCode": "noRecentPlayed",
        "data": data,
    }
    assert speaker.music.activity == "STOPPED"  # CHECK alone plays nothing

    execute = await speaker.mp("Play", playServiceId="svc", action="EXECUTE", song=song, data=data)
    assert execute.full_name == "MediaPlayer.PlaySucceeded"
    assert "data" not in execute.payload
    await speaker.playing("A1")
    await speaker.music.wait_idle()  # the start is in the play history now

    for category in ("RECENT_PLAYED", "FAVORITE"):
        again = await speaker.mp("Play", action="CHECK", song={"category": category})
        assert again.header.name == "PlaySucceeded"
        assert context_of(again, "MediaPlayer")["currentSong"]["title"] == "A1"


async def test_favorite_without_history_is_suspended(speaker: Speaker) -> None:
    event = await speaker.mp("Play", action="CHECK", song={"category": "FAVORITE"})
    assert (event.header.name, event.payload["issueCode"]) == ("PlaySuspended", "noFavoritePlayed")
    assert "data" not in event.payload  # none was given


async def test_first_song_gone_is_suspended_and_skipped(speaker: Speaker) -> None:
    (speaker.root / "Alpha Band" / "First" / "1 A1.mp3").unlink()
    song = {"category": "NONE", "artist": ["Alpha Band"]}
    check = await speaker.mp("Play", action="CHECK", song=song, data={"k": "v"})
    assert check.header.name == "PlaySuspended"
    assert (check.payload["issueCode"], check.payload["song"]["title"]) == ("disable", "A2")
    assert check.payload["data"] == {"k": "v"}
    execute = await speaker.mp("Play", action="EXECUTE", song=song)
    assert execute.header.name == "PlaySucceeded"
    await speaker.playing("A2")
    assert context_of(execute, "MediaPlayer")["playlist"]["length"] == "2"


async def test_play_applies_its_toggle(speaker: Speaker) -> None:
    event = await speaker.mp(
        "Play",
        song={"category": "NONE", "artist": ["Alpha Band"]},
        toggle={"repeat": "ALL", "shuffle": "ON"},
    )
    assert context_of(event, "MediaPlayer")["toggle"] == {"repeat": "ALL", "shuffle": "ON"}
    assert context_of(event, "MediaPlayer")["currentSong"]["title"] == "A1"  # first stays first


async def test_play_a_playlist_by_name(speaker: Speaker) -> None:
    event = await speaker.mp("Play", song={"category": "PLAYLIST", "title": "CHILL"})
    assert event.header.name == "PlaySucceeded"
    assert context_of(event, "MediaPlayer")["playlist"] == {
        "type": "PLAYLIST",
        "name": "chill",
        "number": "1",
        "length": "2",
        "currentSongOrder": "1",
    }
    await speaker.playing("A2")


async def test_liked_songs_and_nowplaying(speaker: Speaker) -> None:
    await speaker.mp("Play", song={"category": "NONE", "title": "solo"})
    await speaker.playing("Solo")
    assert (await speaker.mp("Toggle", like="TRUE")).payload["message"] == "addLikeSong"
    await speaker.mp("Stop")
    liked = await speaker.mp("Play", song={"category": "LIKE_SONG"})
    assert context_of(liked, "MediaPlayer")["currentSong"]["category"] == "LIKE_SONG"
    await speaker.playing("Solo")
    artists = await speaker.mp("Play", song={"category": "LIKE_ARTIST"})
    assert context_of(artists, "MediaPlayer")["currentSong"]["title"] == "Solo"
    miss = await speaker.mp("Play", song={"category": "LIKE_SONG", "artist": ["Alpha Band"]})
    assert miss.payload["errorCode"] == "searchFailed"  # there are likes; none by them
    again = await speaker.mp("Play", song={"category": "NOWPLAYING"})
    assert context_of(again, "MediaPlayer")["playlist"]["name"] == "liked artists"


async def test_search_finds_without_playing_then_play_plays_it(speaker: Speaker) -> None:
    found = await speaker.mp(
        "Search", playServiceId="svc", song={"category": "NONE", "artist": ["alpha"]}
    )
    assert found.full_name == "MediaPlayer.SearchSucceeded"
    assert found.payload == {
        "playServiceId": "svc",
        "token": found.payload["token"],
        "message": "3",
    }
    assert speaker.music.activity == "STOPPED" and speaker.music.current() is None

    by_words = await speaker.mp("Search", asrText="search for solo please")
    assert by_words.payload["message"] == "1"
    play = await speaker.mp("Play", action="CHECK")  # no song: what the search found
    assert context_of(play, "MediaPlayer")["currentSong"]["title"] == "Solo"
    await speaker.playing("Solo")

    miss = await speaker.mp("Search", song={"category": "NONE", "title": "zzz"})
    assert (miss.full_name, miss.payload["errorCode"]) == (
        "MediaPlayer.SearchFailed",
        "searchFailed",
    )
    anything = await speaker.mp("Play")  # no song, no search since the last Play: the library
    assert context_of(anything, "MediaPlayer")["playlist"]["name"] == "library"


async def test_an_unusable_index_leaves_the_speaker_working(tmp_path: Path) -> None:
    """The index cannot be created (its directory is a file): MediaPlayer is NOT_RUNNING and
    answers appInternalServerError; nothing raises out of the daemon's start."""
    (tmp_path / "state").write_text("not a directory")
    library = Library([tmp_path], tmp_path / "state" / "library.db")
    app = MusicApp(library, FakeBackend(), LoopClock(), PlayerSettings())
    sent: list[Event] = []
    out = EventOut(sent.append)
    out.context.provide(MEDIA_PLAYER_STATE, lambda: app.context().context())
    agent = MediaPlayerAgent(app, out)
    router = Router()
    agent.register(router)
    await app.start()
    try:
        assert not app.running
        song = {"category": "NONE", "title": "x"}
        await router.dispatch(directive("MediaPlayer", "Play", {"token": "t", "song": song}))
        (event,) = sent
        assert (event.header.name, event.payload["errorCode"]) == (
            "PlayFailed",
            "appInternalServerError",
        )
        assert context_of(event, "MediaPlayer")["appStatus"] == "NOT_RUNNING"
    finally:
        await app.close()
