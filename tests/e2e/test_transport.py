"""The daemon speaks CIC's transport: HTTP/2 over TLS (ALPN h2), one connection for the
downchannel, events and pings, which the enforcing mock checks (412 otherwise)."""

from __future__ import annotations

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess, Media
from .helpers import DEVICE, play, wait_event


async def test_one_tls_http2_connection_carries_everything(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    stream = {"token": "tok-t", "url": mock.media_url(e2e_media.name(2000))}
    await mock.push(DEVICE, play("item-t", stream))
    started = await wait_event(mock, "AudioPlayer.PlayStarted")
    record = mock.device(DEVICE)
    connection = next(c for c in mock.connections if c.id == record.downchannel_connection)
    assert (connection.tls, connection.alpn, connection.http_version) == (True, "h2", "2")
    assert started.connection == connection.id
    assert {e.connection for e in mock.events(DEVICE)} == {connection.id}
    assert record.rejected_events == []
    assert record.user_agent is not None and record.user_agent.count("/") == 2
