"""Play behaviours, ClearQueue in every state, duplicates, skipping and the playlist order."""

from __future__ import annotations

import pytest
import structlog

from clova_client.agents.audioplayer_state import playback_state, repeat_of
from clova_client.player.backend import MediaSource
from clova_client.player.backends.fake import FakeMedia
from clova_client.player.status import Activity
from clova_client.protocol.audioplayer import ClearQueuePayload, PlayerActivity, RepeatMode
from tests.player.conftest import HarnessFactory
from tests.player.helpers import Harness, play, url_of

MEDIA = {url_of(i): FakeMedia(3000) for i in ("a", "b", "c", "d")}


async def started(new_harness: HarnessFactory, *item_ids: str) -> Harness:
    """``item_ids[0]`` playing (sound flowing), the rest enqueued."""
    h = await new_harness(MEDIA)
    await h.audio.play(play(item_ids[0]))
    for item_id in item_ids[1:]:
        await h.audio.play(play(item_id, "ENQUEUE"))
    await h.run_until("PlayStarted")
    return h


def played_urls(h: Harness) -> list[str]:
    return [s.url for s in h.played()]


async def test_replace_all_when_idle_plays_at_once(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    await h.audio.play(play("a"))
    assert h.backend.calls_named("play") == [MediaSource(1, url_of("a"), 0)]
    assert h.engine.state is Activity.IDLE  # no sound yet
    await h.run(0.3)
    assert h.names() == ["PlayStarted"]
    assert playback_state(h.engine.status()).player_activity is PlayerActivity.PLAYING


async def test_replace_all_while_playing_stops_clears_and_plays(
    new_harness: HarnessFactory,
) -> None:
    h = await started(new_harness, "a", "b")
    await h.run(1)
    await h.audio.play(play("c"))
    await h.run(10)
    assert h.names(with_token=True) == [
        ("PlayStarted", "tok-a"),
        ("PlayStopped", "tok-a"),
        ("PlayStarted", "tok-c"),
        ("PlayFinished", "tok-c"),
    ]
    stopped = h.named("PlayStopped")[0]
    assert stopped.activity == "STOPPED"
    # a sounded from 0 at its PlayStarted: the stop is where it had got to by then
    played_ms = (stopped.at - h.named("PlayStarted")[0].at) * 1000
    assert stopped.offset == pytest.approx(played_ms, abs=1)
    assert 1000 <= (stopped.offset or 0) <= 1050
    assert url_of("b") not in played_urls(h)


async def test_enqueue_when_idle_plays_and_when_playing_waits(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(MEDIA)
    await h.audio.play(play("a", "ENQUEUE"))
    await h.audio.play(play("b", "ENQUEUE"))
    assert played_urls(h) == [url_of("a")]
    await h.run(10)
    assert h.names(with_token=True) == [
        ("PlayStarted", "tok-a"),
        ("PlayFinished", "tok-a"),
        ("PlayStarted", "tok-b"),
        ("PlayFinished", "tok-b"),
    ]


async def test_enqueue_after_the_queue_ran_out_plays_it(new_harness: HarnessFactory) -> None:
    h = await started(new_harness, "a")
    await h.run(5)
    assert h.engine.state is Activity.STOPPED
    await h.audio.play(play("b", "ENQUEUE"))
    await h.run(0.3)
    assert h.names(with_token=True)[-1] == ("PlayStarted", "tok-b")


async def test_enqueue_while_paused_only_queues(new_harness: HarnessFactory) -> None:
    h = await started(new_harness, "a")
    await h.engine.pause()
    await h.audio.play(play("b", "ENQUEUE"))
    await h.run(20)
    assert played_urls(h) == [url_of("a")]
    assert h.engine.state is Activity.PAUSED


async def test_replace_enqueued_keeps_the_current_item(new_harness: HarnessFactory) -> None:
    h = await started(new_harness, "a", "b")
    await h.audio.play(play("c", "REPLACE_ENQUEUED"))
    await h.run(10)
    assert h.names(with_token=True) == [
        ("PlayStarted", "tok-a"),
        ("PlayFinished", "tok-a"),
        ("PlayStarted", "tok-c"),
        ("PlayFinished", "tok-c"),
    ]


async def test_a_play_for_an_item_playing_or_queued_is_dropped(
    new_harness: HarnessFactory,
) -> None:
    h = await started(new_harness, "a", "b")
    calls = list(h.backend.calls)
    await h.audio.play(play("a"))  # playing
    await h.audio.play(play("b", "ENQUEUE"))  # queued
    await h.audio.play(play("b"))  # queued, even as REPLACE_ALL
    assert h.backend.calls == calls
    await h.run(10)
    assert h.names(with_token=True) == [
        ("PlayStarted", "tok-a"),
        ("PlayFinished", "tok-a"),
        ("PlayStarted", "tok-b"),
        ("PlayFinished", "tok-b"),
    ]
    await h.audio.play(play("a"))  # finished long ago: welcome again
    await h.run(0.3)
    assert h.names(with_token=True)[-1] == ("PlayStarted", "tok-a")


async def test_three_item_playlist_event_order(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    await h.audio.play(play("a", interval=1000))
    await h.audio.play(play("b", "ENQUEUE", delay=500))
    await h.audio.play(play("c", "ENQUEUE", position=2000))
    await h.run(12)
    assert h.names(with_token=True) == [
        ("PlayStarted", "tok-a"),
        ("ProgressReportIntervalPassed", "tok-a"),
        ("ProgressReportIntervalPassed", "tok-a"),
        ("ProgressReportIntervalPassed", "tok-a"),
        ("PlayFinished", "tok-a"),
        ("PlayStarted", "tok-b"),
        ("ProgressReportDelayPassed", "tok-b"),
        ("PlayFinished", "tok-b"),
        ("PlayStarted", "tok-c"),
        ("ProgressReportPositionPassed", "tok-c"),
        ("PlayFinished", "tok-c"),
    ]
    assert [s.activity for s in h.sent if s.name.startswith("Play")] == [
        "PLAYING",
        "STOPPED",
        "PLAYING",
        "STOPPED",
        "PLAYING",
        "STOPPED",
    ]
    assert [s.offset for s in h.named("PlayFinished")] == [3000, 3000, 3000]
    assert [s.offset for s in h.named("PlayStarted")] == [0, 0, 0]
    # the next item was prepared while the one before it played
    prepares = h.backend.calls_named("prepare")
    assert [p.url for p in prepares if isinstance(p, MediaSource)] == [url_of("b"), url_of("c")]
    assert h.engine.state is Activity.STOPPED


async def test_next_item_starts_as_soon_as_the_backend_allows(
    new_harness: HarnessFactory,
) -> None:
    h = await started(new_harness, "a", "b")
    finished = await h.run_until("PlayFinished")
    assert played_urls(h)[-1] == url_of("b")
    await h.run(0.5)
    after = h.sent[h.sent.index(finished) + 1 :]
    assert [(s.name, s.token) for s in after[:1]] == [("PlayStarted", "tok-b")]
    # the fake sends PLAYING and a tick at the start at once on play: no extra engine delay
    assert after[0].at - finished.at == pytest.approx(0.0, abs=1e-6)
    assert after[0].offset == 0


CLEAR_STATES = ["IDLE", "PLAYING", "PAUSED", "STOPPED"]


async def in_state(new_harness: HarnessFactory, state: str) -> Harness:
    h = await new_harness(MEDIA)
    if state == "IDLE":
        return h
    await h.audio.play(play("a"))
    await h.audio.play(play("b", "ENQUEUE"))
    await h.run_until("PlayStarted")
    if state == "PAUSED":
        await h.engine.pause()
    if state == "STOPPED":
        await h.engine.stop()
    h.clear()
    return h


@pytest.mark.parametrize("state", CLEAR_STATES)
async def test_clear_all_in_every_state(new_harness: HarnessFactory, state: str) -> None:
    h = await in_state(new_harness, state)
    await h.audio.clear_queue(ClearQueuePayload.model_validate({"clearBehavior": "CLEAR_ALL"}))
    expected = ["PlayStopped"] if state in ("PLAYING", "PAUSED") else []
    assert h.names() == [*expected, "PlaybackQueueCleared"]
    cleared = h.named("PlaybackQueueCleared")[0]
    assert cleared.activity == ("IDLE" if state == "IDLE" else "STOPPED")
    await h.run(10)
    assert h.names() == [*expected, "PlaybackQueueCleared"]
    assert h.backend.calls_named("play") == []


@pytest.mark.parametrize("state", CLEAR_STATES)
async def test_clear_enqueued_in_every_state(new_harness: HarnessFactory, state: str) -> None:
    h = await in_state(new_harness, state)
    await h.audio.clear_queue(ClearQueuePayload.model_validate({"clearBehavior": "CLEAR_ENQUEUED"}))
    assert h.names() == ["PlaybackQueueCleared"]
    assert h.engine.state.value == state
    if state == "PAUSED":
        await h.engine.resume()
    await h.run(10)
    expected = ["PlaybackQueueCleared"]
    if state == "PAUSED":
        expected += ["PlayResumed", "PlayFinished"]
    if state == "PLAYING":
        expected += ["PlayFinished"]
    assert h.names(progress=False) == expected
    assert url_of("b") not in played_urls(h)


async def test_next_skips_and_returns_false_at_the_end(new_harness: HarnessFactory) -> None:
    h = await started(new_harness, "a", "b")
    assert await h.engine.next()
    await h.run(0.3)
    assert h.names(with_token=True) == [
        ("PlayStarted", "tok-a"),
        ("PlayStopped", "tok-a"),
        ("PlayStarted", "tok-b"),
    ]
    assert not await h.engine.next()
    assert h.engine.state is Activity.PLAYING


async def test_next_ignores_repeat_one(new_harness: HarnessFactory) -> None:
    h = await started(new_harness, "a", "b")
    h.engine.set_repeat(repeat_of(RepeatMode.REPEAT_ONE))
    assert await h.engine.next()
    await h.run(0.3)
    assert h.engine.token == "tok-b"


async def test_previous_goes_back_and_returns_false_without_history(
    new_harness: HarnessFactory,
) -> None:
    h = await started(new_harness, "a", "b")
    assert not await h.engine.previous()
    await h.engine.next()
    await h.run(0.3)
    assert await h.engine.previous()
    await h.run(0.3)
    assert h.names(with_token=True)[-2:] == [("PlayStopped", "tok-b"), ("PlayStarted", "tok-a")]


async def test_replay_restarts_the_current_item_from_its_begin(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({url_of("a"): FakeMedia(10_000)})
    assert not await h.engine.replay()
    await h.audio.play(play("a", begin=1000))
    await h.run(2)
    assert await h.engine.replay()
    await h.run(0.3)
    assert h.names() == ["PlayStarted", "PlayStopped", "PlayStarted"]
    assert [s.start_ms for s in h.played()] == [
        1000,
        1000,
    ]


async def test_repeat_one_plays_the_item_again(new_harness: HarnessFactory) -> None:
    h = await started(new_harness, "a", "b")
    h.engine.set_repeat(repeat_of(RepeatMode.REPEAT_ONE))
    await h.run(6.3)
    assert h.names(with_token=True) == [
        ("PlayStarted", "tok-a"),
        ("PlayFinished", "tok-a"),
        ("PlayStarted", "tok-a"),
        ("PlayFinished", "tok-a"),
        ("PlayStarted", "tok-a"),
    ]
    assert h.sent[0].state["repeatMode"] == "NONE"
    assert all(s.state["repeatMode"] == "REPEAT_ONE" for s in h.sent[1:])
    h.engine.set_repeat(repeat_of(RepeatMode.NONE))
    await h.run(3)
    assert h.names(with_token=True)[-2:] == [("PlayFinished", "tok-a"), ("PlayStarted", "tok-b")]


async def test_a_play_that_would_queue_more_than_the_bound_is_dropped(
    new_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cloud gone wrong cannot grow the queue without end; REPLACE_ALL still works."""
    monkeypatch.setattr("clova_client.player.queue.MAX_UPCOMING", 2)
    monkeypatch.setattr("clova_client.player.commands.MAX_UPCOMING", 2)
    h = await started(new_harness, "a", "b", "c")
    with structlog.testing.capture_logs() as logs:
        await h.audio.play(play("d", "ENQUEUE"))
    assert [e.key for e in h.engine.upcoming()] == ["b", "c"]
    dropped = [e for e in logs if e["event"] == "player.play_dropped"]
    assert dropped and dropped[0]["audio_item_id"] == "d"
    assert "queue is full" in dropped[0]["reason"]
    await h.audio.play(play("d"))
    assert h.engine.upcoming() == ()
    current = h.engine.current_entry()
    assert current is not None and current[0].key == "d"
