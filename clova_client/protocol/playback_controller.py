"""PlaybackController namespace: remote-control directives and the *CommandIssued events."""

from __future__ import annotations

from enum import StrEnum

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


class PlainPayload(InModel):
    """Next / Previous / Replay / Mute / Unmute: no documented fields."""


class SetRepeatModePayload(InModel):
    repeat_mode: RepeatMode


class CommandSource(OutModel):
    namespace: str


class CommandIssuedPayload(OutModel):
    """Payload of a *CommandIssued event; ``source`` echoes an Expect*Command's target."""

    source: CommandSource | None = None


class SetRepeatModeCommandIssuedPayload(OutModel):
    repeat_mode: RepeatMode
    source: CommandSource | None = Field(default=None)


EXPECT_DIRECTIVES = (
    "ExpectNextCommand",
    "ExpectPauseCommand",
    "ExpectPreviousCommand",
    "ExpectResumeCommand",
    "ExpectStopCommand",
    "ExpectPlayCommand",
)

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
}

EVENT_NAMES = (
    "NextCommandIssued",
    "PauseCommandIssued",
    "PreviousCommandIssued",
    "ResumeCommandIssued",
    "StopCommandIssued",
    "PlayCommandIssued",
    "SetRepeatModeCommandIssued",
)
