"""What the control socket's commands do on the running speaker (``status``, ``press``,
``volume``, ``dialog``): the ``ControlHandler`` the daemon serves."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import structlog

from ..agents.buttons import Button
from .protocol import CommandRefused
from .status import PressResult, StatusDocument

if TYPE_CHECKING:
    from ..agents.dialogs import Dialogs
    from ..agents.playback_controller import PlaybackControllerAgent
    from ..agents.speech_recognizer import SpeechRecognizerAgent
    from ..cic.client import CicClient
    from ..player.engine import PlayerEngine
    from .status_builder import StatusBuilder

log = structlog.get_logger(__name__)

PRESS_SLACK_S = 2.0
"""A press whose POST started in time gets this long for its answer."""


class SpeakerControl:
    def __init__(
        self,
        status: StatusBuilder,
        controller: PlaybackControllerAgent,
        client: CicClient,
        engine: PlayerEngine,
        dialogs: Dialogs,
        voice: SpeechRecognizerAgent | None = None,
    ) -> None:
        self._status = status
        self._controller = controller
        self._client = client
        self._engine = engine
        self._dialogs = dialogs
        self._voice = voice
        self._tasks: set[asyncio.Task[None]] = set()

    def status(self) -> StatusDocument:
        return self._status.build()

    async def press(
        self, button: Button, *, token: str | None = None, name: str | None = None
    ) -> PressResult:
        """Send the button's event and wait for CIC to take it (a press is time-sensitive:
        one not delivered within ``button_ttl_s`` is dropped, and the answer says so)."""
        if button is Button.STOP and self._voice is not None:
            await self._voice.stop_speaking("the stop button")  # SpeechStopped, if it spoke
        try:
            event = self._controller.press(button, token=token, name=name)
        except ValueError as exc:
            raise CommandRefused(str(exc)) from None
        log.info("button", button=button.value, event_name=event.full_name, name=name)
        ttl = self._client.settings.button_ttl_s
        delivery = self._client.delivery
        delivered = await delivery.wait_delivered(event.message_id, ttl + PRESS_SLACK_S)
        result: PressResult = {
            "event": event.full_name,
            "message_id": event.message_id,
            "delivered": delivered,
        }
        if not delivered:
            result["note"] = f"not delivered within {ttl:g} s, so dropped (CIC unreachable)"
        return result

    async def volume(self, value: int | str | None) -> dict[str, Any]:
        """``clova-client volume``: set or report the output volume (both sources share it);
        kept across restarts in the saved state, confirmed by an earcon. Mute/Unmute stay
        independent of it."""
        if value is not None:
            await self._controller.change_volume(value)
        return {"volume": self._engine.volume, "muted": self._engine.muted}

    def begin_dialog(self, dialog_request_id: str) -> dict[str, Any]:
        """The voice component started a dialog: the one it replaces goes stale (barge-in)."""
        try:
            superseded = self._dialogs.begin(dialog_request_id)
        except ValueError as exc:
            raise CommandRefused(str(exc)) from None
        log.info("dialog_started", dialog_request_id=dialog_request_id, superseded=superseded)
        if superseded is not None and self._voice is not None:
            # barge-in: the dialog it replaces stops speaking and loses what waits in it
            task = asyncio.get_running_loop().create_task(self._voice.supersede_dialog(superseded))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return {"dialog_request_id": dialog_request_id, "superseded": superseded}
