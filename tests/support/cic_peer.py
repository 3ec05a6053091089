"""The smallest CIC that speaks HTTP/2 (h2c, prior knowledge) on 127.0.0.1, in process.

For the benches and the child processes that need a CIC but not the mock's rules: ``Peer`` keeps
one downchannel (Clova.Hello, then what is pushed), records each event's name and messageId and
answers 204 while ``answering`` is set; anything else gets 204. ``serving`` runs any such ASGI
app (also bench/fuzz_peer.py's hostile one) on hypercorn and yields its base URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config

from clova_client.protocol.multipart import MultipartParser, encode_directive_part

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def directive(namespace: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    header = {"namespace": namespace, "name": name, "messageId": str(uuid.uuid4())}
    return {"directive": {"header": header, "payload": payload}}


class Peer:
    def __init__(self, boundary: str = "peer-b0und") -> None:
        self.boundary = boundary
        self.outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.answering = asyncio.Event()
        self.answering.set()
        self.received: list[tuple[str, str]] = []
        """(namespace.name, messageId) of every event, in order of arrival."""
        self.changed = asyncio.Condition()

    def push(self, message: dict[str, Any]) -> None:
        self.outgoing.put_nowait(message)

    async def wait_event(self, name: str, timeout_s: float) -> None:
        """Until an event ``name`` has arrived."""
        async with asyncio.timeout(timeout_s), self.changed:
            await self.changed.wait_for(lambda: any(n == name for n, _ in self.received))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["path"] == "/v1/directives":
            await self._downchannel(receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["path"] == "/v1/events":
            ctype = dict(scope["headers"])[b"content-type"].decode()
            parts = MultipartParser.from_content_type(ctype).feed(body)
            meta = next(p for p in parts if p.name == "metadata")
            header = json.loads(meta.body)["event"]["header"]
            self.received.append((f"{header['namespace']}.{header['name']}", header["messageId"]))
            async with self.changed:
                self.changed.notify_all()
            await self.answering.wait()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def _downchannel(self, receive: Receive, send: Send) -> None:
        ctype = f"multipart/related; boundary={self.boundary}".encode()
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", ctype)]}
        )
        hello = directive("Clova", "Hello", {})
        first = encode_directive_part(hello, self.boundary, first=True)
        await send({"type": "http.response.body", "body": first, "more_body": True})
        self.connected.set()
        gone = asyncio.ensure_future(disconnected(receive))
        while True:
            pushed = asyncio.ensure_future(self.outgoing.get())
            await asyncio.wait({pushed, gone}, return_when=asyncio.FIRST_COMPLETED)
            if gone.done():
                pushed.cancel()
                return
            body = encode_directive_part(pushed.result(), self.boundary)
            await send({"type": "http.response.body", "body": body, "more_body": True})


async def lifespan(receive: Receive, send: Send) -> None:
    """ASGI's start-up and shut-down handshake: nothing to set up."""
    while (await receive())["type"] != "lifespan.shutdown":
        await send({"type": "lifespan.startup.complete"})
    await send({"type": "lifespan.shutdown.complete"})


async def disconnected(receive: Receive) -> None:
    """Until the client is gone from this stream."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _not_a_cancelled_connection(record: logging.LogRecord) -> bool:
    """At shutdown hypercorn cancels the connections whose sends were stuck (channels the client
    had left); asyncio logs each as an error. They are the peer's, and expected: not logged."""
    return not (record.exc_info and record.exc_info[0] is asyncio.CancelledError)


@contextlib.asynccontextmanager
async def serving(app: App, *, before_stop: Callable[[], None] | None = None) -> AsyncIterator[str]:
    """Serve ``app`` over h2c on 127.0.0.1; yields the base URL. ``before_stop`` runs first on
    the way out (e.g. ending the open channels)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns (and closes) the socket
    config.graceful_timeout = 1
    config.loglevel = "WARNING"
    config.accesslog = None
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        if before_stop is not None:
            before_stop()
        stop.set()
        asyncio_log = logging.getLogger("asyncio")
        asyncio_log.addFilter(_not_a_cancelled_connection)
        try:
            # hypercorn may fail to shut a stream down the client left open: nothing to see
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
            await asyncio.sleep(0)  # the cancelled connections' callbacks run here
        finally:
            asyncio_log.removeFilter(_not_a_cancelled_connection)
