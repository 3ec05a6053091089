"""urlPlayable: false items (StreamRequested timing, StreamDeliver merge, timeouts); cid: URLs."""

from __future__ import annotations

import copy

import pytest
from structlog.testing import capture_logs

from clova_client.agents.audioplayer_state import repeat_of
from clova_client.player.backend import MediaSource
from clova_client.player.backends.fake import FakeMedia
from clova_client.player.settings import PlayerSettings
from clova_client.player.status import Activity
from clova_client.protocol.audioplayer import ClearQueuePayload, RepeatMode
from tests.player.conftest import HarnessFactory
from tests.player.helpers import Harness, deliver, play, stream, url_of

DELIVERED = "https://cdn.example/x.mp3?sig=SECRET"

# The guide's worked example: Play holds back the URL; StreamDeliver fills it in.
PLAY_STREAM = {
    "beginAtInMilliseconds": 0,
    "progressReport": {
        "progressReportDelayInMilliseconds": None,
        "progressReportIntervalInMilliseconds": 20000,
        "progressReportPositionInMilliseconds": 30000,
    },
    "token": "TR-NM-1",
    "url": "clova:TR-NM-1",
    "urlPlayable": False,
    "providerCustom": {"trackNo": 7, "note": None},
}
DELIVER_STREAM = {
    "progressReport": {
        "progressReportDelayInMilliseconds": 3000,
        "progressReportPositionInMilliseconds": 50000,
    },
    "url": DELIVERED,
    "urlPlayable": True,
}
MERGED = {
    "beginAtInMilliseconds": 0,
    "progressReport": {
        "progressReportDelayInMilliseconds": 3000,
        "progressReportIntervalInMilliseconds": 20000,
        "progressReportPositionInMilliseconds": 50000,
    },
    "token": "TR-NM-1",
    "url": DELIVERED,
    "urlPlayable": True,
    "providerCustom": {"trackNo": 7, "note": None},
}


async def test_stream_deliver_merge_reaches_the_context(new_harness: HarnessFactory) -> None:
    h = await new_harness({DELIVERED: FakeMedia(61_000)})
    await h.audio.play(play("x", stream_raw=copy.deepcopy(PLAY_STREAM)))
    assert h.names() == ["StreamRequested"]
    request = h.sent[0].event
    assert [c["header"]["name"] for c in request.context] == ["PlaybackState", "VolumeState"]
    assert request.payload == {"audioItemId": "x", "audioStream": PLAY_STREAM}
    assert h.backend.calls_named("play") == []  # nothing to play until the stream comes
    await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))
    assert h.backend.calls_named("play") == [MediaSource(1, DELIVERED, 0)]
    await h.run(61)
    assert h.names() == [
        "StreamRequested",
        "PlayStarted",
        "ProgressReportDelayPassed",
        "ProgressReportIntervalPassed",
        "ProgressReportIntervalPassed",
        "ProgressReportPositionPassed",
        "ProgressReportIntervalPassed",
        "PlayFinished",
    ]
    reports = [s for s in h.sent if s.name.startswith("Progress")]
    assert [s.offset for s in reports] == [3000, 20000, 40000, 50000, 60000]
    for s in h.sent[1:]:
        assert s.state["stream"] == MERGED
    # the stored Play is untouched
    assert h.engine.snapshot()["current"]["play"]["audioItem"]["stream"] == PLAY_STREAM


async def test_stream_deliver_named_audio_stream_is_accepted(new_harness: HarnessFactory) -> None:
    h = await new_harness({DELIVERED: FakeMedia(5000)})
    await h.audio.play(play("x", stream_raw=copy.deepcopy(PLAY_STREAM)))
    await h.audio.stream_deliver(deliver("x", DELIVER_STREAM, key="audioStream"))
    await h.run(0.3)
    assert h.names() == ["StreamRequested", "PlayStarted"]


async def test_replay_and_previous_request_the_stream_again(new_harness: HarnessFactory) -> None:
    h = await new_harness({DELIVERED: FakeMedia(20_000), url_of("b"): FakeMedia(20_000)})
    await h.audio.play(play("x", stream_raw=copy.deepcopy(PLAY_STREAM)))
    await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))
    await h.run(1)
    assert await h.engine.replay()
    assert h.names() == ["StreamRequested", "PlayStarted", "PlayStopped", "StreamRequested"]
    assert h.sent[-1].event.payload == {"audioItemId": "x", "audioStream": PLAY_STREAM}
    await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))
    await h.run(0.3)
    await h.audio.play(play("b", "ENQUEUE"))
    await h.engine.next()
    await h.run(0.3)
    h.clear()
    assert await h.engine.previous()
    assert h.names() == ["PlayStopped", "StreamRequested"]
    assert h.sent[-1].event.payload["audioStream"] == PLAY_STREAM
    await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))
    await h.run(0.3)
    assert h.names()[-1] == "PlayStarted"
    assert h.sent[-1].state["stream"] == MERGED


async def test_no_stream_deliver_abandons_the_item_and_moves_on(
    new_harness: HarnessFactory,
) -> None:
    settings = PlayerSettings(stream_deliver_timeout_s=4)
    h = await new_harness({url_of("b"): FakeMedia(5000)}, settings=settings)
    with capture_logs() as logs:
        await h.audio.play(play("x", stream_raw=copy.deepcopy(PLAY_STREAM)))
        await h.audio.play(play("b", "ENQUEUE"))
        await h.run(3.9)
        assert h.names() == ["StreamRequested"]
        assert h.engine.state is Activity.IDLE
        await h.run(0.4)
    assert [s.url for s in h.played()] == [url_of("b")]
    abandoned = [e for e in logs if e["event"] == "player.item_abandoned"]
    assert len(abandoned) == 1
    assert abandoned[0]["reason"] == "no StreamDeliver within 4 s"
    assert abandoned[0]["audio_item_id"] == "x"
    await h.run(1)
    assert h.names() == ["StreamRequested", "PlayStarted"]
    assert h.sent[-1].token == "tok-b"
    # a late StreamDeliver changes nothing
    with capture_logs() as logs:
        await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))
    assert [e["event"] for e in logs] == ["player.stream_deliver_ignored"]
    assert h.played()[-1].url == url_of("b")


async def queued_behind(new_harness: HarnessFactory, length_ms: int) -> Harness:
    media = {url_of("a"): FakeMedia(length_ms), DELIVERED: FakeMedia(10_000)}
    h = await new_harness(media, settings=PlayerSettings(stream_request_lead_s=5))
    await h.audio.play(play("a"))
    await h.audio.play(play("x", "ENQUEUE", stream_raw=copy.deepcopy(PLAY_STREAM)))
    return h


async def test_stream_requested_goes_out_lead_seconds_before_the_current_item_ends(
    new_harness: HarnessFactory,
) -> None:
    h = await queued_behind(new_harness, 20_000)
    assert h.names() == []  # not at enqueue
    await h.run(14.9)
    assert "StreamRequested" not in h.names()
    request = await h.run_until("StreamRequested")
    assert request.at == pytest.approx(15.0, abs=0.1)
    assert request.event.payload == {"audioItemId": "x", "audioStream": PLAY_STREAM}
    await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))
    assert h.backend.calls_named("prepare")[-1] == MediaSource(2, DELIVERED, 0)
    finished = await h.run_until("PlayFinished")
    assert h.backend.calls_named("play")[-1] == MediaSource(2, DELIVERED, 0)
    await h.run(0.5)
    after = h.sent[h.sent.index(finished) + 1 :]
    assert [s.name for s in after[:1]] == ["PlayStarted"]
    started = after[0]
    assert started.token == "TR-NM-1"
    assert started.at - finished.at == pytest.approx(0.0, abs=1e-6)  # no gap
    assert h.names().count("StreamRequested") == 1


async def test_stream_requested_at_once_when_less_than_the_lead_is_left(
    new_harness: HarnessFactory,
) -> None:
    h = await queued_behind(new_harness, 3000)
    await h.run(0.3)
    assert h.names() == ["PlayStarted", "StreamRequested"]


async def test_a_late_delivery_for_the_next_item_is_awaited_when_it_is_due(
    new_harness: HarnessFactory,
) -> None:
    h = await queued_behind(new_harness, 3000)
    await h.run(3.5)  # a finished, x waits for its stream, requested 3 s ago
    assert h.names() == ["PlayStarted", "StreamRequested", "PlayFinished"]
    assert h.engine.state is Activity.STOPPED
    await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))
    await h.run(0.3)
    assert h.names()[-1] == "PlayStarted"
    assert h.names().count("StreamRequested") == 1


async def test_an_early_request_that_expires_is_asked_again_when_due(
    new_harness: HarnessFactory,
) -> None:
    settings = PlayerSettings(stream_request_lead_s=5, stream_deliver_timeout_s=8)
    media = {url_of("a"): FakeMedia(6000), DELIVERED: FakeMedia(10_000)}
    h = await new_harness(media, settings=settings)
    await h.audio.play(play("a"))
    await h.audio.play(play("x", "ENQUEUE", stream_raw=copy.deepcopy(PLAY_STREAM)))
    await h.run(1.5)  # requested at once: 5.75 s left
    assert h.names() == ["PlayStarted", "StreamRequested"]
    await h.engine.pause()
    await h.run(20)  # the request expires while paused; nothing is abandoned
    await h.engine.resume()
    await h.run(5)
    assert h.names() == [
        "PlayStarted",
        "StreamRequested",
        "PlayPaused",
        "PlayResumed",
        "StreamRequested",
        "PlayFinished",
    ]


async def test_cid_url_plays_from_the_attachment(new_harness: HarnessFactory) -> None:
    h = await new_harness({"cid:tts-1": FakeMedia(1000)})
    raw = stream("t", url="cid:tts-1")
    await h.audio.play(play("t", stream_raw=raw), attachments={"<tts-1>": b"ID3audio"})
    assert h.backend.calls_named("play") == [MediaSource(1, "cid:tts-1", 0, b"ID3audio")]
    await h.run(2)
    assert h.names() == ["PlayStarted", "PlayFinished"]


async def test_cid_url_without_its_attachment_is_abandoned(new_harness: HarnessFactory) -> None:
    h = await new_harness({url_of("b"): FakeMedia(1000)})
    with capture_logs() as logs:
        await h.audio.play(play("t", stream_raw=stream("t", url="cid:nope")))
        await h.audio.play(play("b", "ENQUEUE"))
    await h.run(2)
    assert h.names(with_token=True) == [("PlayStarted", "tok-b"), ("PlayFinished", "tok-b")]
    abandoned = [e for e in logs if e["event"] == "player.item_abandoned"]
    assert abandoned[0]["reason"] == "no attachment for this cid: url"


async def test_next_stream_is_requested_when_due_if_the_length_is_unknown(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(simulate=False)
    await h.audio.play(play("a"))
    await h.audio.play(play("x", "ENQUEUE", stream_raw=copy.deepcopy(PLAY_STREAM)))
    for ms in range(250, 10_001, 250):  # no LENGTH: a live or chunked stream
        await h.run(0.25)
        h.backend.emit_time(ms)
    await h.settle()
    assert h.names() == ["PlayStarted"]
    h.backend.emit_ended()
    await h.settle()
    assert h.names() == ["PlayStarted", "PlayFinished", "StreamRequested"]
    assert [name for name, _ in h.backend.calls] == ["play"]  # a ended by itself: silent


async def test_clearing_the_queue_forgets_an_early_stream_request(
    new_harness: HarnessFactory,
) -> None:
    h = await queued_behind(new_harness, 3000)
    await h.run(0.3)
    assert h.names() == ["PlayStarted", "StreamRequested"]
    await h.audio.clear_queue(ClearQueuePayload.model_validate({"clearBehavior": "CLEAR_ENQUEUED"}))
    with capture_logs() as logs:
        await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))
    assert [e["event"] for e in logs] == ["player.stream_deliver_ignored"]
    assert h.backend.calls_named("prepare") == []
    await h.run(5)
    assert h.names() == ["PlayStarted", "StreamRequested", "PlaybackQueueCleared", "PlayFinished"]


async def test_replace_all_while_waiting_for_a_stream(new_harness: HarnessFactory) -> None:
    h = await new_harness({url_of("b"): FakeMedia(1000)})
    await h.audio.play(play("x", stream_raw=copy.deepcopy(PLAY_STREAM)))
    await h.audio.play(play("b"))
    await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))  # too late: ignored
    await h.run(2)
    assert h.names() == ["StreamRequested", "PlayStarted", "PlayFinished"]
    assert [s.url for s in h.played()] == [url_of("b")]


async def test_pause_while_waiting_for_the_stream_then_resume(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({DELIVERED: FakeMedia(5000)})
    await h.audio.play(play("x", stream_raw=copy.deepcopy(PLAY_STREAM)))
    assert await h.engine.pause()
    await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))
    await h.run(3)
    assert h.played() == []  # stays paused
    assert h.engine.state is Activity.PAUSED
    assert h.names() == ["StreamRequested"]
    assert await h.engine.resume()
    await h.run(0.3)
    assert h.names() == ["StreamRequested", "PlayStarted"]
    assert h.sent[-1].state["stream"] == MERGED


async def test_repeat_one_asks_for_the_stream_again_before_each_repeat(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({DELIVERED: FakeMedia(8000)})
    h.engine.set_repeat(repeat_of(RepeatMode.REPEAT_ONE))
    await h.audio.play(play("x", stream_raw=copy.deepcopy(PLAY_STREAM)))
    await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))
    request = await h.run_until("StreamRequested")  # for the repeat, 5 s before the end
    assert request.at == pytest.approx(3.0, abs=0.1)
    await h.audio.stream_deliver(deliver("x", DELIVER_STREAM))
    assert h.backend.calls_named("prepare") == [MediaSource(2, DELIVERED, 0)]
    await h.run(5.5)
    assert h.names(progress=False) == [
        "StreamRequested",
        "PlayStarted",
        "StreamRequested",
        "PlayFinished",
        "PlayStarted",
    ]
    assert h.played() == [MediaSource(1, DELIVERED, 0), MediaSource(2, DELIVERED, 0)]
