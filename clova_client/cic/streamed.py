"""An event whose body streams as it is made: SpeechRecognizer.Recognize.

Its ``audio`` part grows while the user speaks, so the request body is an async iterator:
httpx sends each piece as HTTP/2 DATA frames on the downchannel's connection as it is yielded,
and the closing boundary when the audio ends. It does not go through the outbox: audio is only
worth sending now, on this connection (a Recognize cannot wait for the next one). The answer's
directives (Speak, Play, ExpectSpeech) go to the inbox like any event's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import structlog

from ..protocol import Event
from ..protocol.multipart import streamed_event
from .errors import describe, error_reason
from .gate import DownchannelGate
from .transport import Transport

log = structlog.get_logger(__name__)


class NotConnected(Exception):
    """No downchannel with its Clova.Hello right now: CIC would answer 412."""


@dataclass(frozen=True, slots=True)
class StreamOutcome:
    status: int
    """The HTTP status (0: no answer: the connection failed)."""
    problem: str = ""
    audio_bytes: int = 0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


async def send_streamed(
    transport: Transport,
    gate: DownchannelGate,
    event: Event,
    audio: AsyncIterator[bytes],
    read_body: Callable[[httpx.Response, str], Awaitable[None]],
    secrets: Callable[[], tuple[str, ...]],
) -> StreamOutcome:
    """POST ``event`` with ``audio`` streamed as its ``audio`` part; the answer's body is read
    into the inbox. Raises NotConnected when the gate is shut (nothing is sent)."""
    if not gate.open:
        raise NotConnected(gate.ending or "no downchannel yet")
    body = streamed_event(event.to_json())
    sent = 0

    async def content() -> AsyncIterator[bytes]:
        nonlocal sent
        yield body.head
        async for piece in audio:
            sent += len(piece)
            yield piece
        yield body.tail

    request = transport.event_stream(content(), body.content_type)
    try:
        async with request as response:
            status = response.status_code
            if status == 200:
                await read_body(response, f"event {event.message_id}")
            elif not 200 <= status < 300:
                return StreamOutcome(status, await error_reason(response, secrets()), sent)
    except httpx.HTTPError as exc:
        return StreamOutcome(0, describe(exc), sent)
    return StreamOutcome(status, "", sent)
