"""VlcBackend: the PlayerBackend on libVLC (python-vlc). The only module that imports ``vlc``.

Design (numbers are measurements on libVLC 3.0.24; see docs/PERFORMANCE.md):

* **One libVLC media player per source** (a ``_Track``). Its event callbacks are bound to that
  track when it is created, so an event can only ever be tagged with the source_id of the media it
  belongs to: a late callback of an old media carries the old track, which the loop then drops
  because the track is no longer current. Nothing reads a shared "current id" on a VLC thread.
* **Callbacks only copy and hand over.** Every libVLC callback copies its payload and calls
  ``loop.call_soon_threadsafe``; a closed loop is ignored. No libVLC call happens in a callback
  (``stop()`` there deadlocks). The ctypes callbacks are kept referenced by their track until the
  player is released, and events are detached before release.
* **Blocking libVLC calls run off the loop** on one dedicated worker thread (creating a player may
  load an output module; ``stop()`` can take 50 ms; a volume change waits for the output lock,
  which a playing block holds). One thread keeps them in order, and a player is only ever
  released by that thread after everything queued before. Quick controls that only post a
  request to the input thread (``set_pause``, ``set_time``, ``get_length``) run on the loop.
* **Fast, exact start ("pre-roll").** Every media opens with ``:start-paused``: libVLC opens the
  stream, probes it and buffers, then parks in Paused *without starting the audio output*. As soon
  as it is paused and buffered, the loop unpauses it; libVLC then reports Playing and a
  TimeChanged (the start position) within ~1-2 ms, with the first PCM ~1 ms later. A plain
  ``play()`` has PCM flowing after ~5-10 ms too, but reports its first TimeChanged only ~265 ms
  later, on its statistics tick; so TIME comes both earlier and closer to the real sound. (When
  the stream is not buffered at the unpause, e.g. a slow server, libVLC sends no early
  TimeChanged: the first TIME then comes after sound, as with ``play()``.)
  ``prepare()`` pre-rolls the next source on a second player (its audio output is not opened
  while paused), so a prepared ``play()`` only has to unpause.
* **Null output paced to real time.** ``output="null"`` plays into an ``amem`` sink whose play
  callback sleeps until the block's wall-clock end, so EndReached comes at the true length (with
  ``--aout=dummy`` it fires ~1.1 s early). The pacing clock restarts on pause, resume and flush
  (seek), and an abort flag lets ``stop()`` through at once.
* **``cid:`` data** plays from memory through ``media_new_callbacks``: no file on the SD card, no
  temporary file to leak when the process dies, nothing readable by other users, and it is
  seekable (start offsets and seeks work like a local file).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeVar

import structlog
import vlc

from clova_client.redact import redact_url

from .backend import BackendEvent, BackendEventType, EventSink, MediaSource

log = structlog.get_logger(__name__)

Output = Literal["null", "alsa", "pulse", "auto"]
T = TypeVar("T")

NULL_RATE = 44100
NULL_CHANNELS = 2

PREROLL_QUIET_S = 0.04
"""Unpause a pre-rolled media once it is buffered, or once its buffering has made no progress for
this long (a file shorter than the cache, or garbage, never reports 100 %)."""

PREROLL_LEAD_S = 10.0
"""``prepare`` pre-rolls the next source once the current one has this much left to play."""

PREPARED_MAX_AGE_S = 60.0
"""A pre-rolled player older than this is not trusted (its server may have dropped the idle
connection); ``play`` then opens the source afresh."""

MAX_LATE_S = 0.2
"""The null output restarts its clock when it falls this far behind (an underrun), like a sound
card that plays on instead of catching up."""

QUIET_ARGS = (
    "--quiet",
    "--no-video",
    "--no-xlib",
    "--no-spu",
    "--no-osd",
    "--no-sub-autodetect-file",
    "--no-metadata-network-access",
    "--no-lua",
    "--no-snapshot-preview",
)

_EVENTS: dict[str, Any] = {
    "playing": vlc.EventType.MediaPlayerPlaying,
    "paused": vlc.EventType.MediaPlayerPaused,
    "time": vlc.EventType.MediaPlayerTimeChanged,
    "position": vlc.EventType.MediaPlayerPositionChanged,
    "length": vlc.EventType.MediaPlayerLengthChanged,
    "end": vlc.EventType.MediaPlayerEndReached,
    "error": vlc.EventType.MediaPlayerEncounteredError,
    "buffering": vlc.EventType.MediaPlayerBuffering,
}

ERROR_OPEN = "libVLC could not open or read the media"
ERROR_NO_AUDIO = "the media ended without any decodable audio"


def pulse_available() -> bool:
    """Is a PulseAudio (or pipewire-pulse) server socket there?"""
    if os.environ.get("PULSE_SERVER"):
        return True
    candidates = [Path(f"/run/user/{os.getuid()}/pulse/native"), Path("/run/pulse/native")]
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        candidates.insert(0, Path(runtime) / "pulse" / "native")
    return any(p.is_socket() for p in candidates)


def resolve_output(output: Output) -> Literal["null", "alsa", "pulse"]:
    if output == "auto":
        return "pulse" if pulse_available() else "alsa"
    if output not in ("null", "alsa", "pulse"):
        raise ValueError(f"unknown audio output {output!r}")
    return output


class _Pacer:
    """The null output's sound card: ``play`` blocks until the block's wall-clock end.

    Runs on libVLC's decoder/output threads; only plain Python and ``threading`` here.
    """

    def __init__(self, rate: int) -> None:
        self._rate = rate
        self._lock = threading.Lock()
        self._t0: float | None = None
        self._frames = 0
        self.abort = threading.Event()
        self.first_pcm_at: float | None = None
        self.volume: tuple[float, bool] | None = None  # what libVLC last set on the output

    def play(self, count: int) -> bool:
        """Account ``count`` frames and sleep until they have played; True for the first block."""
        if self.abort.is_set():
            return False
        now = time.monotonic()
        with self._lock:
            if self._t0 is None or now > self._t0 + self._frames / self._rate + MAX_LATE_S:
                self._t0, self._frames = now, 0
            self._frames += count
            end = self._t0 + self._frames / self._rate
        first = self.first_pcm_at is None
        if first:
            self.first_pcm_at = now
        delay = end - now
        if delay > 0:
            self.abort.wait(delay)
        return first

    def reset(self) -> None:
        with self._lock:
            self._t0 = None
            self._frames = 0


class _MemoryInput:
    """Serves bytes to libVLC through ``media_new_callbacks`` (one cursor per open)."""

    def __init__(self, data: bytes) -> None:
        self._size = len(data)
        self._buf = ctypes.create_string_buffer(data, max(1, self._size))
        self._lock = threading.Lock()
        self._cursors: dict[int, int] = {}
        self._next = 1
        cb = vlc.CallbackDecorators
        self.open_cb = cb.MediaOpenCb(self._open)
        self.read_cb = cb.MediaReadCb(self._read)
        self.seek_cb = cb.MediaSeekCb(self._seek)
        self.close_cb = cb.MediaCloseCb(self._close)

    def _open(self, opaque: Any, datap: Any, sizep: Any) -> int:
        with self._lock:
            cursor = self._next
            self._next += 1
            self._cursors[cursor] = 0
        datap[0] = cursor
        sizep[0] = self._size
        return 0

    def _read(self, opaque: Any, buf: Any, length: int) -> int:
        key = opaque or 0
        with self._lock:
            pos = self._cursors.get(key)
            if pos is None:
                return -1
            n = max(0, min(length, self._size - pos))
            self._cursors[key] = pos + n
        if n:
            ctypes.memmove(buf, ctypes.addressof(self._buf) + pos, n)
        return n

    def _seek(self, opaque: Any, offset: int) -> int:
        key = opaque or 0
        with self._lock:
            if key not in self._cursors or offset > self._size:
                return -1
            self._cursors[key] = offset
        return 0

    def _close(self, opaque: Any) -> None:
        with self._lock:
            self._cursors.pop(opaque or 0, None)


class _Track:
    """One source on its own libVLC player. State below ``# loop`` is touched on the loop only."""

    def __init__(self, source: MediaSource, player: Any, media: Any, pacer: _Pacer | None) -> None:
        self.source = source
        self.player = player
        self.media = media
        self.pacer = pacer
        self.keep: list[object] = []  # ctypes callbacks and buffers libVLC points into
        self.created_at = time.monotonic()
        self.last_buffering = self.created_at  # written on a VLC thread
        # loop
        self.role: Literal["pending", "prepared", "current", "retired"] = "pending"
        self.backlog: list[tuple[str, Any]] = []
        self.phase: Literal["preroll", "running", "done"] = "preroll"
        self.prerolled_at: float | None = None
        self.buffered = False
        self.hold = False  # paused by the engine before it ever started
        self.switching = False  # the previous track is still being stopped
        self.pending_seek: int | None = None
        self.length_ms = 0
        self.length_sent = 0
        self.time_floor = -1
        self.position = 0.0
        self.had_time = False
        self.playing_sent = False
        self.failed: str | None = None
        self.go_timer: asyncio.TimerHandle | None = None

    def describe(self) -> dict[str, object]:
        return {"source_id": self.source.source_id, "url": redact_url(self.source.url)}


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
        self._loop = loop
        self._sink: EventSink | None = None
        self._current: _Track | None = None
        self._prepared: _Track | None = None
        self._lock = asyncio.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vlc-control")
        self._volume = 100
        self._muted = False
        self._closed = False
        self._prepared_max_age_s = prepared_max_age_s
        self._preroll_lead_ms = round(preroll_lead_s * 1000)
        self._deferred: MediaSource | None = None
        self._preroll_task: asyncio.Task[None] | None = None
        log.info("vlc.backend", output=self.output, libvlc=vlc.libvlc_get_version().decode())

    # -- PlayerBackend ------------------------------------------------------------------------

    def attach(self, sink: EventSink) -> None:
        self._sink = sink

    async def play(self, source: MediaSource) -> None:
        async with self._lock:
            self._check_open()
            old, self._current = self._current, None
            if old is not None:
                self._retire(old)  # from here on, none of its events reaches the sink
            if self._deferred == source:
                self._deferred = None
            try:
                track = self._take_prepared(source)
                if track is not None:
                    log.info("vlc.play", prepared=True, **track.describe())
                    await self._start_prepared(track, old)
                else:
                    log.info("vlc.play", prepared=False, **self._describe(source))
                    track = await self._run_owning(lambda: self._open(source, stop=old))
                    self._promote(track, "current")
            finally:
                if old is not None:
                    self._release_later(old)

    async def _start_prepared(self, track: _Track, old: _Track | None) -> None:
        """Make a pre-rolled track current; it unpauses once the old one is silent."""
        track.switching = True
        self._promote(track, "current")
        try:
            if old is not None:
                await self._run(old.player.stop)
        finally:
            track.switching = False
        if track.role == "current" and track.length_ms > 0 and track.phase != "done":
            track.length_sent = track.length_ms
            self._emit(track, BackendEventType.LENGTH, length_ms=track.length_ms)
        self._maybe_go(track)

    async def prepare(self, source: MediaSource) -> None:
        """Pre-roll ``source`` on a second player: opened, probed, buffered, paused, with no
        audio output open. While the current source has more than ``preroll_lead_s`` left, the
        pre-roll waits until it is that close to its end (a connection idle for minutes may be
        dropped by the server)."""
        async with self._lock:
            self._check_open()
            for track in (self._current, self._prepared):
                if track is not None and track.source == source and track.failed is None:
                    return
            if self._deferred == source:
                return
            self._deferred = None
            old, self._prepared = self._prepared, None
            if old is not None:
                self._retire(old)
                self._release_later(old)
            remaining = self._remaining_ms(self._current)
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
        log.info("vlc.prepare", **self._describe(source))
        track = await self._run_owning(lambda: self._open(source, stop=None))
        self._promote(track, "prepared")

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
            track = self._current
            if track is None or track.phase == "done":
                return
            if track.phase == "preroll":
                if not track.hold:
                    track.hold = True
                    self._loop_now().call_soon(self._emit, track, BackendEventType.PAUSED)
                return
            track.player.set_pause(1)

    async def resume(self) -> None:
        async with self._lock:
            track = self._current
            if track is None or track.phase == "done":
                return
            if track.phase == "preroll":
                track.hold = False
                self._maybe_go(track)
                return
            track.player.set_pause(0)

    async def seek(self, ms: int) -> None:
        async with self._lock:
            track = self._current
            if track is None or track.phase == "done":
                return
            ms = max(0, ms)
            track.time_floor = -1
            if track.phase == "preroll":
                track.pending_seek = ms
                return
            track.player.set_time(ms)

    async def stop(self) -> None:
        """Stop the current source; a pre-rolled next one goes too (after a stop the engine
        plays new sources, never the one it prepared)."""
        async with self._lock:
            track, self._current = self._current, None
            prepared, self._prepared = self._prepared, None
            self._deferred = None
            if prepared is not None:
                self._retire(prepared)
                self._release_later(prepared)
            if track is not None:
                log.info("vlc.stop", **track.describe())
                self._retire(track)
                await self._run(track.player.stop)
                self._release_later(track)

    async def set_volume(self, percent: int) -> None:
        async with self._lock:
            self._volume = max(0, min(100, int(percent)))
            await self._run(self._apply_volume_all)

    async def set_mute(self, muted: bool) -> None:
        async with self._lock:
            self._muted = bool(muted)
            await self._run(self._apply_volume_all)

    async def close(self) -> None:
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            self._deferred = None
            tracks = [t for t in (self._current, self._prepared) if t is not None]
            self._current = self._prepared = None
            for track in tracks:
                self._retire(track)
                self._release_later(track)
            await self._run(self._instance.release)
            await asyncio.to_thread(self._worker.shutdown, wait=True)
            log.info("vlc.closed")

    # -- inspection (tests, status) -------------------------------------------------------------

    def applied_volume(self) -> tuple[int, bool] | None:
        """Volume (0-100) and mute as the audio output of the current source has them, read back
        from libVLC: the null output's volume callback, else ``audio_get_volume``/``_mute``.
        None while no output is open."""
        track = self._current
        if track is None:
            return None
        if track.pacer is not None:
            if track.pacer.volume is None:
                return None
            volume, muted = track.pacer.volume
            return round(volume * 100), muted
        volume = track.player.audio_get_volume()
        muted = track.player.audio_get_mute()
        if volume < 0 or muted < 0:
            return None
        return volume, bool(muted)

    @property
    def audio_started_at(self) -> float | None:
        """``time.monotonic()`` of the current source's first PCM block (null output only)."""
        track = self._current
        if track is None or track.pacer is None:
            return None
        return track.pacer.first_pcm_at

    @property
    def current_source(self) -> MediaSource | None:
        return self._current.source if self._current is not None else None

    @property
    def prepared_source(self) -> MediaSource | None:
        return self._prepared.source if self._prepared is not None else None

    # -- worker side (one thread, may block) ----------------------------------------------------

    def _open(self, source: MediaSource, *, stop: _Track | None) -> _Track:
        """Stop ``stop``'s player, then create and start (pre-roll) a player for ``source``."""
        if stop is not None:
            stop.player.stop()
        inst = self._instance
        keep: list[object] = []
        if source.data is not None:
            memory = _MemoryInput(source.data)
            keep.append(memory)
            media = inst.media_new_callbacks(
                memory.open_cb, memory.read_cb, memory.seek_cb, memory.close_cb, None
            )
        elif "://" in source.url:
            media = inst.media_new_location(source.url)
        else:
            media = inst.media_new_path(source.url)
        if media is None:
            raise RuntimeError("libVLC could not create the media")
        media.add_option(":start-paused")
        if source.start_ms > 0:
            media.add_option(f":start-time={source.start_ms / 1000:.3f}")
        player = inst.media_player_new()
        pacer = _Pacer(NULL_RATE) if self.output == "null" else None
        track = _Track(source, player, media, pacer)
        track.keep.extend(keep)
        if pacer is not None:
            self._attach_null_output(track, pacer)
        else:
            player.audio_set_volume(self._volume)
            player.audio_set_mute(self._muted)
        player.set_media(media)
        self._attach_events(track)
        player.play()
        return track

    def _release(self, track: _Track) -> None:
        if track.pacer is not None:
            track.pacer.abort.set()
        player = track.player
        player.stop()
        manager = player.event_manager()
        for event_type in _EVENTS.values():
            manager.event_detach(event_type)
        player.release()
        track.media.release()
        track.keep.clear()

    # -- libVLC callbacks (VLC threads: copy, hand over, nothing else) --------------------------

    def _post(self, track: _Track, kind: str, value: Any) -> None:
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody listens any more
            loop.call_soon_threadsafe(self._on_event, track, kind, value)

    def _attach_events(self, track: _Track) -> None:
        manager = track.player.event_manager()
        post = self._post

        def on_playing(_ev: Any) -> None:
            post(track, "playing", None)

        def on_paused(_ev: Any) -> None:
            post(track, "paused", None)

        def on_time(ev: Any) -> None:
            post(track, "time", int(ev.u.new_time))

        def on_position(ev: Any) -> None:
            post(track, "position", float(ev.u.new_position))

        def on_length(ev: Any) -> None:
            post(track, "length", int(ev.u.new_length))

        def on_end(_ev: Any) -> None:
            post(track, "end", None)

        def on_error(_ev: Any) -> None:
            post(track, "error", None)

        def on_buffering(ev: Any) -> None:
            track.last_buffering = time.monotonic()
            if ev.u.new_cache >= 100.0:
                post(track, "buffered", None)

        handlers: dict[str, Callable[[Any], None]] = {
            "playing": on_playing,
            "paused": on_paused,
            "time": on_time,
            "position": on_position,
            "length": on_length,
            "end": on_end,
            "error": on_error,
            "buffering": on_buffering,
        }
        for name, handler in handlers.items():
            manager.event_attach(_EVENTS[name], handler)
            track.keep.append(handler)

    def _attach_null_output(self, track: _Track, pacer: _Pacer) -> None:
        cb = vlc.CallbackDecorators
        post = self._post

        def play(_opaque: Any, _samples: Any, count: int, _pts: int) -> None:
            if pacer.play(count):
                post(track, "pcm", None)

        def reset(_opaque: Any, _pts: int) -> None:
            pacer.reset()

        def drain(_opaque: Any) -> None:
            pass

        def set_volume(_opaque: Any, volume: float, mute: bool) -> None:
            pacer.volume = (float(volume), bool(mute))

        play_cb = cb.AudioPlayCb(play)
        pause_cb = cb.AudioPauseCb(reset)
        resume_cb = cb.AudioResumeCb(reset)
        flush_cb = cb.AudioFlushCb(reset)
        drain_cb = cb.AudioDrainCb(drain)
        volume_cb = cb.AudioSetVolumeCb(set_volume)
        track.keep.extend([play_cb, pause_cb, resume_cb, flush_cb, drain_cb, volume_cb])
        player = track.player
        player.audio_set_callbacks(play_cb, pause_cb, resume_cb, flush_cb, drain_cb, None)
        player.audio_set_volume_callback(volume_cb)
        player.audio_set_format("S16N", NULL_RATE, NULL_CHANNELS)

    # -- loop side ------------------------------------------------------------------------------

    def _on_event(self, track: _Track, kind: str, value: Any) -> None:
        if track.role == "retired":
            return
        if track.role == "pending":
            track.backlog.append((kind, value))
            return
        self._handle(track, kind, value)

    def _promote(self, track: _Track, role: Literal["prepared", "current"]) -> None:
        track.role = role
        if role == "current":
            self._current = track
        else:
            self._prepared = track
        backlog, track.backlog = track.backlog, []
        for kind, value in backlog:
            if track.role != role:
                break
            self._handle(track, kind, value)

    def _handle(self, track: _Track, kind: str, value: Any) -> None:
        if track.phase == "done":
            return
        if kind == "buffering" or kind == "buffered":
            track.buffered = True
            self._maybe_go(track)
        elif kind == "pcm":
            # The null output's audio output exists only now. Volume calls wait for the output
            # lock, which a playing block holds: never on the loop.
            self._worker.submit(self._apply_volume, track).add_done_callback(_log_failure)
        elif kind == "length":
            if value > 0 and value != track.length_ms:
                track.length_ms = value
                if track.role == "current":
                    track.length_sent = value
                    self._emit(track, BackendEventType.LENGTH, length_ms=value)
        elif kind == "playing":
            if track.phase == "running" and not track.playing_sent:
                self._emit_playing(track)
        elif kind == "paused":
            if track.phase == "preroll":
                track.prerolled_at = time.monotonic()
                self._maybe_go(track)
            else:
                track.playing_sent = False
                self._emit(track, BackendEventType.PAUSED)
        elif kind == "position":
            track.position = value
        elif kind == "time":
            if value < 0:
                return
            if value < track.time_floor:
                # libVLC's Ogg demuxer reports time 0 once it has read to the end of the file
                # (the last ~1.2 s); its position (sent just before) stays right: use it.
                if track.length_ms <= 0 or track.position <= 0:
                    return
                value = round(track.position * track.length_ms)
                if value <= track.time_floor:
                    return
            if not track.playing_sent:
                self._emit_playing(track)  # Ogg reports its first time before Playing
            track.time_floor = value
            track.had_time = True
            self._emit(track, BackendEventType.TIME, time_ms=value)
            if track is self._current and self._deferred is not None:
                self._preroll_if_due(track)
        elif kind == "end":
            silent = not track.had_time and self._decoded_audio(track) == 0
            self._finish(track)
            if silent:
                track.failed = ERROR_NO_AUDIO
                log.warning("vlc.no_audio", **track.describe())
                self._emit(track, BackendEventType.ERROR, reason=ERROR_NO_AUDIO)
            else:
                self._emit(track, BackendEventType.ENDED)
        elif kind == "error":
            self._finish(track)
            track.failed = ERROR_OPEN
            log.warning("vlc.error", **track.describe())
            self._emit(track, BackendEventType.ERROR, reason=ERROR_OPEN)

    def _remaining_ms(self, track: _Track | None) -> int | None:
        """Media time the current track has left; None when unknown (no length, or none)."""
        if track is None or track.phase == "done" or track.length_ms <= 0:
            return None
        return track.length_ms - max(track.time_floor, track.source.start_ms)

    def _preroll_if_due(self, track: _Track) -> None:
        remaining = self._remaining_ms(track)
        if self._preroll_task is None and (remaining is None or remaining <= self._preroll_lead_ms):
            self._preroll_task = self._loop_now().create_task(self._preroll_deferred())

    def _emit_playing(self, track: _Track) -> None:
        track.playing_sent = True
        self._emit(track, BackendEventType.PLAYING)
        if track.length_sent == 0:
            length = track.player.get_length()
            if length > 0:
                track.length_ms = track.length_sent = length
                self._emit(track, BackendEventType.LENGTH, length_ms=length)

    def _finish(self, track: _Track) -> None:
        """The track ended or failed: nothing more will come of it; free its input now."""
        track.phase = "done"
        self._cancel_go(track)
        if track.pacer is not None:
            track.pacer.abort.set()
        self._worker.submit(track.player.stop).add_done_callback(_log_failure)

    def _maybe_go(self, track: _Track) -> None:
        """Unpause a pre-rolled current track once it is paused and buffered (or idle)."""
        self._cancel_go(track)
        if (
            track.role != "current"
            or track.phase != "preroll"
            or track.prerolled_at is None
            or track.hold
            or track.switching
        ):
            return
        if not track.buffered:
            quiet = time.monotonic() - max(track.last_buffering, track.prerolled_at)
            if quiet < PREROLL_QUIET_S:
                track.go_timer = self._loop_now().call_later(
                    PREROLL_QUIET_S - quiet, self._maybe_go, track
                )
                return
        track.phase = "running"
        if track.pending_seek is not None:
            track.player.set_time(track.pending_seek)
            track.pending_seek = None
        track.player.set_pause(0)

    def _cancel_go(self, track: _Track) -> None:
        if track.go_timer is not None:
            track.go_timer.cancel()
            track.go_timer = None

    def _emit(
        self,
        track: _Track,
        type_: BackendEventType,
        *,
        time_ms: int | None = None,
        length_ms: int | None = None,
        reason: str | None = None,
    ) -> None:
        if track.role != "current" or self._sink is None:
            return
        self._sink(BackendEvent(track.source.source_id, type_, time_ms, length_ms, reason))

    def _apply_volume(self, track: _Track) -> None:
        """Worker thread. A retired track's player may already be released: skip it."""
        if track.role == "retired":
            return
        track.player.audio_set_volume(self._volume)
        track.player.audio_set_mute(self._muted)

    def _apply_volume_all(self) -> None:
        for track in (self._current, self._prepared):
            if track is not None:
                self._apply_volume(track)

    @staticmethod
    def _decoded_audio(track: _Track) -> int:
        stats = vlc.MediaStats()
        if not track.media.get_stats(stats):
            return -1
        return int(stats.decoded_audio)

    def _take_prepared(self, source: MediaSource) -> _Track | None:
        track = self._prepared
        if track is None or track.source != source:
            return None
        self._prepared = None
        age = time.monotonic() - track.created_at
        if track.failed is None and track.phase == "preroll" and age <= self._prepared_max_age_s:
            return track
        log.info("vlc.prepared_discarded", age_s=round(age, 1), failed=track.failed)
        self._retire(track)
        self._release_later(track)
        return None

    def _retire(self, track: _Track) -> None:
        track.role = "retired"
        track.backlog.clear()
        self._cancel_go(track)
        if track.pacer is not None:
            track.pacer.abort.set()

    def _release_later(self, track: _Track) -> None:
        future = self._worker.submit(self._release, track)
        future.add_done_callback(_log_failure)

    # -- plumbing -------------------------------------------------------------------------------

    def _loop_now(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("VlcBackend is closed")
        self._loop_now()

    async def _run(self, fn: Callable[[], T]) -> T:
        return await self._loop_now().run_in_executor(self._worker, fn)

    async def _run_owning(self, fn: Callable[[], _Track]) -> _Track:
        """Run ``fn`` on the worker; if the caller is cancelled meanwhile, release its track."""
        future = self._loop_now().run_in_executor(self._worker, fn)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:

            def orphan(done: asyncio.Future[_Track]) -> None:
                if not done.cancelled() and done.exception() is None:
                    track = done.result()
                    self._retire(track)
                    self._release_later(track)

            future.add_done_callback(orphan)
            raise

    @staticmethod
    def _describe(source: MediaSource) -> dict[str, object]:
        url = "<data>" if source.data is not None else redact_url(source.url)
        return {"source_id": source.source_id, "url": url, "start_ms": source.start_ms}


def _log_failure(future: Future[None]) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("vlc.release_failed", error=repr(exc))
