"""The music library as the daemon uses it: scanned in the background, searched on demand.

Two threads, each with its own SQLite connection to ``library.db`` (WAL): the scanner writes,
the query thread reads and keeps the owner's likes and play history. A search therefore never
waits for a scan, and the event loop never waits for SQLite or for a tag read.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import structlog

from ..clock import Clock, LoopClock
from . import index
from .index import SongSource
from .models import LibraryPlaylist, LibrarySong, Query, ScanCancelled, ScanReport

log = structlog.get_logger(__name__)

T = TypeVar("T")
RESCAN_EVERY_S = 60.0
"""How often the directories are walked again for added, changed or removed files."""


class _DbThread:
    """One worker thread owning one connection."""

    def __init__(self, db_path: Path, name: str) -> None:
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(1, name, initializer=self._open, initargs=(db_path,))

    def _open(self, db_path: Path) -> None:
        self._local.conn = index.connect(db_path)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(self._local.conn))

    async def close(self) -> None:
        def shut() -> None:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                conn.close()

        loop = asyncio.get_running_loop()
        with contextlib.suppress(RuntimeError):  # a failed initializer: nothing is open
            await loop.run_in_executor(self._pool, shut)
        await asyncio.to_thread(self._pool.shutdown)


class Library:
    def __init__(
        self,
        paths: Sequence[Path],
        db_path: Path,
        *,
        clock: Clock | None = None,
        rescan_every_s: float = RESCAN_EVERY_S,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.db_path = db_path
        self._clock = clock or LoopClock()
        self._rescan_every_s = rescan_every_s
        self._query = _DbThread(db_path, "library-query")
        self._scanner = _DbThread(db_path, "library-scan")
        self._stop = threading.Event()
        self._scan_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.scanning = False
        self.song_count = 0
        self.playlist_count = 0
        self.last_scan: ScanReport | None = None
        self._scanned = asyncio.Event()
        self._missing: set[Path] = set()

    @property
    def configured(self) -> bool:
        return bool(self.paths)

    # --- life cycle -----------------------------------------------------------------------

    async def start(self, *, background: bool = True) -> None:
        """Open the index (what an earlier run found is searchable at once) and, with
        ``background``, scan now and every ``rescan_every_s`` from then on."""
        self.song_count, self.playlist_count = await self._query.run(index.counts)
        if background and self.configured:
            self._task = asyncio.get_running_loop().create_task(self._rescan(), name="library")

    async def close(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._scanner.close()
        await self._query.close()

    async def _rescan(self) -> None:
        while True:
            try:
                await self.scan()
            except ScanCancelled:
                return
            except (OSError, sqlite3.Error) as exc:
                log.error("library.scan_failed", reason=str(exc))
            await self._clock.sleep(self._rescan_every_s)

    async def scan(self) -> ScanReport:
        """Walk the directories now and bring the index up to date."""
        from .scan import scan  # mutagen is imported only by a speaker that has a library

        async with self._scan_lock:
            self._note_missing(await self._scanner.run(lambda _: self._missing_paths()))
            self.scanning = True
            try:
                report = await self._scanner.run(lambda c: scan(c, self.paths, self._stop))
            finally:
                self.scanning = False
        self.song_count, self.playlist_count = report.songs, report.playlists
        first, self.last_scan = self.last_scan is None, report
        self._scanned.set()
        changed = report.added or report.updated or report.removed
        (log.info if changed or first else log.debug)(
            "library.scanned",
            tracks=report.songs,
            playlists=report.playlists,
            added=report.added,
            updated=report.updated,
            removed=report.removed,
            seconds=report.seconds,
        )
        return report

    def _missing_paths(self) -> set[Path]:
        return {p for p in self.paths if not p.is_dir()}  # on the scanner thread: may block

    def _note_missing(self, missing: set[Path]) -> None:
        """Log a configured directory that went missing (or came back) once, not every scan."""
        for path in sorted(missing - self._missing):
            log.warning("library.path_missing", path=str(path), reason="not a directory")
        for path in sorted(self._missing - missing):
            log.info("library.path_back", path=str(path))
        self._missing = missing

    async def scanned(self) -> ScanReport:
        """The first scan's report, once it is done."""
        await self._scanned.wait()
        assert self.last_scan is not None
        return self.last_scan

    # --- reading --------------------------------------------------------------------------

    async def select(
        self, source: SongSource, query: Query | None, limit: int
    ) -> list[LibrarySong]:
        match = query.match() if query is not None else None
        return await self._query.run(lambda c: index.select(c, source, match, limit))

    async def search(self, query: Query, limit: int) -> list[LibrarySong]:
        return await self.select("all", query, limit)

    async def playlists(self) -> list[LibraryPlaylist]:
        return await self._query.run(index.playlists)

    async def playlist_songs(self, playlist: LibraryPlaylist, limit: int) -> list[LibrarySong]:
        return await self._query.run(lambda c: index.playlist_songs(c, playlist.id, limit))

    async def has_history(self) -> bool:
        return await self._query.run(index.has_history)

    async def has_likes(self) -> bool:
        return bool(await self.select("liked", None, 1))

    async def is_liked(self, song: LibrarySong) -> bool:
        return await self._query.run(lambda c: index.is_liked(c, song.path))

    # --- the owner's state ----------------------------------------------------------------

    async def set_like(self, song: LibrarySong, liked: bool) -> bool:
        """False when ``song`` already was (``liked``) or was not (not ``liked``) liked."""
        return await self._query.run(lambda c: index.set_like(c, song.path, liked))

    async def record_play(self, song: LibrarySong) -> None:
        await self._query.run(lambda c: index.record_play(c, song.path))
