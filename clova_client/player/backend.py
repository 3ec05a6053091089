"""The one boundary between the engine and a media library: the PlayerBackend Protocol.

A backend plays one source at a time. This docstring is its contract; FakeBackend and VlcBackend
both honour it, and ``tests/player/contract/`` checks it against both (run it against any new
backend).

**Delivery.** Every event goes to the one sink given to ``attach``, on the event loop thread
(never on a library thread), and carries the ``source_id`` of the MediaSource it is about. The
sink may be called while a backend coroutine is still running (``play`` may deliver the events
its new source had queued), so it only records or schedules; it never calls back into the
backend. Times and lengths are media time in milliseconds from the start of the media (not from
``start_ms``).

**Sound started** means the first TIME after PLAYING: libVLC's first time tick, which comes with
its first PCM block. PLAYING alone proves nothing (libVLC says it for garbage too), so:

* TIME is only sent while sound flows: never while opening, paused, stalled or after the end;
  and never before PLAYING (after a PAUSED, PLAYING comes again before the next TIME).
* The first TIME of a source is at its start position (``start_ms``, within one tick), as soon
  as sound flows; then TIME ticks regularly (libVLC: every 250-330 ms) and never goes back,
  except after a seek. The engine interpolates between ticks and times out a silent source.

**Per call**, for the current source (``TIME...``: any number of TIME events):

* ``play(source)``: ``PLAYING``, ``TIME``..., ``ENDED``; or ``ERROR`` instead, at any point.
  ``LENGTH`` may come any time before the end, again if the length changes.

  - Once ``play`` returns, no event of any earlier source is delivered.
  - ENDED comes once, when the media has played to its end (the last TIME within one tick of
    the length). ERROR (could not open, read or decode) carries a ``reason``. After either,
    nothing more comes for that source.
  - Media that never sounds (garbage, nothing decodable) ends with ENDED or ERROR and no TIME.
  - A stream that stalls just stops sending TIME. Open and stall timeouts are the engine's job,
    not the backend's.

* ``pause()``: ``PAUSED``, then no TIME until ``resume``. Paused before sound started, the
  source does not start until resumed.
* ``resume()``: ``PLAYING``, then ``TIME...`` from where it paused.
* ``seek(ms)``: TIME continues from ``ms`` (a tick or two from before the seek may still be in
  flight). A seek before sound started moves the start.
* ``stop()``: once it returns, nothing more for the current source. It may drop a prepared
  source too (a later ``play`` of it then opens it afresh).
* ``prepare(source)``: no event at all for ``source`` until it is played. ``play`` of the same
  source then reports exactly as an unprepared ``play`` (from its ``start_ms``), only sooner.
  A backend may ignore ``prepare``.
* ``set_volume`` / ``set_mute`` (``VolumeControl``, called by the mixer only, never by the
  engine): no events; they hold for the current and every later source.

pause, resume and seek act on the current source, and do nothing without one (VlcBackend: nor
once it has ended or failed). Every coroutine returns promptly: blocking library work runs off
the loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class MediaSource:
    """What to play: a URL, or the bytes of a ``cid:`` attachment, from ``start_ms`` on."""

    source_id: int
    url: str
    start_ms: int = 0
    data: bytes | None = None


class BackendEventType(StrEnum):
    """What a BackendEvent reports; the field it fills in brackets."""

    PLAYING = "playing"  # the library says it plays (again); no sound is proven yet
    TIME = "time"  # sound is flowing, the media is at [time_ms]
    LENGTH = "length"  # the media's length became known (or changed) [length_ms > 0]
    PAUSED = "paused"  # paused: no TIME until resumed
    ENDED = "ended"  # reached the end of the media; final
    ERROR = "error"  # could not open, read or decode [reason]; final


@dataclass(frozen=True, slots=True)
class BackendEvent:
    """One event of the source ``source_id``."""

    source_id: int
    type: BackendEventType
    time_ms: int | None = None
    length_ms: int | None = None
    reason: str | None = None


EventSink = Callable[[BackendEvent], None]
"""Called on the event loop thread, once per backend event."""


class MediaBackend(Protocol):
    """What the engine needs from a media library; the events each call brings are in this
    module's docstring. Every coroutine returns promptly."""

    def attach(self, sink: EventSink) -> None:
        """Set the one receiver of this backend's events."""

    async def play(self, source: MediaSource) -> None:
        """Leave whatever plays (no more events for it) and start ``source``: PLAYING,
        TIME..., ENDED (or ERROR at any point); LENGTH any time before the end."""

    async def prepare(self, source: MediaSource) -> None:
        """Get ``source`` ready (open / parse / buffer) so a later ``play`` of it starts fast;
        no events for it until then. Replaces an earlier prepared source."""

    async def pause(self) -> None:
        """PAUSED; no TIME until ``resume``."""

    async def resume(self) -> None:
        """PLAYING, then TIME from where it paused."""

    async def seek(self, ms: int) -> None:
        """Move the current source to media time ``ms``: TIME continues from there."""

    async def stop(self) -> None:
        """Stop playing; no further events for the current source. May drop a prepared one."""

    async def close(self) -> None:
        """Release everything; the backend is not used again (closing twice is fine)."""


@runtime_checkable
class VolumeControl(Protocol):
    """The output's level: what the mixer (``mixer.py``) sets, and nothing else."""

    async def set_volume(self, percent: int) -> None:
        """0-100, for the current and every later source."""

    async def set_mute(self, muted: bool) -> None:
        """For the current and every later source."""


class PlayerBackend(MediaBackend, VolumeControl, Protocol):
    """A media library on the speaker's output: what FakeBackend and VlcBackend are."""
