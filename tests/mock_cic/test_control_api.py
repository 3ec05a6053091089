from __future__ import annotations

import asyncio
import base64
from typing import Any

import aiohttp
import httpx

from clova_client.mock_cic import MockCicServer

from .helpers import DownchannelReader, auth, event, name_of, play, post_event


async def call(
    session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, Any]:
    async with session.request(method, url, **kwargs) as response:
        return response.status, await response.json()


async def test_push_through_the_control_api(
    server: MockCicServer, session: aiohttp.ClientSession, online: DownchannelReader
) -> None:
    reader = online
    body = {
        "device": "dev-a",
        "directives": [play("c-1", "http://x/1.mp3")],
        "attachments": {"cid-1": base64.b64encode(b"bin").decode()},
    }
    status, answer = await call(session, "POST", f"{server.control_url}/_mock/push", json=body)
    assert (status, answer["delivered"]) == (200, True)
    attachment, directive = await reader.next_part(), await reader.next_part()
    assert attachment is not None and attachment.body == b"bin"
    assert directive is not None and name_of(directive) == "AudioPlayer.Play"


async def test_events_list_filter_and_wait(
    server: MockCicServer,
    session: aiohttp.ClientSession,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
) -> None:
    url = server.control_url
    waiting = asyncio.create_task(
        call(
            session,
            "GET",
            f"{url}/_mock/events/wait",
            params={"device": "dev-a", "name": "A.Two", "timeout": "5"},
        )
    )
    await post_event(cic, "token-a", event("A", "One", message_id="1"))
    await post_event(cic, "token-a", event("A", "Two", message_id="2"), audio=b"au")
    status, body = await waiting
    assert status == 200
    assert body["event"]["message_id"] == "2"
    assert body["event"]["connection"] == server.connections[0].id
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


async def test_events_since_a_position(
    server: MockCicServer,
    session: aiohttp.ClientSession,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
) -> None:
    url = f"{server.control_url}/_mock/events"
    for i, name in enumerate(["One", "Two", "One"]):
        await post_event(cic, "token-a", event("A", name, message_id=str(i)))
    status, body = await call(session, "GET", url, params={"device": "dev-a", "since": "1"})
    assert status == 200
    assert (body["since"], body["total"]) == (1, 3)
    assert [e["message_id"] for e in body["events"]] == ["1", "2"]
    params = {"device": "dev-a", "name": "A.One", "since": "1", "timeout": "5"}
    status, body = await call(session, "GET", f"{url}/wait", params=params)
    assert status == 200 and body["event"]["message_id"] == "2"  # #0 counted from position 1
    params = {**params, "since": "3", "timeout": "0.05"}
    status, body = await call(session, "GET", f"{url}/wait", params=params)
    assert status == 408
    assert body["error"] == (
        "no A.One #0 from #3 on from device 'dev-a' within 0.05 s; events received from #3 on: none"
    )
    for bad in ({"since": "-1"}, {"since": "1.5"}, {"since": "x"}):
        status, body = await call(session, "GET", url, params={"device": "dev-a", **bad})
        assert status == 400 and "since must be" in body["error"]


async def test_faults_and_devices_through_the_control_api(
    server: MockCicServer, session: aiohttp.ClientSession, cic: httpx.AsyncClient
) -> None:
    url = server.control_url
    assert (await cic.get("/ping", headers=auth("token-b"))).status_code == 204
    fault = {"type": "fail_next", "n": 1, "status": 500, "path_prefix": "/ping"}
    assert (await call(session, "POST", f"{url}/_mock/faults", json=fault))[0] == 200
    assert (await cic.get("/ping", headers=auth("token-b"))).status_code == 500
    status, body = await call(session, "POST", f"{url}/_mock/faults", json={"type": "bogus"})
    assert status == 400 and "unknown fault type" in body["error"]
    typo = {"type": "drop_downchannel", "device": "dev-a", "abrot": True}
    status, body = await call(session, "POST", f"{url}/_mock/faults", json=typo)
    assert status == 400 and "unknown parameter(s) ['abrot']" in body["error"]
    expire = {"type": "expire_token", "device": "dev-b"}
    status, body = await call(session, "POST", f"{url}/_mock/faults", json=expire)
    assert body == {"ok": True, "type": "expire_token", "revoked": 1}
    assert (await cic.get("/ping", headers=auth("token-b"))).status_code == 401
    status, body = await call(session, "GET", f"{url}/_mock/devices")
    assert body["known_devices"] == ["dev-a", "dev-b"]
    assert body["devices"]["dev-b"]["requests"] == {"ping": 1}  # failed/refused: not counted
    assert body["devices"]["dev-b"]["connections"] == 1
    assert [c["id"] for c in body["connections"]] == [server.connections[0].id]
    assert body["rules"]["same_connection"] is True
    assert body["server"] == {
        "cic_url": server.base_url,
        "control_url": url,
        "media_url": f"{url}/media",
        "auth_url": f"{url}/token",
        "tls": True,
        "ca_file": str(server.ca_file),
    }


async def test_goaway_and_answer_then_end_through_the_control_api(
    server: MockCicServer,
    session: aiohttp.ClientSession,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
) -> None:
    url = f"{server.control_url}/_mock/faults"
    fault = {"type": "answer_then_end_downchannel", "device": "dev-a"}
    assert (await call(session, "POST", url, json=fault))[0] == 200
    assert (await post_event(cic, "token-a", event("A", "B")))[0] == 204
    assert await online.next_part() is None
    again = DownchannelReader(cic, "token-a")
    await again.open()
    await server.wait_downchannel("dev-a", opened_count=2)
    status, body = await call(session, "POST", url, json={"type": "goaway", "device": "dev-a"})
    assert (status, body) == (200, {"ok": True, "type": "goaway", "sent": True})
    assert await again.next_part() is not None  # Hello
    assert await again.next_part() is None
    await again.close()


async def test_refuse_connections_through_the_control_api(
    server: MockCicServer, session: aiohttp.ClientSession, cic: httpx.AsyncClient
) -> None:
    fault = {"type": "refuse_connections", "seconds": 0.3}
    status, body = await call(session, "POST", f"{server.control_url}/_mock/faults", json=fault)
    assert status == 200 and body["ok"]
    status, body = await call(session, "GET", f"{server.control_url}/_mock/devices")
    assert body["faults"]["refusing_until"] is not None
    async with asyncio.timeout(10):
        while True:
            try:
                response = await cic.get("/ping", headers=auth("token-a"))
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.05)
    assert response.status_code == 204


async def test_responders_reply_and_reset_through_the_control_api(
    server: MockCicServer,
    session: aiohttp.ClientSession,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
) -> None:
    url = server.control_url
    tables = {"stream_deliver": {"i-1": {"url": "http://m/1.mp3"}}, "reply_via": "response"}
    status, body = await call(session, "POST", f"{url}/_mock/responders", json=tables)
    assert status == 200 and body["stream_deliver"] == tables["stream_deliver"]
    bad = await call(session, "POST", f"{url}/_mock/responders", json={"reply_via": "pigeon"})
    assert bad[0] == 400
    request = event("AudioPlayer", "StreamRequested", {"audioItemId": "i-1", "audioStream": {}})
    status, parts, _ = await post_event(cic, "token-a", request)
    assert status == 200 and name_of(parts[0]) == "AudioPlayer.StreamDeliver"
    reply = {"device": "dev-a", "directive": play("r", "http://m/r.mp3"), "on": "A.B"}
    assert (await call(session, "POST", f"{url}/_mock/reply", json=reply))[0] == 200
    status, parts, _ = await post_event(cic, "token-a", event("A", "B"))
    assert status == 200 and name_of(parts[0]) == "AudioPlayer.Play"
    assert (await call(session, "POST", f"{url}/_mock/reset"))[0] == 200
    assert server.events("dev-a") == []
    assert server.responders.stream_deliver == {}


async def test_control_errors_are_readable(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    url = server.control_url
    status, body = await call(session, "POST", f"{url}/_mock/push", json={"device": "dev-a"})
    assert status == 400 and "directive" in body["error"]
    status, body = await call(session, "GET", f"{url}/_mock/events")
    assert status == 400 and "device is required" in body["error"]


async def test_non_finite_numbers_are_a_400_not_a_500(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    url = server.control_url
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
