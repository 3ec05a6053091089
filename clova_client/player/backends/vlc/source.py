"""VlcSource: the life of one MediaSource on its own libVLC player (a ``LibVlcPlayer``), as the
loop sees it.

Its libVLC callbacks are bound to it when it opens, so an event can only ever carry the
source_id of the media it belongs to; nothing reads a shared "current id" on a VLC thread.
``on_event`` drops the events of a retired source, holds those of a pending one until the
backend promotes it to a slot, and turns the rest into BackendEvents, which only a current
source emits. Stages: ``preroll`` (opening paused, see ``maybe_go``), ``running``, ``done``
(ended or failed).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol, assert_never

import structlog

from clova_client.redact import redact_url

from ...backend import BackendEvent, BackendEventType, MediaSource
from .container import Container, demux_option
from .diagnosis import NOT_AUDIO, OPEN_FAILED
from .libvlc import LibVlcPlayer, VlcEventKind

log = structlog.get_logger(__package__)  # the package's name: one logger for the backend

Role = Literal["pending", "prepared", "current", "retired"]
Stage = Literal["preroll", "running", "done"]
"""Where a source is in its own life (the engine's attempts have phases; a source has stages)."""

PREROLL_QUIET_S = 0.04
"""Unpause a pre-rolled media once it is buffered, or once its buffering has made no progress for
this long (a file shorter than the cache, or garbage, never reports 100 %)."""

ERROR_OPEN = OPEN_FAILED
ERROR_NO_AUDIO = NOT_AUDIO


class SourceHost(Protocol):
    """What a source needs from its backend (called on the loop)."""

    def deliver(self, event: BackendEvent) -> None:
        """Hand an event of the current source to the sink."""

    def submit(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` on the worker thread, after everything queued before."""

    def output_opened(self, source: VlcSource) -> None:
        """The null output of ``source`` got its first block: apply the volume now."""

    def time_passed(self, source: VlcSource) -> None:
        """``source`` reported TIME (a deferred pre-roll may be due)."""

    def cause(self, url: str) -> str:
        """Why libVLC could not open ``url`` (its log), else ``OPEN_FAILED``."""


class VlcSource:
    """One source and its libVLC player. ``open`` it on the worker thread; everything else
    runs on the loop."""

    def __init__(
        self,
        source: MediaSource,
        player: LibVlcPlayer,
        host: SourceHost,
        loop: asyncio.AbstractEventLoop,
        container: Container = Container.UNKNOWN,
    ) -> None:
        self.source = source
        self.container = container  # kept so a seek reopens it without sniffing again
        self.player = player
        self._host = host
        self._loop = loop
        self.role: Role = "pending"
        self.backlog: list[tuple[VlcEventKind, Any]] = []
        self.stage: Stage = "preroll"
        self.prerolled_at: float | None = None
        self.buffered = False
        self.hold = False  # paused by the engine before it ever started
        self.paused = False  # paused by the engine while running
        self.switching = False  # the previous source is still being stopped
        self.pending_seek: int | None = None
        self.started_from = source.start_ms  # where sound begins: the start, or a seek before it
        self.length_ms = 0
        self.length_sent = 0
        self.time_floor = -1
        self.position = 0.0
        self.had_time = False
        self.playing_sent = False
        self.failed: str | None = None
        self.go_timer: asyncio.TimerHandle | None = None

    @classmethod
    def open(
        cls,
        instance: Any,
        source: MediaSource,
        *,
        player: LibVlcPlayer,
        container: Container,
        host: SourceHost,
        loop: asyncio.AbstractEventLoop,
        volume: int,
        muted: bool,
    ) -> VlcSource:
        """Worker thread: load ``source`` into ``player``, a fresh one (its ``container`` picks
        the demuxer, see container.py), and begin its pre-roll."""
        player.load(instance, source, demux=demux_option(container))
        new = cls(source, player, host, loop, container)
        player.start(loop, new.on_event, volume=volume, muted=muted)
        return new

    def describe(self) -> dict[str, object]:
        return {"source_id": self.source.source_id, "url": redact_url(self.source.url)}

    # -- loop: libVLC events in, BackendEvents out -------------------------------------------

    def on_event(self, kind: VlcEventKind, value: Any) -> None:
        if self.role == "retired":
            return
        if self.role == "pending":
            self.backlog.append((kind, value))
            return
        self._handle(kind, value)

    def promote(self, role: Literal["prepared", "current"]) -> None:
        """The backend put this source in its ``role`` slot: handle what came meanwhile."""
        self.role = role
        backlog, self.backlog = self.backlog, []
        for kind, value in backlog:
            if self.role != role:
                break
            self._handle(kind, value)

    def retire(self) -> None:
        """None of this source's events reaches the sink any more."""
        self.role = "retired"
        self.backlog.clear()
        self._cancel_go()
        self.player.abort_output()

    def _handle(self, kind: VlcEventKind, value: Any) -> None:
        if self.stage == "done":
            return
        match kind:
            case VlcEventKind.BUFFERED:
                self.buffered = True
                self.maybe_go()
            case VlcEventKind.PCM:
                self._host.output_opened(self)
                self._on_first_pcm()
            case VlcEventKind.LENGTH:
                self._on_length(value)
            case VlcEventKind.PLAYING:
                if self.stage == "running" and not self.playing_sent:
                    self._emit_playing()
            case VlcEventKind.PAUSED:
                self._on_paused()
            case VlcEventKind.POSITION:
                self.position = value
            case VlcEventKind.TIME:
                self._on_time(value)
            case VlcEventKind.END:
                self._on_end()
            case VlcEventKind.ERROR:
                self._on_error()
            case _:
                assert_never(kind)

    def _on_length(self, length_ms: int) -> None:
        if length_ms > 0 and length_ms != self.length_ms:
            self.length_ms = length_ms
            if self.role == "current":
                self.length_sent = length_ms
                self.emit(BackendEventType.LENGTH, length_ms=length_ms)

    def _on_paused(self) -> None:
        if self.stage == "preroll":
            self.prerolled_at = time.monotonic()
            self.maybe_go()
        else:
            self.playing_sent = False
            self.emit(BackendEventType.PAUSED)

    def _on_time(self, time_ms: int) -> None:
        if time_ms < 0:
            return
        if time_ms < self.time_floor:
            # libVLC's Ogg demuxer reports time 0 once it has read to the end of the file
            # (the last ~1.2 s); its position (sent just before) stays right: use it.
            if self.length_ms <= 0 or self.position <= 0:
                return
            time_ms = round(self.position * self.length_ms)
            if time_ms <= self.time_floor:
                return
        if not self.playing_sent:
            self._emit_playing()  # Ogg reports its first time before Playing
        self.time_floor = time_ms
        self.had_time = True
        self.emit(BackendEventType.TIME, time_ms=time_ms)
        self._host.time_passed(self)

    def _on_first_pcm(self) -> None:
        """The null output got its first block: that is the start of sound, at the position
        playback was started from. libVLC's first tick may come well after it (ADTS AAC: 142 ms
        later, carrying 131), so it stands in for that tick when it comes first."""
        if self.stage == "running" and not self.had_time:
            self._on_time(self.started_from)

    def _on_end(self) -> None:
        silent = not self.had_time and self.player.decoded_audio() == 0
        self._finish()
        if silent:
            self.failed = ERROR_NO_AUDIO
            log.warning("vlc.no_audio", **self.describe())
            self.emit(BackendEventType.ERROR, reason=ERROR_NO_AUDIO)
        else:
            self.emit(BackendEventType.ENDED)

    def _on_error(self) -> None:
        self._finish()
        cause = OPEN_FAILED if self.source.data is not None else self._host.cause(self.source.url)
        self.failed = cause
        log.warning("vlc.error", cause=cause, **self.describe())
        self.emit(BackendEventType.ERROR, reason=cause)

    def _emit_playing(self) -> None:
        self.playing_sent = True
        self.emit(BackendEventType.PLAYING)
        if self.length_sent == 0:
            length = self.player.get_length()
            if length > 0:
                self.length_ms = self.length_sent = length
                self.emit(BackendEventType.LENGTH, length_ms=length)

    def _finish(self) -> None:
        """Ended or failed: nothing more will come of it; free its input now."""
        self.stage = "done"
        self._cancel_go()
        self.player.abort_output()
        self._host.submit(self.player.stop)

    def emit(
        self,
        type_: BackendEventType,
        *,
        time_ms: int | None = None,
        length_ms: int | None = None,
        reason: str | None = None,
    ) -> None:
        """Send an event of this source, if it is the current one."""
        if self.role != "current":
            return
        self._host.deliver(BackendEvent(self.source.source_id, type_, time_ms, length_ms, reason))

    # -- loop: controls ----------------------------------------------------------------------

    def maybe_go(self) -> None:
        """End the pre-roll of a current source: unpause once paused and buffered (or idle)."""
        self._cancel_go()
        if (
            self.role != "current"
            or self.stage != "preroll"
            or self.prerolled_at is None
            or self.hold
            or self.switching
        ):
            return
        if not self.buffered:
            quiet = time.monotonic() - max(self.player.last_buffering, self.prerolled_at)
            if quiet < PREROLL_QUIET_S:
                self.go_timer = self._loop.call_later(PREROLL_QUIET_S - quiet, self.maybe_go)
                return
        self.stage = "running"
        if self.pending_seek is not None:
            self.player.set_time(self.pending_seek)
            self.started_from = self.pending_seek
            self.pending_seek = None
        self.player.set_pause(False)

    def _cancel_go(self) -> None:
        if self.go_timer is not None:
            self.go_timer.cancel()
            self.go_timer = None

    def switched(self) -> None:
        """A prepared source became current and the previous one is silent: report the length
        its pre-roll found, then go."""
        if self.role == "current" and self.length_ms > 0 and self.stage != "done":
            self.length_sent = self.length_ms
            self.emit(BackendEventType.LENGTH, length_ms=self.length_ms)
        self.maybe_go()

    def pause(self) -> None:
        if self.stage == "done":
            return
        if self.stage == "preroll":
            if not self.hold:
                self.hold = True
                self._loop.call_soon(self.emit, BackendEventType.PAUSED)
            return
        self.paused = True
        self.player.set_pause(True)

    def resume(self) -> None:
        if self.stage == "done":
            return
        if self.stage == "preroll":
            self.hold = False
            self.maybe_go()
            return
        self.paused = False
        self.player.set_pause(False)

    def seek(self, ms: int) -> None:
        """Before sound: move the start. A running source is seeked by the backend, which
        opens the media afresh (``VlcBackend.seek``)."""
        if self.stage != "preroll":
            return
        self.time_floor = -1
        self.pending_seek = max(0, ms)

    # -- inspection --------------------------------------------------------------------------

    def remaining_ms(self) -> int | None:
        """Media time left to play; None when unknown (no length yet, or done)."""
        if self.stage == "done" or self.length_ms <= 0:
            return None
        return self.length_ms - max(self.time_floor, self.source.start_ms)
