from __future__ import annotations

import asyncio
import base64
from typing import Any

import aiohttp

from clova_client.mock_cic import MockCicServer

from .helpers import DownchannelReader, auth, event, name_of, play, post_event


async def call(
    session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, Any]:
    async with session.request(method, url, **kwargs) as response:
        return response.status, await response.json()


async def test_push_through_the_control_api(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    reader = DownchannelReader(session, server.base_url, "token-a")
    await reader.open()
    await reader.next_part()
    body = {
        "device": "dev-a",
        "directives": [play("c-1", "http://x/1.mp3")],
        "attachments": {"cid-1": base64.b64encode(b"bin").decode()},
    }
    status, answer = await call(session, "POST", f"{server.base_url}/_mock/push", json=body)
    assert (status, answer["delivered"]) == (200, True)
    attachment, directive = await reader.next_part(), await reader.next_part()
    assert attachment is not None and attachment.body == b"bin"
    assert directive is not None and name_of(directive) == "AudioPlayer.Play"
    reader.close()


async def test_events_list_filter_and_wait(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    url = server.base_url
    waiting = asyncio.create_task(
        call(
            session,
            "GET",
            f"{url}/_mock/events/wait",
            params={"device": "dev-a", "name": "A.Two", "timeout": "5"},
        )
    )
    await post_event(session, url, "token-a", event("A", "One", message_id="1"))
    await post_event(session, url, "token-a", event("A", "Two", message_id="2"), audio=b"au")
    status, body = await waiting
    assert status == 200
    assert body["event"]["message_id"] == "2"
    assert base64.b64decode(body["event"]["audio"]) == b"au"
    status, body = await call(
        session, "GET", f"{url}/_mock/events", params={"device": "dev-a", "name": "A.One"}
    )
    assert [e["message_id"] for e in body["events"]] == ["1"]
    assert body["events"][0]["received_at"] > 0
    status, body = await call(
        session,
        "GET",
        f"{url}/_mock/events/wait",
        params={"device": "dev-a", "name": "A.Two", "index": "1", "timeout": "0.1"},
    )
    assert status == 408
    assert "no A.Two #1" in body["error"]


async def test_faults_and_devices_through_the_control_api(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    url = server.base_url
    async with session.get(f"{url}/ping", headers=auth("token-b")) as response:
        assert response.status == 204
    fault = {"type": "fail_next", "n": 1, "status": 500, "path_prefix": "/ping"}
    assert (await call(session, "POST", f"{url}/_mock/faults", json=fault))[0] == 200
    async with session.get(f"{url}/ping", headers=auth("token-b")) as response:
        assert response.status == 500
    status, body = await call(session, "POST", f"{url}/_mock/faults", json={"type": "bogus"})
    assert status == 400 and "unknown fault type" in body["error"]
    expire = {"type": "expire_token", "device": "dev-b"}
    await call(session, "POST", f"{url}/_mock/faults", json=expire)
    async with session.get(f"{url}/ping", headers=auth("token-b")) as response:
        assert response.status == 401
    status, body = await call(session, "GET", f"{url}/_mock/devices")
    assert body["known_devices"] == ["dev-a", "dev-b"]
    assert body["devices"]["dev-b"]["requests"] == {"ping": 1}  # failed/refused: not counted
    assert body["devices"]["dev-b"]["connections"] == 1


async def test_refuse_connections_through_the_control_api(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    url = server.base_url
    fault = {"type": "refuse_connections", "seconds": 0.3}
    status, body = await call(session, "POST", f"{url}/_mock/faults", json=fault)
    assert status == 200 and body["ok"]
    async with aiohttp.ClientSession() as fresh:
        try:
            await call(fresh, "GET", f"{url}/_mock/devices")
            refused = False
        except aiohttp.ClientConnectorError:
            refused = True
        assert refused
        async with asyncio.timeout(10):
            while True:
                try:
                    status, _ = await call(fresh, "GET", f"{url}/_mock/devices")
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
        assert status == 200


async def test_responders_reply_and_reset_through_the_control_api(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    url = server.base_url
    tables = {"stream_deliver": {"i-1": {"url": "http://m/1.mp3"}}, "reply_via": "response"}
    status, body = await call(session, "POST", f"{url}/_mock/responders", json=tables)
    assert status == 200 and body["stream_deliver"] == tables["stream_deliver"]
    bad = await call(session, "POST", f"{url}/_mock/responders", json={"reply_via": "pigeon"})
    assert bad[0] == 400
    request = event("AudioPlayer", "StreamRequested", {"audioItemId": "i-1", "audioStream": {}})
    status, parts, _ = await post_event(session, url, "token-a", request)
    assert status == 200 and name_of(parts[0]) == "AudioPlayer.StreamDeliver"
    reply = {"device": "dev-a", "directive": play("r", "http://m/r.mp3"), "on": "A.B"}
    assert (await call(session, "POST", f"{url}/_mock/reply", json=reply))[0] == 200
    status, parts, _ = await post_event(session, url, "token-a", event("A", "B"))
    assert status == 200 and name_of(parts[0]) == "AudioPlayer.Play"
    assert (await call(session, "POST", f"{url}/_mock/reset"))[0] == 200
    assert server.events("dev-a") == []
    assert server.responders.stream_deliver == {}


async def test_control_errors_are_readable(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    url = server.base_url
    status, body = await call(session, "POST", f"{url}/_mock/push", json={"device": "dev-a"})
    assert status == 400 and "directive" in body["error"]
    status, body = await call(session, "GET", f"{url}/_mock/events")
    assert status == 400 and "device is required" in body["error"]


async def test_non_finite_numbers_are_a_400_not_a_500(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    url = server.base_url
    status, answer = await call(
        session,
        "GET",
        f"{url}/_mock/events/wait",
        params={"device": "dev-a", "name": "A.One", "index": "nan"},
    )
    assert (status, answer["ok"]) == (400, False)
    assert "index must be a finite number" in answer["error"]
    fault = {"type": "fail_next", "n": "inf", "status": 500}
    status, answer = await call(session, "POST", f"{url}/_mock/faults", json=fault)
    assert (status, answer["ok"]) == (400, False)
    assert server.faults.fail_rules == []
