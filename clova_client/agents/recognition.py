"""One recognition: the audio a local client streams, cut into Recognize's ~200 ms parts.

The local client's bytes arrive in pieces of any size; ``parts()`` yields them on as parts of
``PART_BYTES`` (200 ms of 16 kHz 16-bit mono), a shorter last one at the end, so the request
body grows as the user speaks and never holds more than one part. The audio ends when the
local client ends it, when CIC says StopCapture, or when a newer recognition supersedes it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from ..protocol import JsonObject
from ..protocol.speech import BYTES_PER_SECOND

PART_BYTES = BYTES_PER_SECOND // 5
"""200 ms of audio: 6,400 bytes."""

LISTENING = "listening"
"""A recognition's name in the audio focus (with its number: ``listening#3``)."""

Tell = Callable[[JsonObject], None]
"""Sends one line to the local client (never raises; a gone client just stops listening)."""

_ids = itertools.count(1)


class AudioEnd(StrEnum):
    LOCAL = "the local client ended it"
    STOP_CAPTURE = "CIC sent StopCapture"
    SUPERSEDED = "a newer recognition started"
    VANISHED = "the local client vanished mid-stream"
    FAILED = "the request failed"


@dataclass(eq=False)
class Recognition:
    dialog_request_id: str
    tell: Tell
    speech_id: str | None = None
    number: int = field(default_factory=lambda: next(_ids))
    ended: AudioEnd | None = None
    received: int = 0
    """Audio bytes the local client sent."""
    sent_parts: int = 0
    first_byte_at: float | None = None
    _pieces: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    _odd: bytes = b""

    @property
    def focus_holder(self) -> str:
        """Its own name in the audio focus: a newer recognition's never goes with it."""
        return f"{LISTENING}#{self.number}"

    def feed(self, data: bytes, now: float) -> None:
        """Audio from the local client (ignored once the audio has ended)."""
        if self.ended is not None or not data:
            return
        if self.first_byte_at is None:
            self.first_byte_at = now
        self.received += len(data)
        data = self._odd + data
        cut = len(data) - len(data) % 2  # whole 16-bit samples only
        self._odd = data[cut:]
        if cut:
            self._pieces.put_nowait(data[:cut])

    def end(self, why: AudioEnd) -> bool:
        """End the audio (the closing boundary follows the last part); False when it had
        already ended. The local client's own end sends what it sent; any other end drops
        what has not gone out yet (after StopCapture CIC does not process it)."""
        if self.ended is not None:
            return False
        self.ended = why
        if why is not AudioEnd.LOCAL:  # not sent yet: dropped (the part being made goes)
            while not self._pieces.empty():
                self._pieces.get_nowait()
        self._pieces.put_nowait(None)
        return True

    async def parts(self) -> AsyncIterator[bytes]:
        """The audio as Recognize parts, until it ends."""
        buffer = bytearray()
        while True:
            piece = await self._pieces.get()
            if piece is None:
                break
            buffer += piece
            while len(buffer) >= PART_BYTES:
                self.sent_parts += 1
                yield bytes(buffer[:PART_BYTES])
                del buffer[:PART_BYTES]
        if buffer:
            self.sent_parts += 1
            yield bytes(buffer)
