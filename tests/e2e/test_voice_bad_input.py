"""Voice's bad input, end to end (real daemon, real mock over HTTP/2 + TLS, real libVLC): each
gets a clear log line, the right event (SpeechStopped, or nothing) and the music back where it
was. Also the TTS that comes by URL and by HLS."""

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
    told,
    utterance,
    vanishing_client,
)

pytestmark = pytest.mark.e2e


async def _music(mock: MockCicServer, media: Media) -> None:
    url = f"{mock.media_url()}/{media.name(10000)}"
    stream = {"token": "music-1", "url": url, "urlPlayable": True, "beginAtInMilliseconds": 0}
    await mock.push(DEVICE, play("item-m", stream, title="Music"))
    await wait_event(mock, "AudioPlayer.PlayStarted")


def _music_back(daemon: DaemonProcess, mock: MockCicServer) -> None:
    """Unducked after the last duck, and still playing the same item."""
    timeline = log_events(daemon)
    assert timeline.count("mixer.ducked") == timeline.count("mixer.restored") >= 1
    assert len(daemon.logged("mixer.restored")) >= 1
    last = mock.events(DEVICE)[-1]
    state = audio_state(last)
    assert (state["playerActivity"], state["stream"]["token"]) == ("PLAYING", "music-1")


async def test_audio_in_the_wrong_rate_is_refused_and_nothing_is_sent(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media, tmp_path: Path
) -> None:
    await _music(mock, e2e_media)
    utterance(tmp_path / "cd.wav", rate=44100, channels=2)
    result = await recognize(running, tmp_path / "cd.wav")
    assert result.returncode == 1
    assert "audio rate 44100 not supported" in result.stdout
    await running.wait_logged("control.bad_request")
    await settle(mock)
    assert events_named(mock, "SpeechRecognizer.Recognize") == []
    assert running.logged("mixer.ducked") == []  # the music never went down


async def test_a_client_that_vanishes_mid_stream_cuts_the_recognize_off(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media, tmp_path: Path
) -> None:
    await _music(mock, e2e_media)
    script(mock, {"stop_capture_after_ms": None})
    pcm = utterance(tmp_path / "q.wav")
    got = await vanishing_client(running, pcm, frames=3)
    assert b'"started"' in got[0]
    abandoned = await running.wait_logged("recognize.abandoned")
    assert abandoned["reason"] == "the local client vanished mid-stream"
    await running.wait_logged("mixer.restored")
    await settle(mock)
    assert events_named(mock, "SpeechRecognizer.Recognize") == []  # reset: not an utterance
    assert events_named(mock, "SpeechSynthesizer.SpeechStarted") == []
    _music_back(running, mock)


async def test_a_recognition_while_another_streams_wins(
    mock: MockCicServer, running: DaemonProcess, tmp_path: Path
) -> None:
    script(mock, {"stop_capture_after_ms": None}, {"stop_capture_after_ms": 600, "then": None})
    utterance(tmp_path / "long.wav", seconds=6.0)
    utterance(tmp_path / "q.wav", seconds=1.5)
    first = asyncio.ensure_future(recognize(running, tmp_path / "long.wav", "--json"))
    await running.wait_logged("event", event_name="SpeechRecognizer.Recognize")
    second = await recognize(running, tmp_path / "q.wav", "--json")
    assert second.returncode == 0, second.stdout + second.stderr
    old = await first
    assert told(old)[-1] == "error" and "superseded" in lines(old)[-1]["reason"]
    recognized = events_named(mock, "SpeechRecognizer.Recognize")
    assert [r.message["event"]["header"]["dialogRequestId"] for r in recognized] == [
        lines(second)[0]["dialogRequestId"]
    ]
    await wait_event(mock, "SpeechSynthesizer.SpeechFinished")


async def test_a_speak_whose_attachment_never_arrives_sends_nothing_and_the_play_goes_on(
    mock: MockCicServer, running: DaemonProcess, tmp_path: Path
) -> None:
    script(mock, {"speak": [{"text": "lost", "attachment": "missing"}], "then": {"play": {}}})
    utterance(tmp_path / "q.wav")
    result = await recognize(running, tmp_path / "q.wav")
    assert result.returncode == 0, result.stdout + result.stderr
    failed = await running.wait_logged("speech.failed")
    assert "never arrived" in failed["reason"] and failed["sent"].startswith("nothing")
    await wait_event(mock, "AudioPlayer.PlayStarted")  # the Play behind it was not blocked
    assert (
        events_named(mock, *(f"SpeechSynthesizer.Speech{n}" for n in ("Started", "Stopped"))) == []
    )


@pytest.mark.parametrize("via", ["url", "hls"])
async def test_a_tts_url_that_answers_404_sends_nothing_and_music_comes_back(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media, tmp_path: Path, via: str
) -> None:
    await _music(mock, e2e_media)
    script(mock, {"speak": [{"text": "gone", "via": via, "url_status": 404}], "then": None})
    utterance(tmp_path / "q.wav")
    result = await recognize(running, tmp_path / "q.wav")
    assert result.returncode == 0, result.stdout + result.stderr
    failed = await running.wait_logged("speech.failed", timeout=15)
    assert failed["sent"].startswith("nothing")
    await running.wait_logged("mixer.restored")
    await settle(mock)
    assert events_named(mock, "SpeechSynthesizer.SpeechStarted") == []
    _music_back(running, mock)


@pytest.mark.parametrize("via", ["url", "hls"])
async def test_tts_by_url_and_by_hls_is_spoken(
    mock: MockCicServer, running: DaemonProcess, tmp_path: Path, via: str
) -> None:
    script(mock, {"speak": [{"text": "Good morning", "via": via}], "then": None})
    utterance(tmp_path / "q.wav")
    result = await recognize(running, tmp_path / "q.wav")
    assert result.returncode == 0, result.stdout + result.stderr
    started = await wait_event(mock, "SpeechSynthesizer.SpeechStarted", timeout=20)
    finished = await wait_event(mock, "SpeechSynthesizer.SpeechFinished", timeout=20)
    assert started.message["event"]["payload"] == finished.message["event"]["payload"]
    play_line = running.logged("speech.play")[-1]
    assert play_line["source"].startswith("http://")  # logged, never with a query string
    speak: dict[str, Any] = running.logged(
        "directive_received", directive="SpeechSynthesizer.Speak"
    )[-1]
    assert speak["token"] == started.message["event"]["payload"]["token"]
