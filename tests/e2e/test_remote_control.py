"""Remote control from the Clova app, end to end: the real daemon against the real mock over
HTTP/2 + TLS. The mock plays the app's side (``remote``: CIC's Expect*Command under a fresh
dialogRequestId) and CIC's (each *CommandIssued answered with its directive under that id); the
daemon sends the *CommandIssued at once and reports what the directive did."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from clova_client.mock_cic import MockCicServer, RecordedEvent

from .conftest import DaemonProcess, Media
from .helpers import DEVICE, directive, play, playback_state, wait_event

pytestmark = pytest.mark.e2e


def _stream(mock: MockCicServer, media: Media, token: str) -> dict[str, Any]:
    url = f"{mock.media_url()}/{media.name(10000)}"
    return {"token": token, "url": url, "urlPlayable": True, "beginAtInMilliseconds": 0}


async def _answered(
    mock: MockCicServer,
    running: DaemonProcess,
    sent: dict[str, Any],
    event: str,
    directive_name: str,
    *,
    index: int = 0,
) -> RecordedEvent:
    """The speaker's *CommandIssued for the app's tap, and CIC's answer as the daemon got it:
    both under the Expect's dialogRequestId."""
    dialog = sent["directive"]["header"]["dialogRequestId"]
    issued = await wait_event(mock, f"PlaybackController.{event}", index=index)
    assert issued.message["event"]["header"]["dialogRequestId"] == dialog
    await running.wait_logged(
        "directive_received", directive=directive_name, dialog_request_id=dialog
    )
    return issued


async def test_the_app_pauses_resumes_skips_and_stops_the_speaker(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    one, two = _stream(mock, e2e_media, "tok-r1"), _stream(mock, e2e_media, "tok-r2")
    await mock.push(DEVICE, play("item-r1", one, title="One"))
    await mock.push(DEVICE, play("item-r2", two, behavior="ENQUEUE", title="Two"))
    await wait_event(mock, "AudioPlayer.PlayStarted")

    sent = mock.remote(DEVICE, "pause", target="AudioPlayer")
    assert sent["directive"]["header"]["name"] == "ExpectPauseCommand"
    issued = await _answered(mock, running, sent, "PauseCommandIssued", "PlaybackController.Pause")
    assert issued.message["event"]["payload"] == {"source": {"namespace": "AudioPlayer"}}
    assert playback_state(issued)["playerActivity"] == "PLAYING"  # sent before acting
    paused = playback_state(await wait_event(mock, "AudioPlayer.PlayPaused"))
    assert (paused["playerActivity"], paused["stream"]["token"]) == ("PAUSED", "tok-r1")

    sent = mock.remote(DEVICE, "resume")
    issued = await _answered(
        mock, running, sent, "ResumeCommandIssued", "PlaybackController.Resume"
    )
    assert issued.message["event"]["payload"] == {}
    resumed = playback_state(await wait_event(mock, "AudioPlayer.PlayResumed"))
    assert resumed["playerActivity"] == "PLAYING"

    sent = mock.remote(DEVICE, "next")
    await _answered(mock, running, sent, "NextCommandIssued", "PlaybackController.Next")
    started = playback_state(await wait_event(mock, "AudioPlayer.PlayStarted", index=1))
    assert started["stream"]["token"] == "tok-r2"

    sent = mock.remote(DEVICE, "previous")
    await _answered(mock, running, sent, "PreviousCommandIssued", "PlaybackController.Previous")
    started = playback_state(await wait_event(mock, "AudioPlayer.PlayStarted", index=2))
    assert started["stream"]["token"] == "tok-r1"

    sent = mock.remote(DEVICE, "stop", target="AudioPlayer")
    issued = await _answered(mock, running, sent, "StopCommandIssued", "PlaybackController.Stop")
    assert issued.message["event"]["payload"] == {"source": {"namespace": "AudioPlayer"}}
    stopped = playback_state(await wait_event(mock, "AudioPlayer.PlayStopped"))
    assert stopped["playerActivity"] == "STOPPED"
    assert not running.logged("command_expected")  # nothing is kept for a later press
    assert running.returncode is None


async def test_the_app_hands_playback_over_and_sets_repeat(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    playlist = [
        {
            "audioItem": {"audioItemId": f"item-h{n}", "stream": _stream(mock, e2e_media, tok)},
            "source": {"name": "e2e"},
        }
        for n, tok in ((1, "tok-h1"), (2, "tok-h2"))
    ]
    mock.responders.update({"playlist": playlist})
    handover = {"deviceId": "phone-7", "customData": '{"position": 83100}'}

    sent = mock.remote(DEVICE, "play", token="tok-h2", handover=handover)
    assert sent["directive"]["payload"] == {"handover": handover, "token": "tok-h2"}
    issued = await _answered(mock, running, sent, "PlayCommandIssued", "AudioPlayer.Play")
    assert issued.message["event"]["payload"] == {"handover": handover, "token": "tok-h2"}
    started = playback_state(await wait_event(mock, "AudioPlayer.PlayStarted"))
    assert (started["playerActivity"], started["stream"]["token"]) == ("PLAYING", "tok-h2")

    sent = mock.remote(DEVICE, "repeat", repeatMode="REPEAT_ONE")
    dialog = sent["directive"]["header"]["dialogRequestId"]
    await running.wait_logged("repeat_mode_set", repeat_mode="REPEAT_ONE")
    await mock.push(DEVICE, directive("AudioPlayer", "ExpectReportPlaybackState"))
    report = playback_state(await wait_event(mock, "AudioPlayer.ReportPlaybackState"))
    assert (report["repeatMode"], report["stream"]["token"]) == ("REPEAT_ONE", "tok-h2")
    assert running.logged(
        "directive_received", directive="PlaybackController.SetRepeatMode", dialog_request_id=dialog
    )
    # the app sends SetRepeatModeCommandIssued itself: the speaker sends nothing for it
    assert not mock.events(DEVICE, "PlaybackController.SetRepeatModeCommandIssued")


async def test_speaker_buttons_play_resumes_token_plays_repeat_and_custom(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    config = ("--config", str(running.config_file))
    playlist = [
        {
            "audioItem": {"audioItemId": f"item-b{n}", "stream": _stream(mock, e2e_media, tok)},
            "source": {"name": "e2e"},
        }
        for n, tok in ((1, "tok-b1"), (2, "tok-b2"))
    ]
    mock.responders.update({"playlist": playlist})
    await mock.push(DEVICE, play("item-b1", _stream(mock, e2e_media, "tok-b1")))
    await wait_event(mock, "AudioPlayer.PlayStarted")
    assert (await running.cli("press", "pause", *config)).returncode == 0
    await wait_event(mock, "AudioPlayer.PlayPaused")

    pressed = await running.cli("press", "play", *config)  # the Play button of a paused speaker
    assert pressed.returncode == 0, pressed.stderr
    assert pressed.stdout.startswith("sent PlaybackController.ResumeCommandIssued")
    await wait_event(mock, "AudioPlayer.PlayResumed")

    pressed = await running.cli("press", "play", "--token", "tok-b2", *config)
    assert pressed.stdout.startswith("sent PlaybackController.PlayCommandIssued"), pressed
    issued = await wait_event(mock, "PlaybackController.PlayCommandIssued")
    assert issued.message["event"]["payload"] == {"token": "tok-b2"}
    started = playback_state(await wait_event(mock, "AudioPlayer.PlayStarted", index=1))
    assert started["stream"]["token"] == "tok-b2"

    for mode in ("REPEAT_ONE", "NONE"):  # each press asks for the next mode; CIC sets it
        pressed = await running.cli("press", "repeat", *config)
        assert pressed.returncode == 0, pressed.stderr
        await running.wait_logged("repeat_mode_set", repeat_mode=mode)
    issued_modes = [
        e.message["event"]["payload"]
        for e in mock.events(DEVICE, "PlaybackController.SetRepeatModeCommandIssued")
    ]
    assert issued_modes == [{"repeatMode": "REPEAT_ONE"}, {"repeatMode": "NONE"}]

    pressed = await running.cli("press", "custom", "CUSTOM_BUTTON_2", *config)
    assert pressed.returncode == 0, pressed.stderr
    custom = await wait_event(mock, "PlaybackController.CustomCommandIssued")
    assert custom.message["event"]["payload"] == {"button": "CUSTOM_BUTTON_2"}
    assert playback_state(custom)["stream"]["token"] == "tok-b2"


async def test_mute_unmute_and_volume_sound_an_earcon_outside_the_audioplayer_state(
    mock: MockCicServer, daemon: DaemonProcess, e2e_media: Media
) -> None:
    daemon.overrides["CLOVA_LOG__LEVEL"] = "debug"  # earcon_done: libVLC played it to its end
    await daemon.start()
    config = ("--config", str(daemon.config_file))
    await mock.push(DEVICE, play("item-e", _stream(mock, e2e_media, "tok-e")))
    await wait_event(mock, "AudioPlayer.PlayStarted")

    await mock.push(DEVICE, directive("PlaybackController", "Mute"))
    await daemon.wait_logged("earcon", earcon="mute", muted=True)
    await mock.push(DEVICE, directive("PlaybackController", "Unmute"))
    await daemon.wait_logged("earcon", earcon="unmute", muted=False)
    await mock.push(DEVICE, directive("PlaybackController", "VolumeDown"))
    await daemon.wait_logged("earcon", earcon="volume", volume=70)
    changed = await daemon.cli("volume", "up", *config)
    assert changed.stdout == "volume 80\n", changed
    await daemon.wait_logged("earcon", earcon="volume", volume=80)
    deadline = time.monotonic() + 10  # bounds a hang; wait_logged returns at the first one
    while len(daemon.logged("earcon_done")) < 4 and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    assert len(daemon.logged("earcon_done")) == 4
    assert not daemon.logged("earcon_failed")

    await mock.push(DEVICE, directive("AudioPlayer", "ExpectReportPlaybackState"))
    report = playback_state(await wait_event(mock, "AudioPlayer.ReportPlaybackState"))
    assert (report["playerActivity"], report["stream"]["token"]) == ("PLAYING", "tok-e")
    names = [e.name for e in mock.events(DEVICE) if e.name.startswith("AudioPlayer.")]
    assert names == ["AudioPlayer.PlayStarted", "AudioPlayer.ReportPlaybackState"]
    assert (await daemon.status())["player"]["volume"] == 80
