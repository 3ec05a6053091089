"""One face for two backends, so every contract test is written once.

``FakeHarness`` drives a simulating ``FakeBackend`` on a ``ManualClock``: waiting advances the
clock in small steps until the event arrives. ``VlcHarness`` drives ``VlcBackend("null")``
against a real local HTTP server and waits for real events. Limits given to ``wait_for`` and
``run_for`` are media time; for libVLC they only bound how long a test may hang (generous),
they are never asserted on.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Literal

from clova_client.clock import ManualClock
from clova_client.player.backend import (
    BackendEvent,
    BackendEventType,
    MediaSource,
    PlayerBackend,
)
from clova_client.player.backends.fake import FakeBackend, FakeMedia
from clova_client.player.backends.vlc import VlcBackend
from tests.support.media import MediaFile, media_file
from tests.support.media_server import MediaServer

Kind = Literal["ok", "norange", "chunked", "data", "404", "refused", "garbage", "stall"]
Fmt = Literal["wav", "mp3", "ogg"]

STALL_FRACTION = 0.45
"""A ``stall`` source sends this share of its bytes, then nothing."""

Predicate = Callable[[BackendEvent], bool]


class BackendHarness(ABC):
    name: str
    backend: PlayerBackend

    def __init__(self) -> None:
        self.events: list[BackendEvent] = []
        self._ids = itertools.count(1)

    # -- sources ------------------------------------------------------------------------------
    @abstractmethod
    def source(
        self, kind: Kind = "ok", *, fmt: Fmt = "mp3", length_ms: int = 3000, start_ms: int = 0
    ) -> MediaSource: ...

    async def play(
        self, kind: Kind = "ok", *, fmt: Fmt = "mp3", length_ms: int = 3000, start_ms: int = 0
    ) -> MediaSource:
        source = self.source(kind, fmt=fmt, length_ms=length_ms, start_ms=start_ms)
        await self.backend.play(source)
        return source

    def _next_id(self) -> int:
        return next(self._ids)

    # -- events -------------------------------------------------------------------------------
    def _record(self, event: BackendEvent) -> None:
        self.events.append(event)

    def mark(self) -> int:
        return len(self.events)

    def since(self, mark: int, type_: BackendEventType | None = None) -> list[BackendEvent]:
        return [e for e in self.events[mark:] if type_ is None or e.type is type_]

    def times(self, mark: int = 0, source_id: int | None = None) -> list[int]:
        return [
            e.time_ms
            for e in self.since(mark, BackendEventType.TIME)
            if e.time_ms is not None and (source_id is None or e.source_id == source_id)
        ]

    def _find(
        self, mark: int, type_: BackendEventType, pred: Predicate | None
    ) -> BackendEvent | None:
        for event in self.events[mark:]:
            if event.type is type_ and (pred is None or pred(event)):
                return event
        return None

    @abstractmethod
    async def wait_for(
        self,
        type_: BackendEventType,
        pred: Predicate | None = None,
        *,
        after: int = 0,
        within_ms: int = 5000,
    ) -> BackendEvent:
        """The first event of ``type_`` (matching ``pred``) at or after index ``after``."""

    async def wait_any(
        self, types: tuple[BackendEventType, ...], *, after: int = 0, within_ms: int = 5000
    ) -> BackendEvent:
        waiters = {
            asyncio.ensure_future(self.wait_for(t, after=after, within_ms=within_ms)) for t in types
        }
        done, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        results = [t.result() for t in done if t.exception() is None]
        if not results:
            raise next(iter(done)).exception()  # type: ignore[misc]
        return min(results, key=self.events.index)

    @abstractmethod
    async def run_for(self, ms: int) -> None:
        """Let ``ms`` of media time pass."""

    @abstractmethod
    async def applied_volume(self, expect: tuple[int, bool]) -> tuple[int, bool] | None:
        """What the output has, once it equals ``expect`` or after a bounded wait."""

    async def close(self) -> None:
        await self.backend.close()


class FakeHarness(BackendHarness):
    name = "fake"
    STEP_MS = 10

    def __init__(self, tick_ms: int = 250) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.media: dict[str, FakeMedia] = {}
        self.fake = FakeBackend(self.clock, self.media, tick_ms)
        self.backend = self.fake
        self.fake.attach(self._record)

    def source(
        self, kind: Kind = "ok", *, fmt: Fmt = "mp3", length_ms: int = 3000, start_ms: int = 0
    ) -> MediaSource:
        sid = self._next_id()
        url = f"http://fake.invalid/{kind}/{sid}.{fmt}"
        if kind in ("ok", "norange", "chunked", "data"):
            media = FakeMedia(length_ms)
        elif kind == "404":
            media = FakeMedia(length_ms, "404")
        elif kind == "refused":
            media = FakeMedia(length_ms, "refused")
        elif kind == "garbage":
            media = FakeMedia(length_ms, "garbage")
        else:
            media = FakeMedia(length_ms, "stall_at_ms", round(length_ms * STALL_FRACTION))
        if kind == "data":
            url = f"cid:{sid}"
        self.media[url] = media
        data = b"fake" if kind == "data" else None
        return MediaSource(sid, url, start_ms, data)

    async def _step(self) -> None:
        self.clock.advance(self.STEP_MS / 1000)
        for _ in range(3):
            await asyncio.sleep(0)

    async def wait_for(
        self,
        type_: BackendEventType,
        pred: Predicate | None = None,
        *,
        after: int = 0,
        within_ms: int = 5000,
    ) -> BackendEvent:
        waited = 0
        while True:
            found = self._find(after, type_, pred)
            if found is not None:
                return found
            if waited >= within_ms:
                raise AssertionError(
                    f"fake: no {type_} within {within_ms} ms: {self.events[after:]}"
                )
            await self._step()
            waited += self.STEP_MS

    async def run_for(self, ms: int) -> None:
        for _ in range(max(1, ms // self.STEP_MS)):
            await self._step()

    async def applied_volume(self, expect: tuple[int, bool]) -> tuple[int, bool] | None:
        await self._step()
        return self.fake.volume, self.fake.muted


class VlcHarness(BackendHarness):
    name = "vlc"
    SLACK_S = 5.0

    def __init__(self, server: MediaServer, backend: VlcBackend | None = None) -> None:
        super().__init__()
        self.server = server
        self.vlc = backend if backend is not None else VlcBackend("null")
        self.backend = self.vlc
        self._changed = asyncio.Event()
        self.vlc.attach(self._record)

    def _record(self, event: BackendEvent) -> None:
        super()._record(event)
        self._changed.set()

    def file(self, fmt: Fmt, length_ms: int) -> MediaFile:
        return media_file(self.server.directory, fmt, length_ms)

    def source(
        self, kind: Kind = "ok", *, fmt: Fmt = "mp3", length_ms: int = 3000, start_ms: int = 0
    ) -> MediaSource:
        sid = self._next_id()
        name = self.file(fmt, length_ms).name
        srv = self.server
        if kind == "ok":
            return MediaSource(sid, srv.url("range", name), start_ms)
        if kind in ("norange", "chunked"):
            return MediaSource(sid, srv.url(kind, name), start_ms)
        if kind == "data":
            return MediaSource(
                sid, f"cid:{sid}", start_ms, self.file(fmt, length_ms).path.read_bytes()
            )
        if kind == "404":
            return MediaSource(sid, srv.url("missing", name), start_ms)
        if kind == "refused":
            return MediaSource(sid, srv.refused_url(name), start_ms)
        if kind == "garbage":
            return MediaSource(sid, srv.url("garbage", name), start_ms)
        size = self.file(fmt, length_ms).path.stat().st_size
        return MediaSource(
            sid, srv.url("stall", name, stall_after=round(size * STALL_FRACTION)), start_ms
        )

    async def wait_for(
        self,
        type_: BackendEventType,
        pred: Predicate | None = None,
        *,
        after: int = 0,
        within_ms: int = 5000,
    ) -> BackendEvent:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_ms / 1000 + self.SLACK_S
        while True:
            found = self._find(after, type_, pred)
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"vlc: no {type_} in time: {self.events[after:]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def run_for(self, ms: int) -> None:
        await asyncio.sleep(ms / 1000)

    async def applied_volume(self, expect: tuple[int, bool]) -> tuple[int, bool] | None:
        # libVLC hands a new volume to the output asynchronously: poll, bounded.
        got = self.vlc.applied_volume()
        for _ in range(100):
            if got == expect:
                break
            await asyncio.sleep(0.02)
            got = self.vlc.applied_volume()
        return got
