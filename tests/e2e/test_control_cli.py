"""``clova-client status`` and ``clova-client press`` against the running daemon's socket."""

from __future__ import annotations

import pytest

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess, Media
from .helpers import DEVICE, controller, directive, play, playback_state, wait_event

pytestmark = pytest.mark.e2e


async def test_status_press_and_the_apps_expect_pause_sends_at_once(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    mock.responders.buttons = False  # about what a press sends, not how the cloud answers
    config = ("--config", str(running.config_file))
    idle = await running.status()
    assert idle["pid"] == running.pid
    assert idle["connection"]["state"] == "CONNECTED"
    assert idle["player"]["state"] == "IDLE"
    assert idle["player"]["current"] is None

    stream = {"token": "tok-p", "url": f"{mock.media_url()}/{e2e_media.name(10000)}"}
    await mock.push(DEVICE, play("item-p", stream, title="Pressed"))
    await wait_event(mock, "AudioPlayer.PlayStarted")

    text = await running.cli("status", *config)
    assert text.returncode == 0, text.stderr
    assert "connection:  CONNECTED" in text.stdout
    assert "player:      PLAYING" in text.stdout
    assert "tok-p  Pressed" in text.stdout
    document = await running.status()
    current = document["player"]["current"]
    assert document["player"]["state"] == "PLAYING"
    assert (current["token"], current["title"], current["duration_ms"]) == (
        "tok-p",
        "Pressed",
        10000,
    )
    assert 0 <= current["position_ms"] <= 10000

    # a button press without an Expect*: the event carries the context, no source
    pressed = await running.cli("press", "pause", *config)
    assert pressed.returncode == 0, pressed.stderr
    first = await wait_event(mock, "PlaybackController.PauseCommandIssued")
    assert pressed.stdout.strip() == (
        f"sent PlaybackController.PauseCommandIssued (messageId {first.message_id})"
    )
    assert first.message["event"]["payload"] == {}
    assert first.message["context"][-1] == {
        "header": {"namespace": "Speaker", "name": "VolumeState"},
        "payload": {"volume": 80, "muted": False},
    }
    state = playback_state(first)
    assert state["playerActivity"] == "PLAYING"  # the cloud decides; the press only reports
    assert state["stream"] == stream

    # ExpectPauseCommand (the Clova app's pause) targeted at MediaPlayer: the speaker sends
    # PauseCommandIssued at once, as if pressed, with the target as its source
    expect = controller("ExpectPauseCommand", {"target": {"namespace": "MediaPlayer"}})
    expect["directive"]["header"]["dialogRequestId"] = "app-dialog-1"
    await mock.push(DEVICE, expect)
    second = await wait_event(mock, "PlaybackController.PauseCommandIssued", index=1)
    assert second.message["event"]["payload"] == {"source": {"namespace": "MediaPlayer"}}
    assert second.message["event"]["header"]["dialogRequestId"] == "app-dialog-1"
    assert playback_state(second)["stream"] == stream

    # nothing was kept for a later press: it carries no source
    await running.cli("press", "pause", *config)
    third = await wait_event(mock, "PlaybackController.PauseCommandIssued", index=2)
    assert third.message["event"]["payload"] == {}
    assert "dialogRequestId" not in third.message["event"]["header"]
    assert not mock.events(DEVICE, "AudioPlayer.PlayPaused")

    # the cloud asks for the state; SetRepeatMode shows in it
    await mock.push(DEVICE, controller("SetRepeatMode", {"repeatMode": "REPEAT_ONE"}))
    await mock.push(DEVICE, directive("AudioPlayer", "ExpectReportPlaybackState"))
    report_event = await wait_event(mock, "AudioPlayer.ReportPlaybackState")
    report = playback_state(report_event)
    # the guide: the PlaybackState fields (and the token) in the payload too
    assert report_event.message["event"]["payload"] == {**report, "token": "tok-p"}
    assert report["playerActivity"] == "PLAYING"
    assert report["repeatMode"] == "REPEAT_ONE"
    assert report["stream"] == stream
    assert (await running.status())["player"]["repeat"] == "REPEAT_ONE"
    assert running.returncode is None


async def test_cli_says_when_the_daemon_is_not_running(daemon: DaemonProcess) -> None:
    result = await daemon.cli("status", "--config", str(daemon.config_file))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


async def test_a_press_answered_by_the_cloud_acts_like_the_button(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    config = ("--config", str(running.config_file))
    stream = {"token": "tok-b", "url": f"{mock.media_url()}/{e2e_media.name(10000)}"}
    await mock.push(DEVICE, play("item-b", stream, title="Button"))
    await wait_event(mock, "AudioPlayer.PlayStarted")

    assert (await running.cli("press", "pause", *config)).returncode == 0
    paused = playback_state(await wait_event(mock, "AudioPlayer.PlayPaused"))
    assert paused["playerActivity"] == "PAUSED" and paused["stream"] == stream
    assert (await running.cli("press", "resume", *config)).returncode == 0
    resumed = playback_state(await wait_event(mock, "AudioPlayer.PlayResumed"))
    assert resumed["playerActivity"] == "PLAYING"
    assert abs(resumed["offsetInMilliseconds"] - paused["offsetInMilliseconds"]) <= 100
    names = [e.name for e in mock.events(DEVICE) if e.name != "TemplateRuntime.RequestPlayerInfo"]
    assert names == [
        "AudioPlayer.PlayStarted",
        "PlaybackController.PauseCommandIssued",
        "AudioPlayer.PlayPaused",
        "PlaybackController.ResumeCommandIssued",
        "AudioPlayer.PlayResumed",
    ]
