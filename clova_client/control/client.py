"""Talking to a running daemon over its control socket (used by the CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .protocol import MAX_RESPONSE_BYTES, encode

DEFAULT_TIMEOUT_S = 5.0


class ControlError(Exception):
    """The daemon could not be asked or gave no usable answer; one line for the user."""


class NotRunning(ControlError):
    """No daemon listens on the socket (missing, or refusing connections)."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"clova-client is not running ({why})")
        self.path = path


async def request(
    path: Path, obj: Mapping[str, Any], timeout_s: float = DEFAULT_TIMEOUT_S
) -> dict[str, Any]:
    """Send one request, return the response object (``ok`` may be false).

    Raises ``NotRunning`` or ``ControlError``; never an OSError or a JSON error.
    """
    try:
        async with asyncio.timeout(timeout_s):
            return await _exchange(path, obj)
    except TimeoutError:
        message = f"clova-client did not answer within {timeout_s:g} s on {path}"
        raise ControlError(message) from None


def request_sync(
    path: Path, obj: Mapping[str, Any], timeout_s: float = DEFAULT_TIMEOUT_S
) -> dict[str, Any]:
    """``request`` for code without an event loop (the CLI)."""
    return asyncio.run(request(path, obj, timeout_s))


async def _exchange(path: Path, obj: Mapping[str, Any]) -> dict[str, Any]:
    try:
        reader, writer = await asyncio.open_unix_connection(str(path), limit=MAX_RESPONSE_BYTES)
    except FileNotFoundError:
        raise NotRunning(path, f"no control socket at {path}") from None
    except ConnectionRefusedError:
        raise NotRunning(path, f"stale control socket at {path} refuses connections") from None
    except PermissionError:
        raise ControlError(
            f"permission denied on control socket {path} (run as the service user or root)"
        ) from None
    except OSError as exc:
        raise ControlError(f"cannot connect to control socket {path}: {exc}") from None
    try:
        writer.write(encode(dict(obj)))
        await writer.drain()
        line = await reader.readline()
    except ValueError:
        raise ControlError(f"response larger than {MAX_RESPONSE_BYTES} bytes") from None
    except OSError as exc:
        raise ControlError(f"control socket {path}: {exc}") from None
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return _decode(line)


def _decode(line: bytes) -> dict[str, Any]:
    if not line:
        raise ControlError("clova-client closed the control connection without an answer")
    try:
        response = json.loads(line)
    except ValueError as exc:
        raise ControlError(f"malformed answer from clova-client: {exc}") from None
    if not isinstance(response, dict) or not isinstance(response.get("ok"), bool):
        raise ControlError("malformed answer from clova-client: no 'ok' field")
    return response
