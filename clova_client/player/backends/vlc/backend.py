"""VlcBackend: the PlayerBackend on libVLC. Two slots, the current source and the prepared
(pre-rolled) next one, each a ``VlcSource`` on its own libVLC player, taken from a spare made
ahead; blocking libVLC calls run on the worker thread, in order, while quick controls that only
post a request to libVLC's input thread (``set_pause``, ``set_time``, ``get_length``) run on
the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal

import structlog
import vlc

from clova_client.redact import redact_url

from ...backend import BackendEvent, EventSink, MediaSource
from .container import Container, container_of, needs_sniff
from .diagnosis import LogDiagnosis
from .libvlc import SparePlayer
from .output import QUIET_ARGS, Output, resolve_output
from .source import VlcSource
from .worker import Worker

log = structlog.get_logger(__package__)  # the package's name: one logger for the backend

PREROLL_LEAD_S = 10.0
"""``prepare`` pre-rolls the next source once the current one has this much left to play."""

PREPARED_MAX_AGE_S = 60.0
"""A pre-rolled player older than this is not trusted (its server may have dropped the idle
connection); ``play`` then opens the source afresh."""


class VlcBackend:
    """PlayerBackend on libVLC. ``output``: ``null`` (headless, real-time paced), ``alsa``,
    ``pulse`` or ``auto`` (pulse when a pulse server socket exists, else alsa)."""

    def __init__(
        self,
        output: Output = "null",
        *,
        extra_args: Sequence[str] = (),
        loop: asyncio.AbstractEventLoop | None = None,
        prepared_max_age_s: float = PREPARED_MAX_AGE_S,
        preroll_lead_s: float = PREROLL_LEAD_S,
    ) -> None:
        self.output = resolve_output(output)
        aout = "adummy" if self.output == "null" else self.output
        args = [f"--aout={aout}", *QUIET_ARGS, *extra_args]
        instance = vlc.Instance(args)
        if instance is None:
            raise RuntimeError(f"libVLC refused its arguments: {args}")
        self._instance: Any = instance
        self._diagnosis = LogDiagnosis(instance)
        self._loop = loop
        self._sink: EventSink | None = None
        self._current: VlcSource | None = None
        self._prepared: VlcSource | None = None
        self._lock = asyncio.Lock()
        self._worker = Worker(self._loop_now)
        self._volume = 100
        self._muted = False
        self._closed = False
        self._prepared_max_age_s = prepared_max_age_s
        self._preroll_lead_ms = round(preroll_lead_s * 1000)
        self._deferred: MediaSource | None = None
        self._preroll_task: asyncio.Task[None] | None = None
        self._spare = SparePlayer(instance, null_output=self.output == "null")
        self._worker.submit(self._spare.make)
        log.info("vlc.backend", output=self.output, libvlc=vlc.libvlc_get_version().decode())

    # -- PlayerBackend ------------------------------------------------------------------------

    def attach(self, sink: EventSink) -> None:
        self._sink = sink

    async def play(self, source: MediaSource) -> None:
        async with self._lock:
            self._check_open()
            old, self._current = self._current, None
            if old is not None:
                old.retire()  # from here on, none of its events reaches the sink
            if self._deferred == source:
                self._deferred = None
            try:
                vsource = self._take_prepared(source)
                if vsource is not None:
                    log.info("vlc.play", prepared=True, **vsource.describe())
                    await self._start_prepared(vsource, old)
                else:
                    container = await self._container(source)
                    log.info(
                        "vlc.play", prepared=False, container=container, **self._describe(source)
                    )
                    vsource = await self._worker.run_owning(
                        lambda: self._open(source, container), self._drop
                    )
                    await self._start_opened(vsource, old)
            finally:
                if old is not None:
                    self._release_later(old)

    async def _start_prepared(self, vsource: VlcSource, old: VlcSource | None) -> None:
        """Make a pre-rolled source current; it unpauses once the old one is silent."""
        await self._switch(vsource, old)
        vsource.switched()

    async def _start_opened(self, vsource: VlcSource, old: VlcSource | None) -> None:
        """Make a source whose pre-roll has just begun current. The old one is stopped while
        libVLC opens, probes and buffers the new one on its own threads (a ``stop()`` takes a
        few ms, up to ~50), not before; the new one unpauses (opens its audio output) only once
        the old one is silent, as a prepared one does."""
        await self._switch(vsource, old)
        vsource.maybe_go()

    async def _switch(self, vsource: VlcSource, old: VlcSource | None) -> None:
        """Promote ``vsource`` to current, held paused until ``old``'s player has stopped."""
        vsource.switching = old is not None
        self._promote(vsource, "current")
        try:
            if old is not None:
                await self._worker.run(old.player.stop)
        finally:
            vsource.switching = False

    async def prepare(self, source: MediaSource) -> None:
        """Pre-roll ``source`` on a second player: opened, probed, buffered, paused, with no
        audio output open. While the current source has more than ``preroll_lead_s`` left, the
        pre-roll waits until it is that close to its end (a connection idle for minutes may be
        dropped by the server)."""
        async with self._lock:
            self._check_open()
            for vsource in (self._current, self._prepared):
                if vsource is not None and vsource.source == source and vsource.failed is None:
                    return
            if self._deferred == source:
                return
            self._deferred = None
            old, self._prepared = self._prepared, None
            if old is not None:
                self._drop(old)
            remaining = self._current.remaining_ms() if self._current is not None else None
            if remaining is not None and remaining > self._preroll_lead_ms:
                log.info(
                    "vlc.prepare",
                    deferred_ms=remaining - self._preroll_lead_ms,
                    **self._describe(source),
                )
                self._deferred = source
                return
            await self._preroll(source)

    async def _preroll(self, source: MediaSource) -> None:
        container = await self._container(source)
        log.info("vlc.prepare", container=container, **self._describe(source))
        vsource = await self._worker.run_owning(
            lambda: self._open(source, container, stop=None), self._drop
        )
        self._promote(vsource, "prepared")

    async def _preroll_deferred(self) -> None:
        try:
            async with self._lock:
                source, self._deferred = self._deferred, None
                if source is not None and not self._closed:
                    await self._preroll(source)
        finally:
            self._preroll_task = None

    async def pause(self) -> None:
        async with self._lock:
            if self._current is not None:
                self._current.pause()

    async def resume(self) -> None:
        async with self._lock:
            if self._current is not None:
                self._current.resume()

    async def seek(self, ms: int) -> None:
        async with self._lock:
            vsource = self._current
            if vsource is None or vsource.stage == "done":
                return
            if vsource.stage == "preroll":
                vsource.seek(ms)  # no sound yet: the start moves
                return
            await self._reopen_at(vsource, max(0, ms))

    async def _reopen_at(self, old: VlcSource, ms: int) -> None:
        """Seek a source that sounds: the same media on a fresh player from ``ms``, as a start.

        Measured (tests/media, PulseAudio): after libVLC's own ``set_time`` on a playing
        player the output lost 100-900 ms of sound in some runs while libVLC's clock went on
        as if it had played them, so the offsets reported were that much ahead; a start
        (``:start-time``, pre-rolled) lands within a few ms on every format. The old player
        stops first: the seek is silent for the new one's pre-roll (a few ms over a LAN)."""
        source = replace(old.source, start_ms=ms)
        log.info("vlc.seek", to_ms=ms, paused=old.paused, **old.describe())
        self._current = None
        old.retire()
        try:
            vsource = await self._worker.run_owning(
                lambda: self._open(source, old.container, stop=old), self._drop
            )
            vsource.hold = old.paused  # a paused source stays paused until resumed
            self._promote(vsource, "current")
        finally:
            self._release_later(old)

    async def stop(self) -> None:
        """Stop the current source; a pre-rolled next one goes too (after a stop the engine
        plays new sources, never the one it prepared)."""
        async with self._lock:
            vsource, self._current = self._current, None
            prepared, self._prepared = self._prepared, None
            self._deferred = None
            if prepared is not None:
                self._drop(prepared)
            if vsource is not None:
                log.info("vlc.stop", **vsource.describe())
                vsource.retire()
                await self._worker.run(vsource.player.stop)
                self._release_later(vsource)

    async def set_volume(self, percent: int) -> None:
        async with self._lock:
            self._volume = max(0, min(100, int(percent)))
            await self._worker.run(self._apply_volume_all)

    async def set_mute(self, muted: bool) -> None:
        async with self._lock:
            self._muted = bool(muted)
            await self._worker.run(self._apply_volume_all)

    async def close(self) -> None:
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            self._deferred = None
            vsources = [s for s in (self._current, self._prepared) if s is not None]
            self._current = self._prepared = None
            for vsource in vsources:
                self._drop(vsource)
            await self._worker.run(self._spare.release)
            await self._worker.run(self._instance.release)
            self._diagnosis.close()
            await self._worker.shutdown()
            log.info("vlc.closed")

    # -- inspection (tests, status) -------------------------------------------------------------

    def applied_volume(self) -> tuple[int, bool] | None:
        """Volume (0-100) and mute as the audio output of the current source has them (read
        back from libVLC); None while no output is open."""
        vsource = self._current
        return vsource.player.applied_volume() if vsource is not None else None

    @property
    def audio_started_at(self) -> float | None:
        """``time.monotonic()`` of the current source's first PCM block (null output only)."""
        pacer = self._current.player.pacer if self._current is not None else None
        return pacer.first_pcm_at if pacer is not None else None

    @property
    def current_source(self) -> MediaSource | None:
        return self._current.source if self._current is not None else None

    @property
    def prepared_source(self) -> MediaSource | None:
        return self._prepared.source if self._prepared is not None else None

    # -- SourceHost (loop, except where said) -----------------------------------------------------

    def deliver(self, event: BackendEvent) -> None:
        if self._sink is not None:
            self._sink(event)

    def submit(self, fn: Callable[[], object]) -> None:
        self._worker.submit(fn)

    def output_opened(self, vsource: VlcSource) -> None:
        # The null output's audio output exists only now. Volume calls wait for the output
        # lock, which a playing block holds: never on the loop.
        self._worker.submit(lambda: self._apply_volume(vsource))

    def cause(self, url: str) -> str:
        return self._diagnosis.cause(url)

    def time_passed(self, vsource: VlcSource) -> None:
        if self._spare.wanted:  # made once a source sounds, never beside a pre-roll
            self._spare.wanted = False
            self._worker.submit(self._spare.make)
        if vsource is self._current and self._deferred is not None:
            remaining = vsource.remaining_ms()
            due = remaining is None or remaining <= self._preroll_lead_ms
            if self._preroll_task is None and due:
                self._preroll_task = self._loop_now().create_task(self._preroll_deferred())

    # -- slots ----------------------------------------------------------------------------------

    @staticmethod
    async def _container(source: MediaSource) -> Container:
        """The container of ``source`` (container.py): from its name or data at once, or from
        its first bytes, read off the loop and off the worker (a slow server delays only it)."""
        if source.data is None and needs_sniff(source.url):
            return await asyncio.to_thread(container_of, source.url)
        return container_of(source.url, source.data)

    def _open(
        self, source: MediaSource, container: Container, *, stop: VlcSource | None = None
    ) -> VlcSource:
        """Worker thread: stop ``stop``'s player, then open (pre-roll) ``source`` on the spare
        player (libvlc.py ``SparePlayer``); the next one is made once this one sounds."""
        if stop is not None:
            stop.player.stop()
        self._diagnosis.trim()
        player = self._spare.take()
        try:
            return VlcSource.open(
                self._instance,
                source,
                player=player,
                container=container,
                host=self,
                loop=self._loop_now(),
                volume=self._volume,
                muted=self._muted,
            )
        except BaseException:
            player.release()
            raise

    def _promote(self, vsource: VlcSource, role: Literal["prepared", "current"]) -> None:
        if role == "current":
            self._current = vsource
        else:
            self._prepared = vsource
        vsource.promote(role)

    def _take_prepared(self, source: MediaSource) -> VlcSource | None:
        vsource = self._prepared
        if vsource is None or vsource.source != source:
            return None
        self._prepared = None
        age = time.monotonic() - vsource.player.created_at
        fresh = age <= self._prepared_max_age_s
        if vsource.failed is None and vsource.stage == "preroll" and fresh:
            return vsource
        log.info("vlc.prepared_discarded", age_s=round(age, 1), failed=vsource.failed)
        self._drop(vsource)
        return None

    def _drop(self, vsource: VlcSource) -> None:
        """Silence ``vsource`` now; release it on the worker after everything queued."""
        vsource.retire()
        self._release_later(vsource)

    def _release_later(self, vsource: VlcSource) -> None:
        self._worker.submit(vsource.player.release)

    def _apply_volume(self, vsource: VlcSource) -> None:
        """Worker thread. A retired source's player may already be released: skip it."""
        if vsource.role != "retired":
            vsource.player.apply_volume(self._volume, self._muted)

    def _apply_volume_all(self) -> None:
        """Worker thread."""
        for vsource in (self._current, self._prepared):
            if vsource is not None:
                self._apply_volume(vsource)

    # -- plumbing -------------------------------------------------------------------------------

    def _loop_now(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("VlcBackend is closed")
        self._loop_now()

    @staticmethod
    def _describe(source: MediaSource) -> dict[str, object]:
        url = "<data>" if source.data is not None else redact_url(source.url)
        return {"source_id": source.source_id, "url": url, "start_ms": source.start_ms}
