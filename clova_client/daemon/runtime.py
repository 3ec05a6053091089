"""The running daemon's life: start in order, keep the player state saved, tell systemd (READY,
STATUS, WATCHDOG while healthy), stop in order (PlayStopped, state, events). ``Runtime`` is
handed its parts (``Parts``, built by ``app.Daemon``); nothing here builds a collaborator."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from ..cic import CicClient, ConnectionState, Outbox, TokenStore
from ..control.render import clock as clock_text
from ..player.status import Activity, PlayerStatus
from .housekeeping import (
    collect_garbage,
    freeze_startup_objects,
    malloc_trimmer,
    return_large_blocks,
)
from .saved_state import SavedState
from .systemd import Notifier, Watchdog

if TYPE_CHECKING:
    from ..agents.speech_synthesizer import SpeechSynthesizerAgent
    from ..cic.sender import EventSender
    from ..clock import Clock
    from ..config import Settings
    from ..control import ControlServer
    from ..control.status_builder import StatusBuilder
    from ..library.music import MusicApp
    from ..player.engine import PlayerEngine

log = structlog.get_logger(__name__)

FLUSH_ON_STOP_S = 4.0
"""How long a graceful stop waits for pending events to reach CIC."""
SAVE_EVERY_S = 10.0
"""How often the playing position is saved: a restart after a crash resumes at most this far
behind (a power loss: up to the kernel's write-back delay more, see state_file)."""
STATUS_EVERY_S = 5.0
HUNG_AFTER_S = 10.0
"""A player command running longer than this means libVLC hangs: stop the watchdog pings."""


@dataclass(frozen=True)
class Parts:
    """What the runtime starts, watches and stops."""

    settings: Settings
    tokens: TokenStore
    clock: Clock
    notifier: Notifier
    client: CicClient
    outbox: Outbox
    sender: EventSender
    engine: PlayerEngine
    music: MusicApp
    saved: SavedState
    control: ControlServer
    status_builder: StatusBuilder
    speech: SpeechSynthesizerAgent


def status_line(state: str, token: str | None, playback: PlayerStatus, cic: str) -> str:
    """``playing TR-123 01:23/04:56 - cic connected``: what systemd shows as STATUS."""
    words = [state.lower()]
    if token:
        words.append(token)
        position = clock_text(playback.offset_ms)
        if playback.total_ms:
            position += f"/{clock_text(playback.total_ms)}"
        words.append(position)
    return f"{' '.join(words)} - cic {cic.lower().replace('_', ' ')}"


class Runtime:
    """The daemon's life over ``parts``: ``run`` until ``stop`` is set."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self._ready = False
        self._vital: list[asyncio.Task[Any]] = []
        """Tasks that run until shutdown; one that ends early makes the daemon unhealthy."""
        parts.music.on_change = self.tell_status

    def status_text(self) -> str:
        p = self.parts
        if p.client.state is ConnectionState.WAITING_FOR_TOKEN:
            return f"waiting for the token file {p.tokens.path} (clova-client token set)"
        return status_line(
            p.engine.state.value, p.engine.token, p.engine.status(), p.client.state.name
        )

    def tell_status(self) -> None:
        """STATUS= for systemd, now."""
        self.parts.notifier.status(self.status_text())

    def _on_connection(self, old: ConnectionState, new: ConnectionState) -> None:
        self.parts.status_builder.connection_since = time.time()
        if (
            new in (ConnectionState.WAITING_FOR_TOKEN, ConnectionState.CONNECTED)
            and not self._ready
        ):
            # first boot (no token yet) is a normal state: up, waiting for the technician
            self._ready = True
            self.parts.notifier.ready(self.status_text())
        else:
            self.tell_status()

    def _on_player_change(self) -> None:
        self.tell_status()
        self.parts.saved.save(durable=True)

    def healthy(self) -> bool:
        """No player command hangs, and every long-running task is still alive."""
        dead = [task.get_name() for task in self._vital if task.done()]
        if dead:
            log.error("task_died", tasks=dead)
            return False
        p = self.parts
        now = p.clock.now()
        return max(p.engine.busy_for(now), p.music.engine.busy_for(now)) < HUNG_AFTER_S

    async def _ready_after_grace(self) -> None:
        await asyncio.sleep(self.parts.settings.systemd.ready_grace_s)
        if not self._ready:
            self._ready = True
            cic = self.parts.client.state.name.lower()
            self.parts.notifier.ready(f"offline: cic {cic} - {self.status_text()}")

    async def _keep_state(self) -> None:
        """Refresh STATUS now and then; save the playing position every ``SAVE_EVERY_S``, and
        retry a snapshot that could not be written (disk full or read-only)."""
        ticks = 0
        per_save = max(1, round(SAVE_EVERY_S / STATUS_EVERY_S))
        saved, engine = self.parts.saved, self.parts.engine
        while True:
            await asyncio.sleep(STATUS_EVERY_S)
            ticks += 1
            self.tell_status()
            if saved.dirty:
                saved.save(durable=True)
            elif engine.state is Activity.PLAYING and ticks % per_save == 0:
                saved.save(durable=False)

    # --- run -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> int:
        p = self.parts
        await p.engine.start()
        await p.engine.mixer.set_volume(p.settings.player.volume)
        await p.music.start()
        await p.saved.restore()
        p.engine.on_change = self._on_player_change
        p.client.add_state_listener(self._on_connection)
        await p.control.start()
        return_large_blocks()
        freeze_startup_objects()
        tasks = [
            asyncio.create_task(p.client.run(), name="cic"),
            asyncio.create_task(p.sender.run(), name="events"),
            asyncio.create_task(self._keep_state(), name="state"),
            asyncio.create_task(self._ready_after_grace(), name="ready"),
            asyncio.create_task(collect_garbage(p.clock, malloc_trimmer()), name="gc"),
        ]
        self._vital = tasks[:3]
        if p.settings.systemd.watchdog:
            watchdog = Watchdog(p.notifier)
            tasks.append(asyncio.create_task(watchdog.run(self.healthy, p.clock)))
        await stop.wait()
        log.info("stopping")
        p.notifier.stopping()
        await self._shutdown(tasks)
        return 0

    async def _shutdown(self, tasks: list[asyncio.Task[Any]]) -> None:
        p = self.parts
        await p.speech.stop(None, "the daemon stops")  # SpeechStopped, if it spoke
        if p.engine.state is Activity.PLAYING:
            await p.engine.stop()  # PlayStopped: CIC must not think we still play
        await p.engine.wait_idle()
        # What a restart restores: after a crash the item PAUSED (Resume -> PlayResumed); after
        # this stop it is STOPPED at its offset, as CIC was told (Resume -> PlayStarted there).
        await p.saved.close()
        await p.sender.drain(FLUSH_ON_STOP_S)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await p.client.close()
        await p.engine.close()
        await p.music.close()
        await p.speech.close()
        await p.control.close()
        p.outbox.close()
