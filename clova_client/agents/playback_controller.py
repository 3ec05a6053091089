"""PlaybackController: remote-control directives, and the speaker's own buttons.

Pause / Resume / Stop with ``target.namespace`` go to that side; without a target, to the
side that is active. Expect*Command directives remember a target that the matching button
press echoes back as ``source`` in its *CommandIssued event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import structlog

from ..player.engine import PlayerEngine
from ..protocol import Directive, Event, make_event
from ..protocol.audioplayer import PlayerActivity
from ..protocol.playback_controller import (
    EXPECT_DIRECTIVES,
    NAMESPACE,
    SetRepeatModePayload,
    TargetedPayload,
)
from .buttons import Button
from .router import Attachments, Router, expect_payload

log = structlog.get_logger(__name__)


class Side(Protocol):
    """One source of sound (AudioPlayer or MediaPlayer) as the controller drives it."""

    namespace: str

    @property
    def active(self) -> bool: ...

    async def pause(self) -> bool: ...

    async def resume(self) -> bool: ...

    async def stop(self) -> bool: ...

    async def next(self) -> bool: ...

    async def previous(self) -> bool: ...

    async def replay(self) -> bool: ...


class AudioSide:
    """The AudioPlayer engine as a Side."""

    namespace = "AudioPlayer"

    def __init__(self, engine: PlayerEngine) -> None:
        self.engine = engine

    @property
    def active(self) -> bool:
        return self.engine.state in (PlayerActivity.PLAYING, PlayerActivity.PAUSED)

    async def pause(self) -> bool:
        return await self.engine.pause()

    async def resume(self) -> bool:
        return await self.engine.resume()

    async def stop(self) -> bool:
        return await self.engine.stop()

    async def next(self) -> bool:
        return await self.engine.next()

    async def previous(self) -> bool:
        return await self.engine.previous()

    async def replay(self) -> bool:
        return await self.engine.replay()


COMMANDS: dict[str, Callable[[Side], Awaitable[bool]]] = {
    "Pause": lambda side: side.pause(),
    "Resume": lambda side: side.resume(),
    "Stop": lambda side: side.stop(),
    "Next": lambda side: side.next(),
    "Previous": lambda side: side.previous(),
    "Replay": lambda side: side.replay(),
}
"""The remote-control directives and what each asks of the side it goes to."""


class PlaybackControllerAgent:
    def __init__(
        self,
        sides: list[Side],
        send: Callable[[Event], Awaitable[None]],
        context: Callable[[], list[dict[str, Any]]],
        engine: PlayerEngine,
    ) -> None:
        self._sides = {side.namespace: side for side in sides}
        self._default = sides[0]
        self._send = send
        self._context = context
        self._engine = engine
        self.expected: dict[str, str] = {}
        """Expect*Command name -> target namespace, consumed by the next matching press."""

    def register(self, router: Router) -> None:
        for name in COMMANDS:
            router.register(NAMESPACE, name, self._command)
        router.register(NAMESPACE, "Mute", self._mute)
        router.register(NAMESPACE, "Unmute", self._mute)
        router.register(NAMESPACE, "SetRepeatMode", self._repeat)
        for name in EXPECT_DIRECTIVES:
            router.register(NAMESPACE, name, self._expect)

    def side_for(self, target: str | None) -> Side | None:
        """The targeted side, else the active one, else AudioPlayer."""
        if target is not None:
            return self._sides.get(target)
        return next((s for s in self._sides.values() if s.active), self._default)

    async def _command(self, directive: Directive[Any], attachments: Attachments) -> None:
        payload = directive.payload
        target = None
        if isinstance(payload, TargetedPayload) and payload.target is not None:
            target = payload.target.namespace.value
        side = self.side_for(target)
        if side is None:
            log.warning("command_ignored", reason=f"no {target} on this speaker")
            return
        done = await COMMANDS[directive.header.name](side)
        log.info("command_done", side=side.namespace, acted=done)

    async def _mute(self, directive: Directive[Any], attachments: Attachments) -> None:
        await self._engine.set_mute(directive.header.name == "Mute")

    async def _repeat(self, directive: Directive[Any], attachments: Attachments) -> None:
        payload = expect_payload(directive, SetRepeatModePayload)
        self._engine.set_repeat_mode(payload.repeat_mode)

    async def _expect(self, directive: Directive[Any], attachments: Attachments) -> None:
        payload = expect_payload(directive, TargetedPayload)
        button = directive.header.name.removeprefix("Expect").removesuffix("Command")
        if payload.target is None:
            self.expected.pop(button, None)
        else:
            self.expected[button] = payload.target.namespace.value
        log.info("command_expected", button=button, target=self.expected.get(button))

    async def press(self, button: Button) -> Event:
        """A button on the speaker: send the matching *CommandIssued event (the cloud answers)."""
        name = button.event_name.removesuffix("CommandIssued")
        source = self.expected.pop(name, None)
        payload = {"source": {"namespace": source}} if source else {}
        event = make_event(NAMESPACE, button.event_name, payload, self._context())
        await self._send(event)
        return event
