"""Small pieces of daemon state: the saved player snapshot, recent errors, the STATUS line."""

from __future__ import annotations

import json
import os
import time
from collections import deque
from pathlib import Path
from typing import Any

import structlog
from structlog.typing import EventDict

from .control import ErrorInfo
from .protocol.audioplayer import PlaybackState

log = structlog.get_logger(__name__)

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


class StateFile:
    """The player snapshot in the state directory, replaced atomically on every save."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def save(self, snapshot: dict[str, Any], *, durable: bool) -> None:
        """Write ``snapshot``; ``durable`` fsyncs it (state changes), position ticks do not."""
        tmp = self.path.with_suffix(".tmp")
        try:
            with open(tmp, "w", encoding="utf-8", opener=_private) as f:
                json.dump(snapshot, f, separators=(",", ":"))
                if durable:
                    f.flush()
                    os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("state_save_failed", reason=str(exc), path=str(self.path))

    def load(self) -> dict[str, Any] | None:
        """The last snapshot, or None (missing, or unreadable: logged, never fatal)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning(
                "state_unreadable", reason=str(exc), path=str(self.path), moved_to=self.set_aside()
            )
            return None
        if not isinstance(data, dict):
            reason = f"a JSON object was expected, not {type(data).__name__}"
            log.warning(
                "state_unreadable", reason=reason, path=str(self.path), moved_to=self.set_aside()
            )
            return None
        return data

    def set_aside(self) -> str | None:
        """Rename an unusable state file to ``*.bad`` (kept for a look, never loaded again);
        the new path, or None when it could not be moved."""
        bad = self.path.with_suffix(self.path.suffix + ".bad")
        try:
            os.replace(self.path, bad)
        except OSError:
            return None
        return str(bad)


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def _clock(ms: int | None) -> str:
    seconds = max(0, (ms or 0) // 1000)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def status_line(state: str, token: str | None, playback: PlaybackState, cic: str) -> str:
    """``playing TR-123 01:23/04:56 - cic connected``: what systemd shows as STATUS."""
    words = [state.lower()]
    if token:
        words.append(token)
        position = _clock(playback.offset_ms)
        if playback.total_ms:
            position += f"/{_clock(playback.total_ms)}"
        words.append(position)
    return f"{' '.join(words)} - cic {cic.lower().replace('_', ' ')}"
