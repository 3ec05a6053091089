"""The mock's view of its CIC connections: one record per TCP connection, ids never reused."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol


class ConnectionControl(Protocol):
    """What the HTTP layer lets the mock do to one live connection."""

    def abort(self) -> None:
        """Cut the TCP connection at once (the peer sees a reset, streams end mid-body)."""

    async def go_away(self, grace: float) -> None:
        """Take no new streams; GOAWAY and close once the open ones end (abort after ``grace``)."""


@dataclass(eq=False)
class Connection:
    """One TCP connection to the CIC port (every HTTP/2 stream on it shares this record)."""

    id: int
    peer: str
    tls: bool
    alpn: str | None
    control: ConnectionControl | None = field(default=None, repr=False)
    opened_at: float = field(default_factory=time.time)
    closed_at: float | None = None
    http_version: str | None = None
    """Of its first request: "2", or "1.1" for a client the mock refuses."""
    requests: dict[str, int] = field(default_factory=dict)
    devices: set[str] = field(default_factory=set)
    going_away: bool = False

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def count(self, kind: str) -> None:
        self.requests[kind] = self.requests.get(kind, 0) + 1

    def abort(self) -> None:
        if self.control is not None and self.open:
            self.control.abort()
            self.closed_at = time.time()

    async def go_away(self, grace: float) -> None:
        if self.control is not None and self.open and not self.going_away:
            self.going_away = True
            await self.control.go_away(grace)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "peer": self.peer,
            "tls": self.tls,
            "alpn": self.alpn,
            "http_version": self.http_version,
            "open": self.open,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
            "requests": dict(self.requests),
            "devices": sorted(self.devices),
            "going_away": self.going_away,
        }


class Connections:
    """Every connection since the start (closed ones until ``forget_closed``)."""

    def __init__(self) -> None:
        self._all: dict[int, Connection] = {}
        self._next_id = 1

    def new(
        self, peer: str, *, tls: bool, alpn: str | None, control: ConnectionControl | None
    ) -> Connection:
        connection = Connection(self._next_id, peer, tls, alpn, control)
        self._all[connection.id] = connection
        self._next_id += 1
        return connection

    def closed(self, connection: Connection) -> None:
        if connection.closed_at is None:
            connection.closed_at = time.time()

    def get(self, connection_id: int) -> Connection | None:
        return self._all.get(connection_id)

    def all(self) -> list[Connection]:
        return list(self._all.values())

    def live(self) -> list[Connection]:
        return [c for c in self._all.values() if c.open]

    def forget_closed(self) -> None:
        self._all = {i: c for i, c in self._all.items() if c.open}
