from __future__ import annotations

from typing import Any

import aiohttp
import httpx

from clova_client.mock_cic import MockCicServer

from .helpers import DownchannelReader, auth, event, post_event


async def refresh(
    session: aiohttp.ClientSession, base_url: str, refresh_token: str
) -> tuple[int, Any]:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    async with session.post(f"{base_url}/token", data=form) as response:
        return response.status, await response.json()


async def test_unknown_or_missing_token_is_401(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    for headers in (auth("nope"), {"User-Agent": auth("nope")["User-Agent"]}):
        response = await cic.get("/ping", headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert body["directive"]["header"]["name"] == "Exception"
        assert body["directive"]["payload"]["code"] == 401
    status, _, _ = await post_event(cic, "nope", event("A", "B"))
    assert status == 401
    assert (await cic.get("/v1/directives", headers=auth("nope"))).status_code == 401


async def test_refresh_issues_a_token_for_the_same_device(
    server: MockCicServer, session: aiohttp.ClientSession, cic: httpx.AsyncClient
) -> None:
    refresh_token = server.refresh_token_for("dev-a")
    assert refresh_token == "refresh-dev-a"
    status, grant = await refresh(session, server.control_url, refresh_token)
    assert status == 200
    assert grant["token_type"] == "Bearer"
    assert grant["expires_in"] > 0
    assert grant["refresh_token"] and grant["access_token"] != "token-a"
    reader = DownchannelReader(cic, grant["access_token"])
    assert (await reader.open()).status_code == 200
    assert await reader.next_part() is not None
    status, _, _ = await post_event(cic, grant["access_token"], event("A", "B"))
    assert status == 204
    await reader.close()
    assert [e.name for e in server.events("dev-a")] == ["A.B"]
    assert server.device("dev-a").token_refreshes == 1
    status, _second = await refresh(session, server.control_url, grant["refresh_token"])
    assert status == 200


async def test_bad_refresh_requests_are_400(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    status, body = await refresh(session, server.control_url, "unknown")
    assert (status, body) == (400, {"error": "invalid_grant"})
    url = f"{server.control_url}/token"
    async with session.post(url, data={"grant_type": "password"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"] == "unsupported_grant_type"


async def test_expired_token_is_401_until_refreshed(
    server: MockCicServer, session: aiohttp.ClientSession, cic: httpx.AsyncClient
) -> None:
    server.expire_token("dev-a")
    assert (await cic.get("/ping", headers=auth("token-a"))).status_code == 401
    assert (await cic.get("/ping", headers=auth("token-b"))).status_code == 204  # untouched
    _, grant = await refresh(session, server.control_url, "refresh-dev-a")
    assert (await cic.get("/ping", headers=auth(grant["access_token"]))).status_code == 204


async def test_refresh_can_revoke_the_old_token(
    server: MockCicServer, session: aiohttp.ClientSession, cic: httpx.AsyncClient
) -> None:
    server.auth.revoke_on_refresh = True
    _, grant = await refresh(session, server.control_url, "refresh-dev-a")
    assert (await cic.get("/ping", headers=auth("token-a"))).status_code == 401
    assert (await cic.get("/ping", headers=auth(grant["access_token"]))).status_code == 204


async def test_token_endpoint_is_on_the_plain_port(server: MockCicServer) -> None:
    assert server.auth_url == f"{server.control_url}/token"
    assert server.auth_url.startswith("http://")


async def test_refresh_via_query_string(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    params = {"grant_type": "refresh_token", "refresh_token": "refresh-dev-b"}
    async with session.get(server.auth_url, params=params) as response:
        assert response.status == 200
        assert (await response.json())["access_token"].startswith("access-dev-b-")
