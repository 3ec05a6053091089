"""PlaybackController namespace: remote-control directives and the *CommandIssued events."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from .audioplayer import RepeatMode
from .base import InModel, OutModel

NAMESPACE = "PlaybackController"


class TargetNamespace(StrEnum):
    AUDIO_PLAYER = "AudioPlayer"
    MEDIA_PLAYER = "MediaPlayer"


class Target(InModel):
    namespace: TargetNamespace


class TargetedPayload(InModel):
    """Pause / Resume / Stop / Expect*Command: an optional target namespace."""

    target: Target | None = None


class ExpectPlayPayload(TargetedPayload):
    """ExpectPlayCommand: ``handover`` ({deviceId, customData}) and ``token`` when playback moves
    to this speaker from another device; both go into PlayCommandIssued as they came."""

    handover: dict[str, Any] | None = None
    token: str | None = None


class PlainPayload(InModel):
    """Next / Previous / Replay / Mute / Unmute: no documented fields."""


class SetRepeatModePayload(InModel):
    repeat_mode: RepeatMode


class CommandSource(OutModel):
    namespace: str


class CommandIssuedPayload(OutModel):
    """Payload of a *CommandIssued event; ``source`` echoes an Expect*Command's target."""

    source: CommandSource | None = None


class PlayCommandIssuedPayload(CommandIssuedPayload):
    """PlayCommandIssued: the chosen item's ``token`` (RenderPlayerInfo's playableItems), or an
    ExpectPlayCommand's ``handover`` and ``token``."""

    handover: dict[str, Any] | None = None
    token: str | None = None


class SetRepeatModeCommandIssuedPayload(OutModel):
    repeat_mode: RepeatMode
    source: CommandSource | None = Field(default=None)


class CustomCommandIssuedPayload(OutModel):
    """CustomCommandIssued: which of the speaker's shortcut buttons (``CUSTOM_BUTTON_2``)."""

    button: str = Field(min_length=1)


EXPECT_DIRECTIVES = (
    "ExpectNextCommand",
    "ExpectPauseCommand",
    "ExpectPreviousCommand",
    "ExpectResumeCommand",
    "ExpectStopCommand",
    "ExpectPlayCommand",
)
"""The Clova app's remote control: ExpectXCommand asks for XCommandIssued at once."""

DEPRECATED_DIRECTIVES = ("TurnOnRepeatMode", "TurnOffRepeatMode", "VolumeUp", "VolumeDown")
"""Deprecated, still sent, still obeyed (no payload)."""

DIRECTIVE_PAYLOADS: dict[str, type[InModel]] = {
    "Pause": TargetedPayload,
    "Resume": TargetedPayload,
    "Stop": TargetedPayload,
    "Next": PlainPayload,
    "Previous": PlainPayload,
    "Replay": PlainPayload,
    "Mute": PlainPayload,
    "Unmute": PlainPayload,
    "SetRepeatMode": SetRepeatModePayload,
    **{name: TargetedPayload for name in EXPECT_DIRECTIVES},
    "ExpectPlayCommand": ExpectPlayPayload,
    **{name: PlainPayload for name in DEPRECATED_DIRECTIVES},
}

EVENT_NAMES = (
    "NextCommandIssued",
    "PauseCommandIssued",
    "PreviousCommandIssued",
    "ResumeCommandIssued",
    "StopCommandIssued",
    "PlayCommandIssued",
    "SetRepeatModeCommandIssued",
    "CustomCommandIssued",
)
