from __future__ import annotations

import httpx
import pytest

from clova_client.mock_cic import MockCicServer, WaitTimeout
from clova_client.protocol import parse_directive

from .helpers import DownchannelReader, client_for, name_of, play


async def test_hello_is_the_first_part(server: MockCicServer, cic: httpx.AsyncClient) -> None:
    reader = DownchannelReader(cic, "token-a")
    response = await reader.open()
    assert response.status_code == 200
    assert response.http_version == "HTTP/2"
    assert response.headers["Content-Type"].startswith("multipart/related; boundary=")
    part = await reader.next_part()
    assert part is not None
    hello = parse_directive(part.body)
    assert hello.full_name == "Clova.Hello"
    assert hello.header.message_id
    await server.wait_downchannel("dev-a")
    assert server.device("dev-a").downchannel_open
    (connection,) = server.connections
    assert server.device("dev-a").downchannel_connection == connection.id
    assert (connection.tls, connection.alpn, connection.http_version) == (True, "h2", "2")
    await reader.close()


async def test_subtype_form_data() -> None:
    async with (
        MockCicServer(tokens={"t": "d"}, subtype="form-data") as mock,
        client_for(mock) as client,
    ):
        reader = DownchannelReader(client, "t")
        response = await reader.open()
        assert response.headers["Content-Type"].startswith("multipart/form-data; boundary=")
        part = await reader.next_part()
        assert part is not None and name_of(part) == "Clova.Hello"
        await reader.close()


async def test_pushed_directive_arrives_at_once(
    server: MockCicServer, online: DownchannelReader
) -> None:
    await server.push("dev-a", play("a-1", "http://x/1.mp3"), play("a-2", "http://x/2.mp3"))
    first, second = await online.next_part(), await online.next_part()
    assert first is not None and second is not None
    assert first.json()["directive"]["payload"]["audioItem"]["audioItemId"] == "a-1"
    assert second.json()["directive"]["header"]["messageId"] == "play-a-2"


async def test_attachments_come_before_the_directive(
    server: MockCicServer, online: DownchannelReader
) -> None:
    speak = {
        "directive": {
            "header": {"namespace": "SpeechSynthesizer", "name": "Speak", "messageId": "s-1"},
            "payload": {"url": "cid:voice-1"},
        }
    }
    await server.push("dev-a", speak, attachments={"voice-1": b"\x00\x01audio"})
    attachment, directive = await online.next_part(), await online.next_part()
    assert attachment is not None and directive is not None
    assert attachment.content_id == "voice-1"
    assert attachment.body == b"\x00\x01audio"
    assert directive.json() == speak


async def test_push_before_connect_is_delivered_after_hello(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    await server.push("dev-a", play("early", "http://x/e.mp3"))
    reader = DownchannelReader(cic, "token-a")
    await reader.open()
    hello, queued = await reader.next_part(), await reader.next_part()
    assert hello is not None and name_of(hello) == "Clova.Hello"
    assert queued is not None and name_of(queued) == "AudioPlayer.Play"
    await reader.close()


async def test_devices_have_their_own_downchannels(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    reader_a = DownchannelReader(cic, "token-a")
    reader_b = DownchannelReader(cic, "token-b")
    await reader_a.open()
    await reader_b.open()
    await reader_a.next_part()
    await reader_b.next_part()
    await server.push("dev-b", play("for-b", "http://x/b.mp3"))
    await server.push("dev-a", play("for-a", "http://x/a.mp3"))
    part_a, part_b = await reader_a.next_part(), await reader_b.next_part()
    assert part_a is not None and part_b is not None
    assert part_a.json()["directive"]["header"]["messageId"] == "play-for-a"
    assert part_b.json()["directive"]["header"]["messageId"] == "play-for-b"
    await reader_a.close()
    await reader_b.close()


async def test_second_downchannel_releases_the_first_after_the_window() -> None:
    async with (
        MockCicServer(tokens={"t": "d"}, downchannel_conflict_window=0) as mock,
        client_for(mock) as client,
    ):
        first = DownchannelReader(client, "t")
        await first.open()
        await first.next_part()
        second = DownchannelReader(client, "t")
        await second.open()
        assert await second.next_part() is not None
        assert await first.next_part() is None  # the first ends (closing delimiter)
        assert first.closed_cleanly
        await mock.wait_downchannel("d", opened_count=2)
        await mock.push("d", play("x", "http://x/x.mp3"))
        part = await second.next_part()
        assert part is not None and name_of(part) == "AudioPlayer.Play"
        await first.close()
        await second.close()


async def test_two_downchannels_at_once_get_429(
    server: MockCicServer, online: DownchannelReader, cic: httpx.AsyncClient
) -> None:
    assert server.rules.downchannel_conflict_window == 0.5  # on by default
    second = DownchannelReader(cic, "token-a")
    response = await second.open()
    assert response.status_code == 429
    assert response.json()["directive"]["payload"]["code"] == 429
    await server.push("dev-a", play("still", "http://x/s.mp3"))
    part = await online.next_part()  # the first one is still the downchannel
    assert part is not None and name_of(part) == "AudioPlayer.Play"
    assert server.device("dev-a").downchannel_opens == 1


async def test_wait_downchannel_counts_reopens(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    reader = DownchannelReader(cic, "token-a")
    await reader.open()
    await server.wait_downchannel("dev-a", opened_count=1)
    with pytest.raises(WaitTimeout, match="opened 1 time"):
        await server.wait_downchannel("dev-a", opened_count=2, timeout=0.1)
    assert server.drop_downchannel("dev-a")
    assert await reader.next_part() is not None  # Hello
    assert await reader.next_part() is None
    assert not server.device("dev-a").downchannel_open
    await reader.close()
    again = DownchannelReader(cic, "token-a")
    await again.open()
    await server.wait_downchannel("dev-a", opened_count=2)
    assert server.device("dev-a").downchannel_opens == 2
    assert len(server.connections) == 1  # reopened on the same connection
    await again.close()
