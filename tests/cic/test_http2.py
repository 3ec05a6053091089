"""HTTP/2 (h2c, prior knowledge) against hypercorn: downchannel, events and pings share ONE
connection; the same client over HTTP/1.1 would spread them over several (the control case)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config

from clova_client.clock import ManualClock
from clova_client.protocol import make_event
from clova_client.protocol.multipart import encode_directive_part

from .helpers import TOKEN, HarnessFactory, until

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
HELLO = {"directive": {"header": {"namespace": "Clova", "name": "Hello", "messageId": "h1"}}}


@dataclass
class Request:
    path: str
    client: tuple[str, int]
    http_version: str
    authorization: str


@dataclass
class TinyCic:
    """Just enough CIC: a downchannel that stays open, 204 to events and pings."""

    requests: list[Request] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        headers = dict(scope["headers"])
        self.requests.append(
            Request(
                scope["path"],
                tuple(scope["client"]),
                scope["http_version"],
                headers.get(b"authorization", b"").decode(),
            )
        )
        if scope["path"] == "/v1/directives":
            await self._downchannel(send)
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def _downchannel(self, send: Send) -> None:
        ctype = b"multipart/related; boundary=b0und"
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", ctype)]}
        )
        body = encode_directive_part(HELLO, "b0und", first=True)
        await send({"type": "http.response.body", "body": body, "more_body": True})
        await self.release.wait()
        await send({"type": "http.response.body", "body": b"--\r\n"})


@pytest.fixture
async def h2_server() -> AsyncIterator[tuple[str, TinyCic]]:
    app = TinyCic()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns (and closes) the socket
    config.graceful_timeout = 1
    config.loglevel = "WARNING"
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    yield f"http://127.0.0.1:{port}", app
    app.release.set()
    stop.set()
    await asyncio.wait_for(task, 10)


async def exercise(make_harness: HarnessFactory, base_url: str, app: TinyCic, h2: bool) -> None:
    clock = ManualClock()
    h = make_harness(base_url, clock=clock, http2_prior_knowledge=h2, name=f"h2-{h2}")
    await h.connected()
    for i in range(3):
        await h.client.send(make_event("AudioPlayer", "PlayStarted", {"token": f"t{i}"}))
    await until(lambda: sum(r.path == "/v1/events" for r in app.requests) == 3)
    clock.advance(60)  # one keep-alive ping
    await until(lambda: any(r.path == "/ping" for r in app.requests))
    await h.stop()


async def test_downchannel_events_and_ping_share_one_h2_connection(
    h2_server: tuple[str, TinyCic], make_harness: HarnessFactory
) -> None:
    base_url, app = h2_server
    await exercise(make_harness, base_url, app, h2=True)
    assert [r.path for r in app.requests] == ["/v1/directives"] + ["/v1/events"] * 3 + ["/ping"]
    assert {r.http_version for r in app.requests} == {"2"}
    assert len({r.client for r in app.requests}) == 1, app.requests
    assert {r.authorization for r in app.requests} == {f"Bearer {TOKEN}"}


async def test_control_http1_uses_several_connections(
    h2_server: tuple[str, TinyCic], make_harness: HarnessFactory
) -> None:
    base_url, app = h2_server
    await exercise(make_harness, base_url, app, h2=False)
    assert {r.http_version for r in app.requests} == {"1.1"}
    downchannel = app.requests[0].client
    assert all(r.client != downchannel for r in app.requests[1:])


def test_event_body_is_multipart_metadata() -> None:
    from clova_client.protocol.multipart import MultipartParser, encode_event

    event = make_event("AudioPlayer", "PlayStarted", {"token": "t"})
    body, ctype = encode_event(event.to_json())
    (part,) = MultipartParser.from_content_type(ctype).feed(body)
    assert part.name == "metadata" and json.loads(part.body) == event.to_json()
