"""Reading one ``POST /v1/events`` body into a RecordedEvent (or the reason it is refused), as it
arrives: the ``metadata`` part is parsed the moment it is complete, and an ``audio`` part (a
Recognize's, streamed in real time) is counted while it grows, each chunk's arrival noted."""

from __future__ import annotations

import json
import time

from clova_client.protocol import ProtocolError, parse_event
from clova_client.protocol.multipart import MultipartError, MultipartParser, Part

from .records import RecordedEvent, now


class EventRejected(Exception):
    """An event body the mock answers with 400 (and does not record)."""

    def __init__(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class EventIntake:
    """One event body, fed chunk by chunk."""

    def __init__(self, device: str, content_type: str, connection: int | None = None) -> None:
        self.device = device
        self.connection = connection
        self.parts: list[Part] = []
        self.message: dict[str, object] | None = None
        """The metadata's event JSON once it parsed (None before, or when it did not)."""
        self.name: str | None = None
        self.message_id = ""
        self._error: EventRejected | None = None
        self._parser: MultipartParser | None = None
        self._chunks: list[tuple[float, int, int]] = []
        """(arrival time, stream offset, length) of every chunk."""
        self._fed = 0
        self._audio_start: int | None = None
        try:
            self._parser = MultipartParser.from_content_type(content_type)
        except MultipartError as exc:
            self._error = EventRejected(f"malformed multipart body: {exc}")

    def feed(self, chunk: bytes, at: float | None = None) -> None:
        """A piece of the body that arrived at ``at`` (``time.time()``, now by default)."""
        if not chunk:
            return
        self._chunks.append((time.time() if at is None else at, self._fed, len(chunk)))
        self._fed += len(chunk)
        if self._parser is None or self._error is not None:
            return
        try:
            new = self._parser.feed(chunk)
        except MultipartError as exc:
            self._error = EventRejected(f"malformed multipart body: {exc}")
            return
        self.parts += new
        partial = self._parser.partial
        if partial is not None and partial.name == "audio" and self._audio_start is None:
            self._audio_start = partial.start
        if self.message is None and any(p.name == "metadata" for p in new):
            self._read_metadata()

    def _read_metadata(self) -> None:
        metadata = next(p for p in self.parts if p.name == "metadata")
        try:
            parsed = parse_event(metadata.body)
        except ProtocolError as exc:
            errors = [{"path": e.path, "message": e.message} for e in exc.errors]
            self._error = EventRejected(f"invalid event: {exc}", errors)
            return
        self.message = json.loads(metadata.body)
        self.name = parsed.full_name
        self.message_id = parsed.header.message_id

    @property
    def audio(self) -> bytes | None:
        """The complete ``audio`` part (None until it ended)."""
        return next((p.body for p in self.parts if p.name == "audio"), None)

    @property
    def audio_received(self) -> int:
        """Audio bytes arrived so far (a complete part, or the one still growing)."""
        audio = self.audio
        if audio is not None:
            return len(audio)
        partial = self._parser.partial if self._parser is not None else None
        return partial.received if partial is not None and partial.name == "audio" else 0

    @property
    def audio_growing(self) -> bool:
        """An ``audio`` part began and its end has not come."""
        partial = self._parser.partial if self._parser is not None else None
        return partial is not None and partial.name == "audio"

    def audio_arrivals(self) -> list[tuple[float, int]]:
        """(arrival time, audio bytes in it) of every chunk that carried audio bytes."""
        audio = self.audio
        if audio is None:
            return []
        if self._audio_start is None:  # began and ended in one chunk: the one that ended it
            return [(self._chunks[-1][0], len(audio))] if audio else []
        start, end = self._audio_start, self._audio_start + len(audio)
        arrivals = []
        for at, offset, length in self._chunks:
            overlap = min(end, offset + length) - max(start, offset)
            if overlap > 0:
                arrivals.append((at, overlap))
        return arrivals

    def event(self) -> RecordedEvent:
        """The event of the whole body; EventRejected says why there is none."""
        if self._error is not None:
            raise self._error
        if self.message is None:
            raise EventRejected("no part named 'metadata'")
        assert self.name is not None
        return RecordedEvent(
            name=self.name,
            message_id=self.message_id,
            received_at=now(),
            message=self.message,
            device=self.device,
            audio=self.audio,
            connection=self.connection,
            audio_arrivals=tuple(self.audio_arrivals()),
        )


def read_event(
    device: str, content_type: str, body: bytes, connection: int | None = None
) -> RecordedEvent:
    """The event in a ``multipart/form-data`` body (part ``metadata``, optional ``audio``)."""
    intake = EventIntake(device, content_type, connection)
    intake.feed(body)
    return intake.event()
