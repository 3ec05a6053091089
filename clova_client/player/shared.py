"""One speaker, two sources: AudioPlayer and MediaPlayer each drive their own PlayerEngine, and
both engines play through one real backend via a ``SharedBackend``.

Each engine gets a ``BackendPort`` (a ``PlayerBackend``). The port that last called ``play``
owns the output. Another port's ``play`` takes the output over: its source replaces the sound,
and the port that lost is told through its ``on_preempted`` coroutine (the daemon passes its
engine's ``stop``, so the losing side reports STOPPED the way its interface says). Controls of
a port that does not own the output (pause, resume, seek, stop, prepare) do nothing, so the
losing engine's own stop can never silence the winner.

Volume, mute and earcons are not a port's: they belong to the ``Mixer`` (``mixer.py``), which
sets them on the real backend for every source.

Source ids: both engines count from 1, so a port's source ``n`` is ``n * ports + index`` on
the real backend; events are routed back by that number and renumbered.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

from .backend import BackendEvent, EventSink, MediaBackend, MediaSource

log = structlog.get_logger(__name__)

MAX_PORTS = 4


class SharedBackend:
    def __init__(
        self,
        backend: MediaBackend,
        on_closed: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.backend = backend
        self._on_closed = on_closed
        """Run once the backend is closed (the daemon closes the mixer's earcons with it)."""
        self._ports: list[BackendPort] = []
        self.owner: BackendPort | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        backend.attach(self._route)

    def port(self, name: str) -> BackendPort:
        if len(self._ports) >= MAX_PORTS:
            raise ValueError(f"at most {MAX_PORTS} ports")
        port = BackendPort(self, name, len(self._ports))
        self._ports.append(port)
        return port

    # --- ids and events -------------------------------------------------------------------

    def _global(self, port: BackendPort, source: MediaSource) -> MediaSource:
        return dataclasses.replace(source, source_id=source.source_id * MAX_PORTS + port.index)

    def _route(self, event: BackendEvent) -> None:
        local, index = divmod(event.source_id, MAX_PORTS)
        if index >= len(self._ports):
            return
        port = self._ports[index]
        if port.sink is not None:
            port.sink(dataclasses.replace(event, source_id=local))

    # --- ownership ------------------------------------------------------------------------

    def _take(self, port: BackendPort) -> None:
        lost, self.owner = self.owner, port
        if lost is None or lost is port:
            return
        log.info("output.taken_over", by=port.name, lost=lost.name)
        if lost.on_preempted is not None:
            task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(lost.on_preempted())
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("output.preempt_failed", error=repr(task.exception()))

    async def wait_handovers(self) -> None:
        """Wait for the losing sides' stop coroutines started so far (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _closed(self) -> None:
        if all(p.closed for p in self._ports):
            for task in list(self._tasks):
                task.cancel()
            await self.backend.close()
            if self._on_closed is not None:
                on_closed, self._on_closed = self._on_closed, None
                await on_closed()


class BackendPort:
    """One engine's view of the shared output; a ``MediaBackend``."""

    def __init__(self, shared: SharedBackend, name: str, index: int) -> None:
        self._shared = shared
        self.name = name
        self.index = index
        self.sink: EventSink | None = None
        self.closed = False
        self.on_preempted: Callable[[], Coroutine[Any, Any, Any]] | None = None
        """Run (as a task) when another port takes the output over from this one."""

    @property
    def owns_output(self) -> bool:
        return self._shared.owner is self

    def attach(self, sink: EventSink) -> None:
        self.sink = sink

    async def play(self, source: MediaSource) -> None:
        self._shared._take(self)
        await self._shared.backend.play(self._shared._global(self, source))

    async def prepare(self, source: MediaSource) -> None:
        if self._shared.owner in (None, self):
            await self._shared.backend.prepare(self._shared._global(self, source))

    async def pause(self) -> None:
        if self.owns_output:
            await self._shared.backend.pause()

    async def resume(self) -> None:
        if self.owns_output:
            await self._shared.backend.resume()

    async def seek(self, ms: int) -> None:
        if self.owns_output:
            await self._shared.backend.seek(ms)

    async def stop(self) -> None:
        if self.owns_output:
            await self._shared.backend.stop()

    async def close(self) -> None:
        """The real backend closes once every port is closed."""
        if not self.closed:
            self.closed = True
            await self._shared._closed()
