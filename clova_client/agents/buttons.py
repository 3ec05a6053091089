"""The speaker's own buttons, as PlaybackController names them (no heavy imports: the CLI and
the control socket use it too)."""

from __future__ import annotations

from enum import StrEnum


class Button(StrEnum):
    """A button on the speaker; each press sends ``PlaybackController.<Name>CommandIssued``."""

    PAUSE = "pause"
    RESUME = "resume"
    NEXT = "next"
    PREVIOUS = "previous"
    STOP = "stop"
    PLAY = "play"

    @property
    def event_name(self) -> str:
        """``PauseCommandIssued`` for ``pause``."""
        return f"{self.value.capitalize()}CommandIssued"
