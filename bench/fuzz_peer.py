"""A hostile CIC peer in process: hypercorn serving a tiny ASGI app over h2c on 127.0.0.1.

Each downchannel streams whatever bytes the caller pushes (no framing of its own besides the
first ``--boundary`` and Clova.Hello), so a test or the fuzzing bench can send broken framing;
events are parsed and recorded; pings answer 204. Not the project's mock CIC on purpose: this
peer is the simplest thing that speaks HTTP/2 and lets every byte through.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clova_client.protocol.multipart import MultipartParser, encode_directive_part
from tests.support.cic_peer import Receive, Scope, Send, disconnected, lifespan
from tests.support.cic_peer import serving as serve_h2c

BOUNDARY = "b0und"
CONTENT_TYPE = f"multipart/related; boundary={BOUNDARY}".encode()
END = b""
"""Pushed to a channel: the server ends that response (a clean end of stream)."""


def hello(message_id: str = "hello") -> dict[str, Any]:
    header = {"namespace": "Clova", "name": "Hello", "messageId": message_id}
    return {"directive": {"header": header, "payload": {}}}


@dataclass
class Channel:
    """One downchannel response: what is pushed goes out as it is."""

    number: int
    outgoing: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    closed: bool = False
    sent: asyncio.Event = field(default_factory=asyncio.Event)

    def push(self, data: bytes) -> None:
        if not self.closed:
            self.outgoing.put_nowait(data)

    def supersede(self) -> None:
        """A newer downchannel opened: this one is over (as on CIC), even if a send is stuck."""
        self.push(END)
        self.closed = True
        self.sent.set()

    async def wait_room(self, limit: int) -> None:
        """Until at most ``limit`` pushes wait to go out (the client's pace), or it closed."""
        while self.outgoing.qsize() > limit and not self.closed:
            self.sent.clear()
            await self.sent.wait()


@dataclass
class Event:
    name: str
    body: dict[str, Any]

    @property
    def payload(self) -> dict[str, Any]:
        payload = self.body.get("event", {}).get("payload", {})
        return payload if isinstance(payload, dict) else {}


class HostilePeer:
    """The ASGI app. ``channel`` is the newest downchannel; ``events`` the latest events received
    (``event_count`` all of them); ``on_event`` sees each one. ``replies``: multipart bodies to
    answer the next event POSTs with (200), instead of 204."""

    def __init__(self, keep_events: int = 10_000) -> None:
        self.channels: list[Channel] = []
        self.events: deque[Event] = deque(maxlen=keep_events)
        self.event_count = 0
        self.bad_events = 0
        self.on_event: Callable[[Event], None] | None = None
        self.replies: deque[bytes] = deque()
        self.changed = asyncio.Condition()

    @property
    def channel(self) -> Channel:
        return self.channels[-1]

    async def wait_for(self, predicate: Callable[[], bool], timeout_s: float) -> bool:
        """True once ``predicate()`` holds (checked at every channel or event), False at timeout."""
        try:
            async with asyncio.timeout(timeout_s), self.changed:
                await self.changed.wait_for(predicate)
        except TimeoutError:
            return False
        return True

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["path"] == "/v1/directives":
            await self._downchannel(receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["path"] == "/v1/events":
            self._record(dict(scope["headers"]).get(b"content-type", b"").decode(), body)
            await self._notify()
            if self.replies:
                start = {"type": "http.response.start", "status": 200}
                await send({**start, "headers": [(b"content-type", CONTENT_TYPE)]})
                await send({"type": "http.response.body", "body": self.replies.popleft()})
                return
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def _record(self, content_type: str, body: bytes) -> None:
        try:
            parts = MultipartParser.from_content_type(content_type).feed(body)
            metadata = json.loads(next(p for p in parts if p.name == "metadata").body)
            event = Event(str(metadata["event"]["header"]["name"]), metadata)
        except Exception:  # the peer counts what it cannot read, it never fails
            self.bad_events += 1
            return
        self.events.append(event)
        self.event_count += 1
        if self.on_event is not None:
            self.on_event(event)

    async def _downchannel(self, receive: Receive, send: Send) -> None:
        channel = Channel(len(self.channels) + 1)
        for old in self.channels[-1:]:
            old.supersede()
        self.channels.append(channel)
        start = {"type": "http.response.start", "status": 200}
        await send({**start, "headers": [(b"content-type", CONTENT_TYPE)]})
        first = encode_directive_part(hello(f"hello-{channel.number}"), BOUNDARY, first=True)
        await send({"type": "http.response.body", "body": first, "more_body": True})
        await self._notify()
        gone = asyncio.create_task(disconnected(receive))
        try:
            while True:
                data = asyncio.create_task(channel.outgoing.get())
                await asyncio.wait({data, gone}, return_when=asyncio.FIRST_COMPLETED)
                if not data.done():
                    data.cancel()
                    return
                chunk = data.result()
                await send({"type": "http.response.body", "body": chunk, "more_body": bool(chunk)})
                channel.sent.set()
                if not chunk:
                    return
        finally:
            channel.closed = True
            channel.sent.set()
            gone.cancel()
            await self._notify()


def serving(app: HostilePeer) -> contextlib.AbstractAsyncContextManager[str]:
    """Serve ``app`` over h2c (prior knowledge) on 127.0.0.1; yields the base URL. On the way
    out every open channel is ended first."""

    def end_channels() -> None:
        for channel in app.channels:
            channel.push(END)

    return serve_h2c(app, before_stop=end_channels)
