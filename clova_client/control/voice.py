"""The voice component's side of the control socket (protocol version 1).

A recognition is one connection: a JSON header line, then the audio in frames, each a 4-byte
big-endian length and that many bytes of 16 kHz 16-bit mono little-endian PCM; a frame of
length 0 ends the audio. A connection that ends without that frame has vanished: its
recognition is abandoned (the request is cut off, nothing is answered). The header::

    {"cmd": "recognize", "v": 1,
     "audio": {"encoding": "s16le", "rate": 16000, "channels": 1},
     "initiator": {"type": "WAKEWORD", "inputSource": "SELF",
                   "wakeWord": {"name": "hey_clova", "indices": {...}}} | null,
     "lang": "ko", "answer": false}

``answer: true`` replies to the pending ExpectSpeech (same dialog, its speechId). The daemon
answers with JSON lines, as they happen: ``started`` (dialogRequestId, messageId),
``StopCapture`` (stop sending: close the microphone), ``KeepRecording``, ``ShowRecognizedText``,
``ExpectSpeech`` (expectSpeechId, explicit, timeoutInMilliseconds: open the microphone again
and answer with ``answer: true``), ``answered`` (CIC's status), ``finished`` (the answer has
been spoken; the daemon closes the connection) or ``error`` (reason; closed).

``{"cmd": "listen", "v": 1}`` keeps a connection that is told every StopCapture,
KeepRecording, ShowRecognizedText, ExpectSpeech and ``ExpectSpeechTimedOut`` (the wake word
engine's standing line).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import ValidationError

from ..agents.recognition import Recognition
from ..agents.speech_recognizer import RecognitionRefused, SpeechRecognizerAgent
from ..protocol import JsonObject
from ..protocol.speech import SAMPLE_RATE, initiator_of
from .protocol import BadRequest, encode

log = structlog.get_logger(__name__)

VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
AUDIO_IDLE_S = 5.0
"""A recognition whose client sends no frame this long is abandoned (a hung microphone)."""
AUDIO = {"encoding": "s16le", "rate": SAMPLE_RATE, "channels": 1}
CHECKED_BY_THE_DAEMON = "00000000-0000-0000-0000-000000000000"
"""Stands for the deviceUUID the agent adds, while the header is checked."""


@dataclass(frozen=True, slots=True)
class VoiceRequest:
    listen: bool
    initiator: JsonObject | None = None
    lang: str | None = None
    answer: bool = False


def parse_voice(obj: dict[str, Any], listen: bool) -> VoiceRequest:
    """The header of a ``recognize`` / ``listen`` connection; BadRequest says what is wrong."""
    if obj.get("v") != VERSION:
        raise BadRequest(
            f"voice protocol version {obj.get('v')!r} unknown (this daemon: {VERSION})"
        )
    if listen:
        return VoiceRequest(listen=True)
    audio = obj.get("audio")
    if not isinstance(audio, dict):
        raise BadRequest(f"recognize needs 'audio': {AUDIO}")
    for key, wanted in AUDIO.items():
        if audio.get(key) != wanted:
            raise BadRequest(
                f"audio {key} {audio.get(key)!r} not supported: CIC takes 16 kHz 16-bit mono "
                f"little-endian PCM ({AUDIO})"
            )
    initiator = obj.get("initiator")
    if initiator is not None:
        if not isinstance(initiator, dict):
            raise BadRequest("'initiator' must be an object: type, inputSource, wakeWord")
        try:  # as CIC will see it, the daemon's deviceUUID added
            initiator_of(initiator, CHECKED_BY_THE_DAEMON)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise BadRequest(f"initiator.{where}: {first['msg']}") from None
    lang = obj.get("lang")
    if lang is not None and lang not in ("ko", "en", "ja"):
        raise BadRequest(f"lang {lang!r} not supported (ko, en, ja)")
    answer = obj.get("answer", False)
    if not isinstance(answer, bool):
        raise BadRequest("'answer' must be true or false")
    return VoiceRequest(False, initiator, lang, answer)


class Line:
    """Writes JSON lines to one local client; a gone client is only logged once."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.gone = False

    def __call__(self, obj: JsonObject) -> None:
        if self.gone or self._writer.is_closing():
            self.gone = True
            return
        try:
            self._writer.write(encode(obj))
        except (ConnectionError, OSError, RuntimeError):
            self.gone = True


async def serve_voice(
    request: VoiceRequest,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    agent: SpeechRecognizerAgent,
) -> None:
    """Serve one voice connection until its recognition is over (or, for ``listen``, until the
    client goes)."""
    tell = Line(writer)
    if request.listen:
        agent.listeners.add(tell)
        log.info("voice.listening", listeners=len(agent.listeners))
        try:
            while await reader.read(4096):
                pass  # nothing is expected from a listener; EOF ends it
        finally:
            agent.listeners.discard(tell)
        return
    try:
        recognition = await agent.begin(
            tell, request.initiator, answer=request.answer, lang=request.lang
        )
    except RecognitionRefused as exc:
        log.info("voice.refused", reason=str(exc))
        tell({"event": "error", "reason": str(exc)})
        await _finish(writer, _discard_frames(reader))
        return
    pump = asyncio.create_task(_pump(reader, recognition, agent), name="voice audio")
    try:
        await agent.wait_done(recognition)
        await _finish(writer, pump)
    except asyncio.CancelledError:  # the daemon stops: no Recognize left waiting for audio
        await asyncio.shield(agent.abandon(recognition))
        raise
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump


async def _finish(writer: asyncio.StreamWriter, reading: Awaitable[None]) -> None:
    """The last line is out: half-close, then read what the client still sends up to its end
    frame (a few seconds at most), so unread audio does not make the kernel reset the
    connection before the client has read its lines."""
    with contextlib.suppress(ConnectionError, OSError, RuntimeError):
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    with contextlib.suppress(TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError):
        await asyncio.wait_for(reading, AUDIO_IDLE_S)


async def _discard_frames(reader: asyncio.StreamReader) -> None:
    while size := int.from_bytes(await reader.readexactly(4), "big"):
        if size > MAX_FRAME_BYTES:
            return
        await reader.readexactly(size)


async def _pump(
    reader: asyncio.StreamReader, recognition: Recognition, agent: SpeechRecognizerAgent
) -> None:
    """Frames in, until the end frame (the audio ends) or the connection ends (vanished)."""
    while True:
        try:
            async with asyncio.timeout(AUDIO_IDLE_S):
                size = int.from_bytes(await reader.readexactly(4), "big")
                if size > MAX_FRAME_BYTES:
                    recognition.tell({"event": "error", "reason": f"frame over {MAX_FRAME_BYTES}"})
                    await agent.abandon(recognition)
                    return
                data = await reader.readexactly(size) if size else b""
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            await agent.abandon(recognition)
            return
        except TimeoutError:
            if recognition.ended is None:
                log.warning("voice.audio_idle", reason=f"no audio frame for {AUDIO_IDLE_S:g} s")
                await agent.abandon(recognition)
            return
        if not size:
            agent.end_audio(recognition)
            return
        agent.feed(recognition, data)
