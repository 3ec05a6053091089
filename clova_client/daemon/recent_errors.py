"""The last few warnings and errors, for ``clova-client status``."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from structlog.typing import EventDict

from ..control import ErrorInfo

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
