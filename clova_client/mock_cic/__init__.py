"""A mock CIC server for tests and QA: HTTP/2 CIC port (TLS or h2c) that enforces CIC's rules,
a plain-HTTP control API with media files and ``/token``, faults and scenarios."""

from .auth import Grant, MockTokens, default_refresh_token
from .connections import Connection
from .fault_table import FAULTS, FaultError
from .records import DeviceRecord, RecordedEvent, WaitTimeout
from .responders import Responders
from .rules import Rules
from .server import MockCicServer

__all__ = [
    "FAULTS",
    "Connection",
    "DeviceRecord",
    "FaultError",
    "Grant",
    "MockCicServer",
    "MockTokens",
    "RecordedEvent",
    "Responders",
    "Rules",
    "WaitTimeout",
    "default_refresh_token",
]
