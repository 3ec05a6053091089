"""The local control socket: ``clova-client status`` / ``press`` talk to the daemon through it."""

from .client import ControlError, NotRunning, request, request_sync
from .protocol import SOCKET_NAME, BadRequest, Button, Command, CommandRefused, socket_path
from .render import render_status
from .server import ControlHandler, ControlServer, ControlSocketError
from .status import (
    ConnectionInfo,
    CurrentItem,
    ErrorInfo,
    LibraryInfo,
    OutboxInfo,
    PlayerInfo,
    PressResult,
    StatusDocument,
    TrackInfo,
)

__all__ = [
    "SOCKET_NAME",
    "BadRequest",
    "Button",
    "Command",
    "CommandRefused",
    "ConnectionInfo",
    "ControlError",
    "ControlHandler",
    "ControlServer",
    "ControlSocketError",
    "CurrentItem",
    "ErrorInfo",
    "LibraryInfo",
    "NotRunning",
    "OutboxInfo",
    "PlayerInfo",
    "PressResult",
    "StatusDocument",
    "TrackInfo",
    "render_status",
    "request",
    "request_sync",
    "socket_path",
]
