"""VlcEarcons: the ``EarconOutput`` on libVLC. Each earcon is a short-lived media player of its
own (on a libVLC instance apart from the backend's, with the same output and ALSA device), so it
sounds over the music whatever the player does, a muted player included, and leaves the
backend's players, state and events alone. A new earcon cuts the one still sounding; every
blocking libVLC call runs on one thread of its own, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import structlog
import vlc

from ...earcon import Earcon
from .output import QUIET_ARGS, Output, resolve_output

log = structlog.get_logger(__package__)

MAX_EARCON_S = 3.0
"""An earcon still sounding after this long is stopped (a long file of one's own)."""


class VlcEarcons:
    """Plays ``sound`` (a file libVLC reads) as the earcon; ``output`` as for ``VlcBackend``."""

    def __init__(
        self,
        sound: Path,
        output: Output = "null",
        *,
        extra_args: Sequence[str] = (),
        max_s: float = MAX_EARCON_S,
    ) -> None:
        self.sound = sound
        self.output = resolve_output(output)
        aout = "adummy" if self.output == "null" else self.output
        self._args = [f"--aout={aout}", *QUIET_ARGS, *extra_args]
        self._max_s = max_s
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vlc-earcon")
        self._instance: Any = None
        self._sounding: asyncio.Future[str] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.played = 0
        """Earcons that played to their end (or were cut by the next one)."""
        self.failed = 0

    async def play_earcon(self, earcon: Earcon, volume: int) -> None:
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        if self._sounding is not None and not self._sounding.done():
            self._sounding.set_result("cut")  # the newest earcon wins
        done: asyncio.Future[str] = loop.create_future()
        self._sounding = done
        try:
            player = await loop.run_in_executor(
                self._executor, self._start, max(0, min(100, volume)), loop, done
            )
        except Exception as exc:
            self.failed += 1
            log.warning("earcon_failed", earcon=earcon.value, reason=repr(exc))
            return
        task = loop.create_task(self._finish(earcon, player, done))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        """Wait until every earcon started so far has ended and been released (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._sounding is not None and not self._sounding.done():
            self._sounding.set_result("closed")
        await self.wait_idle()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._release_instance)
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    # --- on the earcon thread ---------------------------------------------------------------

    def _start(
        self, volume: int, loop: asyncio.AbstractEventLoop, done: asyncio.Future[str]
    ) -> tuple[Any, Any]:
        if self._instance is None:
            instance = vlc.Instance(self._args)
            if instance is None:
                raise RuntimeError(f"libVLC refused its arguments: {self._args}")
            self._instance = instance
        player = self._instance.media_player_new()
        media = self._instance.media_new_path(str(self.sound))
        player.set_media(media)
        media.release()
        events = player.event_manager()

        def ended(outcome: str) -> Any:
            def callback(_event: Any) -> None:
                loop.call_soon_threadsafe(_settle, done, outcome)

            return callback

        events.event_attach(vlc.EventType.MediaPlayerEndReached, ended("ended"))
        events.event_attach(vlc.EventType.MediaPlayerEncounteredError, ended("error"))
        player.audio_set_volume(volume)
        if player.play() != 0:
            player.release()
            raise RuntimeError(f"libVLC cannot play {self.sound}")
        return player, events  # the event manager holds the callbacks: keep it alive

    def _release_instance(self) -> None:
        if self._instance is not None:
            self._instance.release()
            self._instance = None

    # --- on the loop ------------------------------------------------------------------------

    async def _finish(
        self, earcon: Earcon, started: tuple[Any, Any], done: asyncio.Future[str]
    ) -> None:
        player, _events = started
        try:
            outcome = await asyncio.wait_for(asyncio.shield(done), self._max_s)
        except TimeoutError:
            outcome = "too long"
        loop = asyncio.get_running_loop()
        with contextlib.suppress(Exception):
            await loop.run_in_executor(self._executor, _stop_and_release, player)
        if outcome == "error":
            self.failed += 1
            log.warning(
                "earcon_failed", earcon=earcon.value, reason=f"libVLC cannot play {self.sound}"
            )
        else:
            self.played += 1
            log.debug("earcon_done", earcon=earcon.value, outcome=outcome)


def _settle(done: asyncio.Future[str], outcome: str) -> None:
    if not done.done():
        done.set_result(outcome)


def _stop_and_release(player: Any) -> None:
    player.stop()
    player.release()
