"""AudioPlayer event payloads as the Clova guide shows them (token, offsetInMilliseconds; the
PlaybackState fields for ReportPlaybackState) and the Speaker.VolumeState context beside the
AudioPlayer.PlaybackState one in every event."""

from __future__ import annotations

import copy

from clova_client.player.backends.fake import FakeMedia
from clova_client.protocol.audioplayer import ClearQueuePayload
from tests.player.conftest import HarnessFactory
from tests.player.helpers import Sent, play, stream, url_of

A = url_of("a")
VOLUME_STATE = {"namespace": "Speaker", "name": "VolumeState"}
PLAYBACK_STATE = {"namespace": "AudioPlayer", "name": "PlaybackState"}


def volume_of(sent: Sent) -> object:
    headers = [c["header"] for c in sent.event.context]
    assert headers == [PLAYBACK_STATE, VOLUME_STATE], sent.name
    return sent.event.context[1]["payload"]


async def test_playback_events_carry_token_and_offset(new_harness: HarnessFactory) -> None:
    h = await new_harness({A: FakeMedia(5000)})
    await h.audio.play(play("a", begin=500, delay=700, interval=2000, position=2100))
    await h.run(2.1)  # 500 -> 2600
    assert await h.engine.pause()
    assert await h.engine.resume()
    await h.run(3)
    assert h.names() == [
        "PlayStarted",
        "ProgressReportDelayPassed",
        "ProgressReportPositionPassed",
        "ProgressReportIntervalPassed",
        "PlayPaused",
        "PlayResumed",
        "ProgressReportIntervalPassed",
        "PlayFinished",
    ]
    assert [s.event.payload for s in h.sent] == [
        {"token": "tok-a", "offsetInMilliseconds": offset}
        for offset in (500, 1200, 2100, 2500, 2600, 2600, 4500, 5000)
    ]
    for s in h.sent:
        assert s.event.payload["offsetInMilliseconds"] == s.offset  # the context agrees
        assert volume_of(s) == {"volume": 100, "muted": False}


async def test_report_playback_state_carries_the_playback_state_fields(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(10_000)})
    await h.audio.play(play("a"))
    await h.run(1.3)
    await h.engine.mixer.set_volume(40)
    await h.engine.mixer.set_mute(True)
    h.engine.report_playback_state("dlg-7")
    report = h.sent[-1]
    assert report.name == "ReportPlaybackState"
    assert report.event.header.dialog_request_id == "dlg-7"
    assert report.event.payload == {
        "playerActivity": "PLAYING",
        "offsetInMilliseconds": 1300,
        "totalInMilliseconds": 10_000,
        "stream": stream("a"),
        "repeatMode": "NONE",
        "token": "tok-a",
    }
    assert report.event.payload == {**report.state, "token": "tok-a"}
    assert volume_of(report) == {"volume": 40, "muted": True}


async def test_stream_requested_and_queue_cleared_carry_the_context_too(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(10_000)})
    held = stream("x", playable=False)
    await h.audio.play(play("x", stream_raw=copy.deepcopy(held)))
    requested = h.sent[-1]
    assert requested.name == "StreamRequested"
    assert requested.event.payload == {"audioItemId": "x", "audioStream": held}
    assert requested.state == {"playerActivity": "IDLE", "repeatMode": "NONE"}
    assert volume_of(requested) == {"volume": 100, "muted": False}
    clear_all = ClearQueuePayload.model_validate({"clearBehavior": "CLEAR_ALL"})
    await h.audio.clear_queue(clear_all)
    idle_clear = h.sent[-1]
    assert idle_clear.name == "PlaybackQueueCleared"
    assert idle_clear.event.payload == {}  # no item shown: nothing to name
    await h.audio.play(play("a"))
    await h.run(0.6)
    await h.audio.clear_queue(ClearQueuePayload.model_validate({"clearBehavior": "CLEAR_ENQUEUED"}))
    cleared = h.sent[-1]
    assert cleared.name == "PlaybackQueueCleared"
    assert cleared.event.payload == {"token": "tok-a", "offsetInMilliseconds": 600}
    assert volume_of(cleared) == {"volume": 100, "muted": False}
