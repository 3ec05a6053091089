"""One open downchannel: a never-ending multipart response fed from a queue."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from enum import Enum

from clova_client.protocol.multipart import attachment_part, encode_directive_part

from .connections import Connection
from .messages import JsonObject, hello

CLOSE = b"--\r\n"
"""Appended after the last delimiter to end a multipart body properly."""


def encode_directives(
    directives: list[JsonObject],
    attachments: Mapping[str, bytes] | None,
    boundary: str,
    *,
    first: bool = False,
) -> bytes:
    """Attachments (each a Content-ID part) first, then the directives that refer to them."""
    pieces: list[bytes] = []
    for cid, data in (attachments or {}).items():
        pieces.append(attachment_part(cid, data, boundary=boundary, first=first and not pieces))
    for item in directives:
        pieces.append(encode_directive_part(item, boundary, first=first and not pieces))
    return b"".join(pieces)


def encode_response(
    directives: list[JsonObject], attachments: Mapping[str, bytes] | None, subtype: str
) -> tuple[bytes, str]:
    """A complete multipart body of directives (the 200 answer to an event) and its type."""
    boundary = secrets.token_hex(16)
    body = encode_directives(directives, attachments, boundary, first=True) + CLOSE
    return body, f"multipart/{subtype}; boundary={boundary}"


class Ending(Enum):
    """How a downchannel ends."""

    CLEAN = "clean"
    """The closing delimiter, then END_STREAM."""
    ABORT = "abort"
    """The TCP connection is cut mid-body."""
    GOAWAY = "goaway"
    """Clean, and the connection stops taking streams: GOAWAY, then close."""


class Downchannel:
    """Bytes waiting to be written to one downchannel response; ``None`` ends it."""

    def __init__(self, device: str, subtype: str, connection: Connection) -> None:
        self.device = device
        self.connection = connection
        self.boundary = secrets.token_hex(16)
        self.content_type = f"multipart/{subtype}; boundary={self.boundary}"
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._started = False
        self._held: list[bytes] | None = None
        """Pieces kept back while Clova.Hello is delayed (a fault); None: none are."""
        self._release: asyncio.TimerHandle | None = None
        self.up = False
        """True once the first piece (Clova.Hello) was handed to the HTTP/2 layer."""
        self.closed = False
        self.ending = Ending.CLEAN
        self.goaway_grace = 5.0

    @property
    def abort(self) -> bool:
        return self.ending is Ending.ABORT

    def send_hello(self, delay: float = 0.0) -> None:
        """Clova.Hello first; with ``delay``, it and all that follows it wait that many
        seconds (the response has started: an event sent meanwhile is answered 412)."""
        if delay > 0:
            self._held = []
            self._release = asyncio.get_running_loop().call_later(delay, self._let_go)
        self.send([hello()])

    def _let_go(self) -> None:
        held, self._held = self._held or [], None
        for piece in held:
            self._put(piece)

    def _put(self, piece: bytes) -> None:
        if self._held is not None:
            self._held.append(piece)
        else:
            self._queue.put_nowait(piece)

    def send(
        self, directives: list[JsonObject], attachments: Mapping[str, bytes] | None = None
    ) -> None:
        if self.closed:
            return
        first = not self._started
        self._started = True
        self._put(encode_directives(directives, attachments, self.boundary, first=first))

    def send_raw(self, piece: bytes) -> None:
        """Write bytes exactly as given (tests: a malformed part); they follow a delimiter."""
        if not self.closed:
            self._started = True
            self._put(piece)

    def close(self, *, abort: bool = False, ending: Ending | None = None) -> None:
        """End the stream: cleanly (closing delimiter) or, with ``abort``, by cutting TCP."""
        if not self.closed:
            self.closed = True
            self.ending = ending or (Ending.ABORT if abort else Ending.CLEAN)
            if self._release is not None:
                self._release.cancel()  # a Hello still held back is never written
            self._queue.put_nowait(None)

    async def next_piece(self) -> bytes | None:
        return await self._queue.get()
