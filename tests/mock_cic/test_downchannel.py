from __future__ import annotations

import aiohttp
import pytest

from clova_client.mock_cic import MockCicServer, WaitTimeout
from clova_client.protocol import parse_directive

from .helpers import DownchannelReader, name_of, play


async def test_hello_is_the_first_part(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    reader = DownchannelReader(session, server.base_url, "token-a")
    response = await reader.open()
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("multipart/related; boundary=")
    part = await reader.next_part()
    assert part is not None
    hello = parse_directive(part.body)
    assert hello.full_name == "Clova.Hello"
    assert hello.header.message_id
    await server.wait_downchannel("dev-a")
    assert server.device("dev-a").downchannel_open
    reader.close()


async def test_subtype_form_data(session: aiohttp.ClientSession) -> None:
    async with MockCicServer(tokens={"t": "d"}, subtype="form-data") as mock:
        reader = DownchannelReader(session, mock.base_url, "t")
        response = await reader.open()
        assert response.headers["Content-Type"].startswith("multipart/form-data; boundary=")
        part = await reader.next_part()
        assert part is not None and name_of(part) == "Clova.Hello"
        reader.close()


async def test_pushed_directive_arrives_at_once(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    reader = DownchannelReader(session, server.base_url, "token-a")
    await reader.open()
    await reader.next_part()
    await server.push("dev-a", play("a-1", "http://x/1.mp3"), play("a-2", "http://x/2.mp3"))
    first, second = await reader.next_part(), await reader.next_part()
    assert first is not None and second is not None
    assert first.json()["directive"]["payload"]["audioItem"]["audioItemId"] == "a-1"
    assert second.json()["directive"]["header"]["messageId"] == "play-a-2"
    reader.close()


async def test_attachments_come_before_the_directive(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    reader = DownchannelReader(session, server.base_url, "token-a")
    await reader.open()
    await reader.next_part()
    speak = {
        "directive": {
            "header": {"namespace": "SpeechSynthesizer", "name": "Speak", "messageId": "s-1"},
            "payload": {"url": "cid:voice-1"},
        }
    }
    await server.push("dev-a", speak, attachments={"voice-1": b"\x00\x01audio"})
    attachment, directive = await reader.next_part(), await reader.next_part()
    assert attachment is not None and directive is not None
    assert attachment.content_id == "voice-1"
    assert attachment.body == b"\x00\x01audio"
    assert directive.json() == speak
    reader.close()


async def test_push_before_connect_is_delivered_after_hello(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    await server.push("dev-a", play("early", "http://x/e.mp3"))
    reader = DownchannelReader(session, server.base_url, "token-a")
    await reader.open()
    hello, queued = await reader.next_part(), await reader.next_part()
    assert hello is not None and name_of(hello) == "Clova.Hello"
    assert queued is not None and name_of(queued) == "AudioPlayer.Play"
    reader.close()


async def test_devices_have_their_own_downchannels(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    reader_a = DownchannelReader(session, server.base_url, "token-a")
    reader_b = DownchannelReader(session, server.base_url, "token-b")
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
    reader_a.close()
    reader_b.close()


async def test_second_downchannel_releases_the_first(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    first = DownchannelReader(session, server.base_url, "token-a")
    await first.open()
    await first.next_part()
    second = DownchannelReader(session, server.base_url, "token-a")
    await second.open()
    assert await second.next_part() is not None
    assert await first.next_part() is None  # the first ends (closing delimiter)
    assert first.closed_cleanly
    await server.wait_downchannel("dev-a", opened_count=2)
    await server.push("dev-a", play("x", "http://x/x.mp3"))
    part = await second.next_part()
    assert part is not None and name_of(part) == "AudioPlayer.Play"
    first.close()
    second.close()


async def test_two_downchannels_at_once_get_429(session: aiohttp.ClientSession) -> None:
    async with MockCicServer(tokens={"t": "d"}, downchannel_conflict_window=60) as mock:
        first = DownchannelReader(session, mock.base_url, "t")
        await first.open()
        await first.next_part()
        second = DownchannelReader(session, mock.base_url, "t")
        response = await second.open()
        assert response.status == 429
        body = await response.json()
        assert body["directive"]["payload"]["code"] == 429
        first.close()
        second.close()


async def test_wait_downchannel_counts_reopens(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    reader = DownchannelReader(session, server.base_url, "token-a")
    await reader.open()
    await server.wait_downchannel("dev-a", opened_count=1)
    with pytest.raises(WaitTimeout, match="opened 1 time"):
        await server.wait_downchannel("dev-a", opened_count=2, timeout=0.1)
    assert server.drop_downchannel("dev-a")
    assert await reader.next_part() is not None  # Hello
    assert await reader.next_part() is None
    assert not server.device("dev-a").downchannel_open
    reader.close()
    again = DownchannelReader(session, server.base_url, "token-a")
    await again.open()
    await server.wait_downchannel("dev-a", opened_count=2)
    assert server.device("dev-a").downchannel_opens == 2
    again.close()
