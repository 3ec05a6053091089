"""Why a connection generation ended, and how to describe transport errors without secrets."""

from __future__ import annotations

import h2.errors
import h2.events
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


def is_graceful_goaway(exc: BaseException) -> bool:
    """The server sent HTTP/2 GOAWAY with NO_ERROR (a restart, a load balancer draining).

    httpcore raises it as ``RemoteProtocolError(<ConnectionTerminated>)`` on the streams still
    open; httpx keeps httpcore's error as ``__cause__``.
    """
    cause: BaseException | None = exc
    while cause is not None:
        event = cause.args[0] if cause.args else None
        if isinstance(event, h2.events.ConnectionTerminated):
            return event.error_code in (h2.errors.ErrorCodes.NO_ERROR, 0)
        cause = cause.__cause__
    return False


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
