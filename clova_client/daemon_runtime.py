"""DaemonRuntime: the running daemon's life: start in order, keep the player state saved, tell
systemd (READY, STATUS, WATCHDOG while healthy), stop in order (PlayStopped, state, events).
``app.Daemon`` composes the parts and inherits this; nothing here builds a collaborator."""

from __future__ import annotations

import asyncio
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import structlog

from .cic import CicClient, ConnectionState, Outbox, TokenStore
from .daemon_state import StateFile, status_line
from .housekeeping import collect_garbage, freeze_startup_objects, return_large_blocks
from .systemd import Notifier, Watchdog

if TYPE_CHECKING:
    from .cic.sender import EventSender
    from .config import Settings
    from .control import ControlServer
    from .control.status_builder import StatusBuilder
    from .library.music import MusicApp
    from .player.engine import PlayerEngine

log = structlog.get_logger(__name__)

FLUSH_ON_STOP_S = 4.0
"""How long a graceful stop waits for pending events to reach CIC."""
SAVE_EVERY_S = 10.0
"""How often the playing position is saved: a restart after a crash resumes at most this far
behind (a power loss: up to the kernel's write-back delay more, see daemon_state)."""
STATUS_EVERY_S = 5.0
HUNG_AFTER_S = 10.0
"""A player command running longer than this means libVLC hangs: stop the watchdog pings."""


class DaemonRuntime:
    """Needs these parts (set by ``app.Daemon``)."""

    settings: Settings
    tokens: TokenStore
    clock: Any
    notifier: Notifier
    client: CicClient
    outbox: Outbox
    sender: EventSender
    engine: PlayerEngine
    music: MusicApp
    state_file: StateFile
    control: ControlServer
    status_builder: StatusBuilder
    _state_writer: ThreadPoolExecutor
    _saving: bool
    _ready: bool
    _vital: list[asyncio.Task[Any]]

    def _player_state_text(self) -> str:
        return self.engine.state.value

    def _status_text(self) -> str:
        if self.client.state is ConnectionState.WAITING_FOR_TOKEN:
            return f"waiting for the token file {self.tokens.path} (clova-client token set)"
        return status_line(
            self.engine.state.value,
            self.engine.token,
            self.engine.status(),
            self.client.state.name,
        )

    def _on_connection(self, old: ConnectionState, new: ConnectionState) -> None:
        self.status_builder.connection_since = time.time()
        if new is ConnectionState.WAITING_FOR_TOKEN and not self._ready:
            self._ready = True  # first boot is a normal state: up, waiting for the technician
            self.notifier.ready(self._status_text())
        elif new is ConnectionState.CONNECTED and not self._ready:
            self._ready = True
            self.notifier.ready(self._status_text())
        else:
            self.notifier.status(self._status_text())

    def _on_player_change(self) -> None:
        self.notifier.status(self._status_text())
        self._save(durable=True)

    def _healthy(self) -> bool:
        """No player command hangs, and every long-running task is still alive."""
        dead = [task.get_name() for task in self._vital if task.done()]
        if dead:
            log.error("task_died", tasks=dead)
            return False
        now = self.clock.now()
        return max(self.engine.busy_for(now), self.music.engine.busy_for(now)) < HUNG_AFTER_S

    async def _ready_after_grace(self) -> None:
        await asyncio.sleep(self.settings.systemd.ready_grace_s)
        if not self._ready:
            self._ready = True
            self.notifier.ready(
                f"offline: cic {self.client.state.name.lower()} - {self._status_text()}"
            )

    async def _keep_state(self) -> None:
        """Refresh STATUS now and then; save the playing position every ``SAVE_EVERY_S``, and
        retry a snapshot that could not be written (disk full or read-only)."""
        ticks = 0
        per_save = max(1, round(SAVE_EVERY_S / STATUS_EVERY_S))
        while True:
            await asyncio.sleep(STATUS_EVERY_S)
            ticks += 1
            self.notifier.status(self._status_text())
            if self.state_file.dirty:
                self._save(durable=True)
            elif self.engine.state.value == "PLAYING" and ticks % per_save == 0:
                self._save(durable=False)

    def _save(self, *, durable: bool) -> None:
        """Snapshot on the loop, write on the one state-writer thread (the newest of those
        submitted within 0.2 s): a slow SD card never stalls the loop. ``durable``: a state
        change (the whole snapshot); else a position tick (only the position, see
        ``StateFile.save``)."""
        if self._saving:
            self.state_file.submit(self.engine.snapshot(), durable=durable)
            self._state_writer.submit(self.state_file.write_submitted)

    # --- run -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> int:
        await self.engine.start()
        await self.engine.mixer.set_volume(self.settings.player.volume)
        await self.music.start()
        await self._restore()
        self.engine.on_change = self._on_player_change
        self.client.add_state_listener(self._on_connection)
        await self.control.start()
        return_large_blocks()
        freeze_startup_objects()
        tasks = [
            asyncio.create_task(self.client.run(), name="cic"),
            asyncio.create_task(self.sender.run(), name="events"),
            asyncio.create_task(self._keep_state(), name="state"),
            asyncio.create_task(self._ready_after_grace(), name="ready"),
            asyncio.create_task(collect_garbage(self.clock), name="gc"),
        ]
        self._vital = tasks[:3]
        if self.settings.systemd.watchdog:
            watchdog = Watchdog(self.notifier)
            tasks.append(asyncio.create_task(watchdog.run(self._healthy, self.clock)))
        await stop.wait()
        log.info("stopping")
        self.notifier.stopping()
        await self._shutdown(tasks)
        return 0

    async def _restore(self) -> None:
        """Bring back the queue saved by the last run, PAUSED. A snapshot the player cannot use
        (another version, a hand edit) is set aside: the speaker starts empty, never not at all."""
        snapshot = self.state_file.load()
        if snapshot is None:
            return
        try:
            await self.engine.restore(snapshot, paused=True)
        except ValueError as exc:
            log.warning(
                "state_unusable",
                reason=" ".join(str(exc).split()),
                path=str(self.state_file.path),
                moved_to=self.state_file.set_aside(),
            )
            return
        log.info("player_restored", state=self.engine.state.value, token=self.engine.token)

    async def _shutdown(self, tasks: list[asyncio.Task[Any]]) -> None:
        if self.engine.state.value == "PLAYING":
            await self.engine.stop()  # PlayStopped: CIC must not think we still play
        await self.engine.wait_idle()
        # What a restart restores: after a crash the item PAUSED (Resume -> PlayResumed); after
        # this stop it is STOPPED at its offset, as CIC was told (Resume -> PlayStarted there).
        self._save(durable=True)
        self._saving = False
        await asyncio.to_thread(self._state_writer.shutdown, wait=True)
        await self.sender.drain(FLUSH_ON_STOP_S)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.client.close()
        await self.engine.close()
        await self.music.close()
        await self.control.close()
        self.outbox.close()
