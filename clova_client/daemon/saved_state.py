"""The player's state across restarts: restored at start, saved on every change and while playing
(``state_file.py`` is the file; this is when and from where it is written)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import structlog

from .state_file import StateFile

if TYPE_CHECKING:
    from ..player.engine import PlayerEngine

log = structlog.get_logger(__name__)


class SavedState:
    """The engine's snapshot in ``file``: taken on the loop, written on one state-writer thread
    (the newest of those submitted within 0.2 s), so a slow SD card never stalls the loop."""

    def __init__(self, file: StateFile, engine: PlayerEngine) -> None:
        self.file = file
        self._engine = engine
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="state-writer")
        self._saving = True

    @property
    def dirty(self) -> bool:
        """The last snapshot could not be written (disk full or read-only): save again."""
        return self.file.dirty

    async def restore(self) -> None:
        """Bring back the queue saved by the last run, PAUSED. A snapshot the player cannot use
        (another version, a hand edit) is set aside: the speaker starts empty, never not at all."""
        snapshot = self.file.load()
        if snapshot is None:
            return
        try:
            await self._engine.restore(snapshot, paused=True)
        except ValueError as exc:
            log.warning(
                "state_unusable",
                reason=" ".join(str(exc).split()),
                path=str(self.file.path),
                moved_to=self.file.set_aside(),
            )
            return
        log.info("player_restored", state=self._engine.state.value, token=self._engine.token)

    def save(self, *, durable: bool) -> None:
        """``durable``: a state change (the whole snapshot); else a position tick (only the
        position, see ``StateFile.save``). Nothing once ``close`` has begun."""
        if self._saving:
            self.file.submit(self._engine.snapshot(), durable=durable)
            self._writer.submit(self.file.write_submitted)

    async def close(self) -> None:
        """A last durable save, then none: returns once it is written."""
        self.save(durable=True)
        self._saving = False
        await asyncio.to_thread(self._writer.shutdown, wait=True)
