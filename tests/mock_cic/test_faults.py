from __future__ import annotations

import asyncio

import aiohttp
import pytest

from clova_client.mock_cic import MockCicServer

from .helpers import DownchannelReader, auth, event, play, post_event


async def ping(session: aiohttp.ClientSession, base_url: str, token: str = "token-a") -> int:
    async with session.get(f"{base_url}/ping", headers=auth(token)) as response:
        return response.status


@pytest.mark.parametrize("status", [500, 401, 429])
async def test_fail_next_answers_n_requests_then_recovers(
    server: MockCicServer, session: aiohttp.ClientSession, status: int
) -> None:
    server.fail_next(2, status)
    for _ in range(2):
        code, _, _response = await post_event(session, server.base_url, "token-a", event("A", "B"))
        assert code == status
    assert server.events("dev-a") == []
    assert (await post_event(session, server.base_url, "token-a", event("A", "B")))[0] == 204
    assert len(server.events("dev-a")) == 1


async def test_fail_next_with_path_prefix_and_retry_after(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    server.fail_next(1, 429, path_prefix="/v1/directives", retry_after=2)
    assert await ping(session, server.base_url) == 204  # not under the prefix
    reader = DownchannelReader(session, server.base_url, "token-a")
    response = await reader.open()
    assert response.status == 429
    assert response.headers["Retry-After"] == "2"
    assert (await response.json())["directive"]["payload"]["code"] == 429
    reader.close()
    again = DownchannelReader(session, server.base_url, "token-a")
    assert (await again.open()).status == 200
    again.close()


async def test_drop_downchannel_abort_cuts_the_stream(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    reader = DownchannelReader(session, server.base_url, "token-a")
    await reader.open()
    await reader.next_part()
    await server.wait_downchannel("dev-a")
    server.drop_downchannel("dev-a", abort=True)
    with pytest.raises(aiohttp.ClientPayloadError):
        await reader.next_part()
    assert not reader.closed_cleanly
    reader.close()


async def test_stalled_event_is_recorded_when_the_client_waits(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    server.stall_next_event(0.3)
    posting = asyncio.create_task(
        post_event(session, server.base_url, "token-a", event("A", "Stalled"))
    )
    await asyncio.sleep(0.1)
    assert not posting.done()
    assert server.events("dev-a") == []
    assert (await posting)[0] == 204
    assert [e.name for e in server.events("dev-a")] == ["A.Stalled"]


async def test_stalled_event_is_dropped_when_the_client_gives_up(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    server.stall_next_event(0.5)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await post_event(session, server.base_url, "token-a", event("A", "Abandoned"))
    assert (await post_event(session, server.base_url, "token-a", event("A", "Next")))[0] == 204
    await asyncio.sleep(0.7)  # past the stall: the abandoned event must still be missing
    assert [e.name for e in server.events("dev-a")] == ["A.Next"]


async def test_ignored_pings_hang_until_turned_off(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    server.ignore_pings(True)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await ping(session, server.base_url)
    pending = asyncio.create_task(ping(session, server.base_url))
    await asyncio.sleep(0.05)
    assert not pending.done()
    server.ignore_pings(False)
    assert await pending == 204


async def _wait_until_connectable(session: aiohttp.ClientSession, url: str) -> int:
    async with asyncio.timeout(10):
        while True:
            try:
                return await ping(session, url)
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)


async def test_refuse_connections_really_refuses_tcp(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    reader = DownchannelReader(session, server.base_url, "token-a")
    await reader.open()
    await reader.next_part()
    port = server.port
    server.refuse_connections(0.5)
    with pytest.raises(aiohttp.ClientPayloadError):
        await reader.next_part()  # the open downchannel is cut mid-stream
    async with aiohttp.ClientSession() as fresh:
        with pytest.raises(aiohttp.ClientConnectorError):
            await ping(fresh, server.base_url)
        assert await _wait_until_connectable(fresh, server.base_url) == 204
    assert server.port == port
    reader.close()


async def test_restart_keeps_the_port_and_the_record(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    reader = DownchannelReader(session, server.base_url, "token-a")
    await reader.open()
    await reader.next_part()
    await post_event(session, server.base_url, "token-a", event("A", "Before"))
    port = server.port
    await server.restart()
    assert server.port == port
    with pytest.raises(aiohttp.ClientPayloadError):
        await reader.next_part()  # the downchannel was cut with the old server
    reader.close()
    assert [e.name for e in server.events("dev-a")] == ["A.Before"]
    async with aiohttp.ClientSession() as fresh:
        again = DownchannelReader(fresh, server.base_url, "token-a")
        await again.open()
        await server.wait_downchannel("dev-a", opened_count=2)
        await server.push("dev-a", play("after", "http://x/a.mp3"))
        assert await again.next_part() is not None  # Hello
        assert (await again.next_part()) is not None
        again.close()


async def test_reset_forgets_events_faults_and_responders(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    await post_event(session, server.base_url, "token-a", event("A", "B"))
    server.fail_next(5, 500)
    server.expire_token("dev-a")
    server.responders.stream_deliver["x"] = {"url": "u"}
    server.reset()
    assert server.events("dev-a") == []
    assert server.responders.stream_deliver == {}
    assert await ping(session, server.base_url) == 204
