"""The whole AudioPlayer conversation through the real daemon, libVLC and the mock CIC.

Play (``urlPlayable: false``) -> StreamRequested -> StreamDeliver -> PlayStarted with the merged
stream -> progress reports at their media-time targets -> Pause / Resume -> ENQUEUEd items
played in turn -> ClearQueue -> Stop. The exact event order and the PlaybackState of each event
are checked; offsets are media time, never wall-clock durations.
"""

from __future__ import annotations

from typing import Any

import pytest

from clova_client.mock_cic import MockCicServer
from clova_client.mock_cic.records import RecordedEvent

from .conftest import DaemonProcess, Media
from .helpers import (
    DEVICE,
    audio_events,
    controller,
    directive,
    play,
    playback_state,
    settle,
    wait_count,
    wait_event,
)

pytestmark = pytest.mark.e2e

TOLERANCE_MS = 100
"""A progress report's offset is at its target or at most this far past it."""


def _stream(token: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"token": token, "url": url, "urlPlayable": True, "beginAtInMilliseconds": 0, **extra}


async def test_play_stream_deliver_progress_pause_resume_queue_clear_stop(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    media = mock.media_url()
    url_a = f"{media}/{e2e_media.name(4000)}"
    progress = {
        "progressReportDelayInMilliseconds": 400,
        "progressReportIntervalInMilliseconds": 1000,
        "progressReportPositionInMilliseconds": 1500,
    }
    play_stream_a = {
        "token": "tok-a",
        "url": "clova:tok-a",
        "urlPlayable": False,
        "beginAtInMilliseconds": 0,
        "progressReport": progress,
        "customData": None,
        "onlyInPlay": "kept",
    }
    mock.responders.stream_deliver["item-a"] = {
        "url": url_a,
        "urlPlayable": True,
        "customData": "cd-from-deliver",
        "providerExtra": {"quality": "high", "n": 3},
    }
    merged_a = {
        "token": "tok-a",
        "url": url_a,
        "urlPlayable": True,
        "beginAtInMilliseconds": 0,
        "progressReport": progress,
        "customData": "cd-from-deliver",
        "onlyInPlay": "kept",
        "providerExtra": {"quality": "high", "n": 3},
    }
    stream_b = _stream("tok-b", f"{media}/{e2e_media.name(2000)}", custom={"b": True})
    stream_c = _stream("tok-c", f"{media}/{e2e_media.name(2000)}")
    stream_d = _stream("tok-d", f"{media}/{e2e_media.name(3000)}")

    # --- Play -> StreamRequested -> StreamDeliver -> PlayStarted ------------------------
    await mock.push(DEVICE, play("item-a", play_stream_a, title="Song A"))
    requested = await wait_event(mock, "AudioPlayer.StreamRequested")
    assert requested.message["event"]["payload"] == {
        "audioItemId": "item-a",
        "audioStream": play_stream_a,
    }
    assert requested.message["event"]["header"].get("dialogRequestId")

    started_a = await wait_event(mock, "AudioPlayer.PlayStarted")
    state = playback_state(started_a)
    assert state["playerActivity"] == "PLAYING"
    assert state["stream"] == merged_a  # exactly as merged, custom fields included
    assert state["totalInMilliseconds"] == 4000
    assert 0 <= state["offsetInMilliseconds"] < 400

    # --- progress reports at their media-time targets -----------------------------------
    delay = await wait_event(mock, "AudioPlayer.ProgressReportDelayPassed")
    first_interval = await wait_event(mock, "AudioPlayer.ProgressReportIntervalPassed")
    position = await wait_event(mock, "AudioPlayer.ProgressReportPositionPassed")
    for event, target in ((delay, 400), (first_interval, 1000), (position, 1500)):
        offset = playback_state(event)["offsetInMilliseconds"]
        assert target <= offset <= target + TOLERANCE_MS, (event.name, offset)
        assert playback_state(event)["playerActivity"] == "PLAYING"
        assert playback_state(event)["stream"] == merged_a

    # --- Pause / Resume -----------------------------------------------------------------
    await mock.push(DEVICE, controller("Pause"))
    paused = playback_state(await wait_event(mock, "AudioPlayer.PlayPaused"))
    assert paused["playerActivity"] == "PAUSED"
    assert paused["stream"] == merged_a
    assert 1500 <= paused["offsetInMilliseconds"] < 2000

    await mock.push(DEVICE, controller("Resume"))
    resumed = playback_state(await wait_event(mock, "AudioPlayer.PlayResumed"))
    assert resumed["playerActivity"] == "PLAYING"
    assert resumed["stream"] == merged_a
    assert abs(resumed["offsetInMilliseconds"] - paused["offsetInMilliseconds"]) <= TOLERANCE_MS

    # --- three ENQUEUEs: A -> B -> C play in turn ----------------------------------------
    for item_id, stream in (("item-b", stream_b), ("item-c", stream_c), ("item-d", stream_d)):
        await mock.push(DEVICE, play(item_id, stream, behavior="ENQUEUE"))
    await wait_count(mock, "AudioPlayer.PlayStarted", 3, timeout=20)  # C is playing

    # --- ClearQueue drops D; Stop ends C --------------------------------------------------
    await mock.push(
        DEVICE, directive("AudioPlayer", "ClearQueue", {"clearBehavior": "CLEAR_ENQUEUED"})
    )
    await wait_event(mock, "AudioPlayer.PlaybackQueueCleared")
    status = await running.status()
    assert status["player"]["queue"] == []
    assert status["player"]["current"]["token"] == "tok-c"
    await mock.push(DEVICE, controller("Stop"))
    stopped = playback_state(await wait_event(mock, "AudioPlayer.PlayStopped"))
    await settle(mock)

    # --- the whole conversation, in order ---------------------------------------------------
    events = audio_events(mock)
    summary = [
        (e.name.removeprefix("AudioPlayer."), (playback_state(e).get("stream") or {}).get("token"))
        for e in events
        if e.name != "AudioPlayer.StreamRequested"
    ]
    assert events[0].name == "AudioPlayer.StreamRequested"
    assert summary == [
        ("PlayStarted", "tok-a"),
        ("ProgressReportDelayPassed", "tok-a"),
        ("ProgressReportIntervalPassed", "tok-a"),
        ("ProgressReportPositionPassed", "tok-a"),
        ("PlayPaused", "tok-a"),
        ("PlayResumed", "tok-a"),
        ("ProgressReportIntervalPassed", "tok-a"),
        ("ProgressReportIntervalPassed", "tok-a"),
        ("ProgressReportIntervalPassed", "tok-a"),
        ("PlayFinished", "tok-a"),
        ("PlayStarted", "tok-b"),
        ("PlayFinished", "tok-b"),
        ("PlayStarted", "tok-c"),
        ("PlaybackQueueCleared", "tok-c"),
        ("PlayStopped", "tok-c"),
    ], summary
    intervals = [
        playback_state(e)["offsetInMilliseconds"]
        for e in events
        if e.name == "AudioPlayer.ProgressReportIntervalPassed"
    ]
    for offset, target in zip(intervals, (1000, 2000, 3000, 4000), strict=True):
        assert target <= offset <= target + TOLERANCE_MS, intervals

    by_name: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_name.setdefault(event.name.removeprefix("AudioPlayer."), []).append(
            playback_state(event) if event.name != "AudioPlayer.StreamRequested" else {}
        )
    finished_a, finished_b = by_name["PlayFinished"]
    assert finished_a["playerActivity"] == "STOPPED"
    assert finished_a["offsetInMilliseconds"] == 4000
    assert finished_a["totalInMilliseconds"] == 4000
    assert finished_a["stream"] == merged_a
    started_b, started_c = by_name["PlayStarted"][1:]
    assert started_b["stream"] == stream_b  # a playable Play's stream, echoed as received
    assert started_b["totalInMilliseconds"] == 2000
    assert started_b["offsetInMilliseconds"] < 400
    assert finished_b["offsetInMilliseconds"] == 2000
    assert started_c["stream"] == stream_c
    assert stopped["playerActivity"] == "STOPPED"
    assert stopped["stream"] == stream_c
    assert 0 < stopped["offsetInMilliseconds"] < 2000
    cleared = by_name["PlaybackQueueCleared"][0]
    assert cleared["playerActivity"] == "PLAYING"
    assert not mock.events(DEVICE, "AudioPlayer.StreamRequested")[1:]  # only A needed one

    # --- the guide's payloads; Speaker.VolumeState in every event's context ---------------
    for event in mock.events(DEVICE):
        assert volume_state(event) == {"volume": 80, "muted": False}, event.name
    for event in events[1:]:
        state = playback_state(event)
        assert event.message["event"]["payload"] == {
            "token": state["stream"]["token"],
            "offsetInMilliseconds": reported(event, state),
        }, event.name
    progress_offsets = [
        (e.name.removeprefix("AudioPlayer.ProgressReport"), reported(e))
        for e in events
        if e.name.startswith("AudioPlayer.ProgressReport")
    ]
    assert progress_offsets == [
        ("DelayPassed", 400),
        ("IntervalPassed", 1000),
        ("PositionPassed", 1500),
        ("IntervalPassed", 2000),
        ("IntervalPassed", 3000),
        ("IntervalPassed", 4000),
    ]
    assert running.returncode is None


def volume_state(event: RecordedEvent) -> object:
    """The Speaker.VolumeState context payload, right after AudioPlayer.PlaybackState."""
    context = event.message["context"]
    names = [f"{c['header']['namespace']}.{c['header']['name']}" for c in context]
    assert names[0] == "AudioPlayer.PlaybackState", (event.name, names)
    assert names[-1] == "Speaker.VolumeState", (event.name, names)
    return context[-1]["payload"]


def reported(event: RecordedEvent, state: dict[str, Any] | None = None) -> int:
    """The event payload's offsetInMilliseconds; a Play* event's is its context's offset."""
    offset = event.message["event"]["payload"]["offsetInMilliseconds"]
    assert isinstance(offset, int)
    if state is not None and not event.name.startswith("AudioPlayer.ProgressReport"):
        assert offset == state["offsetInMilliseconds"], event.name
    return offset


async def test_begin_3500_delay_1000_interval_2000_muted_through_the_daemon(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    """The issue's measurement, on libVLC: Delay at 4500 and Intervals at 5500, 7500, 9500
    (the AVS rule sent no Delay and Intervals at 4001, 6000, 8001)."""
    progress = {
        "progressReportDelayInMilliseconds": 1000,
        "progressReportIntervalInMilliseconds": 2000,
        "progressReportPositionInMilliseconds": None,
    }
    stream = _stream(
        "tok-g",
        f"{mock.media_url()}/{e2e_media.name(10000)}",
        beginAtInMilliseconds=3500,
        progressReport=progress,
    )
    await mock.push(DEVICE, controller("Mute"))
    await mock.push(DEVICE, play("item-g", stream))
    started = await wait_event(mock, "AudioPlayer.PlayStarted")
    assert 3500 <= playback_state(started)["offsetInMilliseconds"] < 3500 + TOLERANCE_MS
    await wait_event(mock, "AudioPlayer.PlayFinished", timeout=20)
    events = audio_events(mock)
    assert [(e.name.removeprefix("AudioPlayer."), reported(e)) for e in events[1:-1]] == [
        ("ProgressReportDelayPassed", 4500),
        ("ProgressReportIntervalPassed", 5500),
        ("ProgressReportIntervalPassed", 7500),
        ("ProgressReportIntervalPassed", 9500),
    ]
    for event in events[1:-1]:
        offset = playback_state(event)["offsetInMilliseconds"]
        assert reported(event) <= offset <= reported(event) + TOLERANCE_MS, (event.name, offset)
    for event in events:
        assert volume_state(event) == {"volume": 80, "muted": True}, event.name
        assert event.message["event"]["payload"]["token"] == "tok-g"
