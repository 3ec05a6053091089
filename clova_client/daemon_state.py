"""Small pieces of daemon state: the saved player state, recent errors, the STATUS line."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import structlog
from structlog.typing import EventDict

from .control import ErrorInfo
from .player.status import PlayerStatus
from .state_file import StateFile

log = structlog.get_logger(__name__)

__all__ = ["RecentErrors", "StateFile", "status_line"]

_PROBLEM_LEVELS = ("warning", "error", "critical", "exception")


class RecentErrors:
    """A structlog observer keeping the last few warnings and errors for ``status``."""

    def __init__(self, size: int = 10) -> None:
        self.items: deque[ErrorInfo] = deque(maxlen=size)

    def __call__(self, logger: Any, name: str, event_dict: EventDict) -> EventDict:
        if str(event_dict.get("level", name)).lower() in _PROBLEM_LEVELS:
            details = " ".join(
                f"{key}={value}"
                for key, value in event_dict.items()
                if key in ("reason", "errors", "code", "description", "url", "token")
            )
            source = str(event_dict.get("logger", "")).removeprefix("clova_client.")
            message = f"{event_dict.get('event', '')} {details}".strip()
            self.items.append({"at": time.time(), "source": source, "message": message})
        return event_dict


def _clock(ms: int | None) -> str:
    seconds = max(0, (ms or 0) // 1000)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def status_line(state: str, token: str | None, playback: PlayerStatus, cic: str) -> str:
    """``playing TR-123 01:23/04:56 - cic connected``: what systemd shows as STATUS."""
    words = [state.lower()]
    if token:
        words.append(token)
        position = _clock(playback.offset_ms)
        if playback.total_ms:
            position += f"/{_clock(playback.total_ms)}"
        words.append(position)
    return f"{' '.join(words)} - cic {cic.lower().replace('_', ' ')}"
