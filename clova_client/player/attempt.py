"""One attempt to play one queued item: its source id, the item it plays, phase and position.

A replay, a repeat or a Previous makes a new Attempt from the same queued item, so an item that
needs its stream asks for it again and old backend events (other source id) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, auto

from .backend import MediaSource
from .item import JsonObject, PlayItem
from .progress import PositionSample, ProgressPlanner

START_SLACK_MS = 100
"""A first tick up to this far before the start position still marks the start of sound
(libavformat lands a frame or a few before it: an Ogg asked for 3000 at 2999); one further back
is a stale position."""


class AttemptPhase(Enum):
    """Where an attempt is; ``machine.TRANSITIONS`` is the one table of how it moves."""

    NEW = auto()  # made, not started (the prefetched next item waits here)
    AWAITING_STREAM = auto()  # StreamRequested sent; plays when StreamDeliver comes
    OPENING = auto()  # the backend was told to play (or resume); no sound yet
    PLAYING = auto()  # sound flows: the position advances
    PAUSED = auto()
    DONE = auto()  # finished, stopped or abandoned: nothing more happens to this attempt


ACTIVE = frozenset(
    {AttemptPhase.AWAITING_STREAM, AttemptPhase.OPENING, AttemptPhase.PLAYING, AttemptPhase.PAUSED}
)
"""The phases of an attempt that is under way."""
OPENED = frozenset({AttemptPhase.OPENING, AttemptPhase.PLAYING, AttemptPhase.PAUSED})
"""The phases in which the backend may hold the attempt's source."""

SEEK_STALE_MARGIN_MS = 500
"""After a seek, a TIME value more than this short of the target (forward) or past it (back) is
from before the seek (``SEEK_STALE_DROPS`` of them at most are ignored)."""
SEEK_STALE_DROPS = 3


class StreamError(Exception):
    """The stream cannot be played as given (no URL, missing attachment, bad StreamDeliver)."""


@dataclass(eq=False)
class Attempt:
    """One attempt to play ``entry``; a new one for every (re)start of the item."""

    entry: PlayItem
    """The item as queued (what a replay starts from again)."""
    source_id: int
    item: PlayItem
    """What this attempt plays: the queued item, or the one its delivery made."""
    stream: JsonObject = field(default_factory=dict)
    """Shown in the status: the item's (a restore puts back the one shown before)."""
    token: str | None = None
    delivered: bool = False
    prepared: bool = False
    opened: bool = False
    phase: AttemptPhase = AttemptPhase.NEW
    announced: bool = False
    """PlayStarted went out (or was sent before a restart): the next sound is a resume."""
    sample: PositionSample = field(default_factory=lambda: PositionSample(0, 0.0))
    start_ms: int = 0
    sound_baseline_ms: int = 0
    playing_seen: bool = False
    """The backend said PLAYING since this attempt last waited for sound."""
    last_time_ms: int | None = None
    length_ms: int | None = None
    progress: ProgressPlanner | None = None
    seek_floor_ms: int | None = None
    """After a forward seek: TIME values below this are from before the seek (in flight)."""
    seek_ceiling_ms: int | None = None
    """After a seek back: TIME values above this are from before the seek (in flight)."""
    seek_drops: int = 0
    resume_at_ms: int | None = None
    """Start here instead of the item's start (resume after Stop, restore)."""

    @classmethod
    def for_entry(cls, entry: PlayItem, source_id: int, resume_at_ms: int | None = None) -> Attempt:
        attempt = cls(entry, source_id, entry, entry.stream, entry.token)
        attempt.delivered = not entry.needs_stream
        attempt.resume_at_ms = resume_at_ms
        attempt.start_ms = entry.start_ms if resume_at_ms is None else resume_at_ms
        attempt.sample = PositionSample(attempt.start_ms, 0.0)
        return attempt

    @property
    def key(self) -> str:
        return self.entry.key

    @property
    def url(self) -> str:
        return self.item.url

    # --- stream --------------------------------------------------------------------------

    def deliver(self, item: PlayItem) -> None:
        """The item its delivery made (the queued one never changes): play that."""
        self.use(item)
        self.delivered = True
        self.start_ms = item.start_ms if self.resume_at_ms is None else self.resume_at_ms
        self.sample = PositionSample(self.start_ms, self.sample.at)

    def use(self, item: PlayItem) -> None:
        """From now on ``item`` is what this attempt shows and plays (start, position stay)."""
        self.item, self.stream, self.token = item, item.stream, item.token

    def source(self, start_ms: int | None = None) -> MediaSource:
        """What the backend plays; raises StreamError when the item cannot be played."""
        item = self.item
        if item.problem is not None:
            raise StreamError(item.problem)
        if not item.url:
            raise StreamError("stream has no url")
        start = self.start_ms if start_ms is None else start_ms
        return MediaSource(self.source_id, item.url, start, item.data)

    # --- media time ----------------------------------------------------------------------

    @property
    def duration_ms(self) -> int | None:
        return self.item.duration_ms

    @property
    def cut_ms(self) -> int | None:
        """Where the item's duration ends playback: its start + duration."""
        return self.item.cut_ms

    @property
    def end_ms(self) -> int | None:
        """Where playback will end, when known: the duration cut or the media's length."""
        ends = [e for e in (self.cut_ms, self.length_ms) if e]
        return min(ends, default=None)

    @property
    def total_ms(self) -> int | None:
        """totalInMilliseconds: durationInMilliseconds when given, else the media's length."""
        return self.duration_ms if self.duration_ms is not None else self.length_ms

    def open_at(self, start_ms: int, now: float) -> None:
        """The backend is told to play from ``start_ms``: the media time and the progress
        reports of this play start there."""
        self.opened = True
        self.start_ms = start_ms
        self.last_time_ms = None
        self.sample = PositionSample(start_ms, now)
        self.progress = ProgressPlanner(self.item.progress, start_ms)

    def position(self, now: float, limit_ms: int) -> int:
        """Where the attempt is at ``now`` (interpolated; never past its end while playing)."""
        position = self.sample.at_time(now, limit_ms)
        end = self.end_ms
        if end is not None and self.phase is AttemptPhase.PLAYING:
            return min(position, end)
        return position

    def seeked(self, old_ms: int, target_ms: int, now: float) -> None:
        """A seek from ``old_ms`` to ``target_ms``: TIME values still in flight from before it
        are told apart by ``stale_tick``."""
        running = self.phase is AttemptPhase.PLAYING
        self.sample = PositionSample(target_ms, now, running)
        self.last_time_ms = None
        self.sound_baseline_ms = target_ms
        forward = target_ms > old_ms
        self.seek_floor_ms = target_ms - SEEK_STALE_MARGIN_MS if forward else None
        back = target_ms < old_ms - SEEK_STALE_MARGIN_MS
        self.seek_ceiling_ms = target_ms + SEEK_STALE_MARGIN_MS if back else None
        self.seek_drops = 0

    def stale_tick(self, time_ms: int) -> bool:
        """True for a TIME value from before the latest seek (at most ``SEEK_STALE_DROPS``)."""
        floor, ceiling = self.seek_floor_ms, self.seek_ceiling_ms
        if floor is None and ceiling is None:
            return False
        stale = (floor is not None and time_ms < floor) or (
            ceiling is not None and time_ms > ceiling
        )
        if stale and self.seek_drops < SEEK_STALE_DROPS:
            self.seek_drops += 1
            return True
        self.seek_floor_ms = self.seek_ceiling_ms = None
        return False

    def is_sound(self, time_ms: int) -> bool:
        """True when a TIME value shows audio flowing: the position moved past where playback
        was told to start, or libVLC's first time tick after it said PLAYING (its first PCM
        block: after a pre-roll that tick carries the start position itself, or a frame before
        it: libavformat starts an Ogg asked for 3000 ms at 2999)."""
        return (
            time_ms > self.sound_baseline_ms
            or (self.playing_seen and time_ms >= self.sound_baseline_ms - START_SLACK_MS)
            or (self.last_time_ms is not None and time_ms > self.last_time_ms)
        )
