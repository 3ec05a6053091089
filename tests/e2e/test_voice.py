"""Voice through the daemon's connection, end to end: the real daemon (real libVLC, null output)
against the real mock over HTTP/2 + TLS, driven as the voice component drives it
(``clova-client recognize``). The mock answers Recognize as CIC does: StopCapture on the
downchannel after 1.5 s of audio, then Speak with a spoken MP3 (espeak-ng) and a Play or an
ExpectSpeech."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess, Media
from .helpers import DEVICE, play, settle, wait_event
from .voice_helpers import (
    audio_state,
    events_named,
    lines,
    log_events,
    recognize,
    script,
    speech_state,
    told,
    utterance,
)

pytestmark = pytest.mark.e2e


def _stream(mock: MockCicServer, media: Media, token: str) -> dict[str, Any]:
    url = f"{mock.media_url()}/{media.name(10000)}"
    return {"token": token, "url": url, "urlPlayable": True, "beginAtInMilliseconds": 0}


async def _music(mock: MockCicServer, media: Media, token: str = "music-1") -> None:
    await mock.push(DEVICE, play("item-m", _stream(mock, media, token), title="Music"))
    await wait_event(mock, "AudioPlayer.PlayStarted")


async def test_one_voice_round_over_music(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media, tmp_path: Path
) -> None:
    await _music(mock, e2e_media)
    pcm = utterance(tmp_path / "q.wav", seconds=3.0)
    result = await recognize(running, tmp_path / "q.wav", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert told(result) == ["started", "StopCapture", "answered", "finished"]
    dialog = lines(result)[0]["dialogRequestId"]

    recognized = await wait_event(mock, "SpeechRecognizer.Recognize")
    header = recognized.message["event"]["header"]
    assert header["dialogRequestId"] == dialog
    payload = recognized.message["event"]["payload"]
    assert payload["format"] == "AUDIO_L16_RATE_16000_CHANNELS_1"
    assert payload["initiator"]["type"] == "TAP"
    assert payload["initiator"]["payload"]["deviceUUID"]  # the speaker's own, added
    # streamed as it came, cut at StopCapture (1.5 s): never the whole 3 s utterance
    assert recognized.audio is not None and pcm.startswith(recognized.audio)
    assert 48000 <= len(recognized.audio) < len(pcm)
    assert len(recognized.audio_arrivals) > 3  # pieces, not one buffered body
    assert audio_state(recognized)["playerActivity"] == "PLAYING"  # ducked music plays

    started = await wait_event(mock, "SpeechSynthesizer.SpeechStarted")
    finished = await wait_event(mock, "SpeechSynthesizer.SpeechFinished")
    token = started.message["event"]["payload"]["token"]
    assert finished.message["event"]["payload"] == {"token": token}
    assert speech_state(started) == {"token": token, "playerActivity": "PLAYING"}
    assert speech_state(finished) == {"token": token, "playerActivity": "FINISHED"}

    # the Play after the speech starts only once the speech has ended
    new_track = await wait_event(mock, "AudioPlayer.PlayStarted", index=1)
    assert mock.events(DEVICE).index(new_track) > mock.events(DEVICE).index(finished)
    assert speech_state(new_track) == {"token": token, "playerActivity": "FINISHED"}
    held = running.logged("directive_held", directive="AudioPlayer.Play")
    assert held and held[0]["dialog_request_id"] == dialog

    timeline = log_events(running)
    ducked = timeline.index("mixer.ducked")
    assert timeline.index("event:SpeechRecognizer.Recognize") > ducked - 3
    assert ducked < timeline.index("event:SpeechSynthesizer.SpeechStarted")
    assert timeline.index("mixer.restored") > timeline.index(
        "event:SpeechSynthesizer.SpeechFinished"
    )
    assert timeline.count("mixer.ducked") == 1  # no flapping between question and answer


async def test_a_second_turn_answers_the_expect_speech(
    mock: MockCicServer, running: DaemonProcess, tmp_path: Path
) -> None:
    script(
        mock,
        {"speak": "Which song?", "then": {"expect_speech": {"timeout_ms": 8000, "explicit": True}}},
        {"stop_capture_after_ms": 600, "speak": [], "then": None},
    )
    utterance(tmp_path / "q.wav")
    first = await recognize(running, tmp_path / "q.wav", "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    said = lines(first)
    expect = next(line for line in said if line.get("event") == "ExpectSpeech")
    assert expect["explicit"] is True and expect["timeoutInMilliseconds"] == 8000
    # told after the question was spoken
    spoken = await wait_event(mock, "SpeechSynthesizer.SpeechFinished")
    assert spoken is not None
    assert told(first)[-2:] == ["ExpectSpeech", "finished"]

    second = await recognize(running, tmp_path / "q.wav", "--json", "--answer")
    assert second.returncode == 0, second.stdout + second.stderr
    turns = events_named(mock, "SpeechRecognizer.Recognize")
    assert len(turns) == 2
    one, two = (t.message["event"] for t in turns)
    assert two["header"]["dialogRequestId"] == one["header"]["dialogRequestId"]
    assert two["payload"]["speechId"] == expect["expectSpeechId"]
    assert two["payload"]["explicit"] is True
    assert mock.device(DEVICE).rejected_events == []


async def test_an_expect_speech_nobody_answers_sends_nothing_and_music_comes_back(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media, tmp_path: Path
) -> None:
    await _music(mock, e2e_media)
    expect = {"expect_speech": {"timeout_ms": 1500, "explicit": False}}
    script(mock, {"speak": "Anything else?", "then": expect})
    utterance(tmp_path / "q.wav")
    result = await recognize(running, tmp_path / "q.wav")
    assert result.returncode == 0, result.stdout + result.stderr
    await running.wait_logged("expect_speech.timed_out", timeout=10)
    await running.wait_logged("mixer.restored", timeout=5)
    await settle(mock)
    assert len(events_named(mock, "SpeechRecognizer.Recognize")) == 1
    assert audio_state(mock.events(DEVICE)[-1])["playerActivity"] == "PLAYING"
    timeline = log_events(running)
    assert timeline.index("mixer.restored") > timeline.index("expect_speech.timed_out")


async def test_barge_in_stops_the_speech_and_drops_its_play(
    mock: MockCicServer, running: DaemonProcess, tmp_path: Path
) -> None:
    script(
        mock,
        {"stop_capture_after_ms": 600, "speak": [{"tone_ms": 8000}], "then": {"play": {}}},
        {"stop_capture_after_ms": 600, "speak": "Yes?", "then": None},
    )
    utterance(tmp_path / "q.wav", seconds=1.5)
    first = asyncio.ensure_future(recognize(running, tmp_path / "q.wav", "--json"))
    started = await wait_event(mock, "SpeechSynthesizer.SpeechStarted", timeout=20)
    second = await recognize(running, tmp_path / "q.wav", "--json")
    assert second.returncode == 0, second.stdout + second.stderr
    first_result = await first
    assert told(first_result)[-1] == "error"  # its turn was cut short
    assert "superseded" in lines(first_result)[-1]["reason"]

    token = started.message["event"]["payload"]["token"]
    stopped = await wait_event(mock, "SpeechSynthesizer.SpeechStopped")
    assert stopped.message["event"]["payload"] == {"token": token}
    assert speech_state(stopped) == {"token": token, "playerActivity": "STOPPED"}
    await wait_event(mock, "SpeechSynthesizer.SpeechFinished")  # the second answer spoken
    await settle(mock)
    assert events_named(mock, "AudioPlayer.PlayStarted") == []  # the first answer's Play
    dropped = running.logged("directive_dropped", directive="AudioPlayer.Play")
    assert dropped, "the superseded dialog's Play was not dropped"


async def test_pause_mode_pauses_the_music_and_resumes_it(
    mock: MockCicServer, daemon: DaemonProcess, e2e_media: Media, tmp_path: Path
) -> None:
    daemon.overrides["CLOVA_FOCUS__CONTENT"] = "pause"
    await daemon.start()
    await _music(mock, e2e_media)
    script(mock, {"speak": "It is sunny", "then": None})
    utterance(tmp_path / "q.wav")
    result = await recognize(daemon, tmp_path / "q.wav")
    assert result.returncode == 0, result.stdout + result.stderr
    paused = await wait_event(mock, "AudioPlayer.PlayPaused")
    resumed = await wait_event(mock, "AudioPlayer.PlayResumed")
    order = [e.name for e in mock.events(DEVICE)]
    assert order.index("AudioPlayer.PlayPaused") < order.index("SpeechRecognizer.Recognize")
    assert order.index("SpeechSynthesizer.SpeechFinished") < order.index("AudioPlayer.PlayResumed")
    assert audio_state(paused)["playerActivity"] == "PAUSED"
    assert audio_state(resumed)["stream"]["token"] == "music-1"


async def test_a_user_pause_during_the_dialog_wins(
    mock: MockCicServer, daemon: DaemonProcess, e2e_media: Media, tmp_path: Path
) -> None:
    daemon.overrides["CLOVA_FOCUS__CONTENT"] = "pause"
    await daemon.start()
    await _music(mock, e2e_media)
    script(mock, {"speak": [{"tone_ms": 2500}], "then": None})
    utterance(tmp_path / "q.wav")
    talk = asyncio.ensure_future(recognize(daemon, tmp_path / "q.wav"))
    await wait_event(mock, "SpeechSynthesizer.SpeechStarted", timeout=20)
    await mock.push(
        DEVICE,
        {
            "directive": {
                "header": {"namespace": "PlaybackController", "name": "Stop", "messageId": "s-1"},
                "payload": {},
            }
        },
    )
    assert (await talk).returncode == 0
    await wait_event(mock, "AudioPlayer.PlayStopped")
    await settle(mock)
    assert events_named(mock, "AudioPlayer.PlayResumed", "AudioPlayer.PlayStarted")[1:] == []
    await running_log_says_not_resumed(daemon)


async def running_log_says_not_resumed(daemon: DaemonProcess) -> None:
    await daemon.wait_logged("focus.not_resumed", timeout=5)
