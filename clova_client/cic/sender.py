"""EventSender: the queue behind ``EventOut.send`` (agents/outbound.py), the one way out.

``submit`` (synchronous, never blocks, keeps the order) takes each built, logged event. ``run``
stores each one durably in the outbox through the CIC client's ``delivery``, which delivers the
outbox in order over the downchannel's connection. A store that fails (disk full, I/O error) is
logged and retried, so no event is dropped or overtaken while the daemon runs.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import structlog

from ..protocol import Event
from .outbox_items import PutResult

log = structlog.get_logger(__name__)

STORE_RETRY_S = 1.0
"""How long to wait before storing an event again after the outbox refused it with an error."""


class EventStore(Protocol):
    """What the sender needs of the CIC client's ``delivery`` (``delivery.EventDelivery``)."""

    async def store(self, event: Event, audio: bytes | None = None) -> PutResult: ...

    async def flush(self, timeout: float) -> int: ...  # noqa: ASYNC109


class EventSender:
    def __init__(self, store: EventStore, outbox: OutboxCount) -> None:
        self._store = store
        self._outbox = outbox
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self.retry_s = STORE_RETRY_S

    def submit(self, event: Event) -> None:
        """Queue ``event`` behind every event submitted before it. Only ``EventOut.send``
        (agents/outbound.py: the event built, logged) calls it."""
        self._queue.put_nowait(event)

    @property
    def pending(self) -> int:
        """Events not yet accepted by CIC: still in memory, or stored in the outbox."""
        return self._queue.qsize() + self._outbox.pending

    async def run(self) -> None:
        """Store each event in the outbox, in order, until cancelled; never ends on an error."""
        while True:
            event = await self._queue.get()
            try:
                await self._store_until_stored(event)
            finally:
                self._queue.task_done()

    async def drain(self, timeout_s: float) -> int:
        """Graceful stop: store what is queued, then let CIC take what it can within
        ``timeout_s`` each; returns the events left for the next start."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout_s)
        except TimeoutError:
            log.error("events_not_stored", pending=self._queue.qsize())
        left = await self._store.flush(timeout_s)
        if left:
            log.warning("events_left_for_next_start", pending=left)
        return left

    async def _store_until_stored(self, event: Event) -> None:
        while True:
            try:
                await self._store.store(event)
                return
            except Exception as exc:
                log.error(
                    "event_store_failed",
                    event_name=event.full_name,
                    message_id=event.message_id,
                    reason=repr(exc),
                    retry_in_s=self.retry_s,
                )
                await asyncio.sleep(self.retry_s)


class OutboxCount(Protocol):
    @property
    def pending(self) -> int: ...
