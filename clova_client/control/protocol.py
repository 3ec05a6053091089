"""The control socket's wire format: one JSON object per line each way.

Requests: ``{"cmd": "status"}``, ``{"cmd": "press", "button": "pause"}`` (``"token"`` with
``play``: a chosen item; ``"name"`` with ``custom``: which shortcut button) and
``{"cmd": "dialog", "id": "<dialogRequestId>"}`` (the voice component announces a new dialog) and
``{"cmd": "volume", "value": 40 | "up" | "down" | null}`` (null: only report it).
``recognize`` and ``listen`` (the voice component) keep their connection: ``voice.py``.
Responses:
``{"ok": true, "result": {...}}`` or ``{"ok": false, "error": "one line"}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from ..agents.buttons import Button as Button
from ..agents.buttons import Press

SOCKET_NAME = "control.sock"
MAX_REQUEST_BYTES = 4096
"""A request line longer than this is refused (requests are a few dozen bytes)."""
MAX_RESPONSE_BYTES = 16 * 1024 * 1024

_E = TypeVar("_E", bound=StrEnum)


class Command(StrEnum):
    STATUS = "status"
    PRESS = "press"
    DIALOG = "dialog"
    VOLUME = "volume"
    RECOGNIZE = "recognize"
    LISTEN = "listen"


class BadRequest(ValueError):
    """A request that cannot be served; its text is the one-line ``error`` sent back."""


class CommandRefused(Exception):
    """Raised by a handler to answer ``ok: false`` with its text (not logged as a failure)."""


@dataclass(frozen=True, slots=True)
class Request:
    cmd: Command
    button: Button | None = None
    dialog_request_id: str | None = None
    volume: int | str | None = None
    """VOLUME: a percentage 0-100, "up", "down", or None to report it."""
    token: str | None = None
    """PRESS play: the chosen item's token (PlayCommandIssued)."""
    name: str | None = None
    """PRESS custom: the shortcut button's name (CustomCommandIssued)."""
    fields: dict[str, Any] | None = None
    """RECOGNIZE / LISTEN: the header as sent (``voice.parse_voice`` reads it)."""


def socket_path(control_dir: Path) -> Path:
    """The control socket inside ``Settings.control_dir``."""
    return control_dir / SOCKET_NAME


def _choices(enum: type[StrEnum]) -> str:
    return ", ".join(member.value for member in enum)


def parse_request(line: bytes) -> Request:
    """Decode one request line; raises ``BadRequest`` naming what is wrong."""
    try:
        obj = json.loads(line.decode())
    except UnicodeDecodeError as exc:
        raise BadRequest(f"not UTF-8 text (byte {exc.start})") from exc
    except ValueError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise BadRequest(f"expected a JSON object, got {type(obj).__name__}")
    if "cmd" not in obj:
        raise BadRequest(f"missing 'cmd' (known: {_choices(Command)})")
    cmd = _member(Command, obj["cmd"], "cmd")
    if cmd is Command.STATUS:
        return Request(cmd)
    if cmd in (Command.RECOGNIZE, Command.LISTEN):
        return Request(cmd, fields=obj)
    if cmd is Command.VOLUME:
        value = obj.get("value")
        if value is None or value in ("up", "down"):
            return Request(cmd, volume=value)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
            return Request(cmd, volume=value)
        raise BadRequest('volume takes a \'value\': 0-100, "up" or "down"')
    if cmd is Command.DIALOG:
        value = obj.get("id")
        if not isinstance(value, str) or not value.strip():
            raise BadRequest("dialog needs an 'id': the new dialog's dialogRequestId")
        return Request(cmd, dialog_request_id=value)
    if "button" not in obj:
        raise BadRequest(f"press needs a 'button' (known: {_choices(Button)})")
    button = _member(Button, obj["button"], "button")
    token, name = obj.get("token"), obj.get("name")
    if not isinstance(token, str | None) or not isinstance(name, str | None):
        raise BadRequest("press: 'token' and 'name' must be strings")
    try:
        Press(button, token, name)
    except ValueError as exc:
        raise BadRequest(f"press: {exc}") from None
    return Request(cmd, button, token=token, name=name)


def _member(enum: type[_E], value: object, what: str) -> _E:
    if isinstance(value, str):
        for member in enum:
            if member.value == value:
                return member
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise BadRequest(f"unknown {what} {shown} (known: {_choices(enum)})")


def encode(obj: dict[str, Any]) -> bytes:
    """One JSON line. Values JSON cannot hold (a datetime, a Path) are sent as their str(); a
    string UTF-8 cannot carry (a lone surrogate, e.g. from a file name) goes as its JSON escape."""
    text = json.dumps(obj, ensure_ascii=False, default=str)
    return text.encode("utf-8", "backslashreplace") + b"\n"


def ok(result: Mapping[str, Any]) -> dict[str, Any]:
    return {"ok": True, "result": dict(result)}


def error(message: str) -> dict[str, Any]:
    return {"ok": False, "error": message}
