"""What the mock remembers per device: recorded events, connection facts, and waiting on them."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]


class WaitTimeout(TimeoutError):
    """A wait on the mock ended without what it waited for; the message says what was seen."""


@dataclass(frozen=True)
class RecordedEvent:
    """One event as the mock received it on ``POST /v1/events``."""

    name: str
    message_id: str
    received_at: float
    message: JsonObject
    device: str
    audio: bytes | None = None
    connection: int | None = None
    """Id of the HTTP/2 connection it came on (see ``MockCicServer.connections``)."""
    audio_arrivals: tuple[tuple[float, int], ...] = ()
    """(``time.time()`` of arrival, bytes) of every piece of the ``audio`` part, in order."""

    def to_json(self) -> JsonObject:
        return {
            "name": self.name,
            "message_id": self.message_id,
            "received_at": self.received_at,
            "device": self.device,
            "connection": self.connection,
            "message": self.message,
            "audio": base64.b64encode(self.audio).decode() if self.audio is not None else None,
            "audio_arrivals": [[at, size] for at, size in self.audio_arrivals],
        }


@dataclass
class DeviceRecord:
    """Everything known about one device (one access-token owner)."""

    device: str
    events: list[RecordedEvent] = field(default_factory=list)
    downchannel_open: bool = False
    downchannel_opens: int = 0
    downchannel_connection: int | None = None
    """Id of the connection carrying the open downchannel."""
    connection_ids: set[int] = field(default_factory=set)
    requests: dict[str, int] = field(default_factory=dict)
    user_agent: str | None = None
    token_refreshes: int = 0
    rejected_events: list[JsonObject] = field(default_factory=list)

    @property
    def connections(self) -> int:
        """How many distinct connections the device has used."""
        return len(self.connection_ids)

    def count(self, kind: str) -> None:
        self.requests[kind] = self.requests.get(kind, 0) + 1

    def named(self, name: str | None, *, since: int = 0) -> list[RecordedEvent]:
        """The events (of ``name``, if given) from position ``since`` of the event list on."""
        return [e for e in self.events[since:] if name is None or e.name == name]

    def clear(self) -> None:
        """Forget history; keep what is live (an open downchannel, the User-Agent)."""
        self.events.clear()
        self.rejected_events.clear()
        self.requests.clear()
        self.connection_ids.clear()
        if self.downchannel_connection is not None:
            self.connection_ids.add(self.downchannel_connection)
        self.token_refreshes = 0
        self.downchannel_opens = 1 if self.downchannel_open else 0

    def to_json(self) -> JsonObject:
        return {
            "device": self.device,
            "downchannel_open": self.downchannel_open,
            "downchannel_opens": self.downchannel_opens,
            "downchannel_connection": self.downchannel_connection,
            "connections": self.connections,
            "requests": dict(self.requests),
            "user_agent": self.user_agent,
            "token_refreshes": self.token_refreshes,
            "events": len(self.events),
            "event_names": [e.name for e in self.events],
            "rejected_events": list(self.rejected_events),
        }


class DeviceBook:
    """Device records plus one condition that wakes every waiter whenever something changes."""

    def __init__(self) -> None:
        self._devices: dict[str, DeviceRecord] = {}
        self._changed = asyncio.Event()

    def get(self, device: str) -> DeviceRecord:
        record = self._devices.get(device)
        if record is None:
            record = self._devices[device] = DeviceRecord(device)
        return record

    def all(self) -> dict[str, DeviceRecord]:
        return dict(self._devices)

    def clear(self) -> None:
        for record in self._devices.values():
            record.clear()
        self.notify()

    def record_event(self, event: RecordedEvent) -> None:
        self.get(event.device).events.append(event)
        self.notify()

    def notify(self) -> None:
        """Wake every waiter; call after any change (plain sync code is fine)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(
        self, ready: Callable[[], bool], within: float, describe: Callable[[], str]
    ) -> None:
        """Return once ``ready()`` holds; after ``within`` seconds raise WaitTimeout(describe())."""
        try:
            async with asyncio.timeout(within):
                while not ready():
                    await self._changed.wait()
        except TimeoutError:
            raise WaitTimeout(describe()) from None

    async def wait_event(
        self, device: str, name: str, *, within: float, index: int = 0, since: int = 0
    ) -> RecordedEvent:
        """The ``index``-th ``name`` event among those from position ``since`` on."""
        record = self.get(device)

        def ready() -> bool:
            return len(record.named(name, since=since)) > index

        def describe() -> str:
            seen = ", ".join(e.name for e in record.events[since:]) or "none"
            scope = f" from #{since} on" if since else ""
            return (
                f"no {name} #{index}{scope} from device {device!r} within {within:g} s; "
                f"events received{scope}: {seen}"
            )

        await self.wait_until(ready, within, describe)
        return record.named(name, since=since)[index]

    async def wait_downchannel(self, device: str, *, opened_count: int, within: float) -> None:
        record = self.get(device)

        def ready() -> bool:
            return record.downchannel_open and record.downchannel_opens >= opened_count

        def describe() -> str:
            state = "open" if record.downchannel_open else "closed"
            return (
                f"downchannel of device {device!r} not opened {opened_count} time(s) within "
                f"{within:g} s: opened {record.downchannel_opens} time(s), now {state}"
            )

        await self.wait_until(ready, within, describe)


def now() -> float:
    return time.time()
