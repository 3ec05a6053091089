"""Voice protocol 1 over a real Unix socket: the real ControlServer and SpeechRecognizerAgent
(Recognize goes to a fake stream)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from clova_client.agents.recognition import PART_BYTES, AudioEnd
from clova_client.cic.streamed import NotConnected
from clova_client.control import ControlServer
from clova_client.control.voice import MAX_FRAME_BYTES
from clova_client.protocol import Event
from tests.agents.voice_rig import Logs, VoiceRig, expect_speech, stop_capture_after
from tests.control.voice_client import (
    AUDIO,
    END,
    FORMAT,
    Client,
    frame,
    header,
    pcm,
    refused,
    until,
)

from .conftest import StubHandler


@pytest.fixture
async def server(
    sock_path: Path, handler: StubHandler, rig: VoiceRig
) -> AsyncIterator[ControlServer]:
    async with ControlServer(sock_path, handler, rig.recognizer) as running:
        yield running


# --- the header --------------------------------------------------------------------------------


BAD_HEADERS = [
    ({"v": 2}, "voice protocol version 2 unknown (this daemon: 1)"),
    ({"v": None}, "voice protocol version None unknown (this daemon: 1)"),
    ({"audio": None}, f"recognize needs 'audio': {AUDIO}"),
    ({"audio": AUDIO | {"rate": 44100}}, f"audio rate 44100 not supported: {FORMAT}"),
    ({"audio": AUDIO | {"channels": 2}}, f"audio channels 2 not supported: {FORMAT}"),
    ({"audio": AUDIO | {"encoding": "s24le"}}, f"audio encoding 's24le' not supported: {FORMAT}"),
    ({"audio": {"rate": 16000, "channels": 1}}, f"audio encoding None not supported: {FORMAT}"),
    ({"initiator": {"type": "SHOUT", "inputSource": "SELF"}}, "initiator.type: "),
    ({"initiator": {"type": "TAP", "inputSource": "MIC"}}, "initiator.inputSource: "),
    ({"lang": "fr"}, "lang 'fr' not supported (ko, en, ja)"),
    ({"answer": "yes"}, "'answer' must be true or false"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_HEADERS)
async def test_a_bad_header_is_refused_with_a_clear_message(
    server: ControlServer, sock_path: Path, rig: VoiceRig, fields: dict[str, Any], message: str
) -> None:
    [line] = await refused(sock_path, header(**fields))
    assert line["ok"] is False
    assert line["error"].startswith(message), line["error"]
    assert rig.stream.events == [] and not rig.focus.held


async def test_a_listen_of_another_version_is_refused(
    server: ControlServer, sock_path: Path
) -> None:
    [line] = await refused(sock_path, {"cmd": "listen", "v": 3})
    assert line == {"ok": False, "error": "voice protocol version 3 unknown (this daemon: 1)"}


async def test_a_daemon_without_voice_refuses(sock_path: Path, handler: StubHandler) -> None:
    async with ControlServer(sock_path, handler):
        [line] = await refused(sock_path, header())
    assert line == {"ok": False, "error": "this daemon takes no recognitions"}


async def test_an_answer_with_nothing_pending_is_told(
    server: ControlServer, sock_path: Path, rig: VoiceRig
) -> None:
    lines = await refused(sock_path, header(answer=True))
    assert lines == [{"event": "error", "reason": "no ExpectSpeech is waiting for an answer"}]
    assert rig.stream.events == []


# --- the audio -------------------------------------------------------------------------------


async def test_frames_flow_into_the_stream_and_the_end_frame_ends_the_audio(
    server: ControlServer, sock_path: Path, rig: VoiceRig
) -> None:
    initiator = {"type": "WAKEWORD", "inputSource": "SELF"}
    client = await Client.open(sock_path, header(initiator=initiator, lang="en"))
    started = await client.line()
    assert started["event"] == "started"
    event = rig.stream.events[0]
    assert started["dialogRequestId"] == event.header.dialog_request_id
    assert started["messageId"] == event.message_id
    assert event.payload["lang"] == "en" and event.payload["initiator"] == initiator

    audio = pcm(3 * PART_BYTES + 101)
    await client.send(frame(audio[:1000]), frame(audio[1000:6000]))
    await until(lambda: rig.stream.parts == [], rig)
    await client.send(frame(audio[6000:6400]))
    await until(lambda: len(rig.stream.parts) == 1, rig)
    await client.send(frame(audio[6400:]), END)
    await until(lambda: rig.stream.audio_ended.is_set(), rig)
    assert rig.stream.audio == audio[:-1]  # the odd last byte is half a sample
    assert [len(p) for _, p in rig.stream.parts] == [PART_BYTES] * 3 + [100]
    assert [line["event"] for line in await client.rest()] == ["answered", "finished"]
    await client.close()


async def test_stop_capture_is_told_on_the_connection(
    server: ControlServer, sock_path: Path, rig: VoiceRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop_capture_after(rig, 2, "weather")
    rig.stream.hold = asyncio.Event()  # CIC answers once the microphone has closed
    end_frames: list[object] = []
    end_audio = rig.recognizer.end_audio

    def noting_end(recognition: Any) -> None:
        end_frames.append(recognition)
        end_audio(recognition)

    monkeypatch.setattr(rig.recognizer, "end_audio", noting_end)
    client = await Client.open(sock_path, header())
    started = await client.line()
    await client.send(*(frame(pcm(PART_BYTES, seed=n)) for n in range(2)))
    assert await client.line() == {
        "event": "StopCapture",
        "dialogRequestId": started["dialogRequestId"],
        "recognizedText": "weather",
    }
    await client.send(frame(pcm(PART_BYTES, seed=9)), END)  # one more before the mic closed
    await until(lambda: end_frames, rig)  # the daemon read them all
    rig.stream.hold.set()
    assert [line["event"] for line in await client.rest()] == ["answered", "finished"]
    assert len(rig.stream.parts) == 2
    await client.close()


async def test_a_client_that_vanishes_mid_stream_is_abandoned(
    server: ControlServer, sock_path: Path, rig: VoiceRig, logs: Logs
) -> None:
    client = await Client.open(sock_path, header())
    started = await client.line()
    await client.send(frame(pcm(PART_BYTES)), b"\x00\x00")  # half a length prefix, then gone
    await until(lambda: len(rig.stream.parts) == 1, rig)
    recognition = rig.recognizer.current
    assert recognition is not None
    await client.close()
    await until(lambda: rig.recognizer.current is None, rig)
    assert recognition.ended is AudioEnd.VANISHED
    assert rig.stream.cancelled == [started["dialogRequestId"]]
    assert not rig.stream.audio_ended.is_set()
    assert not rig.focus.held
    assert any(e["event"] == "recognize.abandoned" for e in logs)


async def test_a_frame_too_large_is_told_and_abandoned(
    server: ControlServer, sock_path: Path, rig: VoiceRig
) -> None:
    client = await Client.open(sock_path, header())
    await client.line()
    await client.send((MAX_FRAME_BYTES + 1).to_bytes(4, "big"))
    assert await client.rest() == [{"event": "error", "reason": f"frame over {MAX_FRAME_BYTES}"}]
    assert rig.stream.cancelled and rig.recognizer.current is None and not rig.focus.held
    await client.close()


async def test_a_frame_of_the_largest_size_is_taken(
    server: ControlServer, sock_path: Path, rig: VoiceRig
) -> None:
    client = await Client.open(sock_path, header())
    await client.line()
    audio = pcm(MAX_FRAME_BYTES)
    await client.send(frame(audio), END)
    assert [line["event"] for line in await client.rest()] == ["answered", "finished"]
    assert rig.stream.audio == audio
    await client.close()


async def test_not_connected_is_told_and_the_connection_closed(
    server: ControlServer, sock_path: Path, rig: VoiceRig
) -> None:
    rig.stream.raises = NotConnected("the connection is BACKOFF")
    client = await Client.open(sock_path, header())
    lines = await client.rest()
    assert [line["event"] for line in lines] == ["started", "error"]
    assert "Recognize not sent: the connection is BACKOFF" in lines[1]["reason"]
    await client.close()


async def test_a_turn_that_ends_while_the_client_streams_still_reaches_it(
    server: ControlServer, sock_path: Path, rig: VoiceRig
) -> None:
    """A client faster than real time (a file sent with --fast, a buffered microphone) has
    audio on its way when the turn ends at once (here: no connection to CIC). It must still
    read the daemon's lines and then an orderly end: a close with its audio unread is a
    connection reset, and an asyncio client then loses the lines it had not read yet."""
    rig.stream.raises = NotConnected("the connection is BACKOFF")
    client = await Client.open(sock_path, header())
    audio = b"".join(frame(pcm(PART_BYTES, seed=n)) for n in range(400))
    with contextlib.suppress(ConnectionResetError, BrokenPipeError):
        await client.send(audio, END)  # the daemon may stop reading: its lines must remain
    lines = []
    try:
        while raw := await asyncio.wait_for(client.reader.readline(), 10):
            lines.append(json.loads(raw))
    except ConnectionResetError:
        pytest.fail(f"connection reset after {lines}: the daemon closed with audio unread")
    assert [line["event"] for line in lines] == ["started", "error"]
    client.writer.close()


async def test_a_second_connection_wins_and_the_first_is_told_and_closed(
    server: ControlServer, sock_path: Path, rig: VoiceRig
) -> None:
    first = await Client.open(sock_path, header())
    old = (await first.line())["dialogRequestId"]
    await first.send(frame(pcm(PART_BYTES)))
    await until(lambda: len(rig.stream.parts) == 1, rig)
    second = await Client.open(sock_path, header())
    new = (await second.line())["dialogRequestId"]
    assert new != old and rig.router.dialogs.current == new
    assert await first.rest() == [{"event": "error", "reason": "superseded by a newer recognition"}]
    assert rig.stream.cancelled == [old]
    await second.send(frame(pcm(PART_BYTES, seed=5)), END)
    assert [line["event"] for line in await second.rest()] == ["answered", "finished"]
    assert rig.stream.parts[-1][1] == pcm(PART_BYTES, seed=5)
    await first.close()
    await second.close()


# --- listen ----------------------------------------------------------------------------------


async def test_listen_is_told_expect_speech_and_its_timeout(
    server: ControlServer, sock_path: Path, rig: VoiceRig
) -> None:
    listen = await Client.open(sock_path, {"cmd": "listen", "v": 1})
    await until(lambda: len(rig.recognizer.listeners) == 1, rig)

    async def answer(event: Event) -> None:
        dialog = event.header.dialog_request_id
        await rig.router.dispatch(expect_speech("es-9", 6000, dialog=dialog, mid="m-es"))

    rig.stream.answer = answer
    client = await Client.open(sock_path, header())
    started = await client.line()
    await client.send(frame(pcm(PART_BYTES)), END)
    lines = await client.rest()
    expect = {
        "event": "ExpectSpeech",
        "dialogRequestId": started["dialogRequestId"],
        "expectSpeechId": "es-9",
        "explicit": True,
        "timeoutInMilliseconds": 6000,
    }
    assert [line["event"] for line in lines] == ["ExpectSpeech", "answered", "finished"]
    assert lines[0] == expect
    assert await listen.line() == expect
    await rig.run(6.01)
    assert await listen.line() == {
        "event": "ExpectSpeechTimedOut",
        "dialogRequestId": started["dialogRequestId"],
        "expectSpeechId": "es-9",
    }
    await listen.close()
    await until(lambda: not rig.recognizer.listeners, rig)
    await client.close()
