from __future__ import annotations

from typing import Any

import aiohttp
import httpx
import pytest

from clova_client.mock_cic import MockCicServer
from clova_client.protocol import parse_directive

from .helpers import DownchannelReader, event, name_of, play, playback_state, post_event

pytestmark = pytest.mark.usefixtures("online")  # events need the downchannel's connection

STREAM = {"token": "tok-9", "url": "http://media/9.mp3"}


def stream_requested(item_id: str | None, token: str = "tok-9") -> dict[str, Any]:
    payload: dict[str, Any] = {
        "audioStream": {"token": token, "url": f"clova:{token}", "urlPlayable": False}
    }
    if item_id:
        payload["audioItemId"] = item_id
    return event("AudioPlayer", "StreamRequested", payload, dialogRequestId="dlg-1")


async def test_stream_requested_gets_stream_deliver_in_the_response(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    server.responders.stream_deliver["item-9"] = STREAM
    status, parts, _ = await post_event(cic, "token-a", stream_requested("item-9"))
    assert status == 200
    (part,) = parts
    deliver = parse_directive(part.body)
    assert deliver.full_name == "AudioPlayer.StreamDeliver"
    assert deliver.payload.audio_item_id == "item-9"
    assert deliver.payload.stream.url == "http://media/9.mp3"
    assert deliver.header.dialog_request_id == "dlg-1"
    assert server.events("dev-a", "AudioPlayer.StreamRequested")


async def test_stream_requested_without_item_id_matches_the_token(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    server.responders.stream_deliver["tok-9"] = STREAM
    status, parts, _ = await post_event(cic, "token-a", stream_requested(None))
    assert status == 200
    assert parts[0].json()["directive"]["payload"]["stream"] == STREAM


async def test_unknown_item_gets_204(server: MockCicServer, cic: httpx.AsyncClient) -> None:
    status, parts, _ = await post_event(cic, "token-a", stream_requested("?"))
    assert (status, parts) == (204, [])


async def test_reply_via_downchannel(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    server.responders.update({"stream_deliver": {"item-9": STREAM}, "reply_via": "downchannel"})
    status, _, _ = await post_event(cic, "token-a", stream_requested("item-9"))
    assert status == 204
    part = await online.next_part()
    assert part is not None and name_of(part) == "AudioPlayer.StreamDeliver"


async def test_request_player_info_gets_render_player_info(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    info = {"playableItems": [{"token": "tok-1", "titleText": "Song"}], "controls": []}
    server.responders.player_info["tok-1"] = info
    request = event(
        "TemplateRuntime", "RequestPlayerInfo", {"token": "tok-1", "range": {"after": 5}}
    )
    status, parts, _ = await post_event(cic, "token-a", request)
    assert status == 200
    render = parse_directive(parts[0].body)
    assert render.full_name == "TemplateRuntime.RenderPlayerInfo"
    assert render.payload.item_for("tok-1").title_text == "Song"


def _finished(token: str) -> dict[str, Any]:
    message = event("AudioPlayer", "PlayFinished")
    message["context"] = [playback_state("STOPPED", {"token": token, "url": "u"})]
    return message


async def test_play_finished_gets_the_next_play_of_the_playlist(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    playlist = [
        play(f"p-{i}", f"http://m/{i}.mp3", token=f"t-{i}")["directive"]["payload"]
        for i in range(3)
    ]
    server.responders.playlist = playlist
    status, parts, _ = await post_event(cic, "token-a", _finished("t-0"))
    assert status == 200
    nxt = parse_directive(parts[0].body)
    assert nxt.full_name == "AudioPlayer.Play"
    assert nxt.payload.audio_item.audio_item_id == "p-1"
    status, parts, _ = await post_event(cic, "token-a", _finished("t-1"))
    assert parts[0].json()["directive"]["payload"]["audioItem"]["audioItemId"] == "p-2"
    status, parts, _ = await post_event(cic, "token-a", _finished("t-2"))
    assert status == 204  # end of the playlist
    server.responders.playlist_loop = True
    status, parts, _ = await post_event(cic, "token-a", _finished("t-2"))
    assert parts[0].json()["directive"]["payload"]["audioItem"]["audioItemId"] == "p-0"


async def test_a_bad_playlist_is_refused_and_never_installed(
    server: MockCicServer, cic: httpx.AsyncClient, session: aiohttp.ClientSession
) -> None:
    good = [play("p-0", "http://m/0.mp3", token="t-0")["directive"]["payload"]]
    server.responders.update({"playlist": good})
    url = f"{server.control_url}/_mock/responders"
    for bad, reason in [
        ({"playlist": ["not-a-play"]}, "playlist[0] must be an object"),
        ({"replace": True, "playlist": [{"audioItem": "x"}]}, "playlist[0].audioItem"),
        ({"playlist": "p-0"}, "playlist must be a list"),
        ({"stream_deliver": {"i-1": "http://m/1.mp3"}}, "stream_deliver['i-1']"),
        ({"stream_deliver": ["i-1"]}, "stream_deliver must be an object"),
        ({"player_info": {"t": 3}, "reply_via": "downchannel"}, "player_info['t']"),
    ]:
        async with session.post(url, json=bad) as response:
            body = await response.json()
        assert response.status == 400, bad
        assert reason in body["error"]
    assert server.responders.playlist == good  # untouched, even by the "replace: true" one
    assert server.responders.stream_deliver == {}
    assert server.responders.reply_via == "response"
    # PlayFinished is answered normally and recorded once (no 500, no client retry).
    status, parts, _ = await post_event(cic, "token-a", _finished("t-x"))
    assert status == 200 and name_of(parts[0]) == "AudioPlayer.Play"
    assert len(server.events("dev-a", "AudioPlayer.PlayFinished")) == 1


def test_button_events_are_answered_with_the_matching_directive() -> None:
    from clova_client.mock_cic.responders import Responders

    responders = Responders()
    pressed = {
        "context": [],
        "event": {
            "header": {"namespace": "PlaybackController", "name": "NextCommandIssued"},
            "payload": {"source": {"namespace": "MediaPlayer"}},
        },
    }
    (answer,) = responders.answer("dev", "PlaybackController.NextCommandIssued", pressed)
    assert answer["directive"]["header"]["namespace"] == "PlaybackController"
    assert answer["directive"]["header"]["name"] == "Next"
    assert answer["directive"]["payload"] == {"target": {"namespace": "MediaPlayer"}}
    responders.update({"buttons": False})
    assert responders.answer("dev", "PlaybackController.NextCommandIssued", pressed) == []
