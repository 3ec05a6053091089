"""Pure protocol layer: pydantic models of every CIC / NUGU message and the multipart codec."""

from .base import Directive, Event, Header, JsonObject, context_item, make_event
from .registry import FieldError, ParsedEvent, ProtocolError, parse_directive, parse_event

__all__ = [
    "Directive",
    "Event",
    "FieldError",
    "Header",
    "JsonObject",
    "ParsedEvent",
    "ProtocolError",
    "context_item",
    "make_event",
    "parse_directive",
    "parse_event",
]
