from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from clova_client.mock_cic import MockCicServer
from clova_client.protocol.multipart import Part, encode_multipart

from .helpers import auth, event, name_of, play, post_event


async def test_event_is_recorded_with_204(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    before = time.time()
    message = event("AudioPlayer", "PlayStarted", message_id="evt-1")
    status, _, _ = await post_event(session, server.base_url, "token-a", message, audio=b"pcm")
    assert status == 204
    recorded = await server.wait_event("dev-a", "AudioPlayer.PlayStarted")
    assert recorded.name == "AudioPlayer.PlayStarted"
    assert recorded.message_id == "evt-1"
    assert recorded.message == message
    assert recorded.device == "dev-a"
    assert recorded.audio == b"pcm"
    assert before <= recorded.received_at <= time.time()
    assert server.events("dev-b") == []
    assert server.device("dev-a").user_agent == "Test/Device/1.0 (Linux;x86)"


async def test_events_filter_by_name_and_wait_by_index(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    waiter = asyncio.create_task(server.wait_event("dev-a", "AudioPlayer.PlayPaused", index=1))
    for i, name in enumerate(["PlayStarted", "PlayPaused", "PlayResumed", "PlayPaused"]):
        message = event("AudioPlayer", name, message_id=f"m-{i}")
        assert (await post_event(session, server.base_url, "token-a", message))[0] == 204
    second_pause = await waiter
    assert second_pause.message_id == "m-3"
    assert [e.message_id for e in server.events("dev-a", "AudioPlayer.PlayPaused")] == [
        "m-1",
        "m-3",
    ]
    assert len(server.events("dev-a")) == 4


async def test_wait_event_times_out_with_what_was_seen(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    await post_event(session, server.base_url, "token-a", event("AudioPlayer", "PlayStarted"))
    with pytest.raises(TimeoutError, match=r"events received: AudioPlayer\.PlayStarted"):
        await server.wait_event("dev-a", "AudioPlayer.PlayFinished", timeout=0.1)


async def test_invalid_json_is_400_and_not_recorded(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    metadata = Part({"Content-Disposition": 'form-data; name="metadata"'}, b"{not json")
    body, content_type = encode_multipart([metadata])
    headers = {**auth("token-a"), "Content-Type": content_type}
    async with session.post(f"{server.base_url}/v1/events", data=body, headers=headers) as resp:
        assert resp.status == 400
        error = await resp.json()
    assert "malformed JSON" in error["error"]
    assert server.events("dev-a") == []
    assert server.device("dev-a").rejected_events


async def test_event_without_message_id_is_400(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    message = {"context": [], "event": {"header": {"namespace": "A", "name": "B"}, "payload": {}}}
    status, _, _response = await post_event(session, server.base_url, "token-a", message)
    assert status == 400
    assert server.events("dev-a") == []


async def test_queued_reply_answers_the_next_event_with_200(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    server.reply_next("dev-a", play("r-1", "http://x/r.mp3"), on="AudioPlayer.PlayFinished")
    message = event("AudioPlayer", "PlayStarted")
    status, _, _ = await post_event(session, server.base_url, "token-a", message)
    assert status == 204
    finished = event("AudioPlayer", "PlayFinished")
    status, parts, response = await post_event(session, server.base_url, "token-a", finished)
    assert status == 200
    assert response.headers["Content-Type"].startswith("multipart/related; boundary=")
    assert [name_of(p) for p in parts] == ["AudioPlayer.Play"]


async def test_ping_answers_204(server: MockCicServer, session: aiohttp.ClientSession) -> None:
    async with session.get(f"{server.base_url}/ping", headers=auth("token-b")) as response:
        assert response.status == 204
    assert server.device("dev-b").requests["ping"] == 1
