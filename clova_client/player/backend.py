"""The one boundary between the engine and a media library: the PlayerBackend Protocol.

A backend plays one source at a time. Every event it reports carries the id of the source it
belongs to, and is delivered on the event loop (never on a library thread), so the engine can
drop events of a source it has already left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True, slots=True)
class MediaSource:
    """What to play: a URL, or the bytes of a ``cid:`` attachment, from ``start_ms`` on."""

    source_id: int
    url: str
    start_ms: int = 0
    data: bytes | None = None


class BackendEventType(StrEnum):
    PLAYING = "playing"  # the library says it plays; no sound is proven yet
    TIME = "time"  # media position advanced to time_ms: sound is flowing
    LENGTH = "length"  # the media's length became known: length_ms
    PAUSED = "paused"
    ENDED = "ended"  # reached the end of the media
    ERROR = "error"  # could not open, read or decode: reason


@dataclass(frozen=True, slots=True)
class BackendEvent:
    source_id: int
    type: BackendEventType
    time_ms: int | None = None
    length_ms: int | None = None
    reason: str | None = None


EventSink = Callable[[BackendEvent], None]
"""Called on the event loop thread, once per backend event."""


class PlayerBackend(Protocol):
    """What the engine needs from a media library. Every coroutine returns promptly."""

    def attach(self, sink: EventSink) -> None:
        """Set the one receiver of this backend's events."""

    async def play(self, source: MediaSource) -> None:
        """Leave whatever plays (no more events for it) and start ``source``."""

    async def prepare(self, source: MediaSource) -> None:
        """Get ``source`` ready (open / parse) so a later ``play`` of it starts fast."""

    async def pause(self) -> None: ...

    async def resume(self) -> None: ...

    async def seek(self, ms: int) -> None: ...

    async def stop(self) -> None:
        """Stop playing; no further events for the current source."""

    async def set_volume(self, percent: int) -> None: ...

    async def set_mute(self, muted: bool) -> None: ...

    async def close(self) -> None:
        """Release everything; the backend is not used again."""
