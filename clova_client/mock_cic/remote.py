"""The Clova app's side of remote control: what CIC sends a speaker when its user taps pause,
next, play, ... in the app on a phone (``POST /_mock/remote``, scenario ``remote:`` steps).

``pause``, ``resume``, ``next``, ``previous``, ``stop`` and ``play`` become
``PlaybackController.Expect<X>Command`` (with ``target``; ``play`` also with ``token`` and
``handover``), under a fresh dialogRequestId. The speaker answers with ``<X>CommandIssued``;
the responders then answer that with the directive itself, under the same dialogRequestId (the
event's own, else the one of the Expect it answers: ``RemoteLog``). ``repeat`` is the app's
repeat switch: the app itself sends SetRepeatModeCommandIssued to CIC, which sends the speaker
``SetRepeatMode``, so the mock pushes that directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .messages import JsonObject, directive, new_id

COMMANDS = ("pause", "resume", "next", "previous", "stop", "play", "repeat")
TARGETS = ("AudioPlayer", "MediaPlayer")
REPEAT_MODES = ("NONE", "REPEAT_ONE")
KEYS = ("device", "command", "target", "token", "handover", "repeatMode", "dialogRequestId")
"""What a remote body may hold."""


@dataclass(frozen=True)
class RemoteCommand:
    command: str
    target: str | None = None
    token: str | None = None
    handover: JsonObject | None = None
    repeat_mode: str | None = None
    dialog_request_id: str = field(default_factory=new_id)

    @property
    def event_name(self) -> str | None:
        """The event the speaker answers with (None for ``repeat``: nothing)."""
        if self.command == "repeat":
            return None
        return f"PlaybackController.{self.command.capitalize()}CommandIssued"

    def directive(self) -> JsonObject:
        """What CIC sends the speaker for this tap in the app."""
        if self.command == "repeat":
            payload: JsonObject = {"repeatMode": self.repeat_mode}
            return directive(
                "PlaybackController",
                "SetRepeatMode",
                payload,
                dialog_request_id=self.dialog_request_id,
            )
        payload = {"target": {"namespace": self.target}} if self.target else {}
        if self.handover is not None:
            payload["handover"] = self.handover
        if self.token is not None:
            payload["token"] = self.token
        name = f"Expect{self.command.capitalize()}Command"
        return directive(
            "PlaybackController", name, payload, dialog_request_id=self.dialog_request_id
        )


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def parse_remote(body: Any) -> RemoteCommand:
    """A remote body (``command`` or a mapping); ValueError names what is wrong."""
    if isinstance(body, str):
        body = {"command": body}
    if not isinstance(body, Mapping):
        raise ValueError("remote takes a command name or an object with 'command'")
    unknown = sorted(str(k) for k in body if k not in KEYS)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} (known: {', '.join(KEYS)})")
    command = body.get("command")
    if command not in COMMANDS:
        raise ValueError(f"command must be one of {', '.join(COMMANDS)}, got {command!r}")
    target = body.get("target")
    if target is not None and (target not in TARGETS or command == "repeat"):
        raise ValueError(f"target must be one of {', '.join(TARGETS)} (not with repeat)")
    token, handover = body.get("token"), body.get("handover")
    if (token is not None or handover is not None) and command != "play":
        raise ValueError("token and handover go with play only")
    if token is not None:
        _text(token, "token")
    if handover is not None:
        if not isinstance(handover, Mapping):
            raise ValueError("handover must be an object {deviceId, customData}")
        _text(handover.get("deviceId"), "handover.deviceId")
        _text(handover.get("customData"), "handover.customData")
        handover = dict(handover)
    mode = body.get("repeatMode")
    if (command == "repeat") != (mode is not None) or (
        mode is not None and mode not in REPEAT_MODES
    ):
        raise ValueError(f"repeat takes repeatMode ({', '.join(REPEAT_MODES)}), and only repeat")
    dialog = body.get("dialogRequestId")
    extra = {} if dialog is None else {"dialog_request_id": _text(dialog, "dialogRequestId")}
    return RemoteCommand(command, target, token, handover, mode, **extra)


class RemoteLog:
    """The Expect*Commands sent per device, until the speaker's *CommandIssued answers them."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str, str], list[str]] = {}

    def sent(self, device: str, command: RemoteCommand) -> None:
        if command.event_name is not None:
            key = (device, command.event_name)
            self._pending.setdefault(key, []).append(command.dialog_request_id)

    def take(self, device: str, event_name: str) -> str | None:
        """The dialogRequestId of the oldest unanswered Expect this event answers, if any."""
        waiting = self._pending.get((device, event_name))
        return waiting.pop(0) if waiting else None

    def clear(self) -> None:
        self._pending.clear()
