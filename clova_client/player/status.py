"""What the player says it is doing, in its own terms: ``PlayerStatus``.

No wire shape: the AudioPlayer agent turns it into the ``AudioPlayer.PlaybackState`` context
(``agents/audioplayer_state.py``), the status display and the music app read it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .item import JsonObject
from .queue import QueueRepeat


class Activity(StrEnum):
    """What the player reports doing (AudioPlayer's ``playerActivity`` has the same values)."""

    IDLE = "IDLE"  # nothing played since start (or the queue was cleared before anything sounded)
    PLAYING = "PLAYING"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"  # stopped, finished or failed: the item shown played last


@dataclass(frozen=True, slots=True)
class PlayerStatus:
    activity: Activity
    """IDLE, PLAYING, PAUSED or STOPPED, for the item shown (the one that sounded last)."""
    repeat: QueueRepeat
    offset_ms: int | None = None
    """Where the item shown is, interpolated (None when IDLE)."""
    total_ms: int | None = None
    """Its length: the item's own duration when it gave one, else the media's, when known."""
    stream: JsonObject | None = None
    """What the item asked to be shown back, untouched (AudioPlayer: its stream)."""
