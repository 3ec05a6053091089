"""SpeechRecognizer's ExpectSpeech: told to the recognition and the listeners, the focus held
until it is answered (speechId, the same dialog) or its timeout passes on the clock."""

from __future__ import annotations

import pytest

from clova_client.agents.recognition import PART_BYTES, Recognition
from clova_client.agents.speech_recognizer import EXPECTING, LISTENING, RecognitionRefused
from clova_client.protocol import Event
from tests.agents.voice_rig import (
    Logs,
    Told,
    VoiceRig,
    begin,
    expect_speech,
    feed,
    holders,
    pcm,
    recognize,
    speak,
)

MP3 = {"c1": b"ID3-one"}


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
