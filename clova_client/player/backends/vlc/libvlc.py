"""LibVlcPlayer: the libVLC objects behind one source (its media, its media player, the null
output's pacer) and the callbacks that carry their events to the loop.

Worker thread: creating, ``start``, ``apply_volume``, ``release`` (all may block). VLC threads:
the callbacks, which only copy their payload into a ``VlcEventKind`` and a value and hand both to
the loop (``call_soon_threadsafe``; a closed loop is ignored). No libVLC call happens in a
callback: ``stop()`` there deadlocks. Loop: the quick controls that only post a request to
libVLC's input thread (``set_pause``, ``set_time``, ``get_length``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from enum import Enum, auto
from typing import Any

import vlc

from ...backend import MediaSource
from .memory import MemoryInput
from .output import Pacer, attach_null_output


class VlcEventKind(Enum):
    """What a libVLC callback hands to the loop; the value posted with it in brackets."""

    PLAYING = auto()  # MediaPlayerPlaying
    PAUSED = auto()  # MediaPlayerPaused
    TIME = auto()  # MediaPlayerTimeChanged [media time, ms]
    POSITION = auto()  # MediaPlayerPositionChanged [0.0-1.0]
    LENGTH = auto()  # MediaPlayerLengthChanged [ms]
    END = auto()  # MediaPlayerEndReached
    ERROR = auto()  # MediaPlayerEncounteredError
    BUFFERED = auto()  # MediaPlayerBuffering reached 100 %
    PCM = auto()  # the null output got its first PCM block


OnEvent = Callable[[VlcEventKind, Any], None]
"""Receives the events of one player, on the loop."""


def _nothing(_ev: Any) -> None:
    return None


_CALLBACKS: tuple[tuple[Any, VlcEventKind, Callable[[Any], Any]], ...] = (
    (vlc.EventType.MediaPlayerPlaying, VlcEventKind.PLAYING, _nothing),
    (vlc.EventType.MediaPlayerPaused, VlcEventKind.PAUSED, _nothing),
    (vlc.EventType.MediaPlayerTimeChanged, VlcEventKind.TIME, lambda ev: int(ev.u.new_time)),
    (
        vlc.EventType.MediaPlayerPositionChanged,
        VlcEventKind.POSITION,
        lambda ev: float(ev.u.new_position),
    ),
    (vlc.EventType.MediaPlayerLengthChanged, VlcEventKind.LENGTH, lambda ev: int(ev.u.new_length)),
    (vlc.EventType.MediaPlayerEndReached, VlcEventKind.END, _nothing),
    (vlc.EventType.MediaPlayerEncounteredError, VlcEventKind.ERROR, _nothing),
)
"""libVLC event -> the kind posted for it, and the copy of its payload posted with it.
(MediaPlayerBuffering has its own callback: it posts BUFFERED only at 100 %.)"""

_LIBVLC_EVENTS = (*(row[0] for row in _CALLBACKS), vlc.EventType.MediaPlayerBuffering)
"""Every libVLC event a player attaches to (and detaches before release)."""


class LibVlcPlayer:
    """One libVLC media player, made ahead of its source (its output and callbacks attached, no
    media: nothing fires), then ``load``-ed with one source's media, opened with
    ``:start-paused`` (libVLC opens, probes and buffers, then parks in Paused without opening
    the audio output) and from ``start_ms``; ``start`` begins the pre-roll. All on the worker
    thread.

    ``keep`` holds the ctypes callbacks and buffers libVLC points into, until ``release``.
    """

    def __init__(self, instance: Any, *, null_output: bool) -> None:
        self.keep: list[object] = []
        self.media: Any = None
        self.player: Any = instance.media_player_new()
        self.pacer = Pacer() if null_output else None
        self.created_at = time.monotonic()
        self.last_buffering = self.created_at  # written on a VLC thread
        self._loop: asyncio.AbstractEventLoop | None = None
        self._on_event: OnEvent | None = None
        player = self.player
        if self.pacer is not None:
            attach_null_output(player, self.pacer, self.keep, self._on_first_pcm)
        manager = player.event_manager()
        for event_type, kind, copy in _CALLBACKS:
            handler = self._poster(kind, copy)
            manager.event_attach(event_type, handler)
            self.keep.append(handler)
        on_buffering = self._on_buffering
        manager.event_attach(vlc.EventType.MediaPlayerBuffering, on_buffering)
        self.keep.append(on_buffering)

    def load(self, instance: Any, source: MediaSource, *, demux: str | None = None) -> None:
        """Give the player ``source``'s media (once)."""
        if source.data is not None:
            memory = MemoryInput(source.data)
            self.keep.append(memory)
            media = memory.media(instance)
        elif "://" in source.url:
            media = instance.media_new_location(source.url)
        else:
            media = instance.media_new_path(source.url)
        if media is None:
            raise RuntimeError("libVLC could not create the media")
        media.add_option(":start-paused")
        if demux is not None:
            media.add_option(demux)
        if source.start_ms > 0:
            media.add_option(f":start-time={source.start_ms / 1000:.3f}")
        self.media = media
        self.created_at = self.last_buffering = time.monotonic()

    # -- worker thread ---------------------------------------------------------------------------

    def start(
        self, loop: asyncio.AbstractEventLoop, on_event: OnEvent, *, volume: int, muted: bool
    ) -> None:
        """Events go to ``on_event`` on ``loop`` from now on; play: the pre-roll begins."""
        self._loop, self._on_event = loop, on_event
        player = self.player
        if self.pacer is None:
            player.audio_set_volume(volume)
            player.audio_set_mute(muted)
        player.set_media(self.media)
        player.play()

    def apply_volume(self, volume: int, muted: bool) -> None:
        self.player.audio_set_volume(volume)
        self.player.audio_set_mute(muted)

    def abort_output(self) -> None:
        """Let a null output blocked in its pacing through at once; it plays nothing more."""
        if self.pacer is not None:
            self.pacer.abort.set()

    def stop(self) -> None:
        """May block (up to ~50 ms); the worker thread's."""
        self.player.stop()

    def release(self) -> None:
        """Stop, detach every callback, free the player and the media."""
        self.abort_output()
        player = self.player
        player.stop()
        manager = player.event_manager()
        for event_type in _LIBVLC_EVENTS:
            manager.event_detach(event_type)
        player.release()
        if self.media is not None:
            self.media.release()
        self.keep.clear()

    # -- VLC threads: copy, hand over, nothing else ------------------------------------------

    def _post(self, kind: VlcEventKind, value: Any) -> None:
        if self._loop is None or self._on_event is None:
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody listens any more
            self._loop.call_soon_threadsafe(self._on_event, kind, value)

    def _poster(self, kind: VlcEventKind, copy: Callable[[Any], Any]) -> Callable[[Any], None]:
        def handler(ev: Any) -> None:
            self._post(kind, copy(ev))

        return handler

    def _on_first_pcm(self) -> None:
        self._post(VlcEventKind.PCM, None)

    def _on_buffering(self, ev: Any) -> None:
        self.last_buffering = time.monotonic()
        if ev.u.new_cache >= 100.0:
            self._post(VlcEventKind.BUFFERED, None)

    # -- loop: quick controls and reads ------------------------------------------------------

    def set_pause(self, paused: bool) -> None:
        self.player.set_pause(1 if paused else 0)

    def set_time(self, ms: int) -> None:
        self.player.set_time(ms)

    def get_length(self) -> int:
        return int(self.player.get_length())

    def decoded_audio(self) -> int:
        """Audio blocks decoded so far; -1 when libVLC has no statistics."""
        stats = vlc.MediaStats()
        if not self.media.get_stats(stats):
            return -1
        return int(stats.decoded_audio)

    def applied_volume(self) -> tuple[int, bool] | None:
        """Volume (0-100) and mute as the audio output has them, read back from libVLC: the
        null output's volume callback, else ``audio_get_volume``/``_mute``. None while no
        output is open."""
        if self.pacer is not None:
            if self.pacer.volume is None:
                return None
            volume, muted = self.pacer.volume
            return round(volume * 100), muted
        volume = self.player.audio_get_volume()
        muted = self.player.audio_get_mute()
        if volume < 0 or muted < 0:
            return None
        return volume, bool(muted)


class SparePlayer:
    """The next source's player, made ahead (output and callbacks attached, no media: nothing
    fires), so that an open is only its media and ``play()``: ``media_player_new`` loads the
    output module (3.5-3.9 ms for ALSA or PulseAudio), and on the worker every libVLC call gives
    the GIL up and waits to take it back while the loop sends the events of the moment.

    Worker thread only, but for ``wanted``: set when one is taken, read and cleared by the
    loop, which asks for the next one once a source sounds, so that making it never competes
    with a pre-roll (one full-suite run, with it made right after each open, saw a PulseAudio
    start's first tick 269 ms late)."""

    def __init__(self, instance: Any, *, null_output: bool) -> None:
        self._instance = instance
        self._null_output = null_output
        self.player: LibVlcPlayer | None = None
        self.wanted = False
        self._released = False

    def make(self) -> None:
        if self.player is None and not self._released:
            self.player = LibVlcPlayer(self._instance, null_output=self._null_output)

    def take(self) -> LibVlcPlayer:
        """The player made ahead, else a new one."""
        player, self.player = self.player, None
        self.wanted = True
        return player or LibVlcPlayer(self._instance, null_output=self._null_output)

    def release(self) -> None:
        """For good: no spare is made after this."""
        self._released = True
        player, self.player = self.player, None
        if player is not None:
            player.release()
