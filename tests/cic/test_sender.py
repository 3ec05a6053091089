"""EventSender: the queue behind EventOut, ordered and never losing an event to a store error."""

from __future__ import annotations

import asyncio
import sqlite3

from clova_client.cic.outbox_items import PutResult
from clova_client.cic.sender import EventSender
from clova_client.protocol import Event
from clova_client.protocol.base import make_event


def _event(name: str, namespace: str = "AudioPlayer") -> Event:
    return make_event(namespace, name, {"token": "TR-1", "offsetInMilliseconds": 0})


class FakeStore:
    """The CIC client's delivery: fails as told, records what it stored."""

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.stored: list[str] = []
        self.pending = 0

    async def store(self, event: Event, audio: bytes | None = None) -> PutResult:
        if self.failures:
            raise self.failures.pop()
        self.stored.append(event.message_id)
        self.pending += 1
        return PutResult(len(self.stored), ())

    async def flush(self, timeout: float) -> int:  # noqa: ASYNC109
        return self.pending


async def test_an_event_the_outbox_fails_to_store_is_retried_not_lost() -> None:
    store = FakeStore([sqlite3.OperationalError("disk I/O error")])
    sender = EventSender(store, store)
    sender.retry_s = 0.0
    first, second = _event("PlayStarted"), _event("PlayFinished")
    sender.submit(first)
    sender.submit(second)
    assert sender.pending == 2
    task = asyncio.create_task(sender.run())
    try:
        assert await sender.drain(5) == 2  # both stored, none delivered by the fake
        assert store.stored == [first.message_id, second.message_id]
        assert not task.done()  # still there for the next event
    finally:
        task.cancel()
