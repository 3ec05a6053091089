"""The music app behind MediaPlayer: library songs played by a PlayerEngine of its own.

Its engine plays through its port of the shared output (``player.shared``), so starting a song
here takes the speaker over from AudioPlayer (which then reports PlayStopped). It hands the
engine neutral items (``PlayItem``), not Play payloads. None of the engine's notices leaves the
speaker: a song that starts sounding is recorded in the play history and logged as "now
playing", everything else is dropped.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from ..clock import Clock
from ..player.backend import MediaBackend
from ..player.engine import PlayerEngine
from ..player.item import PlayItem
from ..player.mixer import Mixer
from ..player.notices import Notice, NoticeKind
from ..player.queue import QueueRepeat
from ..player.settings import PlayerSettings
from ..player.shared import BackendPort
from ..player.status import Activity
from ..protocol.mediaplayer import MediaPlayerContext, Playlist, Shuffle, Toggle
from ..protocol.mediaplayer import Repeat as ToggleRepeat
from .library import Library
from .models import LibraryPlaylist, LibrarySong

log = structlog.get_logger(__name__)

MAX_PLAYLIST = 200
"""Songs one Play loads at most (the best matches first)."""
KNOWN_ITEMS = 1000
"""Songs remembered by their queue id (the current list and what Previous can go back to)."""
NAMESPACE = "MediaPlayer"


@dataclass(frozen=True)
class Selection:
    """What a Play (or a Search) found: songs in play order, and what to call the list."""

    songs: Sequence[LibrarySong]
    name: str
    category: str = "NONE"
    playlist: LibraryPlaylist | None = None


@dataclass
class _Loaded:
    selection: Selection
    order: dict[str, int] = field(default_factory=dict)
    """queue id -> position in the selection."""


class MusicApp:
    """Also the MediaPlayer side of PlaybackController (``namespace``, ``active``, controls)."""

    namespace = NAMESPACE

    def __init__(
        self,
        library: Library,
        backend: MediaBackend,
        clock: Clock,
        settings: PlayerSettings,
        *,
        handover: Callable[[], Awaitable[None]] | None = None,
        mixer: Mixer | None = None,
    ) -> None:
        self.library = library
        self.engine = PlayerEngine(backend, clock, settings, mixer)
        self.engine.subscribe(self._on_notice)
        if isinstance(backend, BackendPort):
            backend.on_preempted = self.engine.stop  # AudioPlayer took the speaker: STOPPED
        self.engine.on_change = self._changed
        self.on_change: Callable[[], None] | None = None
        self._handover = handover
        self._generation = itertools.count(1)
        self._known: OrderedDict[str, tuple[LibrarySong, str]] = OrderedDict()
        self._loaded: _Loaded | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.running = False

    # --- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        await self.engine.start()
        with structlog.contextvars.bound_contextvars(player=NAMESPACE):
            await self.engine.stop()  # makes the engine's worker task: its log lines say so
        if not self.library.configured:
            log.info("mediaplayer.no_library", reason="library.paths is empty")
            return
        try:
            await self.library.start()
        except (OSError, sqlite3.Error, RuntimeError) as exc:  # the speaker works without it
            log.error("mediaplayer.library_unusable", reason=str(exc), db=str(self.library.db_path))
            return
        self.running = True

    async def close(self) -> None:
        await self.engine.close()
        await self.library.close()
        for task in list(self._tasks):
            task.cancel()

    async def wait_idle(self) -> None:
        await self.engine.wait_idle()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- what plays -----------------------------------------------------------------------

    def current_token(self) -> str:
        """The token (the library's item id) of the song the queue is at."""
        return self._current_id()

    def _current_id(self) -> str:
        attempt = self.engine.attempt()
        return attempt.key if attempt else ""

    def current(self) -> LibrarySong | None:
        """The current song (being started, playing, paused, or the last one stopped)."""
        known = self._known.get(self._current_id())
        return known[0] if known else None

    @property
    def selection(self) -> Selection | None:
        return self._loaded.selection if self._loaded else None

    @property
    def activity(self) -> str:
        """PLAYING (also while a song is being opened), PAUSED or STOPPED."""
        attempt = self.engine.attempt()
        if attempt is not None and attempt.starting:
            return Activity.PLAYING.value
        state = self.engine.state
        return state.value if state in (Activity.PLAYING, Activity.PAUSED) else "STOPPED"

    @property
    def active(self) -> bool:
        return self.activity != "STOPPED"

    def play_time_ms(self) -> int:
        attempt = self.engine.attempt()
        return attempt.position_ms if attempt else 0

    def duration_ms(self) -> int | None:
        """The song's length: libVLC's once it plays, else the tags'."""
        song = self.current()
        state = self.engine.status()
        if state.total_ms and self.engine.shown_key == self._current_id():
            return state.total_ms
        return song.duration_ms if song else None

    def song(self) -> dict[str, Any] | None:
        found = self._known.get(self._current_id())
        return found[0].nugu_song(found[1]) if found else None

    def context(self) -> MediaPlayerContext:
        return MediaPlayerContext(
            app_status="NORMAL" if self.running else "NOT_RUNNING",
            player_activity=self.activity,
            current_song=self.song(),
            playlist=self._playlist(),
            toggle=Toggle(
                repeat=ToggleRepeat(self.engine.repeat.value),
                shuffle=Shuffle.ON if self.engine.shuffle else Shuffle.OFF,
            ),
        )

    def _playlist(self) -> Playlist | None:
        loaded = self._loaded
        position = loaded.order.get(self._current_id()) if loaded else None
        if loaded is None or position is None:
            return None
        listed = loaded.selection.playlist
        return Playlist(
            type="PLAYLIST" if listed else "DEFAULT",
            name=loaded.selection.name,
            number=str(listed.number) if listed else None,
            length=str(len(loaded.selection.songs)),
            current_song_order=str(position + 1),
        )

    # --- commands -------------------------------------------------------------------------

    async def play(self, selection: Selection, start: int = 0) -> None:
        """Replace what plays with ``selection`` (from song ``start``) and play it."""
        generation = next(self._generation)
        songs = list(selection.songs)[start:][:MAX_PLAYLIST]
        loaded = _Loaded(selection)
        items = []
        for position, song in enumerate(songs, start):
            item_id = f"mp{generation}-{position}"
            loaded.order[item_id] = position
            self._remember(item_id, song, selection.category)
            items.append(_item(item_id, song))
        self._loaded = loaded
        log.info(
            "mediaplayer.play",
            name=selection.name,
            category=selection.category,
            songs=len(items),
            first=songs[0].title if songs else None,
        )
        await self.engine.play_all(items)
        await self._settle()

    async def pause(self) -> bool:
        return await self.engine.pause()

    async def resume(self) -> bool:
        """Resume where it paused or stopped; after the list ended, play its last song again."""
        done = await self.engine.resume() or (
            self.current() is not None and await self.engine.replay()
        )
        await self._settle()
        return done

    async def stop(self) -> bool:
        return await self.engine.stop()

    async def next(self) -> bool:
        return await self._settled(self.engine.next())

    async def previous(self) -> bool:
        return await self._settled(self.engine.previous())

    async def replay(self) -> bool:
        return await self._settled(self.engine.replay())

    async def seek_by(self, delta_ms: int) -> bool:
        """Move within the current song, clamped to it; False when no song is loaded."""
        if self.current() is None:
            return False
        end = self.duration_ms()
        target = max(0, self.play_time_ms() + delta_ms)
        return await self.engine.seek(target if end is None else min(target, end))

    def set_repeat(self, repeat: QueueRepeat) -> None:
        self.engine.set_repeat(repeat)

    def set_shuffle(self, on: bool) -> None:
        self.engine.set_shuffle(on)

    # --- internals ------------------------------------------------------------------------

    async def _settled(self, command: Awaitable[bool]) -> bool:
        done = await command
        await self._settle()
        return done

    async def _settle(self) -> None:
        """Let the side that lost the speaker report it before this side answers."""
        if self._handover is not None:
            await self._handover()

    def _remember(self, item_id: str, song: LibrarySong, category: str) -> None:
        self._known[item_id] = (song, category)
        while len(self._known) > KNOWN_ITEMS:
            self._known.popitem(last=False)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _on_notice(self, notice: Notice) -> None:
        """The engine's notices: a start is play history."""
        if notice.kind is not NoticeKind.STARTED or notice.item is None:
            return
        known = self._known.get(str(notice.item.token))
        if known is None:
            return
        song = known[0]
        log.info(
            "now_playing",
            source=NAMESPACE,
            token=notice.item.token,
            title=song.title,
            artist=song.artist_text,
            album=song.album,
            provider="library",
        )
        task = asyncio.get_running_loop().create_task(self.library.record_play(song))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _item(item_id: str, song: LibrarySong) -> PlayItem:
    """A library song as the engine's item: its file, from the start; nothing to report."""
    return PlayItem(
        item_id, token=item_id, url=song.path, title=song.title, artist=song.artist_text
    )
