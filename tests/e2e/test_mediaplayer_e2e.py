"""The music app through the real daemon, libVLC and the mock CIC: a library of mutagen-tagged
MP3s in ``library.paths``; "search, play, next, move +30 s, toggle shuffle, get info, stop",
with every event the speaker sends checked exactly. Positions are media time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clova_client.mock_cic import MockCicServer, RecordedEvent
from tests.library.media import Song, make_library, silent_mp3

from .conftest import DaemonProcess, Media
from .helpers import DEVICE, directive, play, wait_count

pytestmark = pytest.mark.e2e

SONG_MS = 45_000
SONGS = [
    Song(
        "E2E Band/Album/1 First.mp3",
        "First Song",
        ("E2E Band",),
        "Album",
        ("Rock",),
        "2022-02-02",
        1,
    ),
    Song(
        "E2E Band/Album/2 Second.mp3",
        "Second Song",
        ("E2E Band",),
        "Album",
        ("Rock",),
        "2022-02-02",
        2,
    ),
    Song("Someone/Other.mp3", "Other", ("Someone",), "Elsewhere"),
]


def media_state(event: RecordedEvent) -> dict[str, Any]:
    for item in event.message["context"]:
        if item["header"] == {"namespace": "MediaPlayer", "name": "PlaybackState"}:
            payload = item["payload"]
            assert isinstance(payload, dict)
            return payload
    raise AssertionError(f"{event.name} carries no MediaPlayer.PlaybackState")


async def until_status(
    daemon: DaemonProcess, check: Callable[[dict[str, Any]], bool], within: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        document = await daemon.status()
        if check(document):
            return document
        assert time.monotonic() < deadline, json.dumps(document)[:2000]


def sounding(title: str) -> Callable[[dict[str, Any]], bool]:
    def check(document: dict[str, Any]) -> bool:
        current = document["player"]["current"] or {}
        return (
            document["player"]["state"] == "PLAYING"
            and current.get("title") == title
            and (current.get("position_ms") or 0) > 0
        )

    return check


async def test_search_play_next_move_shuffle_info_stop(
    mock: MockCicServer, daemon: DaemonProcess, tmp_path: Path
) -> None:
    music = tmp_path / "music"
    make_library(music, {".mp3": silent_mp3(tmp_path / "base", SONG_MS)}, SONGS)
    daemon.overrides["CLOVA_LIBRARY__PATHS"] = json.dumps([str(music)])
    await daemon.start()
    await until_status(
        daemon, lambda d: d["library"]["tracks"] == 3 and not d["library"]["scanning"]
    )

    sent: list[tuple[str, dict[str, Any]]] = []

    async def ask(name: str, **payload: Any) -> RecordedEvent:
        payload = {"playServiceId": "svc.music", "token": f"tok-{name.lower()}", **payload}
        sent.append((name, payload))
        await mock.push(DEVICE, directive("MediaPlayer", name, payload))
        results = await wait_count(mock, f"MediaPlayer.{name}Succeeded", 1, timeout=20)
        return results[0]

    search = await ask("Search", song={"category": "NONE", "artist": ["e2e band"]})
    assert search.message["event"]["payload"]["message"] == "2"
    assert media_state(search)["playerActivity"] == "STOPPED"

    play = await ask("Play", action="CHECK", asrText="play it")
    assert media_state(play)["currentSong"]["title"] == "First Song"
    await until_status(daemon, sounding("First Song"))

    nxt = await ask("Next", action="CHECK", target="TRACK")
    assert media_state(nxt)["playlist"]["currentSongOrder"] == "2"
    await until_status(daemon, sounding("Second Song"))

    await ask("Move", direction="FORWARD", sec=30)
    shuffle = await ask("Toggle", shuffle="ON")
    assert shuffle.message["event"]["payload"]["message"] == "shuffleOn"
    assert media_state(shuffle)["toggle"] == {"repeat": "NONE", "shuffle": "ON"}

    info = await ask("GetInfo")
    body = info.message["event"]["payload"]["info"]
    assert body["song"]["title"] == "Second Song" and body["song"]["artist"] == ["E2E Band"]
    assert body["playlistName"] == "e2e band" and body["issueDate"] == "2022-02-02"
    assert 30_000 <= int(body["playTime"]) < SONG_MS

    status = await daemon.cli("status", "--config", str(daemon.config_file))
    assert "Second Song - E2E Band" in status.stdout and "[MediaPlayer]" in status.stdout
    assert "album:     Album" in status.stdout and "library:     3 tracks" in status.stdout

    stop = await ask("Stop")
    assert media_state(stop)["playerActivity"] == "STOPPED"

    events = mock.events(DEVICE)
    assert [e.name for e in events] == [f"MediaPlayer.{name}Succeeded" for name, _ in sent]
    for event, (_, payload) in zip(events, sent, strict=True):
        body = event.message["event"]["payload"]
        assert (body["playServiceId"], body["token"]) == ("svc.music", payload["token"])
        assert event.message["event"]["header"]["version"] == "1.0"
        audio = [c for c in event.message["context"] if c["header"]["namespace"] == "AudioPlayer"]
        assert audio[0]["payload"]["playerActivity"] == "IDLE"  # AudioPlayer never played
    assert daemon.logged("now_playing", source="MediaPlayer", title="Second Song")


RENDER = {
    "controls": [{"enabled": True, "name": "PLAY_PAUSE", "selected": False, "type": "BUTTON"}],
    "displayType": "list",
    "playableItems": [
        {
            "artImageUrl": "https://musicmeta.example.com/album/662058.jpg",
            "lyrics": [{"data": "la la la", "format": "PLAIN", "url": None}],
            "titleSubText1": "Alice Sara Ott",
            "titleSubText2": "Wonderland",
            "titleText": "Grieg : Piano Concerto",
            "token": "ap-1",
        }
    ],
    "provider": {"name": "SampleMusicProvider", "logoUrl": "https://img.example/logo.png"},
}


async def test_player_info_in_status_then_the_library_takes_the_speaker(
    mock: MockCicServer, daemon: DaemonProcess, tmp_path: Path, e2e_media: Media
) -> None:
    music = tmp_path / "music"
    make_library(music, {".mp3": silent_mp3(tmp_path / "base", SONG_MS)}, SONGS[2:])
    daemon.overrides["CLOVA_LIBRARY__PATHS"] = json.dumps([str(music)])
    mock.responders.player_info["ap-1"] = RENDER
    await daemon.start()
    await until_status(daemon, lambda d: d["library"]["tracks"] == 1)

    url = f"{mock.media_url()}/{e2e_media.name(4000)}"
    stream = {"token": "ap-1", "url": url, "urlPlayable": True}
    await mock.push(DEVICE, play("item-1", stream))
    (request,) = await wait_count(mock, "TemplateRuntime.RequestPlayerInfo", 1)
    assert request.message["event"]["payload"] == {"token": "ap-1", "range": {"after": 10}}
    document = await until_status(
        daemon, lambda d: (d["player"]["current"] or {}).get("album") == "Wonderland"
    )
    current = document["player"]["current"]
    assert (current["title"], current["artist"], current["source"]) == (
        "Grieg : Piano Concerto",
        "Alice Sara Ott",
        "AudioPlayer",
    )
    assert (current["provider"], current["lyrics"]) == ("SampleMusicProvider", "la la la")
    text = (await daemon.cli("status", "--config", str(daemon.config_file))).stdout
    assert "provider:  SampleMusicProvider" in text and "[AudioPlayer]" in text
    await daemon.wait_logged("now_playing", source="AudioPlayer", title="Grieg : Piano Concerto")

    payload = {"token": "mp-1", "song": {"category": "NONE", "title": "other"}}
    await mock.push(DEVICE, directive("MediaPlayer", "Play", payload))
    await wait_count(mock, "MediaPlayer.PlaySucceeded", 1)
    assert [e.name for e in mock.events(DEVICE)] == [
        "AudioPlayer.PlayStarted",
        "TemplateRuntime.RequestPlayerInfo",
        "AudioPlayer.PlayStopped",  # the side that lost says so first
        "MediaPlayer.PlaySucceeded",
    ]
    stopped = mock.events(DEVICE, "AudioPlayer.PlayStopped")[0]
    audio = stopped.message["context"][0]["payload"]
    assert (audio["playerActivity"], audio["stream"]["token"]) == ("STOPPED", "ap-1")
    await until_status(daemon, sounding("Other"))
