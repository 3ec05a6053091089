"""What the engine plays: a neutral ``PlayItem``, built by whoever owns the content.

The AudioPlayer agent builds items from Play directives (``agents/audioplayer_items.py``),
the music app from library songs. The engine reads the item's fields and never looks inside
its two opaque parts: ``stream`` (shown back in the status: AudioPlayer's stream, echoed
exactly) and ``saved`` (what a snapshot keeps, so its owner can rebuild the item after a
restart).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .progress import ProgressPlan

JsonObject = dict[str, Any]
"""A JSON object the engine carries without reading it (the same shape as protocol's)."""


class Enqueue(StrEnum):
    """How an item joins the queue."""

    REPLACE_ALL = "REPLACE_ALL"  # drop everything, play it now
    ENQUEUE = "ENQUEUE"  # after what is queued
    REPLACE_ENQUEUED = "REPLACE_ENQUEUED"  # drop what waits, keep the current item


@dataclass(frozen=True, eq=False)
class PlayItem:
    """One item to play; a new one for every change (a StreamDeliver makes a new item)."""

    key: str
    """Names the item in the queue: one key plays or waits once (AudioPlayer: audioItemId)."""
    token: str | None = None
    """Names it in logs and notices (AudioPlayer: the stream's token)."""
    url: str = ""
    data: bytes | None = None
    """The media itself, when it came along (AudioPlayer: a ``cid:`` attachment)."""
    problem: str | None = None
    """Why it cannot be played as given: it fails with this reason when its turn comes."""
    needs_stream: bool = False
    """Its URL must be asked for first (STREAM_NEEDED); its owner delivers a new item."""
    start_ms: int = 0
    duration_ms: int | None = None
    """Playback ends at ``start_ms + duration_ms`` (None or 0: at the end of the media)."""
    progress: ProgressPlan | None = None
    title: str | None = None
    artist: str | None = None
    stream: JsonObject = field(default_factory=dict)
    """Opaque: shown back in the status while this item is shown."""
    saved: JsonObject = field(default_factory=dict)
    """Opaque: what a snapshot keeps of it."""
    attachments: Mapping[str, bytes] = field(default_factory=dict)
    """Opaque: media that came with it, for its owner to deliver from."""

    @property
    def cut_ms(self) -> int | None:
        """Where ``duration_ms`` ends playback (a zero duration is ignored)."""
        return self.start_ms + self.duration_ms if self.duration_ms else None


Rebuild = Callable[[JsonObject], PlayItem]
"""Makes an item again from what it saved (a snapshot); ValueError when it cannot."""
Redeliver = Callable[[JsonObject, PlayItem], PlayItem]
"""A delivery for an item: the stream it shows now and the item as queued -> the new item;
ValueError when the delivery is not a playable stream."""
