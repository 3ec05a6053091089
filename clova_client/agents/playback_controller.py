"""PlaybackController: remote-control directives, and the speaker's own buttons.

Pause / Resume / Stop with ``target.namespace`` go to that side; without a target, to the
side that is active. ExpectXCommand is the Clova app's remote control: the speaker at once does
what pressing X does, i.e. sends XCommandIssued (``source`` = the directive's target;
ExpectPlayCommand's ``handover`` and ``token`` in PlayCommandIssued), echoing the directive's
dialogRequestId; CIC then answers with X itself. Nothing is kept for a later press.
Mute / Unmute / volume changes sound an earcon (CIC speaks no confirmation for them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import structlog

from ..player.earcon import Earcon
from ..player.engine import PlayerEngine
from ..player.mixer import Mixer
from ..player.status import Activity
from ..protocol import Directive, Event
from ..protocol.audioplayer import RepeatMode
from ..protocol.base import OutModel
from ..protocol.playback_controller import (
    EXPECT_DIRECTIVES,
    NAMESPACE,
    CommandIssuedPayload,
    CommandSource,
    CustomCommandIssuedPayload,
    ExpectPlayPayload,
    PlayCommandIssuedPayload,
    SetRepeatModeCommandIssuedPayload,
    SetRepeatModePayload,
    TargetedPayload,
)
from .audioplayer_state import repeat_mode, repeat_of
from .buttons import Button, Press
from .outbound import EventOut
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
        return self.engine.state in (Activity.PLAYING, Activity.PAUSED)

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

VOLUME_STEP = 10
"""VolumeUp / VolumeDown and ``clova-client volume up|down`` move by this many percent."""

REPEAT_DIRECTIVES = {
    "TurnOnRepeatMode": RepeatMode.REPEAT_ONE,
    "TurnOffRepeatMode": RepeatMode.NONE,
}
"""The deprecated repeat directives, as the SetRepeatMode they stand for."""


class PlaybackControllerAgent:
    def __init__(
        self,
        sides: list[Side],
        out: EventOut,
        engine: PlayerEngine,
        *,
        mixer: Mixer | None = None,
        saved: Callable[[], None] | None = None,
    ) -> None:
        """``mixer``: the output's volume and mute (default: the one ``engine`` plays through)."""
        self._sides = {side.namespace: side for side in sides}
        self._default = sides[0]
        self._out = out
        self._engine = engine
        self._mixer = mixer or engine.mixer
        self._saved = saved
        """Saves the player state now (a volume change survives a restart)."""

    def register(self, router: Router) -> None:
        for name in COMMANDS:
            router.register(NAMESPACE, name, self._command)
        router.register(NAMESPACE, "Mute", self._mute)
        router.register(NAMESPACE, "Unmute", self._mute)
        router.register(NAMESPACE, "SetRepeatMode", self._repeat)
        for name in REPEAT_DIRECTIVES:
            router.register(NAMESPACE, name, self._repeat)
        router.register(NAMESPACE, "VolumeUp", self._volume_step)
        router.register(NAMESPACE, "VolumeDown", self._volume_step)
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

    # --- the speaker's output ---------------------------------------------------------------

    async def _mute(self, directive: Directive[Any], attachments: Attachments) -> None:
        muted = directive.header.name == "Mute"
        await self._mixer.set_mute(muted)
        log.info("mute_set", muted=muted)
        await self._mixer.earcon(Earcon.MUTE if muted else Earcon.UNMUTE)

    async def _volume_step(self, directive: Directive[Any], attachments: Attachments) -> None:
        await self.change_volume("up" if directive.header.name == "VolumeUp" else "down")

    async def change_volume(self, value: int | str) -> int:
        """Set the output volume (0-100, or "up" / "down" by ``VOLUME_STEP``), keep it across
        restarts and confirm it with an earcon; the new volume. Mute stays as it is."""
        current = self._mixer.volume
        if isinstance(value, int):
            target = value
        else:
            target = current + VOLUME_STEP if value == "up" else current - VOLUME_STEP
        await self._mixer.set_volume(max(0, min(100, target)))
        log.info("volume_set", volume=self._mixer.volume, previous=current)
        if self._saved is not None:
            self._saved()
        await self._mixer.earcon(Earcon.VOLUME)
        return self._mixer.volume

    async def _repeat(self, directive: Directive[Any], attachments: Attachments) -> None:
        mode = REPEAT_DIRECTIVES.get(directive.header.name)
        if mode is None:
            mode = expect_payload(directive, SetRepeatModePayload).repeat_mode
        self._engine.set_repeat(repeat_of(mode))
        log.info("repeat_mode_set", repeat_mode=mode.value)

    # --- remote control (the Clova app) and the speaker's buttons ---------------------------

    async def _expect(self, directive: Directive[Any], attachments: Attachments) -> None:
        """ExpectXCommand: send XCommandIssued now, as if X had been pressed (with the
        directive's dialogRequestId, so CIC's answer belongs to the same request)."""
        payload = expect_payload(directive, TargetedPayload)
        source = (
            None
            if payload.target is None
            else CommandSource(namespace=payload.target.namespace.value)
        )
        body: CommandIssuedPayload = CommandIssuedPayload(source=source)
        handover = None
        if isinstance(payload, ExpectPlayPayload):
            handover = payload.handover
            body = PlayCommandIssuedPayload(source=source, handover=handover, token=payload.token)
        name = directive.header.name.removeprefix("Expect").removesuffix("Command")
        self._out.send(
            NAMESPACE,
            f"{name}CommandIssued",
            body,
            dialog_request_id=directive.header.dialog_request_id,
            log_fields={
                "source": None if source is None else source.namespace,
                "handover_from": None if handover is None else handover.get("deviceId"),
            },
        )

    def press(self, button: Button, *, token: str | None = None, name: str | None = None) -> Event:
        """A button on the speaker: send its *CommandIssued event (the cloud answers; nothing
        acts locally). ValueError for a combination ``Press`` refuses."""
        press = Press(button, token, name)
        event_name = button.event_name
        payload: OutModel = CommandIssuedPayload()
        if button is Button.PLAY and press.token is not None:
            event_name = "PlayCommandIssued"
            payload = PlayCommandIssuedPayload(token=press.token)
        elif button is Button.REPEAT:
            following = RepeatMode.NONE
            if repeat_mode(self._engine.repeat) is RepeatMode.NONE:
                following = RepeatMode.REPEAT_ONE
            payload = SetRepeatModeCommandIssuedPayload(repeat_mode=following)
        elif button is Button.CUSTOM:
            payload = CustomCommandIssuedPayload(button=press.name or "")
        return self._out.send(NAMESPACE, event_name, payload)
