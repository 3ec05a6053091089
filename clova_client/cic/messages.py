"""Pure helpers over raw CIC messages: Hello detection, error details, event log fields."""

from __future__ import annotations

from typing import Any

from ..protocol import ProtocolError, parse_directive
from ..protocol.items import item_token
from ..protocol.multipart import MultipartError, MultipartParser
from ..protocol.system import ExceptionPayload
from .outbox_items import StoredEvent


def exception_detail(content_type: str, body: bytes) -> str:
    """``System.Exception <code>: <description>`` from a multipart or JSON error body, or ''."""
    raws: list[bytes] = []
    if content_type.startswith("multipart/"):
        try:
            raws = [p.body for p in MultipartParser.from_content_type(content_type).feed(body)]
        except MultipartError:
            return ""
    elif body.lstrip().startswith(b"{"):
        raws = [body]
    for raw in raws:
        try:
            directive = parse_directive(raw)
        except ProtocolError:
            continue
        if isinstance(directive.payload, ExceptionPayload):
            p = directive.payload
            return f"System.Exception {p.code}: {p.description or ''}".strip()
    return ""


def event_fields(stored: StoredEvent) -> dict[str, Any]:
    """Log fields of an event: namespace.name, messageId, and its stream token if any."""
    return {
        "event_name": stored.full_name,
        "message_id": stored.message_id,
        "token": event_token(stored),
    }


def event_token(stored: StoredEvent) -> str | None:
    event = stored.body.get("event")
    payload = event.get("payload") if isinstance(event, dict) else None
    return item_token(payload, stored.body.get("context"))
