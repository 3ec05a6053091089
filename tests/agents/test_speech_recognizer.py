"""SpeechRecognizer: a local client's audio out as Recognize parts, CIC's StopCapture /
ExpectSpeech told back, barge-in, the ExpectSpeech timeout on the clock, and failures."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import pytest
import structlog

from clova_client.agents.recognition import PART_BYTES, AudioEnd, Recognition
from clova_client.agents.speech_recognizer import EXPECTING, LISTENING, RecognitionRefused
from clova_client.cic.streamed import NotConnected
from clova_client.protocol import Event
from clova_client.protocol.speech import Initiator
from tests.agents.voice_rig import (
    Told,
    VoiceRig,
    directive,
    expect_speech,
    make_rig,
    speak,
    stop_capture,
)

Logs = list[MutableMapping[str, Any]]
MP3 = {"c1": b"ID3-one"}
WAKE = Initiator.model_validate(
    {
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
)


@pytest.fixture
def logs() -> Iterator[Logs]:
    with structlog.testing.capture_logs() as captured:
        yield captured


@pytest.fixture
async def rig() -> AsyncIterator[VoiceRig]:
    made = await make_rig()
    yield made
    await made.close()


def pcm(n: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(n)


async def begin(rig: VoiceRig, told: Told | None = None, **kwargs: Any) -> tuple[Recognition, Told]:
    told = told if told is not None else Told()
    recognition = await rig.recognizer.begin(told, **kwargs)
    await rig.settle()
    return recognition, told


async def feed(rig: VoiceRig, recognition: Recognition, data: bytes) -> None:
    rig.recognizer.feed(recognition, data)
    await rig.settle()


def holders(rig: VoiceRig) -> set[str]:
    """The focus holders by kind (a holder named per recognition, "listening..." counts as
    ``listening``)."""
    return {LISTENING if h.startswith(LISTENING) else h for h in rig.focus.holders}


def recognize(rig: VoiceRig, n: int = -1) -> Event:
    return rig.stream.events[n]


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


# --- ExpectSpeech ------------------------------------------------------------------------------


async def answered_with_expect_speech(
    rig: VoiceRig, timeout_ms: int = 8000, *, with_speech: bool = False
) -> tuple[Recognition, Told, Told]:
    listener = Told()
    rig.recognizer.listeners.add(listener)

    async def answer(event: Event) -> None:
        dialog = event.header.dialog_request_id
        if with_speech:
            await rig.router.dispatch(speak("t1", dialog=dialog, cid="c1"), MP3)
        await rig.router.dispatch(expect_speech("es-1", timeout_ms, dialog=dialog, mid="m-es"))

    rig.stream.answer = answer
    recognition, told = await begin(rig)
    await feed(rig, recognition, pcm(PART_BYTES))
    rig.recognizer.end_audio(recognition)
    await rig.settle()
    return recognition, told, listener


async def test_expect_speech_is_told_holds_the_focus_and_times_out_with_nothing_sent(
    rig: VoiceRig, logs: Logs
) -> None:
    recognition, told, listener = await answered_with_expect_speech(rig, 8000)
    dialog = recognition.dialog_request_id
    line = {
        "event": "ExpectSpeech",
        "dialogRequestId": dialog,
        "expectSpeechId": "es-1",
        "explicit": True,
        "timeoutInMilliseconds": 8000,
    }
    assert line in told.lines and listener.lines == [line]
    assert told.events()[-1] == "finished"
    assert holders(rig) == {EXPECTING} and rig.mixer.ducked
    assert rig.recognizer.expected is not None

    await rig.run(7.99)
    assert rig.focus.held and listener.lines == [line]
    await rig.run(0.02)
    assert listener.lines[-1] == {
        "event": "ExpectSpeechTimedOut",
        "dialogRequestId": dialog,
        "expectSpeechId": "es-1",
    }
    assert rig.recognizer.expected is None
    assert not rig.focus.held and not rig.mixer.ducked
    assert len(rig.stream.events) == 1 and rig.sent == []  # nothing was sent
    timed_out = next(e for e in logs if e["event"] == "expect_speech.timed_out")
    assert timed_out["expect_speech_id"] == "es-1"


async def test_expect_speech_after_a_speak_waits_for_it_and_its_timeout_starts_then(
    rig: VoiceRig,
) -> None:
    _, told, listener = await answered_with_expect_speech(rig, 5000, with_speech=True)
    assert listener.lines == []  # held behind the speech
    assert "finished" not in told.events()
    rig.speech_out.emit_time(0)
    await rig.run(30.0)  # a long answer: no timeout runs while it speaks
    assert rig.recognizer.expected is None and listener.lines == []
    rig.speech_out.emit_ended()
    await rig.settle()
    assert [line["event"] for line in listener.lines] == ["ExpectSpeech"]
    assert told.events()[-1] == "finished"
    assert holders(rig) == {EXPECTING}
    await rig.run(4.99)
    assert listener.events() == ["ExpectSpeech"]
    await rig.run(0.02)
    assert listener.events() == ["ExpectSpeech", "ExpectSpeechTimedOut"]
    assert not rig.focus.held


async def test_the_answer_carries_the_speech_id_and_the_same_dialog(rig: VoiceRig) -> None:
    first, _, listener = await answered_with_expect_speech(rig, 8000)
    rig.stream.answer = None
    await rig.run(3.0)
    answer, told = await begin(rig, answer=True)
    event = recognize(rig)
    assert len(rig.stream.events) == 2
    assert event.header.dialog_request_id == first.dialog_request_id
    assert answer.dialog_request_id == first.dialog_request_id
    assert event.payload["speechId"] == "es-1" and event.payload["explicit"] is True
    assert answer.speech_id == "es-1"
    assert rig.recognizer.expected is None
    assert holders(rig) == {LISTENING} and rig.mixer.ducked
    await rig.run(10.0)  # the old timeout never fires
    assert "ExpectSpeechTimedOut" not in listener.events()
    assert told.events() == ["started"]


async def test_an_answer_with_nothing_pending_is_refused(rig: VoiceRig) -> None:
    told = Told()
    with pytest.raises(RecognitionRefused, match="no ExpectSpeech is waiting"):
        await rig.recognizer.begin(told, answer=True)
    assert rig.stream.events == [] and told.lines == []
    assert not rig.focus.held and rig.router.dialogs.current is None


async def test_a_bad_language_is_refused_before_anything(rig: VoiceRig) -> None:
    with pytest.raises(RecognitionRefused, match="bad recognition"):
        await rig.recognizer.begin(Told(), lang="fr")
    assert rig.stream.events == [] and not rig.focus.held


async def test_a_new_recognition_forgets_a_pending_expect_speech(rig: VoiceRig) -> None:
    await answered_with_expect_speech(rig, 8000)
    rig.stream.answer = None
    second, _ = await begin(rig)  # not an answer: a new dialog
    assert rig.recognizer.expected is None
    assert "speechId" not in recognize(rig).payload
    assert holders(rig) == {LISTENING}
    rig.recognizer.end_audio(second)
    await rig.run(10.0)
    assert not rig.focus.held


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
