"""What the outbox holds and hands out (``StoredEvent``, ``PutResult``), and which events its
bound evicts first (progress reports) or never (playback state events)."""

from __future__ import annotations

from dataclasses import dataclass

PROGRESS_PREFIX = "AudioPlayer.ProgressReport"
PROTECTED = frozenset(
    f"AudioPlayer.{name}"
    for name in ("PlayStarted", "PlayPaused", "PlayResumed", "PlayStopped", "PlayFinished")
)
"""Playback state events: never evicted (not PlaybackQueueCleared, which only looks alike)."""


def is_progress_report(full_name: str) -> bool:
    return full_name.startswith(PROGRESS_PREFIX)


def is_button(full_name: str) -> bool:
    """A press of one of the speaker's buttons: worth sending only while it is fresh."""
    return full_name.startswith("PlaybackController.") and full_name.endswith("CommandIssued")


def is_protected(full_name: str) -> bool:
    """A playback state event (PlayStarted, PlayPaused, ...): never evicted."""
    return full_name in PROTECTED


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    message_id: str
    full_name: str
    body: dict[str, object]
    audio: bytes | None
    created_at: float = 0.0
    """Wall time (Unix seconds) it was stored."""


@dataclass(frozen=True)
class PutResult:
    seq: int | None
    """The queue position; None when the event itself was refused (queue full, see Outbox)."""
    evicted: tuple[str, ...]
    """Events evicted to make room, as ``full_name:messageId``."""

    @property
    def stored(self) -> bool:
        return self.seq is not None
