"""SpeechRecognizer: a local client's audio out as Recognize parts, CIC's StopCapture /
ExpectSpeech told back, barge-in, the ExpectSpeech timeout on the clock, and failures."""

from __future__ import annotations

from typing import Any

import pytest

from clova_client.agents.recognition import PART_BYTES, AudioEnd
from clova_client.agents.speech_recognizer import LISTENING
from clova_client.cic.streamed import NotConnected
from clova_client.protocol import Event
from tests.agents.voice_rig import (
    Logs,
    Told,
    VoiceRig,
    begin,
    directive,
    feed,
    holders,
    pcm,
    recognize,
    speak,
    stop_capture,
)

MP3 = {"c1": b"ID3-one"}
WAKE: dict[str, Any] = {
    "type": "WAKEWORD",
    "inputSource": "SELF",
    "payload": {
        "deviceUUID": "dev-1",
        "wakeWord": {
            "name": "clova",
            "indices": {"startIndexInSamples": 10, "endIndexInSamples": 8000},
        },
    },
}


# --- the audio ---------------------------------------------------------------------------------


async def test_the_audio_goes_out_in_200_ms_parts_as_it_arrives(rig: VoiceRig) -> None:
    recognition, told = await begin(rig, initiator=WAKE)
    assert holders(rig) == {LISTENING} and rig.mixer.ducked
    event = recognize(rig)
    dialog = recognition.dialog_request_id
    assert event.full_name == "SpeechRecognizer.Recognize"
    assert event.header.dialog_request_id == dialog == rig.router.dialogs.current
    assert event.payload["lang"] == "ko"
    assert event.payload["format"] == "AUDIO_L16_RATE_16000_CHANNELS_1"
    assert event.payload["initiator"]["payload"]["wakeWord"]["indices"] == {
        "startIndexInSamples": 10,
        "endIndexInSamples": 8000,
    }
    assert "speechId" not in event.payload
    assert told.lines == [
        {"event": "started", "dialogRequestId": dialog, "messageId": event.message_id}
    ]

    audio = pcm(19_005)  # an odd last byte: half a sample
    sizes = [1, 999, 3001, 7000, 2, 8001, 1]
    assert sum(sizes) == len(audio)
    at = 0
    for step, size in enumerate(sizes):
        rig.clock.advance(0.1)
        await feed(rig, recognition, audio[at : at + size])
        at += size
        if step == 2:  # 4001 bytes so far: no part yet
            assert rig.stream.parts == []
        if step == 3:  # 11001: one part, sent as its last byte came
            [(sent_at, part)] = rig.stream.parts
            assert sent_at == pytest.approx(0.4) and len(part) == PART_BYTES
    rig.recognizer.end_audio(recognition)
    await rig.settle()
    assert [len(p) for _, p in rig.stream.parts] == [PART_BYTES, PART_BYTES, 6204]
    assert rig.stream.audio == audio[:19_004]
    assert recognition.received == 19_005 and recognition.sent_parts == 3
    assert recognition.ended is AudioEnd.LOCAL
    assert recognition.first_byte_at == pytest.approx(0.1)
    assert told.events() == ["started", "answered", "finished"]
    assert rig.recognizer.current is None
    assert not rig.focus.held and not rig.mixer.ducked  # nothing to say: music back


async def test_stop_capture_of_the_current_dialog_ends_the_audio_and_is_told(
    rig: VoiceRig, logs: Logs
) -> None:
    listener = Told()
    rig.recognizer.listeners.add(listener)
    recognition, told = await begin(rig)
    dialog = recognition.dialog_request_id
    await feed(rig, recognition, pcm(7000))
    await rig.dispatch(stop_capture(dialog=dialog, text="play music"))
    assert recognition.ended is AudioEnd.STOP_CAPTURE
    assert rig.stream.audio_ended.is_set()
    line = {"event": "StopCapture", "dialogRequestId": dialog, "recognizedText": "play music"}
    assert line in told.lines and listener.lines == [line]
    await feed(rig, recognition, pcm(7000, seed=2))  # the microphone was slow to close
    assert rig.stream.audio == pcm(7000)
    audio_end = next(e for e in logs if e["event"] == "recognize.audio_end")
    assert audio_end["reason"] == "CIC sent StopCapture" and audio_end["bytes"] == 7000


async def test_stop_capture_ends_the_audio_at_once(rig: VoiceRig) -> None:
    """Audio the client gave that has not gone out yet when StopCapture comes (a slow
    connection, a client faster than real time) is not sent after it: CIC has heard enough."""
    recognition, _ = await begin(rig)
    await feed(rig, recognition, pcm(PART_BYTES, seed=1))
    assert len(rig.stream.parts) == 1
    rig.recognizer.feed(recognition, pcm(4 * PART_BYTES, seed=2))  # not sent yet
    await rig.router.dispatch(stop_capture(dialog=recognition.dialog_request_id))
    await rig.settle()
    assert rig.stream.audio_ended.is_set()
    assert len(rig.stream.parts) == 1, "audio went out after StopCapture"


async def test_stop_capture_of_another_dialog_is_ignored(rig: VoiceRig, logs: Logs) -> None:
    recognition, told = await begin(rig)
    await rig.dispatch(stop_capture(dialog="someone-else"))
    await rig.dispatch(stop_capture(dialog=None, mid="m-none"))
    assert recognition.ended is None and not rig.stream.audio_ended.is_set()
    assert told.events() == ["started"]
    ignored = [e for e in logs if e["event"] == "recognize.stop_capture_ignored"]
    assert len(ignored) == 2
    await feed(rig, recognition, pcm(PART_BYTES))
    assert len(rig.stream.parts) == 1


async def test_keep_recording_and_recognized_text_are_told(rig: VoiceRig) -> None:
    listener = Told()
    rig.recognizer.listeners.add(listener)
    recognition, told = await begin(rig)
    dialog = recognition.dialog_request_id
    await rig.dispatch(directive("SpeechRecognizer", "KeepRecording", mid="m-k", dialog=dialog))
    await rig.dispatch(
        directive(
            "SpeechRecognizer", "ShowRecognizedText", {"text": "pla"}, mid="m-t", dialog=dialog
        )
    )
    assert (
        told.lines[1:]
        == listener.lines
        == [
            {"event": "KeepRecording", "dialogRequestId": dialog},
            {"event": "ShowRecognizedText", "text": "pla"},
        ]
    )
    assert recognition.ended is None


# --- barge-in --------------------------------------------------------------------------------


async def test_a_new_recognition_wins_and_supersedes_the_old_dialog(
    rig: VoiceRig, logs: Logs
) -> None:
    first, told1 = await begin(rig)
    old = first.dialog_request_id
    await feed(rig, first, pcm(PART_BYTES))
    # the old dialog is answering: its speech plays, a directive waits behind it
    await rig.dispatch(speak("t1", dialog=old, cid="c1"), MP3)
    await rig.dispatch(directive("Vendor", "Custom", {}, mid="m-held", dialog=old))
    rig.speech_out.emit_time(0)
    await rig.settle()

    second, told2 = await begin(rig)
    assert second.dialog_request_id != old
    assert rig.router.dialogs.current == second.dialog_request_id
    assert rig.recognizer.current is second
    assert first.ended is AudioEnd.SUPERSEDED
    assert rig.stream.cancelled == [old]  # its request cut off
    assert told1.last("error") == {"event": "error", "reason": "superseded by a newer recognition"}
    assert rig.speech_events() == [("SpeechStarted", "t1"), ("SpeechStopped", "t1")]
    dropped = [e["message_id"] for e in logs if e["event"] == "directive_dropped"]
    assert dropped == ["m-held"] and rig.handled == []
    assert told2.events() == ["started"]
    await feed(rig, second, pcm(PART_BYTES, seed=3))
    assert rig.stream.parts[-1][1] == pcm(PART_BYTES, seed=3)
    # a late directive of the old dialog is stale
    await rig.dispatch(directive("Vendor", "Custom", {}, mid="m-late", dialog=old))
    assert rig.handled == []


async def test_a_new_recognition_keeps_the_music_down(rig: VoiceRig) -> None:
    """Barge-in: the superseded recognition's end must not give back the new one's focus."""
    first, _ = await begin(rig)
    await feed(rig, first, pcm(100))
    second, _ = await begin(rig)
    assert rig.recognizer.current is second and second.ended is None
    assert LISTENING in holders(rig), "the new recognition lost its focus"
    assert rig.mixer.ducked, "music came back while the user speaks"


# --- failures --------------------------------------------------------------------------------


async def test_not_connected_tells_error_and_lets_the_focus_go(rig: VoiceRig, logs: Logs) -> None:
    rig.stream.raises = NotConnected("the connection is DISCONNECTED")
    recognition, told = await begin(rig)
    assert told.events() == ["started", "error"]
    assert "Recognize not sent: the connection is DISCONNECTED" in told.last("error")["reason"]
    assert recognition.ended is not None
    assert rig.recognizer.current is None
    assert not rig.focus.held and not rig.mixer.ducked
    assert any(e["event"] == "recognize.failed" for e in logs)


async def test_a_failing_answer_tells_error_and_lets_the_focus_go(rig: VoiceRig) -> None:
    rig.stream.status, rig.stream.problem = 400, "bad audio"
    recognition, told = await begin(rig)
    rig.recognizer.end_audio(recognition)
    await rig.settle()
    assert told.last("error") == {"event": "error", "reason": "CIC answered 400: bad audio"}
    assert "finished" not in told.events()
    assert rig.recognizer.current is None and not rig.focus.held


async def test_abandon_cuts_the_request_off(rig: VoiceRig, logs: Logs) -> None:
    recognition, told = await begin(rig)
    await feed(rig, recognition, pcm(PART_BYTES + 10))
    await rig.recognizer.abandon(recognition)
    await rig.settle()
    assert recognition.ended is AudioEnd.VANISHED
    assert rig.stream.cancelled == [recognition.dialog_request_id]
    assert not rig.stream.audio_ended.is_set()  # no closing boundary: CIC gets no utterance
    assert rig.recognizer.current is None and not rig.focus.held
    assert told.events() == ["started"]
    line = next(e for e in logs if e["event"] == "recognize.abandoned")
    assert line["bytes"] == PART_BYTES + 10


async def test_abandon_after_the_audio_ended_leaves_the_answer_alone(rig: VoiceRig) -> None:
    import asyncio

    rig.stream.hold = asyncio.Event()
    recognition, told = await begin(rig)
    rig.recognizer.end_audio(recognition)
    await rig.settle()
    await rig.recognizer.abandon(recognition)  # the client went after its end frame
    rig.stream.hold.set()
    await rig.settle()
    assert rig.stream.cancelled == [] and told.events() == ["started", "answered", "finished"]


async def test_finished_waits_for_the_answer_to_be_spoken(rig: VoiceRig) -> None:
    async def answer(event: Event) -> None:
        await rig.router.dispatch(speak("t1", dialog=event.header.dialog_request_id, cid="c1"), MP3)

    rig.stream.answer = answer
    recognition, told = await begin(rig)
    rig.recognizer.end_audio(recognition)
    await rig.settle()
    assert told.events() == ["started", "answered"]
    assert holders(rig) == {"speech"} and rig.mixer.ducked  # no gap between the two
    rig.speech_out.emit_time(0)
    rig.speech_out.emit_ended()
    await rig.settle()
    assert told.events() == ["started", "answered", "finished"]
    assert not rig.focus.held
