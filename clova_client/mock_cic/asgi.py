"""A few lines of ASGI so the CIC app reads like request handlers: one Exchange per stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
T = TypeVar("T")


class Disconnected(Exception):
    """The client reset the stream or the connection went away."""


class Exchange:
    """One HTTP request (an HTTP/2 stream) and its response."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.http_version: str = scope.get("http_version", "")
        self.headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
        }
        self.status: int | None = None
        self._body: bytes | None = None
        self._read = False
        """The body's end came (read by body() or chunks())."""
        self._gone = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    # request ---------------------------------------------------------------------------------

    async def body(self) -> bytes:
        """The whole request body (read once); Disconnected if the stream ends first."""
        if self._body is None:
            self._body = b"".join([chunk async for chunk in self.chunks()])
        return self._body

    async def chunks(self) -> AsyncIterator[bytes]:
        """The request body piece by piece as it arrives (once; nothing after body()).
        Disconnected if the stream ends first."""
        if self._read:
            return
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._gone.set()
                raise Disconnected
            if not message.get("more_body", False):
                self._read = True
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if self._read:
                return

    def watch(self) -> None:
        """Notice when the client goes away (the body must have been read)."""
        assert self._read, "read the body first"
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        while (await self._receive())["type"] != "http.disconnect":
            pass
        self._gone.set()

    @property
    def gone(self) -> bool:
        return self._gone.is_set()

    async def unless_gone(self, waiting: Awaitable[T]) -> T:
        """``waiting``'s result; Disconnected (and ``waiting`` cancelled) if the client leaves."""
        self.watch()
        task = asyncio.ensure_future(waiting)
        gone = asyncio.create_task(self._gone.wait())
        try:
            await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if task.cancelled():
            raise Disconnected
        return task.result()

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()

    # response --------------------------------------------------------------------------------

    async def start(self, status: int, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.status = status
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        await self._send({"type": "http.response.start", "status": status, "headers": raw})

    async def write(self, data: bytes, *, more: bool = True) -> None:
        await self._send({"type": "http.response.body", "body": data, "more_body": more})

    async def respond(
        self, status: int, body: bytes = b"", headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        await self.start(status, headers)
        await self.write(body, more=False)

    async def json(
        self, status: int, document: Any, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        body = json.dumps(document).encode()
        await self.respond(status, body, [("content-type", "application/json"), *headers])
