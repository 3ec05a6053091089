"""A Recognize as the daemon sends it: one POST whose multipart body streams (httpx sends each
piece an async generator yields as HTTP/2 DATA at once), audio in 6,400-byte pieces."""

from __future__ import annotations

import asyncio
import io
import json
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import mutagen

from clova_client.protocol.multipart import MultipartParser, Part

from .helpers import auth

JsonObject = dict[str, Any]
PIECE = 6400
"""200 ms of 16 kHz 16-bit mono PCM."""
AUDIO = bytes((i * 7 + i // 256) % 256 for i in range(PIECE))


def recognize(dialog: str = "dialog-1", message_id: str = "rec-1", **payload: Any) -> JsonObject:
    body: JsonObject = {
        "lang": "ko",
        "profile": "CLOSE_TALK",
        "format": "AUDIO_L16_RATE_16000_CHANNELS_1",
        "initiator": {"type": "TAP", "inputSource": "SELF"},
    }
    body.update(payload)
    header = {
        "namespace": "SpeechRecognizer",
        "name": "Recognize",
        "messageId": message_id,
        "dialogRequestId": dialog,
    }
    return {"context": [], "event": {"header": header, "payload": body}}


class RecognizeBody:
    """The pieces of a streamed Recognize body."""

    def __init__(self, message: JsonObject, *, audio_part: bool = True) -> None:
        self.boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        delimiter = f"--{self.boundary}\r\n".encode()
        head = delimiter + (
            b'Content-Disposition: form-data; name="metadata"\r\n'
            b"Content-Type: application/json; charset=UTF-8\r\n\r\n"
        )
        head += json.dumps(message).encode() + b"\r\n"
        if audio_part:
            head += delimiter + (
                b'Content-Disposition: form-data; name="audio"\r\n'
                b"Content-Type: application/octet-stream\r\n\r\n"
            )
        self.head = head
        self.tail = (b"\r\n" if audio_part else b"") + f"--{self.boundary}--\r\n".encode()


async def pieces(
    body: RecognizeBody,
    count: int,
    *,
    piece: bytes = AUDIO,
    pause: float = 0.0,
    until: Callable[[], bool] | None = None,
    sent: list[int] | None = None,
) -> AsyncIterator[bytes]:
    """The head, then up to ``count`` audio pieces (stopping early once ``until()`` holds),
    then the closing boundary; ``sent`` gets the audio byte count after each piece."""
    yield body.head
    total = 0
    for _ in range(count):
        if until is not None and until():
            break
        yield piece
        total += len(piece)
        if sent is not None:
            sent.append(total)
        await asyncio.sleep(pause)
    yield body.tail


async def post_streamed(
    client: httpx.AsyncClient, token: str, content_type: str, content: AsyncIterator[bytes]
) -> tuple[int, list[Part], httpx.Response]:
    headers = {**auth(token), "Content-Type": content_type}
    response = await client.post("/v1/events", content=content, headers=headers)
    parts: list[Part] = []
    if response.status_code == 200:
        parser = MultipartParser.from_content_type(response.headers["Content-Type"])
        parts = parser.feed(response.content)
    return response.status_code, parts, response


async def send_recognize(
    client: httpx.AsyncClient,
    message: JsonObject,
    count: int = 3,
    *,
    token: str = "token-a",
    audio_part: bool = True,
    piece: bytes = AUDIO,
) -> tuple[int, list[Part], httpx.Response]:
    """A Recognize with ``count`` pieces of audio sent as fast as they go."""
    body = RecognizeBody(message, audio_part=audio_part)
    chunks = pieces(body, count if audio_part else 0, piece=piece)
    return await post_streamed(client, token, body.content_type, chunks)


def directives(parts: list[Part]) -> list[JsonObject]:
    return [p.json()["directive"] for p in parts if p.content_id is None]


def names(parts: list[Part]) -> list[str]:
    """``Namespace.Name`` of each directive part, ``attachment`` for each binary part."""
    out = []
    for part in parts:
        if part.content_id is not None:
            out.append("attachment")
        else:
            header = part.json()["directive"]["header"]
            out.append(f"{header['namespace']}.{header['name']}")
    return out


def mp3_seconds(data: bytes) -> float:
    """Length of an MP3 as mutagen reads it (raises when it is no MP3)."""
    audio: Any = mutagen.File(io.BytesIO(data))
    assert type(audio).__name__ == "MP3"
    info = audio.info
    assert info.channels == 1
    return float(info.length)
