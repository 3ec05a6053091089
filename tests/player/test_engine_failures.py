"""Broken media is abandoned with a logged reason, nothing false is claimed, the player moves on."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from clova_client.agents.audioplayer_state import playback_state
from clova_client.player.backend import BackendEvent, BackendEventType
from clova_client.player.backends.fake import FakeMedia
from clova_client.player.queue import QueueRepeat
from clova_client.player.settings import PlayerSettings
from clova_client.player.status import Activity
from clova_client.protocol.audioplayer import PlayerActivity
from tests.player.conftest import HarnessFactory
from tests.player.helpers import play, url_of

BAD = "https://media.example/bad.mp3?sig=SECRET&exp=1"
NEXT = url_of("next")

FAILURES = {
    "open timeout": (FakeMedia(60_000, "stall_at_ms", stall_at_ms=0), "no sound within 10 s"),
    "404": (FakeMedia(60_000, "404"), "backend error: HTTP 404 Not Found"),
    "refused": (FakeMedia(60_000, "refused"), "backend error: connection refused"),
    "garbage": (FakeMedia(60_000, "garbage"), "ended without sound (garbage or unsupported media)"),
}


@pytest.mark.parametrize("case", list(FAILURES))
async def test_media_that_never_sounds_is_abandoned_and_the_next_item_plays(
    new_harness: HarnessFactory, case: str
) -> None:
    media, reason = FAILURES[case]
    h = await new_harness({BAD: media, NEXT: FakeMedia(1000)})
    with capture_logs() as logs:
        await h.audio.play(play("bad", url=BAD))
        await h.audio.play(play("next", "ENQUEUE"))
        await h.run(12)
    assert h.names(with_token=True) == [("PlayStarted", "tok-next"), ("PlayFinished", "tok-next")]
    abandoned = [e for e in logs if e["event"] == "player.item_abandoned"]
    assert len(abandoned) == 1
    assert abandoned[0]["reason"] == reason
    assert abandoned[0]["url"] == "https://media.example/bad.mp3?…"
    assert abandoned[0]["audio_item_id"] == "bad"
    assert "SECRET" not in repr(logs)
    assert [s.url for s in h.played()] == [
        BAD,
        NEXT,
    ]


async def test_unknown_media_is_abandoned(new_harness: HarnessFactory) -> None:
    h = await new_harness({NEXT: FakeMedia(1000)})
    with capture_logs() as logs:
        await h.audio.play(play("bad", url=BAD))
        await h.run(1)
    assert h.names() == []
    assert [e["reason"] for e in logs if e["event"] == "player.item_abandoned"] == [
        "backend error: not found"
    ]
    assert h.engine.state is Activity.IDLE


async def test_a_stall_while_playing_stops_the_item_truthfully(
    new_harness: HarnessFactory,
) -> None:
    media = {BAD: FakeMedia(60_000, "stall_at_ms", stall_at_ms=1000), NEXT: FakeMedia(1000)}
    h = await new_harness(media, settings=PlayerSettings(stall_timeout_s=5))
    with capture_logs() as logs:
        await h.audio.play(play("bad", url=BAD))
        await h.audio.play(play("next", "ENQUEUE"))
        await h.run(5.9)
        assert h.engine.state is Activity.PLAYING  # not known to be dead yet
        assert (
            playback_state(h.engine.status()).offset_ms or 0
        ) <= 1000 + 1500  # never runs far ahead
        await h.run(0.2)
    assert h.names(with_token=True)[:2] == [("PlayStarted", "tok-bad"), ("PlayStopped", "tok-bad")]
    stopped = h.named("PlayStopped")[0]
    assert stopped.activity == "STOPPED" and stopped.offset == 1000
    assert stopped.at == pytest.approx(6.0, abs=0.01)  # 5 s after the last advance
    assert "PlayFinished" not in h.names()[:2]
    reasons = [e["reason"] for e in logs if e["event"] == "player.item_abandoned"]
    assert reasons == ["stalled: position frozen at 1000 ms for 5 s"]
    await h.run(2)
    assert h.names(with_token=True)[2:] == [
        ("PlayStarted", "tok-next"),
        ("PlayFinished", "tok-next"),
    ]


async def test_context_is_never_playing_after_a_failure(new_harness: HarnessFactory) -> None:
    media = {BAD: FakeMedia(60_000, "stall_at_ms", stall_at_ms=500)}
    h = await new_harness(media)
    await h.audio.play(play("bad", url=BAD))
    await h.run(20)
    assert h.names() == ["PlayStarted", "PlayStopped"]
    assert h.engine.state is Activity.STOPPED
    h.engine.report_playback_state()
    report = h.sent[-1]
    assert report.name == "ReportPlaybackState"
    assert report.activity == "STOPPED" and report.offset == 500
    assert h.backend.calls[-1] == ("stop", None)


async def test_an_early_end_is_not_a_finish(new_harness: HarnessFactory) -> None:
    h = await new_harness(simulate=False)
    with capture_logs() as logs:
        await h.audio.play(play("a"))
        h.backend.emit_playing()
        h.backend.emit_length(10_000)
        for ms in range(250, 4001, 250):
            await h.run(0.25)
            h.backend.emit_time(ms)
        h.backend.emit_ended()  # the connection dropped at 4 s of 10 s
        await h.settle()
    assert h.names() == ["PlayStarted", "PlayStopped"]
    reasons = [e["reason"] for e in logs if e["event"] == "player.item_abandoned"]
    assert reasons == ["ended early at 4000 of 10000 ms"]


async def test_an_end_within_the_guard_is_a_finish_at_the_length(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(simulate=False)
    await h.audio.play(play("a"))
    h.backend.emit_length(10_000)
    for ms in range(250, 8901, 250):
        await h.run(0.25)
        h.backend.emit_time(ms)
    h.backend.emit_ended()  # e.g. libVLC's dummy output ends 1.1 s early
    await h.settle()
    assert h.names() == ["PlayStarted", "PlayFinished"]
    assert h.sent[-1].offset == 10_000


async def test_no_sound_after_resume_is_abandoned(new_harness: HarnessFactory) -> None:
    h = await new_harness(simulate=False, settings=PlayerSettings(open_timeout_s=3))
    await h.audio.play(play("a"))
    await h.run(0.3)
    h.backend.emit_time(300)
    await h.settle()
    await h.engine.pause()
    await h.engine.resume()
    await h.run(2.9)
    assert h.names() == ["PlayStarted", "PlayPaused"]
    assert h.engine.state is Activity.PAUSED  # no sound yet: not PLAYING
    await h.run(0.2)
    assert h.names() == ["PlayStarted", "PlayPaused", "PlayStopped"]
    assert h.sent[-1].activity == "STOPPED"


async def test_a_playlist_that_only_fails_is_tried_once_round(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({})
    h.engine.set_repeat(QueueRepeat.ALL)
    for n, behavior in enumerate(["REPLACE_ALL", "ENQUEUE", "ENQUEUE"]):
        await h.audio.play(play(f"i{n}", behavior))
    await h.run(5)
    attempts = h.backend.calls_named("play")
    assert 3 <= len(attempts) <= 4
    assert h.names() == []
    assert h.engine.state is Activity.IDLE


async def test_events_of_an_old_source_are_dropped(new_harness: HarnessFactory) -> None:
    h = await new_harness(simulate=False)
    await h.audio.play(play("a"))
    h.backend.emit_time(300)
    await h.settle()
    await h.audio.play(play("b"))
    assert h.names() == ["PlayStarted", "PlayStopped"]
    old = 1
    for event in [
        BackendEvent(old, BackendEventType.TIME, time_ms=900),
        BackendEvent(old, BackendEventType.ENDED),
        BackendEvent(old, BackendEventType.ERROR, reason="late"),
    ]:
        h.backend.emit(event)
    await h.settle()
    assert h.names() == ["PlayStarted", "PlayStopped"]
    h.backend.emit_time(250)  # the new source
    await h.settle()
    assert h.names(with_token=True)[-1] == ("PlayStarted", "tok-b")


async def test_a_time_at_the_start_without_playing_is_no_sound(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(simulate=False)
    await h.audio.play(play("a", begin=5000))
    h.backend.emit_length(60_000)
    h.backend.emit_time(5000)  # where it was told to start, but the backend never said PLAYING
    await h.settle()
    assert h.names() == []
    assert h.engine.state is Activity.IDLE
    await h.run(0.27)
    h.backend.emit_time(5230)  # a real advance is sound, PLAYING or not
    await h.settle()
    assert h.names() == ["PlayStarted"]
    assert h.sent[0].offset == 5230 and h.sent[0].activity == "PLAYING"
    assert h.sent[0].state["totalInMilliseconds"] == 60_000


async def test_a_time_below_the_start_is_no_sound_even_after_playing(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(simulate=False)
    await h.audio.play(play("a", begin=5000))
    h.backend.emit_playing()
    h.backend.emit_length(60_000)
    h.backend.emit_time(4850)  # landed well before the start (more than START_SLACK_MS)
    await h.settle()
    assert h.names() == []
    assert h.engine.state is Activity.IDLE
    await h.run(0.27)
    h.backend.emit_time(5230)
    await h.settle()
    assert h.names() == ["PlayStarted"]
    assert h.sent[0].offset == 5230 and h.sent[0].activity == "PLAYING"


async def test_playing_then_a_time_at_the_start_is_sound_at_the_start(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(simulate=False)
    await h.audio.play(play("a", begin=5000))
    await h.run(0.1)
    h.backend.emit_length(60_000)
    h.backend.emit_playing()
    await h.settle()
    assert h.names() == []  # PLAYING alone proves nothing
    assert h.engine.state is Activity.IDLE
    await h.run(0.002)
    h.backend.emit_time(5000)  # libVLC's first tick after a pre-roll: the first PCM
    await h.settle()
    assert h.names() == ["PlayStarted"]
    started = h.sent[0]
    assert started.offset == 5000 and started.activity == "PLAYING"
    assert started.at == pytest.approx(0.102, abs=1e-6)
    assert started.state["totalInMilliseconds"] == 60_000
    assert playback_state(h.engine.status()).player_activity is PlayerActivity.PLAYING


async def test_playing_then_an_end_without_time_is_no_sound(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(simulate=False)
    with capture_logs() as logs:
        await h.audio.play(play("a", begin=5000))
        h.backend.emit_playing()
        await h.run(0.04)
        h.backend.emit_ended()  # garbage: libVLC plays nothing and ends
        await h.settle()
    assert h.names() == []
    assert h.engine.state is Activity.IDLE
    assert [e["reason"] for e in logs if e["event"] == "player.item_abandoned"] == [
        "ended without sound (garbage or unsupported media)"
    ]


async def test_after_a_resume_playing_then_a_time_at_the_position_resumes_there(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(simulate=False)
    await h.audio.play(play("a"))
    h.backend.emit_playing()
    h.backend.emit_time(0)
    await h.run(0.3)
    h.backend.emit_time(300)
    await h.settle()
    assert await h.engine.pause()  # at the last tick: 300
    assert h.names() == ["PlayStarted", "PlayPaused"] and h.sent[-1].offset == 300
    await h.run(5)
    assert await h.engine.resume()
    h.backend.emit_time(300)  # no PLAYING yet for this resume: the open's does not count
    await h.settle()
    assert h.names() == ["PlayStarted", "PlayPaused"]
    assert h.engine.state is Activity.PAUSED
    await h.run(0.01)
    h.backend.emit_playing()
    h.backend.emit_time(300)
    await h.settle()
    assert h.names() == ["PlayStarted", "PlayPaused", "PlayResumed"]
    resumed = h.sent[-1]
    assert resumed.offset == 300 and resumed.activity == "PLAYING"
    assert resumed.at == pytest.approx(5.31, abs=1e-6)


async def test_a_first_tick_a_frame_before_the_start_is_the_start_of_sound(
    new_harness: HarnessFactory,
) -> None:
    """libavformat starts an Ogg asked for 3000 ms at 2999: that tick after PLAYING is the
    sound, not the next one a quarter of a second later."""
    h = await new_harness(simulate=False)
    await h.audio.play(play("a", begin=3000))
    h.backend.emit_length(60_000)
    h.backend.emit_playing()
    h.backend.emit_time(2999)
    await h.settle()
    assert h.names() == ["PlayStarted"]
    assert h.sent[0].offset == 2999


async def test_a_first_tick_far_before_the_start_is_no_sound(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(simulate=False)
    await h.audio.play(play("a", begin=3000))
    h.backend.emit_playing()
    h.backend.emit_time(0)  # the start position not applied yet: nothing sounds from here
    await h.settle()
    assert h.names() == []
