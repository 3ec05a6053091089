"""CIC's rules, enforced by default: 412 (connection), 400 (User-Agent, PlaybackState), HTTP/2."""

from __future__ import annotations

import httpx
import pytest

from clova_client.mock_cic import MockCicServer
from clova_client.mock_cic.state import MockState

from .helpers import DownchannelReader, auth, client_for, event, h2_client, post_event


async def test_event_on_another_connection_is_412(
    server: MockCicServer, online: DownchannelReader
) -> None:
    async with client_for(server) as other:
        status, _, response = await post_event(
            other, "token-a", event("AudioPlayer", "PlayStarted")
        )
    assert status == 412
    body = response.json()["directive"]
    assert body["header"]["name"] == "Exception" and body["payload"]["code"] == 412
    assert "the downchannel is on connection" in body["payload"]["description"]
    assert server.events("dev-a") == []
    (rejected,) = server.device("dev-a").rejected_events
    assert rejected["status"] == 412
    first, second = server.connections
    assert first.id != second.id and second.requests == {"events": 1}


async def test_event_without_a_downchannel_is_412(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    status, _, response = await post_event(cic, "token-a", event("AudioPlayer", "PlayStarted"))
    assert status == 412
    assert "no downchannel is open" in response.json()["directive"]["payload"]["description"]


def test_event_before_hello_was_written_is_refused() -> None:
    state = MockState({"t": "d"})
    connection = state.connections.new("127.0.0.1:1", tls=True, alpn="h2", control=None)
    channel = state.open_downchannel("d", connection)
    assert channel is not None
    assert state.event_refusal("d", connection) == (
        "event before Clova.Hello was written on the downchannel"
    )
    state.downchannel_up(channel)
    assert state.event_refusal("d", connection) is None


async def test_the_connection_rule_can_be_switched_off(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    server.rules.same_connection = False
    status, _, _ = await post_event(cic, "token-a", event("AudioPlayer", "PlayStarted"))
    assert status == 204


@pytest.mark.parametrize(
    "agent",
    ["Test/Device/1.0 (Linux;x86)", "curl/8.0", "Test/Device/1.0.0 Linux", ""],
)
async def test_malformed_user_agent_is_400(
    server: MockCicServer, cic: httpx.AsyncClient, agent: str
) -> None:
    for path in ("/ping", "/v1/directives"):
        response = await cic.get(path, headers=auth("token-a", agent))
        assert response.status_code == 400, path
        description = response.json()["directive"]["payload"]["description"]
        assert "User-Agent" in description
    assert server.device("dev-a").requests == {}  # refused requests are not counted


async def test_malformed_user_agent_on_an_event_is_400(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    message = event("Test", "Thing")
    status, _, _ = await post_event(cic, "token-a", message, agent="Test/Device (Linux 6;x86)")
    assert status == 400
    assert server.events("dev-a") == []


async def test_audioplayer_event_without_playback_state_is_400(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    message = event("AudioPlayer", "PlayStarted")
    message["context"] = []
    status, _, response = await post_event(cic, "token-a", message)
    assert status == 400
    assert "AudioPlayer.PlaybackState" in response.json()["error"]
    assert server.events("dev-a") == []
    other = event("TemplateRuntime", "RequestPlayerInfo", {"token": "t"})
    assert (await post_event(cic, "token-a", other))[0] == 204  # only AudioPlayer needs it
    request = event("AudioPlayer", "StreamRequested", {"audioItemId": "i", "audioStream": {}})
    request["context"] = []  # the spec: "Context fields: None"
    assert (await post_event(cic, "token-a", request))[0] == 204
    server.rules.playback_state = False
    assert (await post_event(cic, "token-a", message))[0] == 204


async def test_http1_is_refused_with_505(server: MockCicServer) -> None:
    async with h2_client(server.base_url, server.ca_file, http1=True) as client:
        response = await client.get("/ping", headers=auth("token-a"))
    assert response.http_version == "HTTP/1.1"
    assert response.status_code == 505
    assert "HTTP/2" in response.json()["directive"]["payload"]["description"]
    assert server.connections[0].http_version == "1.1"


async def test_h2c_with_prior_knowledge() -> None:
    async with MockCicServer(tokens={"t": "d"}, tls=False) as mock:
        assert mock.base_url.startswith("http://") and mock.ca_file is None
        async with h2_client(mock.base_url) as client:
            reader = DownchannelReader(client, "t")
            assert (await reader.open()).http_version == "HTTP/2"
            assert await reader.next_part() is not None
            status, _, _ = await post_event(client, "t", event("AudioPlayer", "PlayStarted"))
            assert status == 204
            await reader.close()
        async with h2_client(mock.base_url, http1=True) as old:
            assert (await old.get("/ping", headers=auth("t"))).status_code == 505
        (first, second) = mock.connections
        assert (first.tls, first.alpn, first.http_version) == (False, None, "2")
        assert second.http_version == "1.1"
