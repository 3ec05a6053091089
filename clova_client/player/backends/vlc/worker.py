"""The backend's one control thread: blocking libVLC calls run here, off the loop, in order.

Creating a player may load an output module; ``stop()`` can take 50 ms; a volume change waits for
the output lock, which a playing block holds. One thread keeps these calls in the order they
were asked for, so a player is only ever released after everything queued before it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import structlog

log = structlog.get_logger(__package__)  # the package's name: one logger for the backend

T = TypeVar("T")


class Worker:
    """Runs callables on one thread. ``loop`` gives the event loop that awaits them."""

    def __init__(self, loop: Callable[[], asyncio.AbstractEventLoop]) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vlc-control")
        self._loop = loop

    def submit(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` after everything queued before; a failure is logged."""
        self._executor.submit(fn).add_done_callback(_log_failure)

    async def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` after everything queued before, and wait for its result."""
        return await self._loop().run_in_executor(self._executor, fn)

    async def run_owning(self, fn: Callable[[], T], orphan: Callable[[T], None]) -> T:
        """Like ``run``; if the caller is cancelled meanwhile, ``fn``'s result, once there, goes
        to ``orphan`` (on the loop) instead."""
        future = self._loop().run_in_executor(self._executor, fn)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:

            def on_done(done: asyncio.Future[T]) -> None:
                if not done.cancelled() and done.exception() is None:
                    orphan(done.result())

            future.add_done_callback(on_done)
            raise

    async def shutdown(self) -> None:
        """Wait for everything queued, then end the thread."""
        await asyncio.to_thread(self._executor.shutdown, wait=True)


def _log_failure(future: Future[Any]) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("vlc.worker_call_failed", error=repr(exc))
