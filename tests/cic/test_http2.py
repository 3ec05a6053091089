"""HTTP/2 against the mock: downchannel, events and pings share ONE connection, over TLS (ALPN
h2, the mock's CA) and over h2c (prior knowledge); a client speaking HTTP/1.1 is refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from clova_client.cic.state import ConnectionState as S
from clova_client.clock import ManualClock
from clova_client.mock_cic import MockCicServer
from clova_client.protocol import make_event

from .helpers import DEVICE, REFRESH, TOKEN, HarnessFactory, audio_event, until


@pytest.fixture
async def h2c_mock() -> AsyncIterator[MockCicServer]:
    tokens, refresh = {TOKEN: DEVICE}, {REFRESH: DEVICE}
    async with MockCicServer(tokens=tokens, refresh_tokens=refresh, tls=False) as server:
        yield server


async def exercise(make_harness: HarnessFactory, mock: MockCicServer) -> None:
    clock = ManualClock()
    h = make_harness(mock, clock=clock)
    await h.connected()
    for i in range(3):
        await h.client.delivery.store(audio_event("PlayStarted", {"token": f"t{i}"}))
    await mock.wait_event(DEVICE, "AudioPlayer.PlayStarted", index=2)
    clock.advance(30)  # one keep-alive ping
    await until(lambda: mock.device(DEVICE).requests.get("ping") == 1)
    await h.stop()


async def test_everything_shares_one_connection_over_tls(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    assert mock.base_url.startswith("https://")
    await exercise(make_harness, mock)
    (connection,) = mock.connections
    assert (connection.tls, connection.alpn, connection.http_version) == (True, "h2", "2")
    assert connection.requests == {"directives": 1, "events": 3, "ping": 1}
    assert {e.connection for e in mock.events(DEVICE)} == {connection.id}


async def test_everything_shares_one_connection_over_h2c(
    h2c_mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    assert h2c_mock.base_url.startswith("http://")
    await exercise(make_harness, h2c_mock)  # settings_for: http2_prior_knowledge
    (connection,) = h2c_mock.connections
    assert (connection.tls, connection.http_version) == (False, "2")
    assert connection.requests == {"directives": 1, "events": 3, "ping": 1}


async def test_http1_is_refused(h2c_mock: MockCicServer, make_harness: HarnessFactory) -> None:
    clock = ManualClock()
    h = make_harness(h2c_mock, clock=clock, http2_prior_knowledge=False)
    await until(lambda: h.client.state is S.BACKING_OFF)
    assert h.client.last_failure is not None and "HTTP 505" in h.client.last_failure
    assert [c.http_version for c in h2c_mock.connections] == ["1.1"]
    assert h2c_mock.device(DEVICE).downchannel_opens == 0


def test_event_body_is_multipart_metadata() -> None:
    from clova_client.protocol.multipart import MultipartParser, encode_event

    event = make_event("AudioPlayer", "PlayStarted", {"token": "t"})
    body, ctype = encode_event(event.to_json())
    (part,) = MultipartParser.from_content_type(ctype).feed(body)
    assert part.name == "metadata" and json.loads(part.body) == event.to_json()
