"""The speaker's own buttons, as PlaybackController names them (no heavy imports: the CLI and
the control socket use it too)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

CUSTOM_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
"""A custom (shortcut) button's name, as CustomCommandIssued carries it: ``CUSTOM_BUTTON_2``."""
TOKEN_MAX = 4096


class Button(StrEnum):
    """A button on the speaker; each press sends one ``PlaybackController.*CommandIssued``."""

    PAUSE = "pause"
    RESUME = "resume"
    NEXT = "next"
    PREVIOUS = "previous"
    STOP = "stop"
    PLAY = "play"
    REPEAT = "repeat"
    CUSTOM = "custom"

    @property
    def event_name(self) -> str:
        """The event a plain press sends: ``PauseCommandIssued`` for ``pause``. ``play`` sends
        ``ResumeCommandIssued`` (the guide: the Play button resumes; ``PlayCommandIssued`` is for
        a chosen item, ``press play --token``); ``repeat`` ``SetRepeatModeCommandIssued``;
        ``custom`` ``CustomCommandIssued``."""
        if self is Button.PLAY:
            return "ResumeCommandIssued"
        if self is Button.REPEAT:
            return "SetRepeatModeCommandIssued"
        return f"{self.value.capitalize()}CommandIssued"


@dataclass(frozen=True, slots=True)
class Press:
    """One press: ``play`` may name a chosen item (``token``, from RenderPlayerInfo's
    playableItems); ``custom`` needs the button's ``name``."""

    button: Button
    token: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        """ValueError (one line for the user) for a combination that means nothing."""
        if self.token is not None:
            if self.button is not Button.PLAY:
                raise ValueError(f"only play takes a token, not {self.button.value}")
            if not self.token.strip() or len(self.token) > TOKEN_MAX:
                raise ValueError(f"token must be 1-{TOKEN_MAX} characters")
        if self.button is Button.CUSTOM:
            if self.name is None or not CUSTOM_NAME.match(self.name):
                raise ValueError(
                    "custom needs the button's name: 1-64 letters, digits, _ . : - "
                    "(e.g. CUSTOM_BUTTON_2)"
                )
        elif self.name is not None:
            raise ValueError(f"only custom takes a button name, not {self.button.value}")
