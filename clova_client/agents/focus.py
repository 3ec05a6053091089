"""AudioFocus: the dialog (listening, speaking, waiting for an answer) over content (music).

After AVS's FocusManager, with two channels: the dialog and the content. The dialog is held by
named holders (``listening``, ``speech``, ``expecting``); while any holds it the content is in
the background: ducked (the mixer plays it at ``duck_percent`` of the user's volume) or paused
(``FocusMode.PAUSE``: each content engine that played is paused). When the last holder lets
go, the content comes back: unducked, or resumed, but only an engine that nothing else was
asked of since the focus paused it (a Play, Stop or Pause of the dialog's own wins).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

import structlog

from ..player.mixer import Mixer
from ..player.status import Activity

log = structlog.get_logger(__name__)


class FocusMode(StrEnum):
    DUCK = "duck"
    PAUSE = "pause"


class Content(Protocol):
    """What the focus needs of a content engine (``PlayerEngine``)."""

    @property
    def state(self) -> Activity: ...

    @property
    def commands(self) -> int: ...

    async def pause(self) -> bool: ...

    async def resume(self) -> bool: ...


class AudioFocus:
    def __init__(
        self,
        mixer: Mixer,
        contents: Sequence[Content],
        mode: FocusMode = FocusMode.DUCK,
        duck_percent: int = 20,
    ) -> None:
        self._mixer = mixer
        self._contents = list(contents)
        self.mode = mode
        self.duck_percent = duck_percent
        self._holders: set[str] = set()
        self._paused: list[tuple[Content, int]] = []
        """Engines the focus paused, with their command count right after."""
        self._lock = asyncio.Lock()

    @property
    def holders(self) -> frozenset[str]:
        return frozenset(self._holders)

    @property
    def held(self) -> bool:
        return bool(self._holders)

    async def acquire(self, holder: str) -> None:
        """``holder`` takes the dialog's focus; the first one sends the content back."""
        async with self._lock:
            first = not self._holders
            self._holders.add(holder)
            if not first:
                return
            log.info("focus.dialog", holder=holder, content=self.mode.value)
            if self.mode is FocusMode.DUCK:
                await self._mixer.duck(self.duck_percent)
                return
            for content in self._contents:  # playing, or opening: it must not sound under us
                if await content.pause():
                    self._paused.append((content, content.commands))

    async def release(self, holder: str) -> None:
        """``holder`` lets go; once none holds it, the content comes back."""
        async with self._lock:
            if holder not in self._holders:
                return
            self._holders.discard(holder)
            if self._holders:
                return
            paused, self._paused = self._paused, []
            log.info("focus.content", released_by=holder, content="restored")
            if self.mode is FocusMode.DUCK:
                await self._mixer.unduck()
                return
            for content, commands in paused:
                if content.commands != commands:
                    log.info("focus.not_resumed", reason="the dialog changed what plays")
                elif content.state is Activity.PAUSED:
                    await content.resume()
