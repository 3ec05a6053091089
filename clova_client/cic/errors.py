"""Why a connection generation ended, and how to describe transport errors without secrets."""

from __future__ import annotations

import h2.errors
import h2.events
import httpx

from ..redact import redact_text
from .messages import exception_detail

ERROR_BODY_LIMIT = 64 * 1024


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


def ended(what: str, exc: httpx.HTTPError) -> SessionEnded:
    """The connection failed under ``what``; a graceful GOAWAY is a clean end (reopen at once)."""
    if is_graceful_goaway(exc):
        return SessionEnded(f"{what}: the server sent GOAWAY", clean=True)
    return SessionEnded(f"{what}: {describe(exc)}")


async def error_reason(response: httpx.Response, secrets: tuple[str, ...]) -> str:
    """``HTTP 400 (System.Exception 400: Could not decode multipart)`` from an error reply."""
    text = f"HTTP {response.status_code}"
    try:
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > ERROR_BODY_LIMIT:
                return text
    except httpx.HTTPError:
        return text
    detail = exception_detail(response.headers.get("content-type", ""), body)
    return f"{text} ({redact_text(detail, secrets)})" if detail else text


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
