"""The backend's events as a test sees them: a list, and a flag raised at each one."""

from __future__ import annotations

import asyncio

from clova_client.player.backend import BackendEvent


class Events(list[BackendEvent]):
    """Attach ``add`` to a backend; wait on ``arrived`` (cleared by the waiter)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()

    def add(self, event: BackendEvent) -> None:
        self.append(event)
        self.arrived.set()
