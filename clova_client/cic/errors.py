"""Why a connection generation ended, and how to describe transport errors without secrets."""

from __future__ import annotations

import httpx

from ..redact import redact_text


class SessionEnded(Exception):
    """The connection is gone or unusable: reconnect after a backoff delay."""

    def __init__(self, reason: str, retry_after: float = 0.0, *, clean: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.clean = clean
        """The server ended the downchannel normally (no error): reopen it at once."""


def describe(exc: BaseException) -> str:
    """``ConnectError: [Errno 111] Connection refused``, with URLs and tokens redacted."""
    text = redact_text(str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def retry_after(response: httpx.Response) -> float:
    """A Retry-After in seconds (the HTTP-date form is ignored: 0)."""
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0
