"""SpeechSynthesizer: Speak played (attachment from memory, URL, HLS) one at a time after its
pause, SpeechStarted at the first sound, Finished / Stopped, the SpeechState context, and a
speech that never sounds sending nothing while its dialog goes on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from clova_client.agents.router import Outcome
from clova_client.player.backend import BackendEvent, BackendEventType, MediaSource
from clova_client.player.backends.fake import FakeMedia
from clova_client.protocol import Event
from tests.agents.voice_rig import (
    HLS,
    HLS_URL,
    MEMORY,
    MISSING_URL,
    TTS_URL,
    Logs,
    VoiceRig,
    directive,
    make_rig,
    speak,
    speech_state,
)

RigFactory = Callable[..., Awaitable[VoiceRig]]
SPEECH = {
    MEMORY: FakeMedia(1500),
    TTS_URL: FakeMedia(2000),
    HLS_URL: FakeMedia(3000),
    MISSING_URL: FakeMedia(1000, "404"),
}
MP3 = {"c1": b"ID3-one", "c2": b"ID3-two"}


@pytest.fixture
async def new_rig() -> AsyncIterator[RigFactory]:
    made: list[VoiceRig] = []

    async def factory(**kwargs: Any) -> VoiceRig:
        rig = await make_rig(**kwargs)
        made.append(rig)
        return rig

    yield factory
    for rig in made:
        await rig.close()


def custom(mid: str, dialog: str | None = None) -> bytes:
    return directive("Vendor", "Custom", {}, mid=mid, dialog=dialog)


def activity(event: Event) -> Any:
    state = speech_state(event)
    return (state or {}).get("playerActivity"), (state or {}).get("token")


async def test_an_attachment_plays_from_memory_and_started_waits_for_the_first_sound(
    new_rig: RigFactory,
) -> None:
    rig = await new_rig()
    assert rig.synth.context() is None  # no SpeechState before the first Speak
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    [source] = rig.played()
    assert isinstance(source, MediaSource)
    assert source.data == b"ID3-one" and source.url == MEMORY
    assert rig.sent == []

    rig.speech_out.emit_playing()
    rig.speech_out.emit_length(1500)
    await rig.settle()
    assert rig.sent == []  # PLAYING is no proof of sound

    rig.speech_out.emit_time(0)
    await rig.settle()
    rig.speech_out.emit_time(250)
    await rig.settle()
    assert rig.speech_events() == [("SpeechStarted", "t1")]
    assert activity(rig.sent[0]) == ("PLAYING", "t1")
    assert rig.sent[0].header.dialog_request_id is None

    rig.speech_out.emit_ended()
    await rig.settle()
    assert rig.speech_events() == [("SpeechStarted", "t1"), ("SpeechFinished", "t1")]
    assert activity(rig.sent[1]) == ("FINISHED", "t1")
    assert rig.synth.context() == {
        "header": {"namespace": "SpeechSynthesizer", "name": "SpeechState"},
        "payload": {"token": "t1", "playerActivity": "FINISHED"},
    }
    assert not rig.synth.speaking and not rig.focus.held


@pytest.mark.parametrize(
    ("url", "content_type", "length_s"), [(TTS_URL, None, 2.0), (HLS_URL, HLS, 3.0)]
)
async def test_a_url_or_hls_speech_plays_to_its_end(
    new_rig: RigFactory, url: str, content_type: str | None, length_s: float
) -> None:
    rig = await new_rig(speech_media=SPEECH)
    await rig.dispatch(speak("t1", dialog="D", url=url, content_type=content_type))
    await rig.run(length_s + 0.5)
    [source] = rig.played()
    assert isinstance(source, MediaSource) and source.url == url and source.data is None
    assert rig.speech_events() == [("SpeechStarted", "t1"), ("SpeechFinished", "t1")]
    assert rig.time_of("SpeechStarted", "t1") == pytest.approx(0.0, abs=0.01)
    assert rig.time_of("SpeechFinished", "t1") == pytest.approx(length_s, abs=0.01)


async def test_pause_before_delays_the_start_on_the_clock(new_rig: RigFactory) -> None:
    rig = await new_rig(speech_media=SPEECH)
    await rig.dispatch(speak("t1", cid="c1", pause_ms=700), MP3)
    assert rig.focus.held  # the music goes down at once, before the pause
    await rig.run(0.69)
    assert rig.played() == [] and rig.sent == []
    await rig.run(0.02)
    assert len(rig.played()) == 1
    assert rig.time_of("SpeechStarted", "t1") == pytest.approx(0.7, abs=0.01)
    await rig.run(2.0)
    assert rig.time_of("SpeechFinished", "t1") == pytest.approx(2.2, abs=0.01)


async def test_a_second_speak_waits_for_the_first(new_rig: RigFactory) -> None:
    rig = await new_rig(speech_media=SPEECH)
    await rig.dispatch(speak("t1", cid="c1"), MP3)
    await rig.dispatch(speak("t2", url=TTS_URL, pause_ms=100))
    await rig.run(1.0)
    assert len(rig.played()) == 1
    await rig.run(3.0)
    assert [getattr(s, "url", None) for s in rig.played()] == [MEMORY, TTS_URL]
    assert rig.speech_events() == [
        ("SpeechStarted", "t1"),
        ("SpeechFinished", "t1"),
        ("SpeechStarted", "t2"),
        ("SpeechFinished", "t2"),
    ]
    assert rig.time_of("SpeechStarted", "t2") == pytest.approx(
        1.6, abs=0.01
    )  # 1.5 + its 100 ms pause
    assert rig.time_of("SpeechFinished", "t2") == pytest.approx(3.6, abs=0.01)
    assert not rig.focus.held


async def test_a_missing_attachment_sends_nothing_and_blocks_nothing(
    new_rig: RigFactory, logs: Logs
) -> None:
    rig = await new_rig(speech_media=SPEECH)
    assert await rig.dispatch(speak("t1", dialog="D", cid="nowhere"), MP3) is Outcome.HANDLED
    assert await rig.dispatch(custom("m-1", "D")) is Outcome.HANDLED
    await rig.run(1.0)
    assert rig.sent == [] and rig.played() == [] and not rig.focus.held
    failed = next(e for e in logs if e["event"] == "speech.failed")
    assert failed["token"] == "t1" and "cid:nowhere" in failed["reason"]
    assert failed["log_level"] == "warning"


async def test_a_held_speak_without_its_attachment_lets_the_dialog_go_on(
    new_rig: RigFactory,
) -> None:
    rig = await new_rig(speech_media=SPEECH)
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    await rig.dispatch(speak("t2", dialog="D", cid="gone"), MP3)
    await rig.dispatch(custom("m-1", "D"))
    await rig.run(2.0)
    assert rig.speech_events() == [("SpeechStarted", "t1"), ("SpeechFinished", "t1")]
    assert rig.handled == [("Custom", "m-1")]
    assert rig.router.queue.waiting() == {} and not rig.focus.held


async def test_a_url_that_fails_before_any_sound_sends_nothing_and_the_dialog_goes_on(
    new_rig: RigFactory, logs: Logs
) -> None:
    rig = await new_rig(speech_media=SPEECH)
    await rig.mixer.set_volume(50)
    await rig.dispatch(speak("t404", dialog="D", url=MISSING_URL))
    assert await rig.dispatch(custom("m-1", "D")) is Outcome.HELD
    await rig.run(0.5)
    assert rig.sent == []
    assert rig.handled == [("Custom", "m-1")]
    assert not rig.focus.held and rig.content.volume == 50
    failed = [e for e in logs if e["event"] == "speech.failed"]
    assert [(e["token"], e["reason"]) for e in failed] == [("t404", "HTTP 404 Not Found")]


async def test_an_error_after_the_first_sound_is_a_stop(new_rig: RigFactory) -> None:
    rig = await new_rig()
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    await rig.dispatch(custom("m-1", "D"))
    rig.speech_out.emit_time(0)
    await rig.settle()
    rig.speech_out.emit_error("decoder failed")
    await rig.settle()
    assert rig.speech_events() == [("SpeechStarted", "t1"), ("SpeechStopped", "t1")]
    assert activity(rig.sent[-1]) == ("STOPPED", "t1")
    assert rig.handled == [("Custom", "m-1")]  # the dialog goes on


async def test_an_end_without_a_sound_sends_nothing(new_rig: RigFactory) -> None:
    rig = await new_rig(speech_media={MEMORY: FakeMedia(1000, "garbage")})
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    await rig.dispatch(custom("m-1", "D"))
    await rig.run(1.0)
    assert rig.sent == [] and rig.handled == [("Custom", "m-1")]


async def test_no_sound_within_the_open_timeout_is_a_failure(
    new_rig: RigFactory, logs: Logs
) -> None:
    rig = await new_rig(open_timeout_s=4.0)  # driven by hand: nothing ever sounds
    await rig.dispatch(speak("t1", dialog="D", cid="c1", pause_ms=500), MP3)
    await rig.dispatch(custom("m-1", "D"))
    await rig.run(0.51)
    rig.speech_out.emit_playing()  # no TIME: nothing sounds
    await rig.run(3.98)  # the timeout counts from the start, after the pause
    assert rig.handled == [] and rig.synth.speaking
    await rig.run(0.02)
    assert rig.sent == [] and rig.handled == [("Custom", "m-1")]
    assert not rig.synth.speaking and not rig.focus.held
    assert rig.speech_out.calls_named("stop") == [None]
    failed = next(e for e in logs if e["event"] == "speech.failed")
    assert failed["reason"] == "no sound within 4 s"


async def test_stop_of_a_started_speech_says_stopped_and_drops_what_waits(
    new_rig: RigFactory,
) -> None:
    rig = await new_rig()
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    await rig.dispatch(custom("m-1", "D"))
    rig.speech_out.emit_time(0)
    await rig.settle()
    assert await rig.synth.stop("D", "test")
    await rig.settle()
    assert rig.speech_events() == [("SpeechStarted", "t1"), ("SpeechStopped", "t1")]
    assert activity(rig.sent[-1]) == ("STOPPED", "t1")
    assert rig.speech_out.calls_named("stop") == [None]
    assert rig.handled == [] and not rig.focus.held and not rig.synth.speaking
    [source] = rig.played()
    assert isinstance(source, MediaSource)
    rig.speech_out.emit(BackendEvent(source.source_id, BackendEventType.ENDED))  # late: no effect
    await rig.settle()
    assert len(rig.sent) == 2


async def test_stop_of_one_dialog_keeps_the_others(new_rig: RigFactory) -> None:
    rig = await new_rig()
    await rig.dispatch(speak("tE", dialog="E", cid="c1"), MP3)
    await rig.dispatch(speak("tD", dialog="D", cid="c2"), MP3)  # waits behind E's
    await rig.dispatch(custom("m-D", "D"))
    await rig.dispatch(custom("m-E", "E"))
    rig.speech_out.emit_time(0)
    await rig.settle()
    assert await rig.synth.stop("D", "test")  # D's speech never started: no event
    assert not await rig.synth.stop("X", "test")
    rig.speech_out.emit_ended()
    await rig.settle()
    assert rig.speech_events() == [("SpeechStarted", "tE"), ("SpeechFinished", "tE")]
    assert rig.handled == [("Custom", "m-E")]
    assert len(rig.played()) == 1 and not rig.synth.speaking


async def test_stop_during_the_pause_sends_nothing_and_plays_nothing(
    new_rig: RigFactory,
) -> None:
    rig = await new_rig(speech_media=SPEECH)
    await rig.dispatch(speak("t1", dialog="D", cid="c1", pause_ms=1000), MP3)
    await rig.run(0.5)
    assert await rig.synth.stop(None, "test")
    await rig.run(3.0)
    assert rig.played() == [] and rig.sent == [] and not rig.focus.held


@pytest.mark.parametrize(
    ("url", "key"), [("cid:<c9>", "c9"), ("cid:c9", "<c9>")], ids=["url-brackets", "key-brackets"]
)
async def test_content_ids_match_with_or_without_angle_brackets(
    new_rig: RigFactory, url: str, key: str
) -> None:
    """As for AudioPlayer.Play's cid: (``audioplayer_items._attachment``): the inbox keeps
    Content-IDs without their brackets, and a ``url`` may carry them."""
    rig = await new_rig(speech_media=SPEECH)
    payload = {"format": "AUDIO_MPEG", "token": "t1", "url": url}
    await rig.dispatch(directive("SpeechSynthesizer", "Speak", payload, mid="m-1"), {key: b"ID3"})
    await rig.run(2.0)
    assert [getattr(s, "data", None) for s in rig.played()] == [b"ID3"]
    assert rig.speech_events() == [("SpeechStarted", "t1"), ("SpeechFinished", "t1")]
