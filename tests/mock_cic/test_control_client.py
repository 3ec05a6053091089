"""ControlClient against a server that is not (quite) the mock: clear errors, no tracebacks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from clova_client.mock_cic.control_client import ControlApiError, ControlClient

Answer = Callable[[], web.Response]
Start = Callable[[Answer], Awaitable[str]]


async def serve(answer: Answer) -> TestServer:
    async def handler(request: web.Request) -> web.Response:
        return answer()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app)
    await server.start_server()
    return server


@pytest.fixture
async def not_the_mock() -> AsyncIterator[Start]:
    servers: list[TestServer] = []

    async def start(answer: Answer) -> str:
        server = await serve(answer)
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (lambda: web.Response(status=502, text="<html>\n<b>Bad Gateway</b>\n</html>"), "502"),
        (lambda: web.Response(status=500, text=""), "<empty body>"),
        (lambda: web.json_response(["not", "an", "object"], status=400), "not a JSON object"),
        (lambda: web.json_response(["not", "an", "object"]), "200"),
    ],
)
async def test_non_json_answers_are_a_control_api_error(
    not_the_mock: Start, answer: Answer, shown: str
) -> None:
    base = await not_the_mock(answer)
    async with ControlClient(base, reconnect_within=1) as client:
        with pytest.raises(ControlApiError) as info:
            await client.devices()
    message = str(info.value)
    assert f"GET {base}/_mock/devices" in message and shown in message
    assert "\n" not in message


@pytest.mark.parametrize("status", [200, 408, 500])
async def test_wait_copes_with_a_body_that_is_not_an_object(
    not_the_mock: Start, status: int
) -> None:
    base = await not_the_mock(lambda: web.json_response("timed out", status=status))
    async with ControlClient(base, reconnect_within=1) as client:
        with pytest.raises(ControlApiError, match=rf"/_mock/events/wait -> {status}: not a JSON"):
            await client.wait_event("d", "A.B", index=0, within=0.1)
