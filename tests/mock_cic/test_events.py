from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from clova_client.mock_cic import MockCicServer
from clova_client.protocol.multipart import Part, encode_multipart

from .helpers import UA, DownchannelReader, auth, event, name_of, play, post_event


async def test_event_is_recorded_with_204_and_its_connection(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    before = time.time()
    message = event("AudioPlayer", "PlayStarted", message_id="evt-1")
    status, _, _ = await post_event(cic, "token-a", message, audio=b"pcm")
    assert status == 204
    recorded = await server.wait_event("dev-a", "AudioPlayer.PlayStarted")
    assert recorded.name == "AudioPlayer.PlayStarted"
    assert recorded.message_id == "evt-1"
    assert recorded.message == message
    assert recorded.device == "dev-a"
    assert recorded.audio == b"pcm"
    assert before <= recorded.received_at <= time.time()
    (connection,) = server.connections
    assert recorded.connection == connection.id
    assert recorded.to_json()["connection"] == connection.id
    assert connection.requests == {"directives": 1, "events": 1}
    assert server.events("dev-b") == []
    assert server.device("dev-a").user_agent == UA


async def test_events_filter_by_name_and_wait_by_index(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    waiter = asyncio.create_task(server.wait_event("dev-a", "AudioPlayer.PlayPaused", index=1))
    for i, name in enumerate(["PlayStarted", "PlayPaused", "PlayResumed", "PlayPaused"]):
        message = event("AudioPlayer", name, message_id=f"m-{i}")
        assert (await post_event(cic, "token-a", message))[0] == 204
    second_pause = await waiter
    assert second_pause.message_id == "m-3"
    assert [e.message_id for e in server.events("dev-a", "AudioPlayer.PlayPaused")] == [
        "m-1",
        "m-3",
    ]
    assert len(server.events("dev-a")) == 4


async def test_wait_event_times_out_with_what_was_seen(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    await post_event(cic, "token-a", event("AudioPlayer", "PlayStarted"))
    with pytest.raises(TimeoutError, match=r"events received: AudioPlayer\.PlayStarted"):
        await server.wait_event("dev-a", "AudioPlayer.PlayFinished", timeout=0.1)


async def test_invalid_json_is_400_and_not_recorded(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    metadata = Part({"Content-Disposition": 'form-data; name="metadata"'}, b"{not json")
    body, content_type = encode_multipart([metadata])
    headers = {**auth("token-a"), "Content-Type": content_type}
    response = await cic.post("/v1/events", content=body, headers=headers)
    assert response.status_code == 400
    assert "malformed JSON" in response.json()["error"]
    assert server.events("dev-a") == []
    assert server.device("dev-a").rejected_events[0]["status"] == 400


async def test_event_without_message_id_is_400(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    message = {"context": [], "event": {"header": {"namespace": "A", "name": "B"}, "payload": {}}}
    status, _, _response = await post_event(cic, "token-a", message)
    assert status == 400
    assert server.events("dev-a") == []


async def test_queued_reply_answers_the_next_event_with_200(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    server.reply_next("dev-a", play("r-1", "http://x/r.mp3"), on="AudioPlayer.PlayFinished")
    status, _, _ = await post_event(cic, "token-a", event("AudioPlayer", "PlayStarted"))
    assert status == 204
    finished = event("AudioPlayer", "PlayFinished")
    status, parts, response = await post_event(cic, "token-a", finished)
    assert status == 200
    assert response.headers["Content-Type"].startswith("multipart/related; boundary=")
    assert [name_of(p) for p in parts] == ["AudioPlayer.Play"]


async def test_ping_answers_204(server: MockCicServer, cic: httpx.AsyncClient) -> None:
    response = await cic.get("/ping", headers=auth("token-b"))
    assert response.status_code == 204
    assert server.device("dev-b").requests["ping"] == 1


VOLUME = {"header": {"namespace": "Speaker", "name": "VolumeState"}, "payload": {}}


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("ProgressReportIntervalPassed", {"token": "TR-NM-4435786", "offsetInMilliseconds": 1}),
        ("PlayPaused", {}),  # the older AudioPlayer file: payload "None"
        ("ReportPlaybackState", {"playerActivity": "IDLE", "repeatMode": "NONE"}),
        ("ReportPlaybackState", {}),
    ],
)
async def test_audioplayer_payloads_of_both_documents_are_accepted(
    server: MockCicServer,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
    name: str,
    payload: dict[str, object],
) -> None:
    message = event("AudioPlayer", name, payload)
    message["context"].append({**VOLUME, "payload": {"volume": 25, "muted": False}})
    assert (await post_event(cic, "token-a", message))[0] == 204
    assert (await server.wait_event("dev-a", f"AudioPlayer.{name}")).message == message


@pytest.mark.parametrize(
    ("name", "payload", "volume", "path"),
    [
        ("PlayStarted", {"offsetInMilliseconds": -1}, None, "event.payload.offsetInMilliseconds"),
        ("PlayStarted", {"token": 7}, None, "event.payload.token"),
        ("ReportPlaybackState", {"playerActivity": "GONE"}, None, "playerActivity"),
        ("PlayStarted", {}, {"volume": 25}, "context[1].payload.muted"),
        ("PlayStarted", {}, {"volume": "25", "muted": False}, "context[1].payload.volume"),
        ("PlayStarted", {}, {"volume": -1, "muted": False}, "context[1].payload.volume"),
    ],
)
async def test_malformed_audioplayer_payload_or_volume_state_is_400(
    server: MockCicServer,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
    name: str,
    payload: dict[str, object],
    volume: dict[str, object] | None,
    path: str,
) -> None:
    message = event("AudioPlayer", name, payload)
    if volume is not None:
        message["context"].append({**VOLUME, "payload": volume})
    status, _, response = await post_event(cic, "token-a", message)
    assert status == 400
    assert any(path in e["path"] for e in response.json()["errors"]), response.json()
    assert server.events("dev-a") == []
