"""Reading one ``POST /v1/events`` body into a RecordedEvent (or the reason it is refused)."""

from __future__ import annotations

import json

from clova_client.protocol import ProtocolError, parse_event
from clova_client.protocol.multipart import MultipartError, MultipartParser

from .records import RecordedEvent, now


class EventRejected(Exception):
    """An event body the mock answers with 400 (and does not record)."""

    def __init__(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


def read_event(
    device: str, content_type: str, body: bytes, connection: int | None = None
) -> RecordedEvent:
    """The event in a ``multipart/form-data`` body (part ``metadata``, optional ``audio``)."""
    try:
        parts = MultipartParser.from_content_type(content_type).feed(body)
    except MultipartError as exc:
        raise EventRejected(f"malformed multipart body: {exc}") from None
    metadata = next((p for p in parts if p.name == "metadata"), None)
    if metadata is None:
        raise EventRejected("no part named 'metadata'")
    audio = next((p.body for p in parts if p.name == "audio"), None)
    try:
        parsed = parse_event(metadata.body)
    except ProtocolError as exc:
        errors = [{"path": e.path, "message": e.message} for e in exc.errors]
        raise EventRejected(f"invalid event: {exc}", errors) from None
    return RecordedEvent(
        name=parsed.full_name,
        message_id=parsed.header.message_id,
        received_at=now(),
        message=json.loads(metadata.body),
        device=device,
        audio=audio,
        connection=connection,
    )
