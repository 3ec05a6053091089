"""The play queue (pure): history, the current item, upcoming items, repeat and shuffle.

One list holds everything in play order: ``items[:index]`` is the history Previous walks back
through, ``items[index]`` the current item, ``items[index + 1:]`` what comes next. ``start``
marks where the latest REPLACE_ALL began, which is where repeat ALL wraps to.
"""

from __future__ import annotations

import itertools
import random
from enum import StrEnum

from .item import PlayItem


class QueueRepeat(StrEnum):
    """How the queue repeats; AudioPlayer's ``RepeatMode`` (``agents.audioplayer_state``) and
    MediaPlayer's repeat map onto it."""

    NONE = "NONE"
    ONE = "ONE"  # a finished item plays again; Next still skips
    ALL = "ALL"  # after the last item, the playlist starts over (MediaPlayer)


MAX_UPCOMING = 500
"""Items that may wait behind the current one: a Play that would queue more is dropped (a cloud
gone wrong must not grow the speaker's memory without end; a real playlist is far shorter)."""


class PlayQueue:
    def __init__(self, history_size: int = 50, rng: random.Random | None = None) -> None:
        self._history_size = history_size
        self._rng = rng or random.Random()
        self._items: list[PlayItem] = []
        self._index: int | None = None
        self._start = 0
        self._arrival: dict[PlayItem, int] = {}
        self._counter = itertools.count()
        self.repeat = QueueRepeat.NONE
        self._shuffle = False

    # --- views ---------------------------------------------------------------------------

    @property
    def current(self) -> PlayItem | None:
        return None if self._index is None else self._items[self._index]

    @property
    def upcoming(self) -> tuple[PlayItem, ...]:
        return tuple(self._items[self._first_upcoming :])

    @property
    def history(self) -> tuple[PlayItem, ...]:
        return tuple(self._items[: self._index or 0])

    @property
    def shuffle(self) -> bool:
        return self._shuffle

    @property
    def playlist_size(self) -> int:
        """Items since the latest REPLACE_ALL: one round of repeat ALL."""
        return len(self._items) - self._start

    @property
    def full(self) -> bool:
        return len(self._items) - self._first_upcoming >= MAX_UPCOMING

    def is_upcoming(self, key: str) -> bool:
        return any(e.key == key for e in self.upcoming)

    @property
    def _first_upcoming(self) -> int:
        return 0 if self._index is None else self._index + 1

    # --- Play and ClearQueue -------------------------------------------------------------

    def replace_all(self, entry: PlayItem) -> None:
        """Drop what is queued; ``entry`` becomes current. The old current moves to history."""
        del self._items[self._first_upcoming :]
        self._add(entry, len(self._items))
        self._index = self._start = len(self._items) - 1
        self._trim_history()

    def replace_enqueued(self, entry: PlayItem) -> None:
        """Drop what is queued and queue ``entry``; the current item stays."""
        self.clear_upcoming()
        self._add(entry, len(self._items))

    def enqueue(self, entry: PlayItem) -> None:
        position = len(self._items)
        if self._shuffle:
            position = self._rng.randint(self._first_upcoming, len(self._items))
        self._add(entry, position)

    def clear_upcoming(self) -> None:
        for entry in self._items[self._first_upcoming :]:
            self._arrival.pop(entry, None)
        del self._items[self._first_upcoming :]

    # --- moving --------------------------------------------------------------------------

    def peek_next(self, *, auto: bool) -> PlayItem | None:
        """What ``advance`` would make current. ``auto``: the current item finished by itself
        (repeat ONE plays it again); otherwise the user skips (repeat ONE does not hold)."""
        index = self._next_index(auto=auto)
        return None if index is None else self._items[index]

    def advance(self, *, auto: bool) -> PlayItem | None:
        """Move to the next item; None (and no move) when there is none."""
        index = self._next_index(auto=auto)
        if index is None:
            return None
        if self._shuffle and self._index is not None and index < self._index:
            self._reshuffle(index)
        self._index = index
        self._trim_history()
        return self._items[index]

    def back(self) -> PlayItem | None:
        """Move to the item played before the current one; None when there is none."""
        if not self._index:
            return None
        self._index -= 1
        self._start = min(self._start, self._index)
        return self._items[self._index]

    def set_shuffle(self, on: bool) -> None:
        """Shuffle the upcoming items, or put them back in the order they arrived."""
        if on == self._shuffle:
            return
        self._shuffle = on
        first = self._first_upcoming
        rest = self._items[first:]
        if on:
            self._rng.shuffle(rest)
        else:
            rest.sort(key=lambda e: self._arrival.get(e, 0))
        self._items[first:] = rest

    def load(self, current: PlayItem | None, upcoming: list[PlayItem]) -> None:
        """Replace everything (restore after a restart)."""
        self._items = [e for e in [current, *upcoming] if e is not None]
        self._arrival = {e: next(self._counter) for e in self._items}
        self._index = 0 if current is not None else None
        self._start = 0

    # --- internals -----------------------------------------------------------------------

    def _next_index(self, *, auto: bool) -> int | None:
        if self._index is None:
            return 0 if self._items else None
        if auto and self.repeat is QueueRepeat.ONE:
            return self._index
        if self._index + 1 < len(self._items):
            return self._index + 1
        if self.repeat is QueueRepeat.ALL and self._start < len(self._items):
            return self._start
        return None

    def _add(self, entry: PlayItem, position: int) -> None:
        self._arrival[entry] = next(self._counter)
        self._items.insert(position, entry)

    def _reshuffle(self, start: int) -> None:
        """A new round of repeat ALL with shuffle on plays the playlist in a new order."""
        rest = self._items[start:]
        self._rng.shuffle(rest)
        self._items[start:] = rest

    def _trim_history(self) -> None:
        if self._index is None:
            return
        excess = min(self._start, self._index) - self._history_size
        if excess > 0:
            for entry in self._items[:excess]:
                self._arrival.pop(entry, None)
            del self._items[:excess]
            self._index -= excess
            self._start -= excess
