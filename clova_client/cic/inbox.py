"""DirectiveInbox: parses multipart bodies as they arrive and hands each directive, in arrival
order, to the router. The downchannel and the 200 answers to events feed the same queue; the
downchannel's reader also opens its generation's gate on Clova.Hello and shuts it at its end."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import httpx
import structlog

from ..clock import Clock
from ..protocol import Directive
from ..protocol.multipart import MultipartError, MultipartParser
from .directives import DirectiveAssembler, Ready
from .errors import SessionEnded, ended
from .gate import DownchannelGate, is_hello

log = structlog.get_logger(__name__)

INBOX_SIZE = 1000
"""Directives parsed and not yet handled; a reader waits when this many are queued."""

DirectiveHandler = Callable[[Directive[Any], Mapping[str, bytes]], Awaitable[None]]


class DirectiveRouter(Protocol):
    """What the client needs of ``clova_client.agents.router.Router`` (cic never imports it)."""

    def register(self, namespace: str, name: str, handler: DirectiveHandler) -> None: ...

    async def dispatch(self, raw: bytes, attachments: Mapping[str, bytes]) -> object: ...


class DirectiveInbox:
    def __init__(self, router: DirectiveRouter, clock: Clock) -> None:
        self._router = router
        self._clock = clock
        self._queue_: asyncio.Queue[Ready | asyncio.Future[None]] = asyncio.Queue(
            maxsize=INBOX_SIZE
        )

    async def handled_so_far(self) -> None:
        """Return once every directive queued before this call has been dispatched (the
        answer to a streamed Recognize: its Speak is handled before the turn is judged)."""
        marker: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue_.put(marker)
        await marker

    async def read_body(
        self, response: httpx.Response, source: str, gate: DownchannelGate | None = None
    ) -> None:
        """Parse a multipart body as it arrives; queue each directive once complete.

        A directive waiting for its ``cid:`` attachment is let go after ``ATTACHMENT_WAIT_S``
        even when no byte arrives (a timer on the injected clock); a close delimiter
        (``--boundary--``) ends the body, so a downchannel that sends one is reopened.
        ``gate`` (the downchannel's): opened when this body's Clova.Hello is queued, shut the
        moment the body ends, however it ends, before this call returns.
        """
        downchannel = source == "downchannel"
        why = "the downchannel ended"

        def missing(raw: bytes, content_ids: list[str]) -> None:
            log.warning("cic.attachment_missing", source=source, content_ids=content_ids)

        assembler = DirectiveAssembler(missing)
        in_order = asyncio.Lock()  # what one call releases is queued before the next call's
        held = asyncio.Event()

        async def queue(ready: list[Ready]) -> None:
            for item in ready:
                if gate is not None and not gate.hello_seen and is_hello(item[0]):
                    gate.hello()
                await self._queue_.put(item)  # the router logs Clova.Hello like any other

        async def let_go() -> None:
            """Release held directives whose wait ran out, with no byte arriving."""
            while True:
                deadline = assembler.deadline
                if deadline is None:
                    await held.wait()
                    held.clear()
                    continue
                if deadline > self._clock.now():
                    await self._clock.sleep(deadline - self._clock.now())
                async with in_order:
                    await queue(assembler.expire(self._clock.now()))

        waiter = asyncio.create_task(let_go(), name=f"{source} attachment wait")
        try:
            parser = MultipartParser.from_content_type(response.headers.get("content-type", ""))
            async for chunk in response.aiter_bytes():
                parts = parser.feed(chunk)
                async with in_order:
                    for part in parts:
                        await queue(assembler.add(part, self._clock.now()))
                if assembler.deadline is not None:
                    held.set()
                if parser.closed:
                    why = "the downchannel sent its close delimiter"
                    break
            if gate is not None:
                gate.end(why)  # before the directives still held are queued
            async with in_order:
                await queue(assembler.finish())
        except MultipartError as exc:
            why = f"malformed multipart: {exc}"
            if downchannel:
                raise SessionEnded(f"downchannel: {why}") from None
            log.warning("cic.bad_response_body", source=source, reason=str(exc))
        except httpx.HTTPError as exc:
            failure = ended(source, exc)
            why = failure.reason
            raise failure from None
        finally:
            if gate is not None:
                gate.end(why)
            waiter.cancel()

    async def dispatch_loop(self) -> None:
        """Hand each directive to the router, in order; nothing a directive holds ends it."""
        while True:
            item = await self._queue_.get()
            if isinstance(item, asyncio.Future):
                if not item.done():
                    item.set_result(None)
                continue
            raw, attachments = item
            try:
                await self._router.dispatch(raw, attachments)
            except Exception:
                log.exception("cic.dispatch_failed", size=len(raw))
