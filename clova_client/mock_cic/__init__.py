"""A mock CIC server for tests and QA: protocol over HTTP/1.1, control API, faults, scenarios."""

from .auth import Grant, TokenStore, default_refresh_token
from .records import DeviceRecord, RecordedEvent, WaitTimeout
from .responders import Responders
from .server import MockCicServer

__all__ = [
    "DeviceRecord",
    "Grant",
    "MockCicServer",
    "RecordedEvent",
    "Responders",
    "TokenStore",
    "WaitTimeout",
    "default_refresh_token",
]
