from __future__ import annotations

from typing import Any

import aiohttp

from clova_client.mock_cic import MockCicServer

from .helpers import auth, event, post_event


async def refresh(
    session: aiohttp.ClientSession, base_url: str, refresh_token: str
) -> tuple[int, Any]:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    async with session.post(f"{base_url}/token", data=form) as response:
        return response.status, await response.json()


async def test_unknown_or_missing_token_is_401(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    for headers in (auth("nope"), {}):
        async with session.get(f"{server.base_url}/ping", headers=headers) as response:
            assert response.status == 401
            body = await response.json()
        assert body["directive"]["header"]["name"] == "Exception"
        assert body["directive"]["payload"]["code"] == 401
    status, _, _ = await post_event(session, server.base_url, "nope", event("A", "B"))
    assert status == 401
    async with session.get(f"{server.base_url}/v1/directives", headers=auth("nope")) as response:
        assert response.status == 401


async def test_refresh_issues_a_token_for_the_same_device(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    refresh_token = server.refresh_token_for("dev-a")
    assert refresh_token == "refresh-dev-a"
    status, grant = await refresh(session, server.base_url, refresh_token)
    assert status == 200
    assert grant["token_type"] == "Bearer"
    assert grant["expires_in"] > 0
    assert grant["refresh_token"] and grant["access_token"] != "token-a"
    status, _, _ = await post_event(
        session, server.base_url, grant["access_token"], event("A", "B")
    )
    assert status == 204
    assert [e.name for e in server.events("dev-a")] == ["A.B"]
    assert server.device("dev-a").token_refreshes == 1
    status, _second = await refresh(session, server.base_url, grant["refresh_token"])
    assert status == 200


async def test_bad_refresh_requests_are_400(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    status, body = await refresh(session, server.base_url, "unknown")
    assert (status, body) == (400, {"error": "invalid_grant"})
    async with session.post(f"{server.base_url}/token", data={"grant_type": "password"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"] == "unsupported_grant_type"


async def test_expired_token_is_401_until_refreshed(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    server.expire_token("dev-a")
    async with session.get(f"{server.base_url}/ping", headers=auth("token-a")) as response:
        assert response.status == 401
    async with session.get(f"{server.base_url}/ping", headers=auth("token-b")) as response:
        assert response.status == 204  # other devices are untouched
    _, grant = await refresh(session, server.base_url, "refresh-dev-a")
    async with session.get(f"{server.base_url}/ping", headers=auth(grant["access_token"])) as r:
        assert r.status == 204


async def test_refresh_can_revoke_the_old_token(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    server.auth.revoke_on_refresh = True
    _, grant = await refresh(session, server.base_url, "refresh-dev-a")
    async with session.get(f"{server.base_url}/ping", headers=auth("token-a")) as response:
        assert response.status == 401
    async with session.get(f"{server.base_url}/ping", headers=auth(grant["access_token"])) as r:
        assert r.status == 204


async def test_refresh_via_query_string(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    params = {"grant_type": "refresh_token", "refresh_token": "refresh-dev-b"}
    async with session.get(f"{server.base_url}/token", params=params) as response:
        assert response.status == 200
        assert (await response.json())["access_token"].startswith("access-dev-b-")
