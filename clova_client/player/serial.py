"""Run the engine's work one job at a time, in arrival order, on the event loop.

Commands, backend events and timer expiries all become jobs, so no job ever sees another one
half done, even while it awaits the backend. Each job runs in the context it was queued from
(its log fields: the messageId of the directive that asked for it), never in the context of
whoever happened to start the runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")
Job = Callable[[], Awaitable[Any]]
Queued = tuple[Job, "asyncio.Future[Any] | None", contextvars.Context]


class SerialRunner:
    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: asyncio.Queue[Queued] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._current: asyncio.Task[Any] | None = None
        """The running job's own task (it runs in the context it was queued from)."""
        self._closed = False
        self.busy_since: float | None = None
        """Loop time the running job started (None when idle): a hung backend shows here."""

    def _ensure_worker(self) -> None:
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(
                self._work(), name=f"{self._name}-serial", context=contextvars.Context()
            )

    async def run(self, job: Callable[[], Awaitable[T]]) -> T:
        """Run ``job`` after every job before it and return its result."""
        if self._closed:
            raise RuntimeError(f"{self._name} is closed")
        if self._current is not None and asyncio.current_task() is self._current:
            return await job()  # a job calling the API: run inline, do not wait for itself
        self._ensure_worker()
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put_nowait((job, done, contextvars.copy_context()))
        return await done

    def post(self, job: Job) -> None:
        """Queue ``job`` without waiting for it (from callbacks); its failure is logged."""
        if self._closed:
            return
        self._ensure_worker()
        self._jobs.put_nowait((job, None, contextvars.copy_context()))

    async def wait_idle(self) -> None:
        """Return once every queued job, and every job those queued, has finished."""
        if self._worker is not None:
            await self._jobs.join()

    async def close(self) -> None:
        self._closed = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        while not self._jobs.empty():
            _, done, _ = self._jobs.get_nowait()
            if done is not None and not done.done():
                done.cancel()

    async def _work(self) -> None:
        while True:
            job, done, context = await self._jobs.get()
            loop = asyncio.get_running_loop()
            self.busy_since = loop.time()
            try:
                self._current = loop.create_task(_awaited(job), context=context)
                result = await self._current
            except asyncio.CancelledError:
                if done is not None and not done.done():
                    done.cancel()
                raise
            except Exception as exc:
                if done is not None and not done.done():
                    done.set_exception(exc)
                else:
                    log.exception("player.job_failed", runner=self._name)
            else:
                if done is not None and not done.done():
                    done.set_result(result)
            finally:
                self._current = None
                self.busy_since = None
                self._jobs.task_done()


async def _awaited(job: Job) -> Any:
    return await job()
