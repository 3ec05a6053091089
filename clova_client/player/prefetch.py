"""The item after the current one, made ready while the current one plays: a playable URL is
prepared in the backend at once; a ``urlPlayable: false`` item asks for its stream only when
the current item is ``stream_request_lead_s`` from its end (never earlier), then is prepared."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from .attempt import Attempt, StreamError
from .backend import MediaBackend
from .item import PlayItem
from .streams import StreamRequests

log = structlog.get_logger(__name__)


class NextItem:
    def __init__(
        self,
        backend: MediaBackend,
        streams: StreamRequests,
        new_attempt: Callable[[PlayItem], Attempt],
        lead_ms: int,
    ) -> None:
        self._backend = backend
        self._streams = streams
        self._new_attempt = new_attempt
        self._lead_ms = lead_ms
        self.attempt: Attempt | None = None

    async def refresh(self, entry: PlayItem | None, current: Attempt, position_ms: int) -> None:
        """``entry`` comes after ``current`` (at ``position_ms``): get it ready."""
        if self.attempt is None or self.attempt.entry is not entry:
            self.drop()
            self.attempt = self._new_attempt(entry) if entry else None
        if self.attempt is None:
            return
        if self.attempt.delivered:
            await self.prepare(self.attempt)
        else:
            self.ask_if_due(current, position_ms)

    async def prepare(self, attempt: Attempt) -> None:
        if attempt.prepared:
            return
        try:
            source = attempt.source()
        except StreamError:
            return  # it fails, with its reason, when its turn comes
        attempt.prepared = True
        log.debug("player.prepare", audio_item_id=attempt.key, source_id=attempt.source_id)
        await self._backend.prepare(source)

    def take(self, entry: PlayItem) -> Attempt | None:
        """The prepared attempt if it is for ``entry``; forgotten either way."""
        attempt, self.attempt = self.attempt, None
        if attempt is not None and attempt.entry is entry:
            return attempt
        if attempt is not None:
            self._streams.cancel(attempt)
        return None

    def drop(self) -> None:
        if self.attempt is not None:
            self._streams.cancel(self.attempt)
            self.attempt = None

    def ask_if_due(self, current: Attempt, position_ms: int) -> None:
        """Send StreamRequested once ``current`` is within the lead of its end."""
        due = self.ask_at_ms(current)
        if self.attempt is not None and due is not None and position_ms >= due:
            self._streams.ask(self.attempt)

    def ask_at_ms(self, current: Attempt) -> int | None:
        """Where in ``current`` the next item's StreamRequested is due (None: not needed yet,
        already asked, or the end of ``current`` is unknown)."""
        attempt, end = self.attempt, current.end_ms
        if attempt is None or attempt.delivered or end is None or self._streams.waiting(attempt):
            return None
        return end - self._lead_ms
