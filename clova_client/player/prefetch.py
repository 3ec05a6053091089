"""The item after the current one, made ready while the current one plays: a playable URL is
prepared in the backend at once; a ``urlPlayable: false`` item asks for its stream only when
the current item is ``stream_request_lead_s`` from its end (never earlier), then is prepared."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from .backend import PlayerBackend
from .queue import QueueEntry
from .streams import StreamRequests
from .track import StreamError, Track

log = structlog.get_logger(__name__)


class NextItem:
    def __init__(
        self,
        backend: PlayerBackend,
        streams: StreamRequests,
        new_track: Callable[[QueueEntry], Track],
        lead_ms: int,
    ) -> None:
        self._backend = backend
        self._streams = streams
        self._new_track = new_track
        self._lead_ms = lead_ms
        self.track: Track | None = None

    async def refresh(self, entry: QueueEntry | None, current: Track, position_ms: int) -> None:
        """``entry`` comes after ``current`` (at ``position_ms``): get it ready."""
        if self.track is None or self.track.entry is not entry:
            self.drop()
            self.track = self._new_track(entry) if entry else None
        if self.track is None:
            return
        if self.track.delivered:
            await self.prepare(self.track)
        else:
            self.ask_if_due(current, position_ms)

    async def prepare(self, track: Track) -> None:
        if track.prepared:
            return
        try:
            source = track.source()
        except StreamError:
            return  # it fails, with its reason, when its turn comes
        track.prepared = True
        log.debug("player.prepare", audio_item_id=track.audio_item_id, source_id=track.source_id)
        await self._backend.prepare(source)

    def take(self, entry: QueueEntry) -> Track | None:
        """The prepared attempt if it is for ``entry``; forgotten either way."""
        track, self.track = self.track, None
        if track is not None and track.entry is entry:
            return track
        if track is not None:
            self._streams.cancel(track)
        return None

    def drop(self) -> None:
        if self.track is not None:
            self._streams.cancel(self.track)
            self.track = None

    def ask_if_due(self, current: Track, position_ms: int) -> None:
        """Send StreamRequested once ``current`` is within the lead of its end."""
        due = self.ask_at_ms(current)
        if self.track is not None and due is not None and position_ms >= due:
            self._streams.ask(self.track)

    def ask_at_ms(self, current: Track) -> int | None:
        """Where in ``current`` the next item's StreamRequested is due (None: not needed yet,
        already asked, or the end of ``current`` is unknown)."""
        track, end = self.track, current.end_ms
        if track is None or track.delivered or end is None or self._streams.waiting(track):
            return None
        return end - self._lead_ms
